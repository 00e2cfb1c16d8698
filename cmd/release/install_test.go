package release

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/testenv"
)

// make install puts each file where its reader looks, under DESTDIR and
// PREFIX, and nothing outside them.
func TestMakeInstall(t *testing.T) {
	testenv.Command(t, "make deps", "make")
	dest := t.TempDir()
	bin := filepath.Join(t.TempDir(), "keyward")
	run(t, "", exec.Command("make", "-C", root, "--no-print-directory", "-s", "install", "DESTDIR="+dest, "PREFIX=/opt/kw", "BIN="+bin))

	pages, _ := filepath.Glob(filepath.Join(root, "man", "*.1"))
	want := map[string]os.FileMode{
		"opt/kw/bin/keyward": 0o755,
		"opt/kw/share/bash-completion/completions/keyward":    0o644,
		"opt/kw/share/zsh/site-functions/_keyward":            0o644,
		"opt/kw/share/fish/vendor_completions.d/keyward.fish": 0o644,
	}
	for _, p := range pages {
		want["opt/kw/share/man/man1/"+filepath.Base(p)] = 0o644
	}
	if len(pages) < 20 || want["opt/kw/share/man/man1/keyward-keys-create.1"] == 0 {
		t.Fatalf("man/ holds %d pages", len(pages))
	}
	got := map[string]os.FileMode{}
	filepath.Walk(dest, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			rel, _ := filepath.Rel(dest, p)
			got[rel] = fi.Mode().Perm()
		}
		return err
	})
	for name, mode := range want {
		if m, ok := got[name]; !ok {
			t.Errorf("not installed: %s", name)
		} else if m != mode {
			t.Errorf("%s: mode %v, want %v", name, m, mode)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("installed but not expected: %s", name)
		}
	}
	out := run(t, "", exec.Command(filepath.Join(dest, "opt/kw/bin/keyward"), "version"))
	if !strings.HasPrefix(out, "keyward ") {
		t.Errorf("installed keyward version: %q", out)
	}
	if b, _ := os.ReadFile(filepath.Join(dest, "opt/kw/share/bash-completion/completions/keyward")); !strings.Contains(string(b), "keyward") {
		t.Error("the bash completion is not keyward's")
	}
}
