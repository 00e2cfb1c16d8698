package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/testenv"
)

// TestNginxAuthRequest fronts a stand-in upstream with a real nginx whose
// auth_request asks `keyward serve` (GET /v1/auth) about each request's
// bearer key: the gateway set-up the README promises.
func TestNginxAuthRequest(t *testing.T) {
	t.Parallel()
	nginx := findNginx(t)
	bin := keywardBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "keys.db")
	env := isolatedEnv(dir)

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
	for _, loc := range []string{"app", "slash", "prefixed"} {
		if err := os.MkdirAll(filepath.Join(dir, "www", loc), 0o700); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "www", loc, "x"), "hello\n")
	}
	startNginx(t, nginx, dir, fmt.Sprintf(`
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
    # A stray trailing slash: the prefixed form, without the header it
    # needs. Every request must be denied, not any valid key let through.
    location /slash/ {
      auth_request /_keyward_slash;
      root %[1]s/www;
    }
    location = /_keyward_slash {
      internal;
      proxy_pass %[3]s/v1/auth/;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
    }
    # The prefixed form configured as it must be: proxy_set_header
    # replaces whatever X-Keyward-* headers the caller sent.
    location /prefixed/ {
      auth_request /_keyward_prefixed;
      root %[1]s/www;
    }
    location = /_keyward_prefixed {
      internal;
      proxy_pass %[3]s/v1/auth/;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Keyward-Resource /acme/prod/app;
      proxy_set_header X-Keyward-Role editor;
    }
  }
`, dir, port, api))
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHTTP(t, base+"/app/")

	getAt := func(loc, token string, header ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", base+"/"+loc+"/x", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET through nginx: %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	get := func(token string) *http.Response { return getAt("app", token) }
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

	for _, tc := range []struct {
		name, loc, token string
		header           []string
		want             int
	}{
		{"trailing slash, editor", "slash", editor, nil, 403},
		{"trailing slash, key of another organization", "slash", other, nil, 403},
		{"prefixed, editor", "prefixed", editor, nil, 200},
		{"prefixed, viewer", "prefixed", viewer, nil, 403},
		{"prefixed, viewer naming its own role", "prefixed", viewer, []string{"X-Keyward-Role", "viewer"}, 403},
		{"prefixed, other naming its own resource", "prefixed", other, []string{"X-Keyward-Resource", "/globex"}, 403},
		{"prefixed, no key", "prefixed", "", nil, 401},
	} {
		if got := getAt(tc.loc, tc.token, tc.header...).StatusCode; got != tc.want {
			t.Errorf("%s: nginx answered %d, want %d", tc.name, got, tc.want)
		}
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

// startNginx runs nginx in the foreground from dir, its http block
// holding httpBlock, until the test ends; what it writes on stderr is
// returned for the test's failure output.
func startNginx(t *testing.T, nginx, dir, httpBlock string) *testenv.Buffer {
	t.Helper()
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
%[2]s
}
`, dir, httpBlock))
	ng := exec.Command(nginx, "-p", dir, "-c", conf)
	var stderr testenv.Buffer
	ng.Stderr = &stderr
	if err := ng.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	t.Cleanup(func() {
		_ = ng.Process.Kill()
		_ = ng.Wait()
		if t.Failed() {
			t.Logf("nginx stderr:\n%s", stderr.String())
		}
	})
	return &stderr
}

func findNginx(t *testing.T) string {
	return testenv.Command(t, "make deps installs it", "nginx", "/usr/sbin/nginx")
}
