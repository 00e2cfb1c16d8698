package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The hook copies the index to a temporary folder; when TMPDIR lies in
// the repository's own ignored folder (direnv and nix shells set one per
// project), the copies were ignored files of that work tree and nothing
// was scanned: the secret was committed.
func TestPreCommitHookWithTMPDIRInsideTheRepository(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tmp := filepath.Join(dir, "repo", ".tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	h := newHookRepo(t, dir, "TMPDIR="+tmp)
	repo, env := h.repo, h.env
	writeFile(t, filepath.Join(repo, ".gitignore"), ".tmp/\n")
	writeFile(t, filepath.Join(repo, "deploy.env"), "KEYWARD_TOKEN="+h.secret+"\n")
	gitIn(t, repo, env, "add", ".gitignore", "deploy.env")
	out, err := h.commit("leak")
	if err == nil || !strings.Contains(out, "a keyward secret is staged") {
		t.Fatalf("a staged secret was committed: %v\n%s", err, out)
	}
}

// A symbolic link replaced by a file is a type change (T) to git diff,
// which the hook's filter left out: a secret in the new file was
// committed unseen.
func TestPreCommitHookSeesATypeChange(t *testing.T) {
	t.Parallel()
	h := newHookRepo(t, t.TempDir())
	repo, env, secret, commit := h.repo, h.env, h.secret, h.commit
	writeFile(t, filepath.Join(repo, "shared.env"), "A=1\n")
	if err := os.Symlink("shared.env", filepath.Join(repo, "deploy.env")); err != nil {
		t.Fatal(err)
	}
	gitIn(t, repo, env, "add", "shared.env", "deploy.env")
	if out, err := commit("link"); err != nil {
		t.Fatalf("a clean commit was refused: %v\n%s", err, out)
	}
	if err := os.Remove(filepath.Join(repo, "deploy.env")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(repo, "deploy.env"), "KEYWARD_TOKEN="+secret+"\n")
	gitIn(t, repo, env, "add", "deploy.env")
	out, err := commit("leak")
	if err == nil || !strings.Contains(out, "a keyward secret is staged") {
		t.Fatalf("a secret in a type change was committed: %v\n%s", err, out)
	}
}
