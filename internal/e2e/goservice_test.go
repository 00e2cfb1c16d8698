package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGoServiceExample builds examples/go-service as an outside module
// would (its own go.mod, keyward through a replace), runs it against a
// real `keyward serve` over a SQLite file, and checks what its callers
// see: 401 without a working key, 403 without the rights, the key's name
// when let through, and a deleted key refused at once without a cache, up
// to the cache's TTL with one, and never after.
func TestGoServiceExample(t *testing.T) {
	bin := keywardBinary(t)
	dir := t.TempDir()
	env := isolatedEnv(dir)
	db := filepath.Join(dir, "keys.db")
	create := func(name, role string) string {
		r := kwExec(t, bin, env, "", "--db", db, "keys", "create", name, "--resource", "/acme/prod", "--role", role, "-q").
			want(t, 0, "keys create "+name)
		return strings.TrimSpace(r.stdout)
	}
	editor, viewer, doomed := create("svc-editor", "editor"), create("svc-viewer", "viewer"), create("svc-doomed", "viewer")
	api := startServe(t, bin, env, db)

	svcBin := buildGoService(t)
	exact := startGoService(t, svcBin, api, "0")
	cached := startGoService(t, svcBin, api, "1h") // no run of this test lasts an hour
	short := startGoService(t, svcBin, api, "1s")

	for _, base := range []string{exact, cached} {
		svcCall(t, "GET", base+"/hello", "", 401)
		svcCall(t, "GET", base+"/hello", badChecksum(viewer), 401)
		if body := svcCall(t, "GET", base+"/hello", viewer, 200); !strings.Contains(body, `"hello":"svc-viewer"`) {
			t.Errorf("GET /hello as svc-viewer: %s", body)
		}
		svcCall(t, "POST", base+"/deploy", viewer, 403)
		if body := svcCall(t, "POST", base+"/deploy", editor, 200); body != "deploying for svc-editor\n" {
			t.Errorf("POST /deploy as svc-editor: %q", body)
		}
	}
	for _, base := range []string{exact, cached, short} {
		svcCall(t, "GET", base+"/hello", doomed, 200)
	}

	kwExec(t, bin, env, "", "--db", db, "keys", "delete", "svc-doomed", "--yes").want(t, 0, "keys delete")
	svcCall(t, "GET", exact+"/hello", doomed, 401)
	// The cached answer hides the deletion for up to its TTL: that is the
	// revocation delay the package documents.
	svcCall(t, "GET", cached+"/hello", doomed, 200)
	// Past the TTL it is asked again. How soon that is is not asserted:
	// the loop only guards against a hang.
	deadline := time.Now().Add(20 * time.Second)
	for svcStatus(t, "GET", short+"/hello", doomed) != 401 {
		if time.Now().After(deadline) {
			t.Fatal("a deleted key still passes 20s after its 1s cache TTL")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// buildGoService builds the example in a copy of its folder, its replace
// pointing at this checkout, as a user's own module would: -mod=mod lets
// go fill in go.sum entries for whatever keyward has come to depend on
// without touching the files in the repository. The user's own Go
// environment (module and build caches) is kept, and the copy lives
// beside keywardBinary's (one per checkout, not a new temporary folder
// each run), so that an unchanged example is not linked again.
func buildGoService(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(root, "examples", "go-service")
	dir, err := binaryDir()
	if err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, "go-service")
	if err := os.MkdirAll(work, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"go.mod", "go.sum", "main.go"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(work, name), string(b))
	}
	out := filepath.Join(work, "go-service")
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	for _, args := range [][]string{
		{"mod", "edit", "-replace", "github.com/keyward/keyward=" + root},
		{"build", "-o", out, "."},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir, cmd.Env = work, env
		b, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("go %s in a copy of examples/go-service: %v\n%s", strings.Join(args, " "), err, b)
		}
	}
	return out
}

// startGoService runs the example against the keyward server at api with
// the cache TTL given, and returns its base URL.
func startGoService(t *testing.T, bin, api, cacheTTL string) string {
	t.Helper()
	cmd := exec.Command(bin, "-keyward", api, "-addr", "127.0.0.1:0", "-cache-ttl", cacheTTL)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := servingRE.FindString(sc.Text()); m != "" {
				found <- m
				break
			}
		}
		close(found)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case u, ok := <-found:
		if !ok {
			t.Fatal("go-service exited without printing its address")
		}
		return u
	case <-time.After(15 * time.Second):
		t.Fatal("go-service did not print its address within 15s")
	}
	return ""
}

// svcCall sends a request with secret as its bearer (none when empty), wants
// the status given and returns the body. A 401 must say how to
// authenticate, as keyward's /v1/auth does.
func svcCall(t *testing.T, method, url, secret string, want int) string {
	t.Helper()
	resp, body := svcDo(t, method, url, secret)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s; want %d", method, url, resp.StatusCode, body, want)
	}
	if want == 401 {
		var e struct{ Error struct{ Code string } }
		if resp.Header.Get("WWW-Authenticate") != `Bearer realm="keyward"` || json.Unmarshal([]byte(body), &e) != nil || e.Error.Code != "unauthorized" {
			t.Errorf("%s %s: 401 with WWW-Authenticate %q and body %s", method, url, resp.Header.Get("WWW-Authenticate"), body)
		}
	}
	return body
}

func svcStatus(t *testing.T, method, url, secret string) int {
	t.Helper()
	resp, _ := svcDo(t, method, url, secret)
	return resp.StatusCode
}

func svcDo(t *testing.T, method, url, secret string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if secret != "" {
		req.Header.Set("Authorization", fmt.Sprintf("Bearer %s", secret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}
