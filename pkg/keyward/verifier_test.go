package keyward

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// fakeServer stands in for POST /v1/verify in unit tests (the real server
// is in real_test.go): it answers VALID for the secrets in valid, with the
// grant given, and counts the calls.
type fakeServer struct {
	t      *testing.T
	srv    *httptest.Server
	calls  atomic.Int64
	mu     sync.Mutex
	valid  map[string]*keys.VerifyResult // by secret
	status int                           // answer this instead, when set
	bodies []string                      // requests received
}

func newFake(t *testing.T) *fakeServer {
	f := &fakeServer{t: t, valid: map[string]*keys.VerifyResult{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		if r.Method != http.MethodPost || r.URL.Path != "/v1/verify" || r.Header.Get("Authorization") != "" {
			t.Errorf("fake server: %s %s (Authorization %q): want POST /v1/verify without a token", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
		b, _ := io.ReadAll(r.Body)
		var req keys.VerifyRequest
		if err := json.Unmarshal(b, &req); err != nil {
			t.Errorf("fake server: body %s: %v", b, err)
		}
		f.mu.Lock()
		f.bodies = append(f.bodies, string(b))
		status, res := f.status, f.valid[req.Secret]
		f.mu.Unlock()
		if status != 0 {
			w.WriteHeader(status)
			_, _ = io.WriteString(w, `{"error":{"code":"unavailable","message":"down"}}`)
			return
		}
		if res == nil {
			res = keys.NotFoundResult()
		}
		_ = json.NewEncoder(w).Encode(res)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// testSecret is a fresh keyward secret.
func testSecret(t *testing.T) string {
	t.Helper()
	s, err := keys.NewSecret("sk")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// key makes a secret the fake answers VALID for.
func (f *fakeServer) key(t *testing.T, name string, expires *time.Time) string {
	t.Helper()
	s := testSecret(t)
	id := "key_" + name
	org := "/acme"
	f.mu.Lock()
	f.valid[s] = &keys.VerifyResult{Valid: true, Code: keys.CodeValid, KeyID: &id, Name: &name, Org: &org,
		Grants: []keys.Grant{{Resource: "/acme", Role: keys.Editor}}, ExpiresAt: expires}
	f.mu.Unlock()
	return s
}

func (f *fakeServer) revoke(secret string) {
	f.mu.Lock()
	delete(f.valid, secret)
	f.mu.Unlock()
}

func (f *fakeServer) down(status int) {
	f.mu.Lock()
	f.status = status
	f.mu.Unlock()
}

// clock is the verifier's time in unit tests: it moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestVerifier(t *testing.T, url string, opts Options) (*Verifier, *clock) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler) // outages are what these tests make
	}
	v, err := NewVerifier(url, opts)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	v.now = c.now
	return v, c
}

// middleware is v's Middleware(opts) around next.
func middleware(v *Verifier, next http.Handler, opts MiddlewareOptions) (http.Handler, error) {
	mw, err := v.Middleware(opts)
	if err != nil {
		return nil, err
	}
	return mw(next), nil
}

func mustVerify(t *testing.T, v *Verifier, secret, resource, role string) *Result {
	t.Helper()
	r, err := v.Verify(context.Background(), secret, resource, role)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return r
}

func TestMalformedSecretsNeverReachTheServer(t *testing.T) {
	f := newFake(t)
	v, _ := newTestVerifier(t, f.srv.URL, Options{CacheTTL: time.Minute})
	good := f.key(t, "ci", nil)
	last := good[len(good)-1]
	flipped := good[:len(good)-1] + string(map[bool]byte{true: 'b', false: 'a'}[last == 'a'])
	for _, s := range []string{"", "sk_short", "not a key at all", flipped, "Bearer " + good} {
		r := mustVerify(t, v, s, "/acme", "")
		if r.Valid || r.Code != CodeNotFound || r.KeyID != "" {
			t.Errorf("Verify(%q) = %+v; want NOT_FOUND", s, r)
		}
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("the server was asked %d times about malformed secrets; want 0", n)
	}
	// Trailing whitespace is ignored, as by the server.
	if r := mustVerify(t, v, good+"\n", "/acme", ""); !r.Valid {
		t.Errorf("secret with a newline: %+v; want VALID", r)
	}
}

func TestCacheServesPositiveAnswersUntilTTL(t *testing.T) {
	f := newFake(t)
	v, c := newTestVerifier(t, f.srv.URL, Options{CacheTTL: 10 * time.Second})
	s := f.key(t, "ci", nil)
	r := mustVerify(t, v, s, "/acme/prod", "editor")
	if !r.Valid || r.KeyID != "key_ci" || r.Name != "ci" || r.Org != "/acme" || len(r.Grants) != 1 || r.Grants[0] != (Grant{"/acme", "editor"}) {
		t.Fatalf("first answer %+v", r)
	}
	r.Grants[0].Role = "admin" // a caller changing its copy changes nothing cached
	f.revoke(s)
	c.advance(10*time.Second - time.Nanosecond)
	if r := mustVerify(t, v, s, "/acme/prod/", "operator"); !r.Valid || r.Grants[0].Role != "editor" {
		t.Errorf("within the TTL (same question in other spellings): %+v; want the cached VALID", r)
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("server calls = %d; want 1", n)
	}
	c.advance(time.Nanosecond)
	if r := mustVerify(t, v, s, "/acme/prod", "editor"); r.Valid || r.Code != CodeNotFound {
		t.Errorf("at the TTL, after revocation: %+v; want NOT_FOUND from the server", r)
	}
}

func TestCacheIsPerQuestion(t *testing.T) {
	f := newFake(t)
	v, _ := newTestVerifier(t, f.srv.URL, Options{CacheTTL: time.Hour})
	s := f.key(t, "ci", nil)
	mustVerify(t, v, s, "/acme/prod", "viewer")
	mustVerify(t, v, s, "/acme/prod", "admin")
	mustVerify(t, v, s, "/acme/dev", "viewer")
	mustVerify(t, v, s, "", "")
	mustVerify(t, v, s, "/acme/prod", "viewer")
	if n := f.calls.Load(); n != 4 {
		t.Errorf("server calls = %d; want 4 (one per resource and role)", n)
	}
}

func TestCacheNeverOutlivesTheKey(t *testing.T) {
	f := newFake(t)
	v, c := newTestVerifier(t, f.srv.URL, Options{CacheTTL: time.Hour})
	exp := c.now().Add(time.Minute)
	s := f.key(t, "short", &exp)
	mustVerify(t, v, s, "/acme", "")
	f.revoke(s) // the server would now say EXPIRED
	c.advance(time.Minute)
	if r := mustVerify(t, v, s, "/acme", ""); r.Valid {
		t.Errorf("past the key's expiry: %+v; want the server asked again", r)
	}
	if n := f.calls.Load(); n != 2 {
		t.Errorf("server calls = %d; want 2", n)
	}
}

func TestNoCacheByDefaultAndNoNegativeCache(t *testing.T) {
	f := newFake(t)
	v, _ := newTestVerifier(t, f.srv.URL, Options{})
	s := f.key(t, "ci", nil)
	mustVerify(t, v, s, "/acme", "")
	f.revoke(s)
	if r := mustVerify(t, v, s, "/acme", ""); r.Valid {
		t.Errorf("CacheTTL 0, after revocation: %+v; want NOT_FOUND at once", r)
	}

	cached, _ := newTestVerifier(t, f.srv.URL, Options{CacheTTL: time.Hour})
	for range 3 {
		if r := mustVerify(t, cached, s, "/acme", ""); r.Valid {
			t.Fatalf("%+v", r)
		}
	}
	if r := mustVerify(t, cached, s, "/acme", "admin"); r.Valid {
		t.Fatalf("%+v", r)
	}
	if n := f.calls.Load(); n != 2+4 {
		t.Errorf("server calls = %d; want 6: negative answers are not cached", n)
	}
	// A key made a moment after a miss works at once.
	f.mu.Lock()
	f.valid[s] = &keys.VerifyResult{Valid: true, Code: keys.CodeValid}
	f.mu.Unlock()
	if r := mustVerify(t, cached, s, "/acme", ""); !r.Valid {
		t.Errorf("after the key came to exist: %+v; want VALID", r)
	}
}

func TestCacheKeysHoldNoSecret(t *testing.T) {
	f := newFake(t)
	v, _ := newTestVerifier(t, f.srv.URL, Options{CacheTTL: time.Hour})
	s := f.key(t, "ci", nil)
	mustVerify(t, v, s, "/acme", "")
	ks := v.cache.entries.Keys()
	if len(ks) != 1 {
		t.Fatalf("cache keys %q; want one", ks)
	}
	body := s[strings.LastIndexByte(s, '_')+1:]
	if strings.Contains(ks[0], body) || strings.Contains(ks[0], s[:12]) {
		t.Errorf("cache key %q holds the secret", ks[0])
	}
}

func TestCacheIsBounded(t *testing.T) {
	f := newFake(t)
	v, _ := newTestVerifier(t, f.srv.URL, Options{CacheTTL: time.Hour, CacheSize: 2})
	a, b, c := f.key(t, "a", nil), f.key(t, "b", nil), f.key(t, "c", nil)
	for _, s := range []string{a, b, c} {
		mustVerify(t, v, s, "/acme", "")
	}
	if n := v.cache.entries.Len(); n != 2 {
		t.Errorf("cache holds %d answers; want 2", n)
	}
	mustVerify(t, v, c, "/acme", "")
	mustVerify(t, v, a, "/acme", "") // the least recently used went first
	if n := f.calls.Load(); n != 4 {
		t.Errorf("server calls = %d; want 4", n)
	}
}

func TestOutage(t *testing.T) {
	f := newFake(t)
	v, c := newTestVerifier(t, f.srv.URL, Options{CacheTTL: time.Minute})
	cachedKey, other := f.key(t, "cached", nil), f.key(t, "other", nil)
	mustVerify(t, v, cachedKey, "/acme", "")
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusTooManyRequests, http.StatusGatewayTimeout, http.StatusInternalServerError} {
		f.down(status)
		if _, err := v.Verify(context.Background(), other, "/acme", ""); !errors.Is(err, ErrUnavailable) {
			t.Errorf("server answering %d: err %v; want ErrUnavailable", status, err)
		}
	}
	// During the outage, an unexpired positive answer still serves, but
	// not one moment past its TTL.
	if r := mustVerify(t, v, cachedKey, "/acme", ""); !r.Valid {
		t.Errorf("cached key during the outage: %+v", r)
	}
	c.advance(time.Minute)
	if _, err := v.Verify(context.Background(), cachedKey, "/acme", ""); !errors.Is(err, ErrUnavailable) {
		t.Errorf("cached key past its TTL during the outage: err %v; want ErrUnavailable", err)
	}

	f.srv.Close()
	if _, err := v.Verify(context.Background(), other, "/acme", ""); !errors.Is(err, ErrUnavailable) {
		t.Errorf("server gone: err %v; want ErrUnavailable", err)
	}
}

func TestServerRefusingIsNotAnOutage(t *testing.T) {
	f := newFake(t)
	v, _ := newTestVerifier(t, f.srv.URL, Options{FailOpen: true})
	f.down(http.StatusBadRequest)
	_, err := v.Verify(context.Background(), f.key(t, "ci", nil), "/acme", "")
	if err == nil || errors.Is(err, ErrUnavailable) {
		t.Fatalf("400 from the server: err %v; want an error that is not ErrUnavailable", err)
	}
	h, err := middleware(v, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("FailOpen let a request through on a 400")
	}), MiddlewareOptions{Resource: "/acme"})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer "+f.key(t, "ci2", nil))
	h.ServeHTTP(w, req)
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d; want 503", w.Code)
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	f := newFake(t)
	redirector := httptest.NewServer(http.RedirectHandler(f.srv.URL+"/v1/verify", http.StatusPermanentRedirect))
	t.Cleanup(redirector.Close)
	for _, c := range []*http.Client{nil, {Timeout: time.Second}} {
		v, _ := newTestVerifier(t, redirector.URL, Options{HTTPClient: c})
		// Not an outage either: a wrong URL that FailOpen must not cover.
		if _, err := v.Verify(context.Background(), f.key(t, "ci", nil), "", ""); err == nil || errors.Is(err, ErrUnavailable) ||
			!strings.Contains(err.Error(), "redirects are not followed") {
			t.Errorf("redirected: err %v; want one saying redirects are not followed, not ErrUnavailable", err)
		}
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("the redirect was followed %d times: the secret went elsewhere", n)
	}
}

func TestBadOptionsAndArguments(t *testing.T) {
	for _, u := range []string{"", "keys.example.com", "ftp://h", "http://", "https://u:p@h", "http://h?x=1"} {
		if _, err := NewVerifier(u, Options{}); err == nil {
			t.Errorf("NewVerifier(%q): no error", u)
		}
	}
	if _, err := NewVerifier("http://h", Options{CacheTTL: -1}); err == nil {
		t.Error("negative CacheTTL: no error")
	}
	f := newFake(t)
	v, _ := newTestVerifier(t, f.srv.URL+"/", Options{})
	for _, q := range [][2]string{{"acme", ""}, {"/a/../b", ""}, {"/acme", "god"}} {
		if _, err := v.Verify(context.Background(), f.key(t, "ci", nil), q[0], q[1]); err == nil || errors.Is(err, ErrUnavailable) {
			t.Errorf("Verify(resource %q, role %q): err %v; want a bad-argument error", q[0], q[1], err)
		}
		if _, err := v.Middleware(MiddlewareOptions{Resource: q[0], Role: q[1]}); err == nil {
			t.Errorf("Middleware(resource %q, role %q): no error", q[0], q[1])
		}
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("server calls = %d; want 0", n)
	}
	if r := mustVerify(t, v, f.key(t, "x", nil), "", ""); !r.Valid {
		t.Errorf("server URL with a trailing slash: %+v", r)
	}
}

func TestConcurrentVerifications(t *testing.T) {
	f := newFake(t)
	v, _ := newTestVerifier(t, f.srv.URL, Options{CacheTTL: time.Hour})
	good, bad := f.key(t, "ci", nil), f.key(t, "gone", nil)
	f.revoke(bad)
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, want := good, true
			if i%2 == 1 {
				s, want = bad, false
			}
			if r, err := v.Verify(context.Background(), s, "/acme", ""); err != nil || r.Valid != want {
				t.Errorf("Verify: %+v, %v; want valid=%v", r, err, want)
			}
		}()
	}
	wg.Wait()
}

func TestCallerLeavingDoesNotFailOthers(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-release
		_ = json.NewEncoder(w).Encode(keys.VerifyResult{Valid: true, Code: keys.CodeValid})
	}))
	t.Cleanup(srv.Close)
	v, _ := newTestVerifier(t, srv.URL, Options{CacheTTL: time.Hour})
	s, _ := keys.NewSecret("sk")
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { _, err := v.Verify(ctx, s, "", ""); first <- err }()
	<-arrived
	cancel()
	if err := <-first; !errors.Is(err, ErrUnavailable) {
		t.Errorf("caller that left: %v; want ErrUnavailable", err)
	}
	close(release)
	// The shared call finished for whoever else waited, and was cached.
	if r := mustVerify(t, v, s, "", ""); !r.Valid {
		t.Errorf("after the first caller left: %+v", r)
	}
}
