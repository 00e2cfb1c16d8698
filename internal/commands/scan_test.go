package commands

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/config"
	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/testenv"
)

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// badChecksum is s with its last character changed: a secret's shape,
// not a secret.
func badChecksum(s string) string {
	c := byte('A')
	if s[len(s)-1] == 'A' {
		c = 'B'
	}
	return s[:len(s)-1] + string(c)
}

// leakTree is a git work tree seeded with a live key's secret (in a
// tracked file, a long line, an untracked file, and in an ignored and a
// binary file, which are not scanned), a deleted key's, and text shaped
// like secrets that fails the checksum.
func leakTree(t *testing.T, live, deleted string) string {
	t.Helper()
	git := testenv.Command(t, "apt-get install git", "git")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, ".gitignore"), "*.local\n")
	writeFile(t, filepath.Join(dir, "app.env"), "# settings\nKEYWARD_TOKEN="+live+"\n")
	writeFile(t, filepath.Join(dir, "old/config.yaml"), "token: "+deleted+"\n")
	shaped, _ := keys.NewSecret("sk")
	writeFile(t, filepath.Join(dir, "notes.txt"), "not secrets: "+badChecksum(live)+" "+badChecksum(shaped)+" sk_"+strings.Repeat("x", 38)+"\n")
	writeFile(t, filepath.Join(dir, "dist/bundle.js"), strings.Repeat("var a=1;", 20000)+`k="`+live+`";`+"\n")
	writeFile(t, filepath.Join(dir, "secrets.local"), live+"\n")
	writeFile(t, filepath.Join(dir, "blob.bin"), "\x00\x01binary "+live)
	for _, args := range [][]string{{"init", "-q"}, {"add", "app.env", ".gitignore", "notes.txt"}} {
		cmd := exec.Command(git, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	return dir
}

// findings parses scan's JSON, files made relative to dir, in file then
// line order.
func findings(t *testing.T, dir, out string) []keys.Finding {
	t.Helper()
	var fs []keys.Finding
	if err := json.Unmarshal([]byte(out), &fs); err != nil {
		t.Fatalf("scan output %q: %v", out, err)
	}
	for i := range fs {
		if rel, err := filepath.Rel(dir, fs[i].File); err == nil {
			fs[i].File = filepath.ToSlash(rel)
		}
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].File+strconv.Itoa(fs[i].Line) < fs[j].File+strconv.Itoa(fs[j].Line) })
	return fs
}

func describe(fs []keys.Finding) string {
	var parts []string
	for _, f := range fs {
		s := f.File + ":" + strconv.Itoa(f.Line) + " " + f.Start
		if f.Code != nil {
			s += " " + string(*f.Code)
		}
		if f.Name != nil {
			s += " " + *f.Name
		}
		if f.Action != nil {
			s += " " + string(*f.Action)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func TestScanSeededTreeAgainstSQLite(t *testing.T) {
	c := newCLITest(t)
	live := c.create("live --resource /acme/prod")
	gone := c.create("gone --resource /acme/prod")
	c.ok("keys delete gone --yes")
	dir := leakTree(t, live.Secret, gone.Secret)

	r := c.run("scan -o json " + dir)
	if r.code != 1 {
		t.Fatalf("scan: exit %d, stderr %q", r.code, r.err)
	}
	noSecretIn(t, r.out+r.err, live.Secret, gone.Secret)
	want := "app.env:2 " + live.Start + " VALID live; dist/bundle.js:1 " + live.Start + " VALID live; old/config.yaml:1 " + gone.Start + " NOT_FOUND"
	if got := describe(findings(t, dir, r.out)); got != want {
		t.Errorf("findings\n%s\nwant\n%s", got, want)
	}
	// A look-up is no use.
	var k keys.Key
	json.Unmarshal([]byte(c.ok("keys get live -o json")), &k)
	if k.LastUsedAt != nil || !k.Enabled {
		t.Errorf("after scan: %+v", k)
	}

	// The table names the same, and says what to do on stderr.
	r = c.run("scan " + filepath.Join(dir, "app.env"))
	if r.code != 1 || !strings.Contains(r.out, "live") || !strings.Contains(r.out, "VALID") || !strings.Contains(r.err, "still valid") {
		t.Errorf("table: exit %d\n%s\n%s", r.code, r.out, r.err)
	}

	// --disable: the live key is disabled, marked and audited.
	r = c.run("scan --disable -o json " + dir)
	if r.code != 1 {
		t.Fatalf("scan --disable: exit %d, stderr %q", r.code, r.err)
	}
	want = "app.env:2 " + live.Start + " DISABLED live disabled; dist/bundle.js:1 " + live.Start + " DISABLED live disabled; old/config.yaml:1 " + gone.Start + " NOT_FOUND none"
	if got := describe(findings(t, dir, r.out)); got != want {
		t.Errorf("findings\n%s\nwant\n%s", got, want)
	}
	if v := c.runIn(live.Secret, "keys verify -o json"); v.code != 7 || !strings.Contains(v.out, "DISABLED") {
		t.Errorf("verify after --disable: exit %d %s", v.code, v.out)
	}
	var compromised []keys.Key
	json.Unmarshal([]byte(c.ok("keys list --compromised -o json")), &compromised)
	if len(compromised) != 1 || compromised[0].ID != live.ID || compromised[0].CompromisedAt == nil {
		t.Errorf("keys list --compromised: %+v", compromised)
	}
	audit := c.ok("audit list --key live -o json")
	var rows []keys.AuditEvent
	json.Unmarshal([]byte(audit), &rows)
	if len(rows) == 0 || rows[0].Action != "compromise" || !strings.Contains(audit, filepath.Join(dir, "app.env")+":2") {
		t.Errorf("audit: %s", audit)
	}
	noSecretIn(t, audit, live.Secret)

	// Nothing left to disable: found all the same (exit 1), nothing done.
	r = c.run("scan --disable -o json " + filepath.Join(dir, "app.env"))
	if got := describe(findings(t, dir, r.out)); r.code != 1 || got != "app.env:2 "+live.Start+" DISABLED live none" {
		t.Errorf("again: exit %d %s", r.code, got)
	}
}

func noSecretIn(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Fatalf("a secret was printed: %q", text)
		}
	}
}

func TestScanExitCodes(t *testing.T) {
	c := newCLITest(t)
	live := c.create("live --resource /acme")
	clean := t.TempDir()
	writeFile(t, filepath.Join(clean, "a.txt"), "nothing "+badChecksum(live.Secret)+"\n")

	if r := c.run("scan -o json " + clean); r.code != 0 || strings.TrimSpace(r.out) != "[]" {
		t.Errorf("clean tree: exit %d %q %q", r.code, r.out, r.err)
	}
	if r := c.run("scan " + clean); r.code != 0 || r.out != "" || !strings.Contains(r.err, "no secrets found") {
		t.Errorf("clean tree, table: exit %d %q %q", r.code, r.out, r.err)
	}
	if r := c.run("scan " + clean + " " + filepath.Join(clean, "missing.txt")); r.code != 2 || r.out != "" || !strings.Contains(r.err, "missing.txt") {
		t.Errorf("missing path: exit %d %q %q", r.code, r.out, r.err)
	}
	// Standard input: no path, or -.
	for _, line := range []string{"scan -o json", "scan -o json -"} {
		r := c.runIn("export KEYWARD_TOKEN="+live.Secret+"\n", line)
		var fs []keys.Finding
		json.Unmarshal([]byte(r.out), &fs)
		if r.code != 1 || len(fs) != 1 || fs[0].File != "-" || fs[0].Line != 1 || fs[0].KeyID == nil || *fs[0].KeyID != live.ID {
			t.Errorf("%s: exit %d %q %q", line, r.code, r.out, r.err)
		}
	}
}

// isolatedLeak is a file holding a fresh secret, in a folder that is
// the user's home with no profile and no database.
func isolatedLeak(t *testing.T) (dir, secret, file string) {
	t.Helper()
	dir = t.TempDir()
	testenv.Isolate(t, dir)
	secret, err := keys.NewSecret("sk")
	if err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(dir, "x.env")
	writeFile(t, file, "A="+secret+"\n")
	return dir, secret, file
}

// Without --db, --server or a profile, and with no default database, a
// scan reports what it finds without a lookup and creates nothing;
// --disable then has nothing to act on (exit 2).
func TestScanWithoutBackend(t *testing.T) {
	dir, secret, file := isolatedLeak(t)
	run := func(args ...string) (int, string, string) {
		ios, _, out, errOut := iostreams.Test()
		code := Run(context.Background(), ios, args)
		return code, out.String(), errOut.String()
	}
	code, out, errOut := run("scan", "-o", "json", file)
	var fs []keys.Finding
	json.Unmarshal([]byte(out), &fs)
	if code != 1 || len(fs) != 1 || fs[0].Valid != nil || fs[0].Code != nil || fs[0].Start != keys.SecretStart(secret) {
		t.Errorf("exit %d %q %q", code, out, errOut)
	}
	if !strings.Contains(out, `"valid": null`) {
		t.Errorf("no lookup should say valid null: %s", out)
	}
	if code, _, errOut := run("scan", "--disable", file); code != 2 || !strings.Contains(errOut, "--disable needs") {
		t.Errorf("--disable without a backend: exit %d %q", code, errOut)
	}
	if _, err := os.Stat(config.DefaultDBPath()); !os.IsNotExist(err) {
		t.Errorf("scan created the default database: %v", err)
	}
	// A named database that is not there is bad input, not created.
	missing := filepath.Join(dir, "none.db")
	if code, _, errOut := run("--db", missing, "scan", file); code != 2 || !strings.Contains(errOut, "none.db") {
		t.Errorf("missing --db: exit %d %q", code, errOut)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("scan created %s", missing)
	}
}

func TestScanGoldenJSON(t *testing.T) {
	c := newCLITest(t)
	c.clock = newStepClock(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	g := newGolden(t)
	live := c.create("ci-deploy --resource /acme/prod")
	text := "line one\nKEYWARD_TOKEN=" + live.Secret + "\n"
	r := c.runIn(text, "scan -o json")
	if r.code != 1 {
		t.Fatalf("scan: exit %d %s", r.code, r.err)
	}
	g.assert(r.out, "scan.json")
	r = c.runIn(text, "scan --disable -o json")
	if r.code != 1 {
		t.Fatalf("scan --disable: exit %d %s", r.code, r.err)
	}
	g.assert(r.out, "scan_disable.json")
}

// No path and a terminal on stdin would wait for input nobody sends:
// a usage error instead, never a hang.
func TestScanNoPathOnATerminal(t *testing.T) {
	dir := t.TempDir()
	testenv.Isolate(t, dir)
	ios, _, out, errOut := iostreams.Test()
	ios.SetTTY(true, true)
	if code := Run(context.Background(), ios, []string{"scan"}); code != 2 || out.Len() != 0 || !strings.Contains(errOut.String(), "pipe") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	ios, _, _, errOut = iostreams.Test()
	if code := Run(context.Background(), ios, []string{"scan", "--disable", "--offline", dir}); code != 2 || !strings.Contains(errOut.String(), "together") {
		t.Errorf("--disable --offline: exit %d, stderr %q", code, errOut.String())
	}
}
