package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The local lifecycle, end to end on the built binary: a temporary SQLite
// file, HOME and XDG folders of its own, nothing else.

// localCLI is the binary, its environment and its database.
type localCLI struct {
	t   *testing.T
	bin string
	env []string
	db  string
}

func newLocalCLI(t *testing.T) *localCLI {
	t.Helper()
	dir := t.TempDir()
	return &localCLI{t: t, bin: keywardBinary(t), env: isolatedEnv(dir), db: filepath.Join(dir, "keys.db")}
}

type localResult struct {
	out, err string
	code     int
}

// run runs keyward with the test's --db (unless args start with a global
// --db of their own) and stdin.
func (c *localCLI) run(stdin string, args ...string) localResult {
	c.t.Helper()
	if len(args) == 0 || args[0] != "--db" {
		args = append([]string{"--db", c.db}, args...)
	}
	r := kwExec(c.t, c.bin, c.env, stdin, args...)
	return localResult{r.stdout, r.stderr, r.code}
}

// must runs and insists on an exit code.
func (c *localCLI) must(code int, stdin string, args ...string) localResult {
	c.t.Helper()
	r := c.run(stdin, args...)
	if r.code != code {
		c.t.Fatalf("keyward %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, code, r.out, r.err)
	}
	if code != 0 && code != 7 && (strings.Count(r.err, "\n") != 1 || strings.Contains(r.err, "goroutine")) {
		c.t.Fatalf("keyward %s: the error is not one line: %q", strings.Join(args, " "), r.err)
	}
	return r
}

type localKey struct {
	ID                string            `json:"id"`
	Name              string            `json:"name"`
	Org               string            `json:"org"`
	Start             string            `json:"start"`
	Secret            string            `json:"secret"`
	Enabled           bool              `json:"enabled"`
	ExpiresAt         *time.Time        `json:"expires_at"`
	PreviousExpiresAt *time.Time        `json:"previous_expires_at"`
	Meta              map[string]string `json:"meta"`
	Grants            []struct {
		Resource string `json:"resource"`
		Role     string `json:"role"`
	} `json:"grants"`
}

type localVerdict struct {
	Valid bool    `json:"valid"`
	Code  string  `json:"code"`
	KeyID *string `json:"key_id"`
	Name  *string `json:"name"`
}

func decode[T any](t *testing.T, r localResult) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.out), &v); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.out)
	}
	return v
}

// verify presents secret on stdin and returns the code and exit code.
func (c *localCLI) verify(secret string, args ...string) (string, int) {
	c.t.Helper()
	r := c.run(secret+"\n", append([]string{"keys", "verify", "-o", "json"}, args...)...)
	v := decode[localVerdict](c.t, r)
	if (r.code == 0) != v.Valid || (r.code != 0 && r.code != 7) {
		c.t.Fatalf("verify: exit %d with %+v", r.code, v)
	}
	return v.Code, r.code
}

func (c *localCLI) wantVerify(want, secret string, args ...string) {
	c.t.Helper()
	if code, _ := c.verify(secret, args...); code != want {
		c.t.Fatalf("verify %v: %s, want %s", args, code, want)
	}
}

// waitVerify polls until the secret verifies as want: waiting for a grace
// period or an expiry to pass without asserting how long it takes.
func (c *localCLI) waitVerify(want, secret string) {
	c.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		code, _ := c.verify(secret)
		if code == want {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("secret still verifies as %s, want %s", code, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestLocalLifecycle(t *testing.T) {
	t.Parallel()
	c := newLocalCLI(t)

	// create
	k := decode[localKey](t, c.must(0, "", "keys", "create", "ci-deploy", "--resource", "/acme/prod", "--role", "editor",
		"--meta", "team=platform", "-o", "json"))
	if k.Org != "/acme" || !strings.HasPrefix(k.Secret, "sk_") || !strings.HasPrefix(k.Secret, k.Start) || k.Meta["team"] != "platform" {
		t.Fatalf("created %+v", k)
	}
	s1 := k.Secret
	if st, err := os.Stat(c.db); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("database mode: %v %v", st, err)
	}
	c.must(5, "", "keys", "create", "ci-deploy", "--resource", "/acme/prod")
	c.must(2, "", "keys", "create", "late", "--resource", "/acme", "--expires-at", "2001-01-01")

	// verify by resource and role
	c.wantVerify("VALID", s1)
	c.wantVerify("VALID", s1, "--resource", "/acme/prod/robot-1")
	c.wantVerify("VALID", s1, "--resource", "/acme/prod", "--role", "editor")
	c.wantVerify("INSUFFICIENT_PERMISSIONS", s1, "--resource", "/acme/prod", "--role", "admin")
	c.wantVerify("INSUFFICIENT_PERMISSIONS", s1, "--resource", "/acme/dev")
	c.wantVerify("NOT_FOUND", "sk_00000000000000000000000000000000"+"30OBQY")
	if r := c.must(0, s1, "keys", "verify", "--resource", "/acme/prod"); !strings.HasPrefix(r.out, "VALID key ci-deploy ("+k.ID+")") {
		t.Fatalf("verify table: %q", r.out)
	}

	// list: JSON array, a table off a terminal with RFC 3339 times and no colour
	list := decode[[]localKey](t, c.must(0, "", "keys", "list", "-o", "json"))
	if len(list) != 1 || list[0].ID != k.ID || list[0].Secret != "" {
		t.Fatalf("list %+v", list)
	}
	table := c.must(0, "", "keys", "list").out
	if !strings.HasPrefix(table, "NAME") || !strings.Contains(table, "ci-deploy") || strings.Contains(table, "\x1b[") || strings.Contains(table, s1) {
		t.Fatalf("list table:\n%s", table)
	}

	// roll: the old secret works during its grace
	r2 := decode[localKey](t, c.must(0, "", "keys", "roll", "ci-deploy", "--grace", "1h", "--yes", "-o", "json"))
	s2 := r2.Secret
	if r2.ID != k.ID || s2 == s1 || r2.PreviousExpiresAt == nil {
		t.Fatalf("rolled %+v", r2)
	}
	c.wantVerify("VALID", s1)
	c.wantVerify("VALID", s2)

	// ... and stops once the grace is over (a real 2 s: this is the built
	// binary, which has no test clock; the suites move a clock instead)
	other := decode[localKey](t, c.must(0, "", "keys", "create", "graceful", "--resource", "/acme", "-o", "json"))
	c.must(0, "", "keys", "roll", "graceful", "--grace", "2s", "--yes", "-q")
	c.waitVerify("NOT_FOUND", other.Secret)
	c.must(0, "", "keys", "delete", "graceful", "--yes")

	// roll twice: at most two secrets work, the oldest ends at once
	s3 := strings.TrimSpace(c.must(0, "", "keys", "roll", "ci-deploy", "--grace", "1h", "--yes", "-q").out)
	c.wantVerify("NOT_FOUND", s1)
	c.wantVerify("VALID", s2)
	c.wantVerify("VALID", s3)
	s4 := strings.TrimSpace(c.must(0, "", "keys", "roll", "ci-deploy", "--grace", "1h", "-y", "-q").out)
	c.wantVerify("NOT_FOUND", s2)
	c.wantVerify("VALID", s3)
	c.wantVerify("VALID", s4)
	c.must(2, "", "keys", "roll", "ci-deploy")

	// grant, ungrant, and the last grant stays
	g := decode[localKey](t, c.must(0, "", "keys", "grant", "ci-deploy", "/acme/dev", "--role", "viewer", "-o", "json"))
	if len(g.Grants) != 2 {
		t.Fatalf("grants %+v", g.Grants)
	}
	c.wantVerify("VALID", s4, "--resource", "/acme/dev")
	c.wantVerify("INSUFFICIENT_PERMISSIONS", s4, "--resource", "/acme/dev", "--role", "editor")
	c.must(0, "", "keys", "ungrant", "ci-deploy", "/acme/dev")
	c.wantVerify("INSUFFICIENT_PERMISSIONS", s4, "--resource", "/acme/dev")
	c.must(5, "", "keys", "ungrant", "ci-deploy", "/acme/prod")
	c.must(3, "", "keys", "ungrant", "ci-deploy", "/acme/nowhere")

	// expiry
	short := decode[localKey](t, c.must(0, "", "keys", "create", "short", "--resource", "/acme", "--ttl", "2s", "-o", "json"))
	if short.ExpiresAt == nil {
		t.Fatal("--ttl set no expiry")
	}
	c.waitVerify("EXPIRED", short.Secret)
	expired := decode[[]localKey](t, c.must(0, "", "keys", "list", "--expired", "-o", "json"))
	if len(expired) != 1 || expired[0].Name != "short" {
		t.Fatalf("--expired lists %+v", expired)
	}

	// disable and enable
	d := decode[localKey](t, c.must(0, "", "keys", "update", "ci-deploy", "--disable", "-o", "json"))
	if d.Enabled {
		t.Fatal("still enabled")
	}
	c.wantVerify("DISABLED", s4)
	c.must(0, "", "keys", "update", "ci-deploy", "--enable")
	c.wantVerify("VALID", s4)

	// delete: --yes off a terminal, all or nothing, immediate
	c.must(2, "", "keys", "delete", "ci-deploy")
	c.must(3, "", "keys", "delete", "ci-deploy", "missing", "--yes")
	c.wantVerify("VALID", s4)
	deleted := decode[[]localKey](t, c.must(0, "", "keys", "delete", "ci-deploy", "short", "--yes", "-o", "json"))
	if len(deleted) != 2 {
		t.Fatalf("deleted %+v", deleted)
	}
	c.wantVerify("NOT_FOUND", s4)
	c.wantVerify("NOT_FOUND", s3)
	c.must(3, "", "keys", "get", "ci-deploy")
	if r := c.must(0, "", "keys", "list", "-o", "json"); r.out != "[]\n" {
		t.Fatalf("list after delete: %q", r.out)
	}

	// audit: every change, newest first, never a secret
	a := c.must(0, "", "audit", "list", "--limit", "0", "-o", "json")
	var events []struct {
		Action string `json:"action"`
		KeyID  string `json:"key_id"`
		Actor  string `json:"actor"`
	}
	if err := json.Unmarshal([]byte(a.out), &events); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range events {
		if e.KeyID == k.ID {
			seen[e.Action]++
		}
		if !strings.HasPrefix(e.Actor, "local:") {
			t.Errorf("actor %q", e.Actor)
		}
	}
	for action, n := range map[string]int{"create": 1, "roll": 3, "grant": 1, "ungrant": 1, "update": 2, "delete": 1} {
		if seen[action] != n {
			t.Errorf("audit has %d %s rows for the key, want %d (%v)", seen[action], action, n, seen)
		}
	}
	if events[0].Action != "delete" {
		t.Errorf("newest event is %s, want delete", events[0].Action)
	}
	for _, s := range []string{s1, s2, s3, s4} {
		if strings.Contains(a.out, s) {
			t.Fatal("a secret is in the audit log")
		}
	}
	since := decode[[]json.RawMessage](t, c.must(0, "", "audit", "list", "--since", "1h", "--limit", "2", "-o", "json"))
	if len(since) != 2 {
		t.Fatalf("audit --limit 2: %d rows", len(since))
	}
}

// Without --db the database is $XDG_DATA_HOME/keyward/keyward.db, private.
func TestLocalDefaultDatabase(t *testing.T) {
	t.Parallel()
	c := newLocalCLI(t)
	var data string
	for _, kv := range c.env {
		if v, ok := strings.CutPrefix(kv, "XDG_DATA_HOME="); ok {
			data = v
		}
	}
	cmd := exec.Command(c.bin, "keys", "create", "first", "--resource", "/acme", "-q")
	cmd.Env = c.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("create without --db: %v %s", err, out)
	}
	path := filepath.Join(data, "keyward", "keyward.db")
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("default database %s: %v %v", path, st, err)
	}
	if dst, err := os.Stat(filepath.Dir(path)); err != nil || dst.Mode().Perm() != 0o700 {
		t.Fatalf("default database folder: %v %v", dst, err)
	}
	// --db and KEYWARD_DB name other files; a read of one that is not
	// there is exit 2 naming it, and makes nothing.
	if r := c.must(2, "", "keys", "get", "first"); !strings.Contains(r.err, c.db) {
		t.Fatalf("--db of a missing file: %q", r.err)
	}
	other := filepath.Join(t.TempDir(), "other.db")
	cmd = exec.Command(c.bin, "keys", "list", "-o", "json")
	cmd.Env = append(c.env, "KEYWARD_DB="+other)
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), other) {
		t.Fatalf("KEYWARD_DB of a missing file: %v %q", err, out)
	}
	for _, p := range []string{c.db, other} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Fatalf("a read made %s", p)
		}
	}
	cmd = exec.Command(c.bin, "keys", "get", "first", "-o", "json")
	cmd.Env = c.env
	if out, err := cmd.Output(); err != nil || !strings.Contains(string(out), `"name": "first"`) {
		t.Fatalf("default database again: %v %q", err, out)
	}
}
