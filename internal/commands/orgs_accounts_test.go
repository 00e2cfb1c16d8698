package commands

import (
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// An organization holding a service account and no key: orgs delete is
// refused before asking, and --with-keys names the account it takes.
func TestOrgsDeleteWithAccountsOnTerminal(t *testing.T) {
	c := newCLITest(t)
	c.ok("accounts create ci --resource /acme/prod --role editor")
	if out := c.ok("orgs get acme -o json"); !strings.Contains(out, `"key_count": 0`) {
		t.Fatalf("an account's org: %s", out)
	}
	ctx, svc := c.openStore()
	run := func(answer string, args ...string) (error, string) {
		ios, in, _, errOut := iostreams.Test()
		ios.SetTTY(true, true)
		in.WriteString(answer)
		cmd := NewCmdOrgDelete(&Factory{IO: ios}, func(o *OrgDeleteOptions) error {
			o.Service = func() (keys.Service, error) { return svc, nil }
			o.Printer = output.New(output.Options{Format: output.JSON})
			return orgDeleteRun(ctx, o)
		})
		cmd.SetArgs(args)
		return cmd.Execute(), errOut.String()
	}
	if err, asked := run("y\n", "acme"); ExitCode(err) != 5 || strings.Contains(asked, "[y/N]") || !strings.Contains(err.Error(), "service accounts (1)") {
		t.Fatalf("delete of an org with an account: exit %d %v, asked %q", ExitCode(err), err, asked)
	}
	err, asked := run("y\n", "acme", "--with-keys")
	if want := "Delete organization /acme and its service account? [y/N] "; err != nil || asked != want {
		t.Fatalf("--with-keys: %v, prompt %q, want %q", err, asked, want)
	}
	if r := c.run("accounts get ci"); r.code != 3 {
		t.Errorf("account after orgs delete --with-keys: exit %d", r.code)
	}
}
