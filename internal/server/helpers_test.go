package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/server"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/testenv"
)

// clock is a settable time shared by the store and the server, so that
// expiry can be tested without sleeping.
type clock struct{ unix atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.unix.Store(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) Now() time.Time          { return time.Unix(0, c.unix.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.unix.Add(int64(d)) }

// env is a real SQLite store in a temp dir behind the real handler on a
// loopback httptest server, with a root admin key.
type env struct {
	t     testing.TB
	st    *store.Store
	srv   *httptest.Server
	clock *clock
	logs  *testenv.Buffer
	root  string // the root admin key's secret
}

func newEnv(t testing.TB, opts server.Options) *env {
	return newEnvWith(t, opts, func(b keys.Backend) keys.Backend { return b })
}

// newEnvWith lets a test wrap the backend (fault injection).
func newEnvWith(t testing.TB, opts server.Options, wrap func(keys.Backend) keys.Backend) *env {
	t.Helper()
	c := newClock()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "keys.db"), store.Options{Now: c.Now})
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	logs := &testenv.Buffer{}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if opts.Now == nil {
		opts.Now = c.Now
	}
	srv := httptest.NewServer(server.New(wrap(st), opts))
	t.Cleanup(srv.Close)
	e := &env{t: t, st: st, srv: srv, clock: c, logs: logs}
	e.root = e.local("root", "/", keys.Admin).Secret
	return e
}

// local creates a key directly in the store, as `keyward --db` would.
func (e *env) local(name, resource string, role keys.Role, mod ...func(*keys.CreateRequest)) *keys.NewSecretKey {
	e.t.Helper()
	req := keys.CreateRequest{Name: name, Grants: []keys.Grant{{Resource: keys.Resource(resource), Role: role}}}
	for _, m := range mod {
		m(&req)
	}
	k, err := e.st.Create(keys.WithPrincipal(context.Background(), keys.LocalPrincipal("test")), req)
	if err != nil {
		e.t.Fatalf("create %s: %v", name, err)
	}
	return k
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request. body is nil, a string (sent as is) or a value (sent
// as JSON).
func (e *env) do(method, path, token string, body any) *resp {
	e.t.Helper()
	return e.doWith(method, path, token, body, nil)
}

// doWith is do with more request headers.
func (e *env) doWith(method, path, token string, body any, header http.Header) *resp {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return &resp{status: res.StatusCode, header: res.Header, body: b}
}

// want fails the test unless the answer has the status; it returns r for
// chaining.
func (r *resp) want(t *testing.T, status int) *resp {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
	return r
}

func (r *resp) decode(t *testing.T, v any) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// wantError checks a JSON error answer: status, code and a message.
func (r *resp) wantError(t *testing.T, status int, code keys.Code) string {
	t.Helper()
	r.want(t, status)
	var eb struct {
		Error *struct {
			Code    keys.Code `json:"code"`
			Message string    `json:"message"`
		} `json:"error"`
	}
	r.decode(t, &eb)
	if eb.Error == nil || eb.Error.Code != code || eb.Error.Message == "" {
		t.Fatalf("error body %s, want code %q and a message", r.body, code)
	}
	return eb.Error.Message
}

func (r *resp) key(t *testing.T) *keys.Key {
	t.Helper()
	var k keys.Key
	r.decode(t, &k)
	return &k
}

func (r *resp) newSecret(t *testing.T) *keys.NewSecretKey {
	t.Helper()
	var k keys.NewSecretKey
	r.decode(t, &k)
	if k.Secret == "" {
		t.Fatalf("no secret in %s", r.body)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q on a secret, want no-store", cc)
	}
	return &k
}

func createBody(name, resource, role string) map[string]any {
	return map[string]any{"name": name, "grants": []map[string]string{{"resource": resource, "role": role}}}
}
