package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/testenv"
)

type e2eFinding struct {
	File   string  `json:"file"`
	Line   int     `json:"line"`
	Start  string  `json:"start"`
	KeyID  *string `json:"key_id"`
	Name   *string `json:"name"`
	Valid  *bool   `json:"valid"`
	Code   *string `json:"code"`
	Action *string `json:"action"`
}

// summary is a finding as "file:line name code action", "-" for null.
func (f e2eFinding) summary(dir string) string {
	s := func(p *string) string {
		if p == nil {
			return "-"
		}
		return *p
	}
	rel, _ := filepath.Rel(dir, f.File)
	return filepath.ToSlash(rel) + ":" + strconv.Itoa(f.Line) + " " + s(f.Name) + " " + s(f.Code) + " " + s(f.Action)
}

// gitCommand runs git in dir with an author and no system config, as a
// user's own commit would.
func gitCommand(t *testing.T, dir string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	git := testenv.Command(t, "apt-get install git", "git")
	cmd := exec.Command(git, args...)
	cmd.Dir = dir
	cmd.Env = append(env, "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
		"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1")
	return cmd
}

func gitIn(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	out, err := gitCommand(t, dir, env, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// hookRepo is dir/repo, a git repository with examples/pre-commit as its
// hook, and a secret made offline: the hook needs no database or server.
type hookRepo struct {
	t      *testing.T
	repo   string
	env    []string
	secret string
}

func newHookRepo(t *testing.T, dir string, env ...string) *hookRepo {
	t.Helper()
	bin := keywardBinary(t)
	h := &hookRepo{t: t, repo: filepath.Join(dir, "repo"), env: withEnv(isolatedEnv(dir), append([]string{"KEYWARD=" + bin}, env...)...)}
	if err := os.MkdirAll(h.repo, 0o755); err != nil {
		t.Fatal(err)
	}
	gitIn(t, h.repo, h.env, "init", "-q")
	hook, err := os.ReadFile(filepath.Join("..", "..", "examples", "pre-commit", "pre-commit"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.repo, ".git", "hooks", "pre-commit"), hook, 0o755); err != nil {
		t.Fatal(err)
	}
	h.secret = strings.TrimSpace(kwExec(t, bin, h.env, "", "--db", filepath.Join(dir, "k.db"), "keys", "create", "ci", "--resource", "/acme", "-q").want(t, 0, "create").stdout)
	return h
}

// commit runs `git commit`, and with it the hook.
func (h *hookRepo) commit(msg string) (string, error) {
	out, err := gitCommand(h.t, h.repo, h.env, "commit", "-q", "-m", msg).CombinedOutput()
	return string(out), err
}

func scanFindings(t *testing.T, r kwRun, dir string) []string {
	t.Helper()
	var fs []e2eFinding
	r.json(t, &fs)
	var out []string
	for _, f := range fs {
		out = append(out, f.summary(dir))
	}
	sort.Strings(out)
	return out
}

// TestScanAgainstServer: a tree seeded with live, deleted and
// checksum-failing secrets (and a live one in an ignored and in a binary
// file) scanned through `keyward serve`, as operators of different
// scopes; then --disable, seen at once by the server's warm verification
// cache, and POST /v1/leaks as a scanning service calls it.
func TestScanAgainstServer(t *testing.T) {
	t.Parallel()
	bin, env, url, root := remoteServer(t)
	as := func(token string) []string { return withEnv(env, "KEYWARD_SERVER="+url, "KEYWARD_TOKEN="+token) }
	kw := func(token, stdin string, args ...string) kwRun {
		t.Helper()
		return kwExec(t, bin, as(token), stdin, append([]string{"-o", "json"}, args...)...)
	}
	create := func(args ...string) e2eKey {
		var k e2eKey
		kw(root, "", append([]string{"keys", "create"}, args...)...).want(t, 0, "create").json(t, &k)
		return k
	}
	live := create("live", "--resource", "/acme/prod")
	gone := create("gone", "--resource", "/acme/prod")
	globex := create("vault", "--resource", "/globex")
	viewer := create("acme-viewer", "--resource", "/acme")
	admin := create("acme-admin", "--resource", "/acme", "--role", "admin")
	kw(root, "", "keys", "delete", "gone", "--yes").want(t, 0, "delete")

	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, ".gitignore"), "*.local\n")
	writeFile(t, filepath.Join(dir, "app.env"), "A=1\nTOKEN="+live.Secret+"\n")
	writeFile(t, filepath.Join(dir, "old.yaml"), "token: "+gone.Secret+"\n")
	writeFile(t, filepath.Join(dir, "vendor.txt"), globex.Secret+"\n")
	shaped := live.Secret[:len(live.Secret)-1] + "x"
	if shaped == live.Secret {
		shaped = live.Secret[:len(live.Secret)-1] + "y"
	}
	writeFile(t, filepath.Join(dir, "notes.md"), "looks like one: "+shaped+"\n")
	writeFile(t, filepath.Join(dir, "mine.local"), live.Secret+"\n")
	writeFile(t, filepath.Join(dir, "image.png"), "\x89PNG\x00\x00"+live.Secret)
	gitIn(t, dir, env, "init", "-q")

	want := []string{"app.env:2 live VALID -", "old.yaml:1 - NOT_FOUND -", "vendor.txt:1 vault VALID -"}
	if got := scanFindings(t, kw(root, "", "scan", dir).want(t, 1, "scan as root"), dir); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("as root:\n%v\nwant\n%v", got, want)
	}
	// A viewer of /acme: globex's key unnamed, but not passed off as dead.
	want = []string{"app.env:2 live VALID -", "old.yaml:1 - NOT_FOUND -", "vendor.txt:1 - VALID -"}
	if got := scanFindings(t, kw(viewer.Secret, "", "scan", dir).want(t, 1, "scan as viewer"), dir); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("as viewer:\n%v\nwant\n%v", got, want)
	}

	// Warm the server's verification cache, then disable as acme's admin.
	for range 3 {
		kwExec(t, bin, as(""), live.Secret, "keys", "verify").want(t, 0, "verify before")
	}
	r := kw(admin.Secret, "", "scan", "--disable", dir).want(t, 1, "scan --disable")
	want = []string{"app.env:2 live DISABLED disabled", "old.yaml:1 - NOT_FOUND none", "vendor.txt:1 - VALID forbidden"}
	if got := scanFindings(t, r, dir); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("--disable as acme admin:\n%v\nwant\n%v", got, want)
	}
	kwExec(t, bin, as(""), live.Secret, "keys", "verify").want(t, 7, "verify after --disable")
	var compromised []e2eKey
	kw(root, "", "keys", "list", "--compromised").want(t, 0, "list --compromised").json(t, &compromised)
	if len(compromised) != 1 || compromised[0].ID != live.ID {
		t.Errorf("list --compromised: %+v", compromised)
	}
	audit := kw(root, "", "audit", "list", "--key", "live").want(t, 0, "audit").stdout
	if !strings.Contains(audit, `"compromise"`) || !strings.Contains(audit, filepath.Join(dir, "app.env")+":2") || strings.Contains(audit, live.Secret) {
		t.Errorf("audit: %s", audit)
	}

	// A scanning service reports what it found: no token is 401; with
	// one, the key it may change is disabled.
	body, _ := json.Marshal(map[string]any{"leaks": []map[string]string{{"key": globex.Secret, "source": "https://gist.example.com/abc:3"}}})
	post := func(token string) (int, string) {
		req, _ := http.NewRequest("POST", url+"/v1/leaks", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	if code, _ := post(""); code != http.StatusUnauthorized {
		t.Errorf("POST /v1/leaks without a token: %d", code)
	}
	if code, out := post(root); code != http.StatusOK || !strings.Contains(out, `"action":"disabled"`) || strings.Contains(out, globex.Secret) {
		t.Errorf("POST /v1/leaks: %d %s", code, out)
	}
	kwExec(t, bin, as(""), globex.Secret, "keys", "verify").want(t, 7, "verify the reported key")
}

// TestPreCommitHookBlocksStagedSecret runs examples/pre-commit as git
// does: a real `git commit` in a repository with the hook installed.
func TestPreCommitHookBlocksStagedSecret(t *testing.T) {
	t.Parallel()
	h := newHookRepo(t, t.TempDir())
	repo, env, secret, commit := h.repo, h.env, h.secret, h.commit

	writeFile(t, filepath.Join(repo, "README"), "hello\n")
	gitIn(t, repo, env, "add", "README")
	if out, err := commit("clean"); err != nil {
		t.Fatalf("a clean commit was refused: %v\n%s", err, out)
	}

	writeFile(t, filepath.Join(repo, "deploy.env"), "KEYWARD_TOKEN="+secret+"\n")
	gitIn(t, repo, env, "add", "deploy.env")
	out, err := commit("leak")
	if err == nil || !strings.Contains(out, "deploy.env") || !strings.Contains(out, "a keyward secret is staged") {
		t.Fatalf("a staged secret was committed: %v\n%s", err, out)
	}
	if strings.Contains(out, secret) {
		t.Errorf("the hook printed the secret:\n%s", out)
	}
	if log := gitIn(t, repo, env, "log", "--oneline"); strings.Count(log, "\n") != 1 {
		t.Errorf("git log after the refused commit:\n%s", log)
	}

	// What counts is the index: the secret staged away, the work tree
	// still holding it, the commit goes through.
	writeFile(t, filepath.Join(repo, "deploy.env"), "KEYWARD_TOKEN=\n")
	gitIn(t, repo, env, "add", "deploy.env")
	writeFile(t, filepath.Join(repo, "deploy.env"), "KEYWARD_TOKEN="+secret+"\n")
	if out, err := commit("staged clean"); err != nil {
		t.Fatalf("a commit whose index is clean was refused: %v\n%s", err, out)
	}
}
