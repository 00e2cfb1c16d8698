package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestNginxAuthRequest fronts a stand-in upstream with a real nginx whose
// auth_request asks `keyward serve` (GET /v1/auth) about each request's
// bearer key: the gateway set-up the README promises.
func TestNginxAuthRequest(t *testing.T) {
	nginx := findNginx(t)
	bin := gatewayBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "keys.db")
	env := gatewayEnv(dir)

	create := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--db", db, "keys", "create"}, append(args, "-q")...)...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("keys create %v: %v", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	editor := create("gw-editor", "--resource", "/acme/prod", "--role", "editor")
	viewer := create("gw-viewer", "--resource", "/acme/prod", "--role", "viewer")
	other := create("gw-other", "--resource", "/globex", "--role", "admin")

	api := startServe(t, bin, env, db)

	port := freePort(t)
	if err := os.MkdirAll(filepath.Join(dir, "www", "app"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "www", "app", "x"), "hello\n")
	conf := filepath.Join(dir, "nginx.conf")
	writeFile(t, conf, fmt.Sprintf(`
worker_processes 1;
master_process off;
daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  server {
    listen 127.0.0.1:%[2]d;
    location /app/ {
      auth_request /_keyward;
      auth_request_set $key_name $upstream_http_x_keyward_key_name;
      auth_request_set $key_id $upstream_http_x_keyward_key_id;
      add_header X-Key-Name $key_name always;
      add_header X-Key-Id $key_id always;
      # a static upstream: "return" would answer in the rewrite phase,
      # before auth_request is consulted
      root %[1]s/www;
    }
    location = /_keyward {
      internal;
      proxy_pass %[3]s/v1/auth?resource=/acme/prod/app&role=editor;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header Authorization $http_authorization;
    }
  }
}
`, dir, port, api))
	ng := exec.Command(nginx, "-p", dir, "-c", conf)
	ng.Stderr = os.Stderr
	if err := ng.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	t.Cleanup(func() { _ = ng.Process.Kill(); _ = ng.Wait() })
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHTTP(t, base+"/app/")

	get := func(token string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", base+"/app/x", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET through nginx: %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for _, tc := range []struct {
		name, token string
		want        int
	}{
		{"no credential", "", 401},
		{"garbage", "sk_notarealkey", 401},
		{"editor on the resource", editor, 200},
		{"viewer: role too low", viewer, 403},
		{"another organization", other, 403},
	} {
		if got := get(tc.token).StatusCode; got != tc.want {
			t.Errorf("%s: nginx answered %d, want %d", tc.name, got, tc.want)
		}
	}
	if resp := get(editor); resp.Header.Get("X-Key-Name") != "gw-editor" || !strings.HasPrefix(resp.Header.Get("X-Key-Id"), "key_") {
		t.Errorf("the gateway did not pass the key's name and id on: %v", resp.Header)
	}

	// A change made by another process on the same file is seen by the very
	// next request: the server caches nothing that outlives a change.
	cmd := exec.Command(bin, "--db", db, "keys", "update", "gw-editor", "--disable")
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("disable: %v\n%s", err, out)
	}
	if got := get(editor).StatusCode; got != 401 {
		t.Errorf("disabled key: nginx answered %d, want 401", got)
	}
}

func findNginx(t *testing.T) string {
	for _, p := range []string{"nginx", "/usr/sbin/nginx"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("nginx is not installed (make deps installs it)")
	}
	t.Skip("nginx not installed")
	return ""
}

var gatewayBin string

// gatewayBinary builds keyward once per test process.
func gatewayBinary(t *testing.T) string {
	t.Helper()
	if gatewayBin != "" {
		return gatewayBin
	}
	dir, err := os.MkdirTemp("", "keyward-e2e-gw")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "keyward")
	cmd := exec.Command("go", "build", "-o", bin, "../..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	gatewayBin = bin
	return bin
}

func gatewayEnv(dir string) []string {
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KEYWARD_") {
			env = append(env, kv)
		}
	}
	return append(env, "HOME="+dir, "XDG_CONFIG_HOME="+dir+"/config", "XDG_DATA_HOME="+dir+"/data", "NO_COLOR=1")
}

var servingRE = regexp.MustCompile(`https?://[0-9.]+:[0-9]+`)

// startServe runs `keyward serve` on a free loopback port and returns its
// base URL, read from the line it prints at start.
func startServe(t *testing.T, bin string, env []string, db string) string {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", db)
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
