package commands

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/keyward/keyward/internal/config"
	"github.com/keyward/keyward/internal/testenv"
)

// TestLostAnswerExitsSixAndSaysHowToCheck: a create or roll that reached
// a server which then died (it read the request and dropped the
// connection) may have been made: exit 6, saying so and how to check.
func TestLostAnswerExitsSixAndSaysHowToCheck(t *testing.T) {
	r := &remoteTest{t: t}
	testenv.Isolate(t, t.TempDir())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(srv.Close)
	t.Setenv("KEYWARD_TOKEN", "sk_00000000000000000000000000000000030OBQY")

	res := r.want(r.kw("", "--server", srv.URL, "keys", "create", "ci", "--resource", "/acme/prod"), 6, "create")
	for _, want := range []string{"may have been applied", "keyward keys get acme/ci"} {
		if !strings.Contains(res.err, want) {
			t.Errorf("create: stderr %q lacks %q", res.err, want)
		}
	}
	res = r.want(r.kw("", "--server", srv.URL, "keys", "roll", "ci", "--yes"), 6, "roll")
	for _, want := range []string{"may have been applied", "keyward keys get ci", "start", "grace"} {
		if !strings.Contains(res.err, want) {
			t.Errorf("roll: stderr %q lacks %q", res.err, want)
		}
	}
}

// TestRedirectIsRefusedByTheCLI: a server answering with a redirect gets
// exit 2, and the address it points to receives nothing: no token, no
// secret to verify.
func TestRedirectIsRefusedByTheCLI(t *testing.T) {
	r := &remoteTest{t: t}
	testenv.Isolate(t, t.TempDir())
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { elsewhere.Add(1) }))
	t.Cleanup(other.Close)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, other.URL+req.URL.Path, http.StatusPermanentRedirect)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("KEYWARD_TOKEN", "sk_00000000000000000000000000000000030OBQY")

	res := r.want(r.kw("", "--server", srv.URL, "keys", "list"), 2, "list")
	if !strings.Contains(res.err, "redirect to "+other.URL+"/v1/keys") {
		t.Errorf("list: stderr %q does not name where it was redirected", res.err)
	}
	r.want(r.kw("sk_abcdefghijklmnopqrstuvwxyzABCDEF1rJNtw", "--server", srv.URL, "keys", "verify"), 2, "verify")
	if n := elsewhere.Load(); n != 0 {
		t.Fatalf("the address redirected to got %d requests", n)
	}
}

// TestOpenCredentialFileIsRefused: a token file of `login
// --insecure-storage` that other users can read is not used: exit 4,
// saying how to fix it.
func TestOpenCredentialFileIsRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no mode bits")
	}
	r := &remoteTest{t: t}
	testenv.Isolate(t, t.TempDir())
	const server = "http://127.0.0.1:1"
	path, err := config.StoreToken(config.DefaultProfileName(server), "sk_00000000000000000000000000000000030OBQY", true)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	res := r.want(r.kw("", "--server", server, "keys", "list"), 4, "keys list")
	if !strings.Contains(res.err, "chmod 600 "+path) {
		t.Errorf("stderr %q does not say how to fix it", res.err)
	}
}

// TestServerURLWithoutHostIsUsageError: a server URL that names no host
// ("http://", as `--server "$SCHEME://$HOST"` gives with HOST unset) is
// bad input, exit 2 naming the URL, with or without a token; it was
// trimmed to "http:", taken for a host named http, and answered exit 6
// (cannot reach) or exit 4 (no credential for it).
func TestServerURLWithoutHostIsUsageError(t *testing.T) {
	r := &remoteTest{t: t}
	testenv.Isolate(t, t.TempDir())
	for _, server := range []string{"http://", "https://", "http:///"} {
		for _, token := range []string{"", "sk_00000000000000000000000000000000030OBQY"} {
			t.Setenv("KEYWARD_TOKEN", token)
			res := r.want(r.kw("", "--server", server, "keys", "list"), 2, server+" keys list")
			if !strings.Contains(res.err, "invalid server URL") {
				t.Errorf("--server %s: stderr %q", server, res.err)
			}
			t.Setenv("KEYWARD_SERVER", server)
			r.want(r.kw("", "keys", "list"), 2, "KEYWARD_SERVER="+server+" keys list")
			os.Unsetenv("KEYWARD_SERVER")
		}
		res := r.want(r.kw("sk_00000000000000000000000000000000030OBQY", "login", "--server", server, "--insecure-storage"), 2, "login "+server)
		if !strings.Contains(res.err, "invalid server URL") {
			t.Errorf("login --server %s: stderr %q", server, res.err)
		}
	}
}
