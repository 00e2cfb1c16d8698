package keyward

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/keys/keystest"
	"github.com/keyward/keyward/internal/server"
	"github.com/keyward/keyward/internal/store"
)

// realServer is keyward itself: a SQLite store in a temporary folder,
// served by internal/server on loopback, its clock shared with the
// verifiers under test.
type realServer struct {
	st    *store.Store
	url   string
	clock *keystest.Clock
	local context.Context // direct database access, as `keyward --db` acts
}

func startReal(t *testing.T) *realServer {
	t.Helper()
	clock := new(keystest.Clock)
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "keys.db"), store.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(server.New(st, server.Options{Now: clock.Now}))
	t.Cleanup(srv.Close)
	return &realServer{st: st, url: srv.URL, clock: clock,
		local: keys.WithPrincipal(context.Background(), keys.LocalPrincipal("test"))}
}

func (s *realServer) create(t *testing.T, name, resource string, role keys.Role, ttl time.Duration) *keys.NewSecretKey {
	t.Helper()
	req := keys.CreateRequest{Name: name, Grants: []keys.Grant{{Resource: keys.Resource(resource), Role: role}}}
	if ttl > 0 {
		d := keys.Duration(ttl)
		req.TTL = &d
	}
	k, err := s.st.Create(s.local, req)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (s *realServer) verifier(t *testing.T, opts Options) *Verifier {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler) // outages are what these tests make
	}
	v, err := NewVerifier(s.url, opts)
	if err != nil {
		t.Fatal(err)
	}
	v.now = s.clock.Now
	return v
}

func TestVerifyAgainstRealServer(t *testing.T) {
	s := startReal(t)
	ci := s.create(t, "ci-deploy", "/acme/prod", keys.Editor, 0)
	v := s.verifier(t, Options{})
	cases := []struct {
		resource, role string
		want           Code
	}{
		{"/acme/prod/robot-1", "editor", CodeValid},
		{"/acme/prod", "", CodeValid},
		{"", "operator", CodeValid},
		{"/acme/prod", "owner", CodeInsufficientPermissions},
		{"/acme/dev", "", CodeInsufficientPermissions},
	}
	for _, c := range cases {
		r := mustVerify(t, v, ci.Secret, c.resource, c.role)
		if r.Code != c.want || r.Valid != (c.want == CodeValid) || r.KeyID != ci.ID || r.Name != "ci-deploy" || r.Org != "/acme" {
			t.Errorf("Verify(%s, %q) = %+v; want %s for %s", c.resource, c.role, r, c.want, ci.ID)
		}
		if len(r.Grants) != 1 || r.Grants[0] != (Grant{"/acme/prod", "editor"}) {
			t.Errorf("grants %+v", r.Grants)
		}
	}
	if r := mustVerify(t, v, badChecksum(ci.Secret), "", ""); r.Code != CodeNotFound || r.KeyID != "" {
		t.Errorf("bad checksum: %+v", r)
	}
	other := testSecret(t)
	if r := mustVerify(t, v, other, "", ""); r.Code != CodeNotFound || r.KeyID != "" {
		t.Errorf("unknown secret: %+v", r)
	}
}

// TestRevocationDelayIsCacheTTL: a deleted key still passes a cached
// verifier until CacheTTL has passed since its answer, and never after;
// one without a cache sees the deletion at once.
func TestRevocationDelayIsCacheTTL(t *testing.T) {
	s := startReal(t)
	k := s.create(t, "svc", "/acme", keys.Viewer, 0)
	cached := s.verifier(t, Options{CacheTTL: 30 * time.Second})
	exact := s.verifier(t, Options{})
	for _, v := range []*Verifier{cached, exact} {
		if r := mustVerify(t, v, k.Secret, "/acme", ""); !r.Valid {
			t.Fatalf("before delete: %+v", r)
		}
	}
	if _, err := s.st.Delete(s.local, []string{k.ID}); err != nil {
		t.Fatal(err)
	}
	if r := mustVerify(t, exact, k.Secret, "/acme", ""); r.Valid {
		t.Errorf("without a cache, after delete: %+v; want NOT_FOUND", r)
	}
	s.clock.Advance(29 * time.Second)
	if r := mustVerify(t, cached, k.Secret, "/acme", ""); !r.Valid {
		t.Errorf("cached, within the TTL: %+v; want the cached VALID", r)
	}
	s.clock.Advance(time.Second)
	if r := mustVerify(t, cached, k.Secret, "/acme", ""); r.Valid || r.Code != CodeNotFound {
		t.Errorf("cached, at the TTL: %+v; want NOT_FOUND", r)
	}
}

// TestMiddlewareAnswersAsGatewayAuth sends the same requests to the real
// server's GET /v1/auth and to a handler behind Middleware, and wants the
// same answers: status, body and the headers a caller sees.
func TestMiddlewareAnswersAsGatewayAuth(t *testing.T) {
	s := startReal(t)
	expiring := s.create(t, "expiring", "/acme", keys.Admin, time.Hour)
	s.clock.Advance(2 * time.Hour)
	editor := s.create(t, "editor", "/acme/prod", keys.Editor, 0)
	viewer := s.create(t, "viewer", "/acme/prod", keys.Viewer, 0)
	disabled := s.create(t, "disabled", "/acme/prod", keys.Admin, 0)
	off := false
	if _, err := s.st.Update(s.local, disabled.ID, keys.UpdateRequest{Enabled: &off}); err != nil {
		t.Fatal(err)
	}
	deleted := s.create(t, "deleted", "/acme/prod", keys.Admin, 0)
	if _, err := s.st.Delete(s.local, []string{deleted.ID}); err != nil {
		t.Fatal(err)
	}

	v := s.verifier(t, Options{CacheTTL: time.Minute})
	h, err := middleware(v, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k, ok := FromContext(r.Context())
		if !ok {
			t.Error("no key in the context")
			return
		}
		w.Header().Set("X-Keyward-Key-Id", k.KeyID)
		w.Header().Set("X-Keyward-Key-Name", k.Name)
		w.Header().Set("X-Keyward-Key-Org", k.Org)
		w.Header().Set("Cache-Control", "no-store") // as /v1/auth's 204; the service's own choice here
		w.WriteHeader(http.StatusNoContent)
	}), MiddlewareOptions{Resource: "/acme/prod", Role: "editor"})
	if err != nil {
		t.Fatal(err)
	}
	svc := httptest.NewServer(h)
	t.Cleanup(svc.Close)

	cases := []struct {
		name   string
		auth   []string
		status int
	}{
		{"valid", []string{"Bearer " + editor.Secret}, 204},
		{"valid, scheme in lower case, spaces", []string{"  bearer   " + editor.Secret + " "}, 204},
		{"insufficient", []string{"Bearer " + viewer.Secret}, 403},
		{"disabled", []string{"Bearer " + disabled.Secret}, 401},
		{"expired", []string{"Bearer " + expiring.Secret}, 401},
		{"deleted", []string{"Bearer " + deleted.Secret}, 401},
		{"bad checksum", []string{"Bearer " + badChecksum(editor.Secret)}, 401},
		{"no header", nil, 401},
		{"two headers", []string{"Bearer " + editor.Secret, "Bearer " + editor.Secret}, 401},
		{"basic", []string{"Basic " + editor.Secret}, 401},
		{"empty bearer", []string{"Bearer "}, 401},
	}
	for _, c := range cases {
		for round := range 2 { // the second from the cache where it was VALID
			gw := send(t, s.url+"/v1/auth?resource=/acme/prod&role=editor", c.auth)
			mw := send(t, svc.URL+"/", c.auth)
			if gw.status != c.status {
				t.Errorf("%s: /v1/auth answered %d; want %d", c.name, gw.status, c.status)
			}
			if !gw.same(mw) {
				t.Errorf("%s (round %d):\n/v1/auth   %+v\nmiddleware %+v", c.name, round, gw, mw)
			}
		}
	}

	// When the server cannot decide: both 503, alike.
	s.st.Close()
	gw := send(t, s.url+"/v1/auth?resource=/acme/prod&role=editor", []string{"Bearer " + viewer.Secret})
	mw := send(t, svc.URL+"/", []string{"Bearer " + viewer.Secret})
	if gw.status != http.StatusServiceUnavailable || !gw.same(mw) {
		t.Errorf("database closed:\n/v1/auth   %+v\nmiddleware %+v", gw, mw)
	}
	// A positive answer cached before the outage still serves within its TTL.
	if mw := send(t, svc.URL+"/", []string{"Bearer " + editor.Secret}); mw.status != http.StatusNoContent {
		t.Errorf("cached key during the outage: %+v", mw)
	}
	if _, err := v.Verify(context.Background(), viewer.Secret, "/acme", ""); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Verify during the outage: %v; want ErrUnavailable", err)
	}
}

func TestFailOpenAgainstRealServer(t *testing.T) {
	s := startReal(t)
	k := s.create(t, "svc", "/acme", keys.Viewer, 0)
	passed := 0
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := FromContext(r.Context()); ok {
			t.Error("a request let through by FailOpen carries a key")
		}
		passed++
	})
	open, err := middleware(s.verifier(t, Options{FailOpen: true}), handler, MiddlewareOptions{Resource: "/acme"})
	if err != nil {
		t.Fatal(err)
	}
	closed, err := middleware(s.verifier(t, Options{}), handler, MiddlewareOptions{Resource: "/acme"})
	if err != nil {
		t.Fatal(err)
	}
	s.st.Close()
	for _, c := range []struct {
		h    http.Handler
		want int
	}{{closed, http.StatusServiceUnavailable}, {open, http.StatusOK}} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+k.Secret)
		c.h.ServeHTTP(w, r)
		if w.Code != c.want {
			t.Errorf("status %d; want %d", w.Code, c.want)
		}
	}
	if passed != 1 {
		t.Errorf("%d requests let through; want 1 (FailOpen only)", passed)
	}
	// A malformed secret is refused offline, outage or not.
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+badChecksum(k.Secret))
	open.ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized || passed != 1 {
		t.Errorf("malformed secret during an outage, FailOpen: %d; want 401", w.Code)
	}
}

func TestResourceFunc(t *testing.T) {
	s := startReal(t)
	k := s.create(t, "robot", "/acme/prod/robot-1", keys.Editor, 0)
	v := s.verifier(t, Options{CacheTTL: time.Minute})
	h, err := middleware(v, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}),
		MiddlewareOptions{Role: "editor", ResourceFunc: func(r *http.Request) string { return r.URL.Query().Get("machine") }})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		machine string
		want    int
	}{
		{"/acme/prod/robot-1", 200},
		{"/acme/prod/robot-1/arm", 200},
		{"/acme/prod/robot-2", 403},
		{"/", 403}, // the root, which the key does not hold
		{"", 403},  // a route that names nothing lets nothing in
		{"robot-1", 400},
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/?machine="+c.machine, nil)
		r.Header.Set("Authorization", "Bearer "+k.Secret)
		h.ServeHTTP(w, r)
		if w.Code != c.want {
			t.Errorf("machine %q: %d %s; want %d", c.machine, w.Code, w.Body, c.want)
		}
	}
}

// answer is what a caller sees of a response.
type answer struct {
	status                                int
	body                                  string
	wwwAuth, ctype, cache, nosniff, retry string
	keyID, keyName, keyOrg                string
}

func (a answer) same(b answer) bool { return a == b }

func send(t *testing.T, url string, auth []string) answer {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range auth {
		req.Header.Add("Authorization", a)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	h := resp.Header.Get
	return answer{status: resp.StatusCode, body: string(bytes.TrimSpace(b)),
		wwwAuth: h("WWW-Authenticate"), ctype: h("Content-Type"), cache: h("Cache-Control"), nosniff: h("X-Content-Type-Options"),
		retry: h("Retry-After"), keyID: h("X-Keyward-Key-Id"), keyName: h("X-Keyward-Key-Name"), keyOrg: h("X-Keyward-Key-Org")}
}

// badChecksum is secret with its last character changed: the same shape,
// a failing checksum.
func badChecksum(secret string) string {
	last := secret[len(secret)-1]
	c := byte('a')
	if last == 'a' {
		c = 'b'
	}
	return secret[:len(secret)-1] + string(c)
}
