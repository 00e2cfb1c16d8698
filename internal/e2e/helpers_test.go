package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The end-to-end tests run the built binary, as a user would. Each has a
// folder, a database and ports of its own, so they run in parallel: most
// of their time is spent waiting for processes.

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// keywardBinary builds keyward once per test process, into a folder of
// the user's cache that belongs to this checkout: go build does nothing
// when the binary there is up to date, where linking a new one (cgo's
// SQLite, pgx, cobra) is seconds of every run. Without a cache folder it
// builds into a temporary one, removed at the end.
func keywardBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		var dir string
		dir, buildErr = binaryDir()
		if buildErr != nil {
			return
		}
		builtBin = filepath.Join(dir, "keyward")
		if out, err := exec.Command("go", "build", "-o", builtBin, "../..").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v", buildErr)
	}
	return builtBin
}

// binaryDir is where keywardBinary builds: one folder per checkout (named
// by its path), so that runs in other checkouts on the machine neither
// undo its up-to-dateness nor replace its binary.
func binaryDir() (string, error) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return "", err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		buildDir, err = os.MkdirTemp("", "keyward-e2e")
		return buildDir, err
	}
	sum := sha256.Sum256([]byte(root))
	dir := filepath.Join(cache, "keyward-e2e", hex.EncodeToString(sum[:8]))
	return dir, os.MkdirAll(dir, 0o700)
}

// isolatedEnv is the process environment without keyward's settings, with
// HOME and the XDG folders inside dir: no test sees a developer's config,
// keys or database.
func isolatedEnv(dir string) []string {
	env := []string{}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "KEYWARD_") || strings.HasPrefix(name, "XDG_") || name == "HOME" || name == "NO_COLOR" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+filepath.Join(dir, "home"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"XDG_DATA_HOME="+filepath.Join(dir, "data"), "XDG_CACHE_HOME="+filepath.Join(dir, "cache"), "NO_COLOR=1")
}

var servingRE = regexp.MustCompile(`https?://[0-9.]+:[0-9]+`)

// startServe runs `keyward serve` on a free loopback port over db and
// returns its base URL.
func startServe(t *testing.T, bin string, env []string, db string) string {
	t.Helper()
	return serveWith(t, bin, env, "serve", "--addr", "127.0.0.1:0", "--db", db)
}

// serveWith starts keyward with args (a serve command line) and returns the
// URL it prints.
func serveWith(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("keyward serve: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			if m := servingRE.FindString(sc.Text()); m != "" && !sent {
				found <- m
				sent = true
			}
		}
		if !sent {
			close(found)
		}
	}()
	select {
	case u, ok := <-found:
		if !ok {
			t.Fatal("keyward serve exited without printing its address")
		}
		return u
	case <-time.After(15 * time.Second):
		t.Fatal("keyward serve did not print its address within 15s")
	}
	return ""
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitHTTP(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not answer within 10s", url)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// kwRun is one keyward invocation's outcome.
type kwRun struct {
	stdout, stderr string
	code           int
}

// kwExec runs the built binary with env and stdin and returns what it did.
// The context is a guard against a hang, not a timing assertion.
func kwExec(t *testing.T, bin string, env []string, stdin string, args ...string) kwRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok || ctx.Err() != nil {
			t.Fatalf("keyward %s: %v (stderr: %s)", strings.Join(args, " "), err, errb.String())
		}
		code = ee.ExitCode()
	}
	return kwRun{out.String(), errb.String(), code}
}

func (r kwRun) want(t *testing.T, code int, what string) kwRun {
	t.Helper()
	if r.code != code {
		t.Fatalf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", what, r.code, code, r.stdout, r.stderr)
	}
	return r
}

func (r kwRun) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
}

// withEnv returns env with the given KEY=value pairs set (replacing any).
func withEnv(env []string, kv ...string) []string {
	out := make([]string, 0, len(env)+len(kv))
	for _, e := range env {
		keep := true
		for _, n := range kv {
			name, _, _ := strings.Cut(n, "=")
			if strings.HasPrefix(e, name+"=") {
				keep = false
			}
		}
		if keep {
			out = append(out, e)
		}
	}
	return append(out, kv...)
}
