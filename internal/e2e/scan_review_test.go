package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/testenv"
)

// The hook copies the index to a temporary folder; when TMPDIR lies in
// the repository's own ignored folder (direnv and nix shells set one per
// project), the copies were ignored files of that work tree and nothing
// was scanned: the secret was committed.
func TestPreCommitHookWithTMPDIRInsideTheRepository(t *testing.T) {
	t.Parallel()
	bin := keywardBinary(t)
	git := testenv.Command(t, "apt-get install git", "git")
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	tmp := filepath.Join(repo, ".tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	env := withEnv(isolatedEnv(dir), "KEYWARD="+bin, "TMPDIR="+tmp)
	gitIn(t, repo, env, "init", "-q")
	hook, err := os.ReadFile(filepath.Join("..", "..", "examples", "pre-commit", "pre-commit"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, ".git", "hooks", "pre-commit"), hook, 0o755); err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimSpace(kwExec(t, bin, env, "", "--db", filepath.Join(dir, "k.db"), "keys", "create", "ci", "--resource", "/acme", "-q").want(t, 0, "create").stdout)
	writeFile(t, filepath.Join(repo, ".gitignore"), ".tmp/\n")
	writeFile(t, filepath.Join(repo, "deploy.env"), "KEYWARD_TOKEN="+secret+"\n")
	gitIn(t, repo, env, "add", ".gitignore", "deploy.env")
	cmd := exec.Command(git, "commit", "-q", "-m", "leak")
	cmd.Dir = repo
	cmd.Env = append(env, "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
		"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "a keyward secret is staged") {
		t.Fatalf("a staged secret was committed: %v\n%s", err, out)
	}
}

// A symbolic link replaced by a file is a type change (T) to git diff,
// which the hook's filter left out: a secret in the new file was
// committed unseen.
func TestPreCommitHookSeesATypeChange(t *testing.T) {
	t.Parallel()
	bin := keywardBinary(t)
	git := testenv.Command(t, "apt-get install git", "git")
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	env := withEnv(isolatedEnv(dir), "KEYWARD="+bin)
	gitIn(t, repo, env, "init", "-q")
	hook, err := os.ReadFile(filepath.Join("..", "..", "examples", "pre-commit", "pre-commit"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, ".git", "hooks", "pre-commit"), hook, 0o755); err != nil {
		t.Fatal(err)
	}
	commit := func(msg string) (string, error) {
		cmd := exec.Command(git, "commit", "-q", "-m", msg)
		cmd.Dir = repo
		cmd.Env = append(env, "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
			"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	secret := strings.TrimSpace(kwExec(t, bin, env, "", "--db", filepath.Join(dir, "k.db"), "keys", "create", "ci", "--resource", "/acme", "-q").want(t, 0, "create").stdout)
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
