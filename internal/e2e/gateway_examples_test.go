package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/keyward/keyward/internal/testenv"
)

// The gateway examples (examples/nginx, examples/caddy) run here as they
// are shipped, with only their addresses rewritten, in front of the real
// `keyward serve` and an application that tells what reached it.

func TestNginxExample(t *testing.T) {
	t.Parallel()
	nginx := findNginx(t)
	g := newGatewayEnv(t)
	port := freePort(t)
	conf := exampleFile(t, "../../examples/nginx/keyward.conf", map[string]string{
		"server 127.0.0.1:8080;": "server " + g.keywardAddr + ";",
		"server 127.0.0.1:3000;": "server " + g.appAddr + ";",
		"listen 127.0.0.1:8000;": fmt.Sprintf("listen 127.0.0.1:%d;", port),
	})
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "keyward.conf"), conf)
	ngErr := startNginx(t, nginx, dir, "  include "+filepath.Join(dir, "keyward.conf")+";")
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHTTP(t, base+"/")
	// nginx refuses a header line over its 8 KiB buffers itself.
	g.exercise(t, base, http.StatusBadRequest)
	if t.Failed() {
		log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		t.Logf("nginx stderr:\n%s\nerror.log:\n%s", ngErr.String(), log)
	}

	// Keep-alive: checks after the first reuse nginx's connection to
	// keyward instead of opening one each (without the upstream's
	// keepalive, each of the n checks would be a connection of its own).
	// Denied checks too: a flood of bad keys must not cost a TCP
	// handshake each (nginx drops an upstream connection whose answer's
	// body it did not read, so the check is a HEAD: keyward's 401 and 403
	// keep their bodies for GET callers such as Traefik and Envoy).
	const n = 20
	for _, c := range []struct {
		what   string
		secret string
		want   int
	}{
		{"valid key", g.editor.secret, 200},
		{"unknown key", "sk_" + strings.Repeat("x", 40), 401},
		{"viewer key", g.viewer.secret, 403},
	} {
		before := g.accepted.Load()
		for range n {
			if got := g.get(t, base, c.secret, nil).StatusCode; got != c.want {
				t.Fatalf("%s: %d, want %d", c.what, got, c.want)
			}
		}
		opened := g.accepted.Load() - before
		t.Logf("%d checks of a %s through nginx opened %d connections to keyward", n, c.what, opened)
		if opened*2 > n {
			t.Errorf("%d checks of a %s opened %d connections to keyward: nginx does not keep them alive", n, c.what, opened)
		}
	}
}

func TestCaddyExample(t *testing.T) {
	t.Parallel()
	caddy := testenv.Command(t, "make deps installs it (Debian's caddy)", "caddy", "/usr/bin/caddy")
	g := newGatewayEnv(t)
	port := freePort(t)
	conf := exampleFile(t, "../../examples/caddy/Caddyfile", map[string]string{
		"forward_auth 127.0.0.1:8080 {": "forward_auth " + g.keywardAddr + " {",
		"reverse_proxy 127.0.0.1:3000":  "reverse_proxy " + g.appAddr,
		":8000 {":                       fmt.Sprintf(":%d {", port),
	})
	dir := t.TempDir()
	file := filepath.Join(dir, "Caddyfile")
	writeFile(t, file, conf)
	cmd := exec.Command(caddy, "run", "--config", file, "--adapter", "caddyfile")
	// Caddy keeps state (autosaved config, certificates) under HOME and
	// the XDG folders: the test's own, not the developer's.
	cmd.Env = isolatedEnv(dir)
	var out testenv.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start caddy: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHTTP(t, base+"/")
	// Caddy refuses more than the example's max_header_size itself.
	g.exercise(t, base, http.StatusRequestHeaderFieldsTooLarge)
	if t.Failed() {
		t.Logf("caddy output:\n%s", out.String())
	}
}

// exampleFile reads an example and replaces each of its addresses; an
// address the example no longer has fails the test rather than leaving
// it pointing elsewhere.
func exampleFile(t *testing.T, path string, replace map[string]string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for old, repl := range replace {
		if !strings.Contains(s, old) {
			t.Fatalf("%s no longer contains %q: update the test with it", path, old)
		}
		s = strings.ReplaceAll(s, old, repl)
	}
	return s
}

type gwKey struct{ name, id, secret string }

// gatewayEnv is keyward serving a database of test keys behind a
// connection-counting relay, and an application that answers with what
// it received.
type gatewayEnv struct {
	bin, db     string
	env         []string
	keywardAddr string // the relay in front of keyward
	appAddr     string
	accepted    *atomic.Int64 // connections the relay accepted

	editor, viewer, other gwKey
	from                  *http.Client // nil: http.DefaultClient, from 127.0.0.1
}

func newGatewayEnv(t *testing.T) *gatewayEnv {
	bin := keywardBinary(t)
	dir := t.TempDir()
	g := &gatewayEnv{bin: bin, db: filepath.Join(dir, "keys.db"), env: isolatedEnv(dir)}
	g.editor = g.create(t, "gw-editor", "/acme/prod", "editor")
	g.viewer = g.create(t, "gw-viewer", "/acme/prod", "viewer")
	g.other = g.create(t, "gw-other", "/globex", "admin")
	// The gateways reach keyward through the relay, from 127.0.0.1: the
	// examples' --trusted-proxy.
	api := serveWith(t, bin, g.env, "serve", "--addr", "127.0.0.1:0", "--db", g.db, "--trusted-proxy", "127.0.0.1")
	g.keywardAddr, g.accepted = countingRelay(t, strings.TrimPrefix(api, "http://"))
	app := httptest.NewServer(http.HandlerFunc(echoRequest))
	t.Cleanup(app.Close)
	g.appAddr = strings.TrimPrefix(app.URL, "http://")
	return g
}

func (g *gatewayEnv) create(t *testing.T, name, resource, role string, extra ...string) gwKey {
	t.Helper()
	args := append([]string{"--db", g.db, "keys", "create", name, "--resource", resource, "--role", role, "-o", "json"}, extra...)
	r := kwExec(t, g.bin, g.env, "", args...).want(t, 0, "keys create "+name)
	var k struct{ ID, Secret string }
	r.json(t, &k)
	return gwKey{name: name, id: k.ID, secret: k.Secret}
}

// echoed is what the application received, as it answers it.
type echoed struct {
	Method string      `json:"method"`
	Header http.Header `json:"header"`
	Body   string      `json:"body"`
}

func echoRequest(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(echoed{Method: r.Method, Header: r.Header, Body: string(body)})
}

// send makes one request through the gateway; the answer's body is read.
func (g *gatewayEnv) send(t *testing.T, method, url, secret string, header map[string]string, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := http.DefaultClient
	if g.from != nil {
		client = g.from
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s through the gateway: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func (g *gatewayEnv) get(t *testing.T, base, secret string, header map[string]string) *http.Response {
	t.Helper()
	resp, _ := g.send(t, "GET", base+"/app/x", secret, header, "")
	return resp
}

// passed sends a request that must reach the application and returns
// what the application saw.
func (g *gatewayEnv) passed(t *testing.T, what, method, url, secret string, header map[string]string, body string) echoed {
	t.Helper()
	resp, b := g.send(t, method, url, secret, header, body)
	var e echoed
	if resp.StatusCode != 200 {
		t.Fatalf("%s: the gateway answered %d, want 200 from the application: %.300s", what, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("%s: not the application's answer: %v: %.300s", what, err, b)
	}
	return e
}

// exercise runs the cases every gateway example must pass; tooLarge is
// what the gateway answers a request whose headers are past its limits.
func (g *gatewayEnv) exercise(t *testing.T, base string, tooLarge int) {
	t.Helper()
	// A valid key reaches the application, which learns the key's id and
	// name but never sees its secret; headers the caller made up in
	// keyward's name are replaced.
	e := g.passed(t, "valid key", "GET", base+"/app/x?a=1", g.editor.secret,
		map[string]string{"X-Keyward-Key-Name": "gw-admin", "X-Keyward-Key-Id": "key_forged"}, "")
	if got := e.Header.Values("X-Keyward-Key-Name"); len(got) != 1 || got[0] != g.editor.name {
		t.Errorf("the application got X-Keyward-Key-Name %q, want [%s]", got, g.editor.name)
	}
	if got := e.Header.Values("X-Keyward-Key-Id"); len(got) != 1 || got[0] != g.editor.id {
		t.Errorf("the application got X-Keyward-Key-Id %q, want [%s]", got, g.editor.id)
	}
	if got := e.Header.Get("X-Keyward-Key-Type"); got != "secret" {
		t.Errorf("the application got X-Keyward-Key-Type %q, want secret", got)
	}
	if got, ok := e.Header["Authorization"]; ok {
		t.Errorf("the application got the caller's Authorization header: %q", got)
	}

	// A POST's body reaches the application whole.
	body := strings.Repeat("keyward-body-", 2000)
	e = g.passed(t, "POST with a body", "POST", base+"/app/upload", g.editor.secret, map[string]string{"Content-Type": "text/plain"}, body)
	if e.Method != "POST" || e.Body != body {
		t.Errorf("POST: the application got %s with %d bytes, want POST with %d", e.Method, len(e.Body), len(body))
	}

	// Headers nginx and Caddy accept (3 x 7000 bytes) do not turn a valid
	// key into a gateway error: the check gets only what it needs.
	big := map[string]string{}
	for i := range 3 {
		big[fmt.Sprintf("X-Big-%d", i)] = strings.Repeat(string(rune('a'+i)), 7000)
	}
	e = g.passed(t, "valid key with 3 x 7000-byte headers", "GET", base+"/app/x", g.editor.secret, big, "")
	if len(e.Header.Get("X-Big-2")) != 7000 {
		t.Errorf("the application did not get the big headers")
	}
	// Past what the gateway takes, the gateway itself says so: a 4xx to
	// the caller, never a 500 made of a refusal by keyward.
	huge := map[string]string{}
	for i := range 3 {
		huge[fmt.Sprintf("X-Huge-%d", i)] = strings.Repeat("h", 30000)
	}
	if got := g.get(t, base, g.editor.secret, huge).StatusCode; got != tooLarge {
		t.Errorf("valid key with 3 x 30000-byte headers: the gateway answered %d, want %d", got, tooLarge)
	}

	for _, tc := range []struct {
		what, secret string
		header       map[string]string
		want         int
	}{
		{"no key", "", nil, 401},
		{"not a key", "sk_notarealkey", nil, 401},
		{"a key with a bad checksum", badChecksum(g.editor.secret), nil, 401},
		{"viewer: role too low", g.viewer.secret, nil, 403},
		{"viewer naming the role it has", g.viewer.secret, map[string]string{"X-Keyward-Role": "viewer"}, 403},
		{"another organization", g.other.secret, map[string]string{"X-Keyward-Resource": "/globex"}, 403},
		{"no key, with 3 x 7000-byte headers", "", big, 401},
	} {
		resp := g.get(t, base, tc.secret, tc.header)
		if resp.StatusCode != tc.want {
			t.Errorf("%s: the gateway answered %d, want %d", tc.what, resp.StatusCode, tc.want)
		}
	}

	g.exercisePolicies(t, base)

	// Deleted and disabled keys are refused from the next request on.
	for _, change := range [][]string{{"delete", "--yes"}, {"update", "--disable"}} {
		k := g.create(t, "gw-"+change[0], "/acme/prod", "admin")
		if got := g.get(t, base, k.secret, nil).StatusCode; got != 200 {
			t.Fatalf("%s: before the change the gateway answered %d, want 200", k.name, got)
		}
		kwExec(t, g.bin, g.env, "", "--db", g.db, "keys", change[0], k.name, change[1]).want(t, 0, "keys "+change[0])
		if got := g.get(t, base, k.secret, nil).StatusCode; got != 401 {
			t.Errorf("a key after %s: the gateway answered %d, want 401", strings.Join(change, " "), got)
		}
	}
}

// badChecksum is secret with its last character changed.
func badChecksum(secret string) string {
	last := "x"
	if strings.HasSuffix(secret, last) {
		last = "y"
	}
	return secret[:len(secret)-1] + last
}

// countingRelay listens on loopback, counts the connections it accepts
// and relays each to target: keyward's side of a gateway's connections,
// seen without changing keyward.
func countingRelay(t *testing.T, target string) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	open := map[net.Conn]struct{}{}
	track := func(c net.Conn, add bool) {
		mu.Lock()
		defer mu.Unlock()
		if add {
			open[c] = struct{}{}
		} else {
			delete(open, c)
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			track(c, true)
			track(up, true)
			wg.Add(2)
			pipe := func(dst, src net.Conn) {
				defer wg.Done()
				_, _ = io.Copy(dst, src)
				// One direction ended: end both, as a proxy would.
				dst.Close()
				src.Close()
				track(dst, false)
				track(src, false)
			}
			go pipe(up, c)
			go pipe(c, up)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String(), &n
}

// clientFrom is an HTTP client whose connections come from the loopback
// address ip (127.0.0.2, 127.0.0.3...): callers at addresses of their
// own, as a gateway sees them.
func clientFrom(t *testing.T, ip string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// exercisePolicies checks issue 13's key policies through the gateway: a
// caller inside and outside a key's IP allow-list (the gateway passing
// its address on, and a caller's own X-Forwarded-For and X-Real-IP
// never believed), and a burst past a key's rate limit answered 429
// with Retry-After. Timing is not assumed: the limit's period is an
// hour, and the burst asserts at most the limit's successes.
func (g *gatewayEnv) exercisePolicies(t *testing.T, base string) {
	t.Helper()
	defer func() { g.from = nil }()
	inside, outside := clientFrom(t, "127.0.0.2"), clientFrom(t, "127.0.0.3")
	fenced := g.create(t, "gw-fenced", "/acme/prod", "editor", "--allow-ip", "127.0.0.2")
	g.from = inside
	g.passed(t, "a key from inside its allow-list", "GET", base+"/app/x", fenced.secret, nil, "")
	g.from = outside
	for what, header := range map[string]map[string]string{
		"outside its allow-list":                          nil,
		"outside, claiming inside in X-Forwarded-For":     {"X-Forwarded-For": "127.0.0.2"},
		"outside, claiming inside in X-Real-IP":           {"X-Real-IP": "127.0.0.2"},
		"outside, claiming inside in both":                {"X-Forwarded-For": "127.0.0.2", "X-Real-IP": "127.0.0.2"},
		"outside, claiming to be the trusted proxy first": {"X-Forwarded-For": "127.0.0.2, 127.0.0.1"},
	} {
		if got := g.get(t, base, fenced.secret, header).StatusCode; got != http.StatusForbidden {
			t.Errorf("a key %s: the gateway answered %d, want 403", what, got)
		}
	}

	const limit = 3
	metered := g.create(t, "gw-metered", "/acme/prod", "editor", "--rate-limit", fmt.Sprintf("%d/1h", limit))
	g.from = inside
	ok, limited := 0, 0
	for range 3 * limit {
		resp := g.get(t, base, metered.secret, nil)
		switch resp.StatusCode {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
			limited++
			if ra := resp.Header.Get("Retry-After"); ra == "" || strings.Trim(ra, "0123456789") != "" || ra == "0" {
				t.Errorf("a 429 with Retry-After %q, want whole seconds", ra)
			}
		default:
			t.Errorf("a burst past a rate limit: the gateway answered %d, want 200 or 429", resp.StatusCode)
		}
	}
	if ok > limit || ok == 0 || limited == 0 {
		t.Errorf("a burst of %d past a limit of %d/1h: %d passed and %d were answered 429; want at most %d passed and some 429s",
			3*limit, limit, ok, limited, limit)
	}
}
