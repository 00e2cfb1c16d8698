package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/config"
	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
	"github.com/keyward/keyward/internal/testenv"
)

func TestNewCmdCreateOptions(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	var got *CreateOptions
	cmd := NewCmdCreate(&Factory{IO: ios}, func(o *CreateOptions) error { got = o; return nil })
	cmd.SetArgs(strings.Fields("ci --resource /acme/prod --resource /acme/dev --role editor --ttl 30d --prefix ci --meta a=b --meta c=d -q"))
	cmd.SetOut(io.Discard)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Name != "ci" || got.Role != keys.Editor || len(got.Resources) != 2 || got.TTL == nil ||
		time.Duration(*got.TTL) != 30*keys.Day || got.Prefix != "ci" || len(got.Meta) != 2 || !got.Quiet || got.Type != "secret" {
		t.Fatalf("options = %+v", got)
	}
}

func TestNewCmdCreateDefaults(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	var got *CreateOptions
	cmd := NewCmdCreate(&Factory{IO: ios}, func(o *CreateOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"ci"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Role != keys.Viewer || got.TTL != nil || got.ExpiresAt != "" || got.Quiet {
		t.Fatalf("defaults = %+v", got)
	}
}

func TestNewCmdUsageErrors(t *testing.T) {
	c := newCLITest(t)
	for _, line := range []string{
		"keys create",
		"keys create a b --resource /acme",
		"keys create a --resource /acme --ttl 1d --expires-at 2099-01-01",
		"keys create a --resource /acme --ttl 3x",
		"keys create a --resource /acme --ttl 0",
		"keys create a --resource /acme --ttl -1d",
		"keys create a --resource /acme --role god",
		"keys create a --resource acme",
		"keys create a --resource /acme --expires-at 2001-01-01",
		"keys create a --resource /acme --meta novalue",
		"keys create a",
		"keys list --expired --unused-for 1d",
		"keys list --limit -1",
		"keys update a",
		"keys update a --ttl 1d --no-expiry",
		"keys update a --enable --disable",
		"keys roll a",
		"keys roll a --yes --grace -1h",
		"keys delete a",
		"keys delete --yes",
		"keys grant a",
		"keys verify extra",
		"keys verify --role boss",
		"audit list --since yesterday",
		"keys nope",
		"nope",
		"--bogus keys list",
		"-o yaml keys list",
		"--server http://127.0.0.1:1 keys list",
		"completion tcsh",
		// An empty value is bad input, never "not given": an unset
		// variable must not widen a check or drop an expiry.
		"keys get ''",
		"keys verify --resource ''",
		"keys verify --role ''",
		"keys create a --resource /acme --expires-at ''",
		"keys create a --resource /acme --prefix ''",
		"keys create a --resource /acme --type ''",
		"keys create a --resource /acme --resource ''",
		"keys update a --expires-at ''",
		"keys list --resource ''",
		"audit list --key ''",
		"audit list --since ''",
	} {
		c.usageError(line)
	}
}

func TestRollAndDeleteNeedYesOffTerminal(t *testing.T) {
	c := newCLITest(t)
	c.create("ci --resource /acme")
	for _, line := range []string{"keys roll ci", "keys delete ci"} {
		r := c.runIn("y\n", line)
		if r.code != 2 || !strings.Contains(r.err, "--yes is required when not running on a terminal") {
			t.Errorf("%s: exit %d, %q", line, r.code, r.err)
		}
	}
	if out := c.ok("keys get ci -o json"); !strings.Contains(out, `"name": "ci"`) {
		t.Fatal("the key must still exist")
	}
}

func TestDeleteAsksOnTerminal(t *testing.T) {
	c := newCLITest(t)
	c.create("ci --resource /acme")
	ctx, svc := c.openStore()
	for _, tc := range []struct {
		answer  string
		deleted bool
	}{{"n\n", false}, {"y\n", true}} {
		ios, in, out, errOut := iostreams.Test()
		ios.SetTTY(true, true)
		in.WriteString(tc.answer)
		cmd := NewCmdDelete(&Factory{IO: ios}, func(o *DeleteOptions) error {
			o.Service = func() (keys.Service, error) { return svc, nil }
			o.Printer = output.New(output.Options{Format: output.JSON})
			return deleteRun(ctx, o)
		})
		cmd.SetArgs([]string{"ci"})
		err := cmd.Execute()
		if !regexp.MustCompile(`^Delete ci \(key_\w{16}, /acme\)\? It stops working at once\. \[y/N\] `).MatchString(errOut.String()) {
			t.Errorf("prompt = %q", errOut.String())
		}
		_, getErr := svc.Get(ctx, "ci")
		if gone := keys.ErrorCode(getErr) == keys.NotFound; gone != tc.deleted {
			t.Fatalf("answer %q: deleted = %v, err %v", tc.answer, gone, err)
		}
		if tc.deleted && (err != nil || !strings.HasPrefix(out.String(), "[")) {
			t.Fatalf("delete: %v, out %q", err, out)
		}
		if !tc.deleted && ExitCode(err) == 0 {
			t.Fatal("a declined delete must not exit 0")
		}
	}
}

func TestRollOnTerminalAsksAndKeepsGraceDefault(t *testing.T) {
	c := newCLITest(t)
	c.create("ci --resource /acme")
	ctx, svc := c.openStore()
	ios, in, out, errOut := iostreams.Test()
	ios.SetTTY(true, true)
	in.WriteString("yes\n")
	var got *RollOptions
	cmd := NewCmdRoll(&Factory{IO: ios}, func(o *RollOptions) error {
		got = o
		o.Service = func() (keys.Service, error) { return svc, nil }
		o.Printer = output.New(output.Options{Format: output.JSON})
		return rollRun(ctx, o)
	})
	cmd.SetArgs([]string{"ci"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.GraceSet || time.Duration(got.Grace) != keys.DefaultGrace {
		t.Fatalf("grace = %v set=%v", got.Grace, got.GraceSet)
	}
	if !regexp.MustCompile(`^Roll ci \(key_\w{16}, /acme\)\? The current secret keeps working for 12h\. \[y/N\] `).MatchString(errOut.String()) {
		t.Errorf("prompt = %q", errOut.String())
	}
	var k keys.NewSecretKey
	if err := json.Unmarshal(out.Bytes(), &k); err != nil || k.Secret == "" || k.PreviousExpiresAt == nil {
		t.Fatalf("roll output %q: %v", out, err)
	}
}

func TestRollGraceZeroAndQuiet(t *testing.T) {
	c := newCLITest(t)
	old := c.create("ci --resource /acme").Secret
	r := c.run("keys roll ci --grace 0 --yes -q")
	secret := strings.TrimSpace(r.out)
	if r.code != 0 || strings.Count(r.out, "\n") != 1 || !strings.HasPrefix(secret, "sk_") {
		t.Fatalf("roll -q: exit %d out %q err %q", r.code, r.out, r.err)
	}
	if v := c.runIn(old, "keys verify"); v.code != 7 {
		t.Fatalf("old secret after --grace 0: exit %d", v.code)
	}
	if v := c.runIn(secret, "keys verify"); v.code != 0 {
		t.Fatalf("new secret: exit %d %s", v.code, v.err)
	}
}

func TestCreateQuietPrintsOnlyTheSecret(t *testing.T) {
	c := newCLITest(t)
	r := c.run("keys create ci --resource /acme -q")
	if r.code != 0 || r.err != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.err)
	}
	if _, err := keys.ParseSecret(r.out); err != nil || strings.Count(r.out, "\n") != 1 {
		t.Fatalf("out %q is not one secret line", r.out)
	}
}

func TestCreateTableWarnsOnStderr(t *testing.T) {
	c := newCLITest(t)
	r := c.run("keys create ci --resource /acme")
	if r.code != 0 || !strings.Contains(r.out, "SECRET") || !strings.Contains(r.err, "not be shown again") && !strings.Contains(r.err, "shown only once") {
		t.Fatalf("exit %d out %q err %q", r.code, r.out, r.err)
	}
}

func TestCreateUsesProfileDefaultResource(t *testing.T) {
	c := newCLITest(t)
	f := &config.File{CurrentProfile: "dev"}
	f.SetProfile("dev", config.Profile{DB: c.db, DefaultResource: "/acme/dev"})
	if err := writeConfig(f); err != nil {
		t.Fatal(err)
	}
	ios, _, out, errOut := iostreams.Test()
	if code := Run(context.Background(), ios, strings.Fields("keys create ci -o json")); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var k keys.NewSecretKey
	json.Unmarshal(out.Bytes(), &k)
	if len(k.Grants) != 1 || k.Grants[0].Resource != "/acme/dev" || k.Grants[0].Role != keys.Viewer {
		t.Fatalf("grants = %+v", k.Grants)
	}
}

func writeConfig(f *config.File) error {
	g, err := config.LoadFrom(config.Path())
	if err != nil {
		return err
	}
	g.CurrentProfile = f.CurrentProfile
	for name, p := range f.Profiles {
		g.SetProfile(name, p)
	}
	return g.Save()
}

func TestUpdate(t *testing.T) {
	c := newCLITest(t)
	c.create("ci --resource /acme --meta a=1 --meta b=2")
	var k keys.Key
	json.Unmarshal([]byte(c.ok("keys update ci --name ci2 --ttl 1d --disable --meta a= --meta c=3 -o json")), &k)
	if k.Name != "ci2" || k.Enabled || k.ExpiresAt == nil || k.Meta["a"] != "" || k.Meta["b"] != "2" || k.Meta["c"] != "3" || len(k.Meta) != 2 {
		t.Fatalf("updated = %+v", k)
	}
	json.Unmarshal([]byte(c.ok("keys update ci2 --no-expiry --enable -o json")), &k)
	if k.ExpiresAt != nil || !k.Enabled {
		t.Fatalf("updated = %+v", k)
	}
	json.Unmarshal([]byte(c.ok("keys update ci2 --expires-at 2099-12-31 -o json")), &k)
	if k.ExpiresAt == nil || !k.ExpiresAt.Equal(time.Date(2099, 12, 31, 23, 59, 59, 0, time.UTC)) {
		t.Fatalf("expires_at = %v", k.ExpiresAt)
	}
}

func TestGrantUngrant(t *testing.T) {
	c := newCLITest(t)
	c.create("ci --resource /acme/prod")
	var k keys.Key
	json.Unmarshal([]byte(c.ok("keys grant ci /acme/dev --role admin -o json")), &k)
	if len(k.Grants) != 2 {
		t.Fatalf("grants = %+v", k.Grants)
	}
	json.Unmarshal([]byte(c.ok("keys ungrant ci /acme/prod -o json")), &k)
	if len(k.Grants) != 1 || k.Grants[0].Resource != "/acme/dev" || k.Grants[0].Role != keys.Admin {
		t.Fatalf("grants = %+v", k.Grants)
	}
	if r := c.run("keys ungrant ci /acme/dev"); r.code != ExitConflict {
		t.Fatalf("ungrant last: exit %d", r.code)
	}
	if r := c.run("keys grant ci /globex"); r.code != ExitUsage {
		t.Fatalf("grant in another org: exit %d %s", r.code, r.err)
	}
}

func TestVerifyFormats(t *testing.T) {
	c := newCLITest(t)
	s := c.create("ci-deploy --resource /acme/prod --role editor").Secret
	r := c.runIn(s+"\n", "keys verify --resource /acme/prod/robot-1 --role editor")
	if r.code != 0 || !strings.HasPrefix(r.out, "VALID key ci-deploy (key_") {
		t.Fatalf("table: exit %d %q %q", r.code, r.out, r.err)
	}
	r = c.runIn(s, "keys verify --resource /acme/prod --role admin -o jsonl")
	if r.code != 7 || strings.Count(r.out, "\n") != 1 || !strings.Contains(r.out, `"code":"INSUFFICIENT_PERMISSIONS"`) || r.err != "" {
		t.Fatalf("jsonl: exit %d %q %q", r.code, r.out, r.err)
	}
	if r = c.runIn("", "keys verify"); r.code != 7 || !strings.HasPrefix(r.out, "NOT_FOUND") {
		t.Fatalf("empty stdin: exit %d %q", r.code, r.out)
	}
	c.ok("keys update ci-deploy --disable")
	if r = c.runIn(s, "keys verify -o json"); r.code != 7 || !strings.Contains(r.out, "DISABLED") {
		t.Fatalf("disabled: exit %d %q", r.code, r.out)
	}
}

func TestListLimitAndNote(t *testing.T) {
	c := newCLITest(t)
	for _, n := range []string{"a", "b", "c"} {
		c.create(n + " --resource /acme")
	}
	r := c.run("keys list --limit 2 -o json")
	var ks []keys.Key
	if err := json.Unmarshal([]byte(r.out), &ks); err != nil || len(ks) != 2 || ks[0].Name != "a" {
		t.Fatalf("list --limit 2: %v %q", err, r.out)
	}
	if r.err != "showing first 2 keys; use --limit 0 for all\n" {
		t.Fatalf("stderr = %q", r.err)
	}
	// Exactly the limit: nothing more exists, nothing to say.
	if r = c.run("keys list --limit 3 -o json"); r.err != "" {
		t.Fatalf("stderr = %q", r.err)
	}
	r = c.run("keys list --limit 0 -o jsonl")
	if strings.Count(r.out, "\n") != 3 || r.err != "" {
		t.Fatalf("jsonl: %q %q", r.out, r.err)
	}
	if r = c.run("keys list --resource /globex -o json"); r.out != "[]\n" {
		t.Fatalf("empty list = %q", r.out)
	}
	if r = c.run("keys list --resource /globex -o jsonl"); r.out != "" {
		t.Fatalf("empty jsonl = %q", r.out)
	}
}

// eachPage asks for pages of min(limit+1, 1000), emits at most limit items
// and says whether more exist: below a full page, from the one extra item
// it asked for, with no second query.
func TestEachPage(t *testing.T) {
	const total = 2500
	for _, tc := range []struct {
		limit, emitted int
		sizes          []int
		more           bool
	}{
		{0, 2500, []int{1000, 1000, 1000}, false},
		{100, 100, []int{101}, true},
		{999, 999, []int{1000}, true},
		{1000, 1000, []int{1000, 1}, true},
		{1500, 1500, []int{1000, 1000}, true},
		{2000, 2000, []int{1000, 1000, 1}, true},
		{2500, 2500, []int{1000, 1000, 1000}, false},
		{5000, 2500, []int{1000, 1000, 1000}, false},
	} {
		var sizes []int
		pos, emitted := 0, 0
		fetch := func(size int, cursor string) ([]int, *string, error) {
			sizes = append(sizes, size)
			n := min(size, total-pos)
			items := make([]int, n)
			pos += n
			if pos >= total {
				return items, nil, nil
			}
			c := "next"
			return items, &c, nil
		}
		more, err := eachPage(tc.limit, fetch, func(int) error { emitted++; return nil })
		if err != nil || more != tc.more || emitted != tc.emitted || len(sizes) != len(tc.sizes) {
			t.Errorf("limit %d: sizes %v emitted %d more %v", tc.limit, sizes, emitted, more)
			continue
		}
		for i := range sizes {
			if sizes[i] != tc.sizes[i] {
				t.Errorf("limit %d: sizes %v, want %v", tc.limit, sizes, tc.sizes)
			}
		}
	}
}

func TestAuditList(t *testing.T) {
	c := newCLITest(t)
	c.create("a --resource /acme")
	c.create("b --resource /acme")
	c.ok("keys delete a --yes")
	var events []keys.AuditEvent
	json.Unmarshal([]byte(c.ok("audit list --key b -o json")), &events)
	if len(events) != 1 || events[0].Action != "create" || *events[0].KeyName != "b" {
		t.Fatalf("audit --key b = %+v", events)
	}
	json.Unmarshal([]byte(c.ok("audit list --since 1h -o json")), &events)
	if len(events) != 3 || events[0].Action != "delete" {
		t.Fatalf("audit --since 1h = %+v", events)
	}
	if out := c.ok("audit list --since 2999-01-01 -o json"); out != "[]\n" {
		t.Fatalf("audit in the future = %q", out)
	}
	r := c.run("audit list --limit 1 -o jsonl")
	if strings.Count(r.out, "\n") != 1 || !strings.Contains(r.err, "showing first 1 event;") {
		t.Fatalf("audit --limit 1: %q %q", r.out, r.err)
	}
}

func TestExitCodes(t *testing.T) {
	for code, want := range map[keys.Code]int{
		keys.Invalid: 2, keys.TooLarge: 2, keys.NotFound: 3, keys.Unauthorized: 4, keys.Forbidden: 4,
		keys.Conflict: 5, keys.Unavailable: 6, keys.RateLimited: 6, keys.Internal: 1, keys.NoRoute: 1,
	} {
		if got := ExitCode(keys.Errorf(code, "x")); got != want {
			t.Errorf("ExitCode(%s) = %d, want %d", code, got, want)
		}
	}
	if ExitCode(errors.New("plain")) != 1 || ExitCode(nil) != 0 || ExitCode(errNotValid) != 7 || ExitCode(usageErrorf("x")) != 2 {
		t.Error("plain, nil, not-valid or usage error mapped wrongly")
	}
}

func TestErrorsAreOneJSONLineUnderJSON(t *testing.T) {
	c := newCLITest(t)
	c.create("ci --resource /acme")
	for _, format := range []string{"json", "jsonl"} {
		r := c.run("keys create ci --resource /acme -o " + format)
		var body struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if r.code != 5 || strings.Count(r.err, "\n") != 1 || json.Unmarshal([]byte(r.err), &body) != nil || body.Error.Code != "conflict" || body.Error.Message == "" {
			t.Fatalf("-o %s: exit %d, stderr %q", format, r.code, r.err)
		}
	}
	// KEYWARD_OUTPUT counts like -o.
	t.Setenv("KEYWARD_OUTPUT", "json")
	if r := c.run("keys get nope"); r.code != 3 || !strings.HasPrefix(r.err, `{"error":{"code":"not_found"`) {
		t.Fatalf("KEYWARD_OUTPUT=json: %d %q", r.code, r.err)
	}
}

// An -o after the flag or argument that failed to parse still asks for
// JSON errors: pflag stops at the first bad flag, a script does not.
func TestUsageErrorsBeforeOutputFlagAreJSON(t *testing.T) {
	c := newCLITest(t)
	s := c.create("ci --resource /acme").Secret
	for _, line := range []string{
		"keys create x --resource /acme --ttl 0 -o json",
		"keys create x --resource /acme --bogus --output=jsonl",
		"keys list --limit x -ojson",
		"keys roll ci --grace -1s --output json --yes",
		"keys get " + s + " -o json",
	} {
		r := c.run(line)
		if r.code != 2 || r.out != "" || strings.Count(r.err, "\n") != 1 || !strings.HasPrefix(r.err, `{"error":{"code":"invalid","message":`) {
			t.Errorf("%s: exit %d, stderr %q", strings.Replace(line, s, "SECRET", 1), r.code, r.err)
		}
	}
	// So does a settings failure (a broken config file), with -o or
	// KEYWARD_OUTPUT.
	cfg := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "keyward", "config.yaml")
	os.MkdirAll(filepath.Dir(cfg), 0o700)
	os.WriteFile(cfg, []byte("profiles: [\n"), 0o600)
	if r := c.run("keys list -o json"); r.code != 2 || !strings.HasPrefix(r.err, `{"error":{"code":"invalid"`) {
		t.Errorf("broken config, -o json: exit %d, stderr %q", r.code, r.err)
	}
	t.Setenv("KEYWARD_OUTPUT", "jsonl")
	if r := c.run("keys list"); r.code != 2 || !strings.HasPrefix(r.err, `{"error":{"code":"invalid"`) {
		t.Errorf("broken config, KEYWARD_OUTPUT=jsonl: exit %d, stderr %q", r.code, r.err)
	}
	t.Setenv("KEYWARD_OUTPUT", "")
	os.Remove(cfg)
	// An invalid -o is reported in plain text.
	if r := c.run("keys list --limit x -o yaml"); r.code != 2 || !strings.HasPrefix(r.err, "error: ") {
		t.Errorf("-o yaml: exit %d, stderr %q", r.code, r.err)
	}
}

func TestPanicIsOneLineExitOne(t *testing.T) {
	dir := t.TempDir()
	testenv.Isolate(t, dir)
	ios, _, _, errOut := iostreams.Test()
	f := NewFactory(ios)
	f.Service = func() (keys.Service, error) { panic("boom\nsecond line") }
	code := RunFactory(context.Background(), f, []string{"keys", "get", "x"})
	if code != 1 || errOut.String() != "error: internal error: boom second line\n" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestRemoteWithoutBackendIsUnavailable(t *testing.T) {
	dir := t.TempDir()
	testenv.Isolate(t, dir)
	ios, _, _, errOut := iostreams.Test()
	f := NewFactory(ios)
	f.Remote = nil
	code := RunFactory(context.Background(), f, []string{"--server", "http://127.0.0.1:9", "keys", "list"})
	if code != 6 || !strings.Contains(errOut.String(), "remote backend not available") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestVersionAndCompletionNeverOpenTheDatabase(t *testing.T) {
	dir := t.TempDir()
	testenv.Isolate(t, dir)
	notDB := filepath.Join(dir, "not-a-db")
	os.WriteFile(notDB, []byte("hello"), 0o600)
	for _, line := range []string{"version", "version -o json", "completion bash", "completion zsh", "completion fish", "completion powershell", "keys --help", "--help"} {
		ios, _, out, errOut := iostreams.Test()
		code := Run(context.Background(), ios, append([]string{"--db", notDB}, strings.Fields(line)...))
		if code != 0 || out.Len() == 0 {
			t.Errorf("%s: exit %d, stderr %q", line, code, errOut)
		}
	}
	if b, _ := os.ReadFile(notDB); string(b) != "hello" {
		t.Fatal("the file was modified")
	}
	ios, _, _, errOut := iostreams.Test()
	if code := Run(context.Background(), ios, []string{"--db", notDB, "keys", "list"}); code != 2 {
		t.Fatalf("keys list on a non-keyward file: exit %d %q", code, errOut)
	}
}

func TestVersionJSON(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	p := output.New(output.Options{Format: output.JSON})
	cmd := NewCmdVersion(&Factory{IO: ios, Printer: func() (output.Printer, error) { return p, nil }}, nil)
	cmd.SetArgs(nil)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	var v map[string]string
	if err := json.Unmarshal(out.Bytes(), &v); err != nil || v["version"] == "" || !strings.HasPrefix(v["go_version"], "go") || v["commit"] == "" {
		t.Fatalf("version = %q", out)
	}
}

func TestSecretsAreNeverArguments(t *testing.T) {
	c := newCLITest(t)
	s := c.create("ci --resource /acme").Secret
	for _, line := range []string{s, "keys get " + s, "keys create x --resource /acme --name=" + s, "keys roll " + s + " --yes", "keys delete " + s + " --yes", "keys verify " + s,
		"keys update ci --meta token=" + s, "keys create y --resource /acme --meta=k=" + s, "keys get acme/" + s, "keys list --resource=/acme/" + s + "x"} {
		r := c.run(line)
		if r.code != 2 || strings.Contains(r.err, s) || !strings.Contains(r.err, "never taken as arguments") {
			t.Errorf("%s: exit %d, stderr %q", strings.Replace(line, s, "SECRET", 1), r.code, r.err)
		}
	}
	c.ok("keys get ci")
}

func TestMissingProfile(t *testing.T) {
	c := newCLITest(t)
	ios, _, _, errOut := iostreams.Test()
	if code := Run(context.Background(), ios, strings.Fields("--profile nope keys list")); code != 2 || !strings.Contains(errOut.String(), `profile "nope"`) {
		t.Fatalf("missing profile: exit %d %q", code, errOut)
	}
	// With an explicit database the profile name alone does not matter.
	c.makeDB()
	if r := c.run("--profile nope keys list -o json"); r.code != 0 || r.out != "[]\n" {
		t.Fatalf("--db with a missing profile: %d %q", r.code, r.err)
	}
}

// A command tree driven without Main (no principal in the context) acts
// as the local user on a database.
func TestRootWithoutMainActsLocally(t *testing.T) {
	c := newCLITest(t)
	ios, _, out, _ := iostreams.Test()
	root := NewCmdRoot(&Factory{IO: ios})
	root.SetArgs(strings.Fields("--db " + c.db + " keys create ci --resource /acme -o json"))
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"created_by": "local:`) {
		t.Fatalf("out = %s", out)
	}
}

// --debug names the database, never a password put in its URL.
func TestDebugHidesDatabasePassword(t *testing.T) {
	testenv.Isolate(t, t.TempDir())
	ios, _, _, errOut := iostreams.Test()
	code := Run(context.Background(), ios, []string{"--debug", "--db", "postgres://kw:hunter2@127.0.0.1:1/keys?sslpassword=hunter3", "keys", "list"})
	if code != 2 || strings.Contains(errOut.String(), "hunter") || !strings.Contains(errOut.String(), "debug: database postgres://kw:") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// A command that makes a new database says so to a person at a terminal:
// a mistyped --db would otherwise look like an empty one. Off a terminal,
// stderr stays one line per error.
func TestNewDatabaseIsNoted(t *testing.T) {
	newCLITest(t) // an isolated HOME and XDG
	for _, tty := range []bool{true, false} {
		ios, _, _, errOut := iostreams.Test()
		ios.SetStderrTTY(tty)
		db := filepath.Join(t.TempDir(), "keyard.db")
		code := Run(context.Background(), ios, []string{"--db", db, "keys", "create", "k", "--resource", "/acme"})
		noted := strings.Contains(errOut.String(), "created a new keyward database at "+db)
		if code != 0 || noted != tty {
			t.Errorf("stderr a terminal: %v: exit %d, stderr %q", tty, code, errOut.String())
		}
		ios, _, _, errOut = iostreams.Test()
		ios.SetStderrTTY(tty)
		if Run(context.Background(), ios, []string{"--db", db, "keys", "list"}); strings.Contains(errOut.String(), "created") {
			t.Errorf("the second use notes again: %q", errOut.String())
		}
	}
}

// A --db that is not a keyward database is exit 2 for every command, the
// file left as it was, whatever is on stdin.
func TestForeignDatabaseFileIsUsageError(t *testing.T) {
	c := newCLITest(t)
	foreign := filepath.Join(t.TempDir(), "notes.txt")
	want := []byte("hello\n")
	if err := os.WriteFile(foreign, want, 0o644); err != nil {
		t.Fatal(err)
	}
	c.db = foreign
	for _, tc := range []struct{ stdin, line string }{
		{"", "keys list"},
		{"", "keys get a"},
		{"", "keys verify"},
		{"sk_bad", "keys verify"},
		{"", "audit list"},
		{"", "keys create a --resource /acme"},
	} {
		if r := c.runIn(tc.stdin, tc.line); r.code != ExitUsage || !strings.Contains(r.err, "not a keyward database") {
			t.Errorf("%s (stdin %q): exit %d, stderr %q", tc.line, tc.stdin, r.code, r.err)
		}
	}
	if got, _ := os.ReadFile(foreign); !bytes.Equal(got, want) {
		t.Fatalf("the file changed: %q", got)
	}
}

func TestUnknownSubcommandSuggests(t *testing.T) {
	c := newCLITest(t)
	for line, want := range map[string]string{"keys creat x": "create", "audit lst": "list", "keys verfy": "verify", "logni": "login"} {
		r := c.run(line)
		if r.code != ExitUsage || !strings.Contains(r.err, `did you mean "`+want+`"?`) || strings.Count(r.err, "\n") != 1 {
			t.Errorf("keyward %s: exit %d, stderr %q", line, r.code, r.err)
		}
	}
	// Every close match, and a group's subcommand typed without its group.
	for line, want := range map[string]string{"keys lst": `did you mean "list" or "get"?`, "list": `"keys list"`, "keys g": `"get" or "grant"?`} {
		if r := c.run(line); r.code != ExitUsage || !strings.Contains(r.err, want) {
			t.Errorf("keyward %s: exit %d, stderr %q, want %s", line, r.code, r.err, want)
		}
	}
}

// Usage errors say what is wrong in the command's own terms.
func TestUsageErrorWording(t *testing.T) {
	c := newCLITest(t)
	for line, want := range map[string]string{
		"keys create":       "missing NAME",
		"keys delete --yes": "missing KEY",
		"keys ungrant":      "missing KEY RESOURCE",
		"keys get a b":      `unexpected argument "b" after KEY`,
		"keys list x":       `unexpected argument "x": it takes none`,
		"completion tcsh":   `unknown "tcsh": use one of bash, zsh, fish, powershell`,
		"keys create a --resource /acme --role god": `--role: invalid role "god"`,
		"keys list --limit x":                       `--limit: "x" is not a whole number`,
	} {
		r := c.run(line)
		if r.code != ExitUsage || !strings.Contains(r.err, want) || strings.Contains(r.err, "arg(s)") || strings.Contains(r.err, "strconv") {
			t.Errorf("keyward %s: exit %d, stderr %q, want %q", line, r.code, r.err, want)
		}
	}
}

// Every command's help shows its usage line; groups show one.
func TestHelpUsageLines(t *testing.T) {
	c := newCLITest(t)
	for line, want := range map[string]string{
		"keys create --help": "keyward keys create NAME [flags]",
		"keys delete --help": "keyward keys delete KEY... [flags]",
		"audit list --help":  "keyward audit list [flags]",
		"keys --help":        "keyward keys [command]",
	} {
		out := c.ok(line)
		usage := out[strings.Index(out, "Usage:"):]
		usage = usage[:strings.Index(usage, "\n\n")]
		if !strings.Contains(usage, want) || strings.Count(usage, "\n") != 1 {
			t.Errorf("keyward %s: usage %q, want the one line %q", line, usage, want)
		}
	}
}

// A hostile argument never becomes a line as long as itself on stderr.
func TestErrorLinesAreBounded(t *testing.T) {
	c := newCLITest(t)
	big := strings.Repeat("a", 120000)
	for _, line := range []string{"keys create " + big + " --resource /a", "keys get " + big, "keys list --resource /" + big,
		"keys create x --resource /a --ttl " + big, "keys list --limit " + big, "--" + big, "keys " + big} {
		r := c.run(line)
		if r.code == 0 || len(r.err) > 1100 || strings.Count(strings.TrimSpace(r.err), "\n") != 0 {
			t.Errorf("%.30s…: exit %d, %d bytes on stderr", line, r.code, len(r.err))
		}
	}
}

// version answers even when the config file is broken: it is what one
// asks first when something is wrong. Other commands refuse the file.
func TestVersionWithABrokenConfig(t *testing.T) {
	dir := t.TempDir()
	testenv.Isolate(t, dir)
	cfg := filepath.Join(dir, "config", "keyward", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("profiles:\n  p:\n    sever: http://x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ios, _, out, errOut := iostreams.Test()
	if code := Run(context.Background(), ios, []string{"version", "-o", "json"}); code != 0 || !strings.Contains(out.String(), `"version"`) {
		t.Errorf("version with a broken config: exit %d, out %q, stderr %q", code, out, errOut)
	}
	ios, _, _, errOut = iostreams.Test()
	if code := Run(context.Background(), ios, []string{"keys", "list"}); code != 2 || !strings.Contains(errOut.String(), "unknown key sever") {
		t.Errorf("keys list with a broken config: exit %d, stderr %q", code, errOut)
	}
}

// The key is looked up before the question: a missing or ambiguous one is
// said at once, nothing is asked, and what is confirmed is what changes.
func TestPromptsComeAfterTheLookup(t *testing.T) {
	c := newCLITest(t)
	c.create("ci --resource /acme")
	c.create("ci --resource /globex")
	c.create("web --resource /acme")
	ctx, svc := c.openStore()
	run := func(cmd *cobra.Command, args ...string) error {
		cmd.SetArgs(args)
		return cmd.Execute()
	}
	for _, tc := range []struct {
		args []string
		code int
	}{{[]string{"nope"}, 3}, {[]string{"ci"}, 5}, {[]string{"web", "nope"}, 3}} {
		for _, verb := range []string{"roll", "delete"} {
			if verb == "roll" && len(tc.args) > 1 {
				continue
			}
			ios, in, _, errOut := iostreams.Test()
			ios.SetTTY(true, true)
			in.WriteString("y\n")
			var cmd *cobra.Command
			if verb == "roll" {
				cmd = NewCmdRoll(&Factory{IO: ios}, func(o *RollOptions) error {
					o.Service = func() (keys.Service, error) { return svc, nil }
					return rollRun(ctx, o)
				})
			} else {
				cmd = NewCmdDelete(&Factory{IO: ios}, func(o *DeleteOptions) error {
					o.Service = func() (keys.Service, error) { return svc, nil }
					return deleteRun(ctx, o)
				})
			}
			err := run(cmd, tc.args...)
			if ExitCode(err) != tc.code || strings.Contains(errOut.String(), "[y/N]") {
				t.Errorf("%s %v: exit %d (%v), stderr %q; want %d without a question", verb, tc.args, ExitCode(err), err, errOut, tc.code)
			}
		}
	}
	if _, err := svc.Get(ctx, "acme/web"); err != nil {
		t.Fatalf("web was deleted beside a missing key: %v", err)
	}
	// Several keys: each named in the one question.
	ios, in, _, errOut := iostreams.Test()
	ios.SetTTY(true, true)
	in.WriteString("n\n")
	cmd := NewCmdDelete(&Factory{IO: ios}, func(o *DeleteOptions) error {
		o.Service = func() (keys.Service, error) { return svc, nil }
		return deleteRun(ctx, o)
	})
	run(cmd, "web", "globex/ci")
	if q := errOut.String(); !strings.HasPrefix(q, "Delete 2 keys: web (key_") || !strings.Contains(q, "ci (key_") || !strings.Contains(q, "/globex)") {
		t.Errorf("question %q", q)
	}
}

// owner and operator are accepted as admin and editor, so help and errors
// name them where they name roles.
func TestRoleAliasesAreNamed(t *testing.T) {
	c := newCLITest(t)
	for _, line := range []string{"keys create --help", "keys grant --help", "keys verify --help"} {
		if out := c.ok(line); !strings.Contains(out, "owner = admin, operator = editor") {
			t.Errorf("%s does not name the role aliases:\n%s", line, out)
		}
	}
	if r := c.run("keys create a --resource /a --role god"); r.code != ExitUsage || !strings.Contains(r.err, "owner = admin, operator = editor") {
		t.Errorf("a bad role: exit %d, stderr %q", r.code, r.err)
	}
}

// The root's help carries what a man page would: the exit codes, the
// environment and the files keyward reads and writes.
func TestRootHelpNamesExitCodesEnvironmentAndFiles(t *testing.T) {
	c := newCLITest(t)
	out := c.ok("--help")
	for _, want := range []string{"Exit codes:", "Environment:", "Files:", "KEYWARD_TOKEN", "KEYWARD_DB", "NO_COLOR",
		"config.yaml", "keyward.db", "keyring", "7  keys verify: key not valid"} {
		if !strings.Contains(out, want) {
			t.Errorf("root help lacks %q", want)
		}
	}
	for code := 0; code <= 7; code++ {
		if !regexp.MustCompile(`(?m)^  ` + strconv.Itoa(code) + `  \S|\s{2}` + strconv.Itoa(code) + `  \S`).MatchString(out) {
			t.Errorf("root help lacks exit code %d", code)
		}
	}
}

// --jq filters a command's JSON with gojq, printing strings raw as gh
// does; a bad expression is a usage error found before anything changes.
func TestJQ(t *testing.T) {
	c := newCLITest(t)
	c.create("b --resource /acme")
	c.create("a --resource /acme/x --role editor")
	if out := c.ok("keys list --jq .[].name"); out != "a\nb\n" {
		t.Errorf("list --jq .[].name = %q", out)
	}
	if out := c.ok("keys get a --jq .grants[0]"); out != `{"resource":"/acme/x","role":"editor"}`+"\n" {
		t.Errorf("get --jq .grants[0] = %q", out)
	}
	if out := c.ok("keys list --limit 0 --jq length"); out != "2\n" {
		t.Errorf("list --limit 0 --jq length = %q", out)
	}
	if r := c.run("keys create c --resource /acme --jq .["); r.code != ExitUsage || !strings.Contains(r.err, "--jq") {
		t.Errorf("a bad expression: exit %d, stderr %q", r.code, r.err)
	}
	if r := c.run("keys get c"); r.code != ExitNotFound {
		t.Errorf("a create with a bad --jq made the key: exit %d", r.code)
	}
	if r := c.run("keys list -o table --jq .[].name"); r.code != ExitUsage {
		t.Errorf("--jq with -o table: exit %d, stderr %q", r.code, r.err)
	}
	if r := c.runIn("sk_bad", "keys verify --jq .code"); r.code != ExitNotValid || r.out != "NOT_FOUND\n" {
		t.Errorf("verify --jq .code: exit %d, out %q", r.code, r.out)
	}
}

// A filter that fails after a create or roll never loses the secret, shown
// only this once: the command's own output goes out unfiltered.
func TestJQFailureKeepsTheSecret(t *testing.T) {
	c := newCLITest(t)
	for _, line := range []string{"keys create b --resource /acme --jq .secret|error", "keys create c --resource /acme --jq .secret+1"} {
		r := c.run(line)
		if r.code != ExitUsage || !regexp.MustCompile(`sk_[0-9A-Za-z]{38}`).MatchString(r.out) {
			t.Errorf("%s: exit %d, out %q, stderr %q", line, r.code, r.out, r.err)
		}
	}
}

// -q prints a bare secret, which --jq cannot read: the pair is refused
// before anything is made (exit 2 means nothing happened). -o takes its
// value in any case, and so does --jq's check of it.
func TestJQRefusesQuietBeforeTheChange(t *testing.T) {
	c := newCLITest(t)
	for _, line := range []string{"keys create a --resource /acme -q --jq .", "orgs create acme -q --jq ."} {
		if r := c.run(line); r.code != ExitUsage || r.out != "" || !strings.Contains(r.err, "drop -q") {
			t.Errorf("%s: exit %d, out %q, stderr %q", line, r.code, r.out, r.err)
		}
	}
	if r := c.run("keys get a"); r.code == 0 {
		t.Errorf("a refused create made the key: exit %d", r.code)
	}
	c.ok("keys create a --resource /acme -q")
	if r := c.run("keys roll a --yes -q --jq ."); r.code != ExitUsage || r.out != "" {
		t.Errorf("roll -q --jq: exit %d, out %q", r.code, r.out)
	}
	if out := c.ok("keys list -o JSON --jq .[].name"); out != "a\n" {
		t.Errorf("-o JSON --jq: %q", out)
	}
}

// A filter that fails on a read prints nothing on standard output (as gh
// does): a script must not take the unfiltered JSON for its answer.
func TestJQFailureOnAReadPrintsNothing(t *testing.T) {
	c := newCLITest(t)
	c.ok("keys create a --resource /acme -q")
	for _, line := range []string{"keys list --jq .[0]|error", "keys get a --jq .nope.x|error", "keys list -o jsonl --jq error"} {
		r := c.run(line)
		if r.code != ExitUsage || r.out != "" || !strings.Contains(r.err, "--jq: ") || strings.Contains(r.err, "unfiltered") {
			t.Errorf("%s: exit %d, out %q, stderr %q", line, r.code, r.out, r.err)
		}
	}
}
