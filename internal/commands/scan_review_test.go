package commands

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A file the scan could not read is a scan that did not happen: a CI job
// must not pass on it. Paths past the system's limit fail even for root,
// who reads every mode bit.
func TestScanIncompleteIsNotClean(t *testing.T) {
	c := newCLITest(t)
	live := c.create("live --resource /acme")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ok.txt"), "nothing here\n")
	// Directory by directory, each opened from the last: one path of
	// them all is longer than the system allows.
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 45 {
		d := fmt.Sprintf("%0100d", i)
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
	if err := root.WriteFile("f.txt", []byte("k="+live.Secret+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root.Close()
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
