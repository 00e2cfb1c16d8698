package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/testenv"
)

// A file the scan could not read is a scan that did not happen: a CI job
// must not pass on it. Paths past the system's limit fail even for root,
// who reads every mode bit.
func TestScanIncompleteIsNotClean(t *testing.T) {
	c := newCLITest(t)
	live := c.create("live --resource /acme")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ok.txt"), "nothing here\n")
	deepFile(t, dir, "%0100d", "k="+live.Secret+"\n")
	r := c.run("scan -o json " + dir)
	if r.code != 2 || strings.TrimSpace(r.out) != "[]" || !strings.Contains(r.err, "could not be read") {
		t.Errorf("unread file: exit %d %q %q", r.code, r.out, r.err)
	}
	noSecretIn(t, r.out+r.err, live.Secret)
	// What was found still fails the job as found (exit 1).
	writeFile(t, filepath.Join(dir, "leak.env"), "K="+live.Secret+"\n")
	if r := c.run("scan " + dir); r.code != 1 || !strings.Contains(r.err, "could not be read") {
		t.Errorf("unread file and a finding: exit %d %q %q", r.code, r.out, r.err)
	}
}

// A server that cannot be reached fails the scan as unavailable (exit 6),
// but never hides where the secrets are: the findings are printed
// without a lookup first.
func TestScanServerUnreachableStillPrintsFindings(t *testing.T) {
	_, secret, file := isolatedLeak(t)
	t.Setenv("KEYWARD_TOKEN", secret)
	for _, disable := range []bool{false, true} {
		args := []string{"--server", "http://127.0.0.1:1", "scan", "-o", "json", file}
		if disable {
			args = append(args, "--disable")
		}
		ios, _, out, errOut := iostreams.Test()
		code := Run(context.Background(), ios, args)
		var fs []keys.Finding
		if err := json.Unmarshal(out.Bytes(), &fs); err != nil || code != 6 || len(fs) != 1 || fs[0].File != file || fs[0].Valid != nil {
			t.Errorf("disable %v: exit %d, stdout %q, stderr %q", disable, code, out, errOut)
		}
		noSecretIn(t, out.String()+errOut.String(), secret)
	}
}

// deepFile writes text to a file 45 folders (named by format) below dir:
// a path longer than the system allows.
func deepFile(t *testing.T, dir, format, text string) {
	t.Helper()
	// Directory by directory, each opened from the last: one path of
	// them all is longer than the system allows.
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 45 {
		d := fmt.Sprintf(format, i)
		if err := root.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		next, err := root.OpenRoot(d)
		root.Close()
		if err != nil {
			t.Fatal(err)
		}
		root = next
	}
	if err := root.WriteFile("f.txt", []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	root.Close()
}

// A warning names a file in one line: a name with a newline must not
// forge a line of its own in a CI log.
func TestScanWarningsAreOneLine(t *testing.T) {
	c := newCLITest(t)
	c.create("x --resource /acme")
	dir := t.TempDir()
	deepFile(t, dir, "%098d\nx", "nothing\n")
	r := c.run("scan " + dir)
	if r.code != 2 {
		t.Errorf("exit %d %q", r.code, r.err)
	}
	for _, line := range strings.Split(strings.TrimSpace(r.err), "\n") {
		if !strings.HasPrefix(line, "warning: ") && !strings.HasPrefix(line, "error: ") && line != "no secrets found" {
			t.Errorf("a line of stderr of its own: %q", line)
		}
	}
}

// scan --no-ignore reads what .gitignore hides: a leaked copy of a work
// tree leaked its ignored .env files too.
func TestScanNoIgnore(t *testing.T) {
	git := testenv.Command(t, "apt-get install git", "git")
	c := newCLITest(t)
	live := c.create("live --resource /acme")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, ".gitignore"), ".env\n")
	writeFile(t, filepath.Join(dir, ".env"), "K="+live.Secret+"\n")
	if out, err := exec.Command(git, "-C", dir, "init", "-q").CombinedOutput(); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	if r := c.run("scan " + dir); r.code != 0 {
		t.Errorf("ignored file read without --no-ignore: exit %d %q %q", r.code, r.out, r.err)
	}
	if r := c.run("scan --no-ignore " + dir); r.code != 1 || !strings.Contains(r.out, ".env") {
		t.Errorf("--no-ignore: exit %d %q %q", r.code, r.out, r.err)
	}
}
