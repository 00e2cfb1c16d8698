package commands

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/config"
	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// The xRun functions, driven directly with filled options, test buffers
// and a real store: what the commands do, apart from flag parsing.

func TestCreateRunAndVerifyRun(t *testing.T) {
	c := newCLITest(t)
	ctx, svc := c.openStore()
	service := func() (keys.Service, error) { return svc, nil }
	now := time.Now

	ios, _, out, _ := iostreams.Test()
	err := createRun(ctx, &CreateOptions{
		IO: ios, Service: service, Now: now, Printer: output.New(output.Options{Format: output.JSON}),
		Settings: func() (*config.Settings, error) { return &config.Settings{DefaultResource: "/acme/dev"}, nil },
		Name:     "svc", Type: "secret", Role: keys.Editor, ExpiresAt: "2099-01-01", Prefix: "acme", Meta: []string{"a=b"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var k keys.NewSecretKey
	json.Unmarshal(out.Bytes(), &k)
	if !strings.HasPrefix(k.Secret, "acme_") || k.Grants[0].Resource != "/acme/dev" || k.Grants[0].Role != keys.Editor ||
		k.ExpiresAt == nil || k.ExpiresAt.Format(time.RFC3339) != "2099-01-01T23:59:59Z" || k.Meta["a"] != "b" || !strings.HasPrefix(k.CreatedBy, "local:") {
		t.Fatalf("created %+v", k)
	}

	for _, tc := range []struct {
		resource, role string
		valid          bool
		code           keys.VerifyCode
	}{
		{"/acme/dev/x", "editor", true, keys.CodeValid},
		{"", "", true, keys.CodeValid},
		{"/acme/prod", "", false, keys.CodeInsufficientPermissions},
		{"", "admin", false, keys.CodeInsufficientPermissions},
	} {
		ios, in, out, _ := iostreams.Test()
		in.WriteString(k.Secret + "\r\n")
		err := verifyRun(ctx, &VerifyOptions{IO: ios, Service: service, Printer: output.New(output.Options{Format: output.JSONL}), Resource: tc.resource, Role: tc.role})
		var res keys.VerifyResult
		json.Unmarshal(out.Bytes(), &res)
		if res.Valid != tc.valid || res.Code != tc.code || (err == nil) != tc.valid {
			t.Errorf("verify %+v: %+v, err %v", tc, res, err)
		}
		if !tc.valid && ExitCode(err) != 7 {
			t.Errorf("verify %+v: exit %d", tc, ExitCode(err))
		}
	}
}

func TestCreateRunNeedsAResource(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	err := createRun(t.Context(), &CreateOptions{
		IO: ios, Now: time.Now, Name: "x", Role: keys.Viewer,
		Settings: func() (*config.Settings, error) { return &config.Settings{}, nil },
		Service:  func() (keys.Service, error) { t.Fatal("no backend needed to refuse"); return nil, nil },
	})
	if ExitCode(err) != 2 || !strings.Contains(err.Error(), "--resource") {
		t.Fatalf("err = %v", err)
	}
}

func TestListRunTableOnTerminal(t *testing.T) {
	c := newCLITest(t)
	c.create("a --resource /acme --ttl 3d")
	c.create("b --resource /acme")
	c.ok("keys update b --disable")
	ctx, svc := c.openStore()
	ios, _, out, errOut := iostreams.Test()
	ios.SetTTY(false, true)
	t.Setenv("NO_COLOR", "")
	p, err := NewPrinter(ios, &config.Settings{Output: "table"}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := listRun(ctx, &ListOptions{IO: ios, Service: func() (keys.Service, error) { return svc, nil }, Printer: p, Limit: 100}); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.Contains(s, "in 2 days") && !strings.Contains(s, "in 3 days") || !strings.Contains(s, "never used") || !strings.Contains(s, "\x1b[90mb ") || errOut.Len() != 0 {
		t.Fatalf("table on a terminal:\n%s\nstderr %q", s, errOut)
	}
	t.Setenv("NO_COLOR", "1")
	out.Reset()
	p, _ = NewPrinter(ios, &config.Settings{Output: "table", NoHeaders: true}, time.Now)
	listRun(ctx, &ListOptions{IO: ios, Service: func() (keys.Service, error) { return svc, nil }, Printer: p, Limit: 100})
	if strings.Contains(out.String(), "\x1b[") || strings.Contains(out.String(), "NAME") {
		t.Fatalf("NO_COLOR / --no-headers:\n%s", out)
	}
}
