package keyward

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// Key policies (issue 13) through the package against a real server: the
// caller's address travels with the question and is part of the cache
// key, and a rate-limited key is counted by the server on every use.
func TestPoliciesAgainstARealServer(t *testing.T) {
	s := startReal(t)
	allow, err := keys.ParseAllowList([]string{"192.0.2.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	fenced, err := s.st.Create(s.local, keys.CreateRequest{Name: "fenced", Grants: []keys.Grant{{Resource: "/acme", Role: keys.Viewer}}, AllowedIPs: allow})
	if err != nil {
		t.Fatal(err)
	}
	v := s.verifier(t, Options{CacheTTL: time.Minute})
	ctx := context.Background()
	for _, c := range []struct {
		ip   string
		want Code
	}{{"192.0.2.7", CodeValid}, {"198.51.100.1", CodeIPNotAllowed}, {"", CodeIPNotAllowed}, {"192.0.2.7", CodeValid}, {"::ffff:192.0.2.9", CodeValid}} {
		r, err := v.VerifyFrom(ctx, fenced.Secret, "/acme", "", c.ip)
		if err != nil || r.Code != c.want {
			t.Errorf("from %q: %v %v, want %s (a cached answer for one address must not serve another)", c.ip, r, err, c.want)
		}
	}
	if r, err := v.Verify(ctx, fenced.Secret, "/acme", ""); err != nil || r.Code != CodeIPNotAllowed {
		t.Errorf("Verify without an address: %v %v, want IP_NOT_ALLOWED", r, err)
	}
	if _, err := v.VerifyFrom(ctx, fenced.Secret, "/acme", "", "not an address"); err == nil {
		t.Error("VerifyFrom took a malformed address")
	}

	// The middleware sends the peer's address, or ClientIP's.
	serve := func(opts MiddlewareOptions, remote string) *httptest.ResponseRecorder {
		t.Helper()
		mw, err := v.Middleware(opts)
		if err != nil {
			t.Fatal(err)
		}
		h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
		req := httptest.NewRequest("GET", "/x", nil)
		req.RemoteAddr = remote
		req.Header.Set("Authorization", "Bearer "+fenced.Secret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := serve(MiddlewareOptions{Resource: "/acme"}, "192.0.2.50:4000"); rec.Code != http.StatusTeapot {
		t.Errorf("from an allowed peer: %d", rec.Code)
	}
	if rec := serve(MiddlewareOptions{Resource: "/acme"}, "10.0.0.1:4000"); rec.Code != http.StatusForbidden || rec.Header().Get("X-Keyward-Code") != "IP_NOT_ALLOWED" {
		t.Errorf("from another peer: %d %q", rec.Code, rec.Header().Get("X-Keyward-Code"))
	}
	byHeader := MiddlewareOptions{Resource: "/acme", ClientIP: func(r *http.Request) string { return r.Header.Get("X-Test-Client") }}
	if rec := serve(byHeader, "10.0.0.1:4000"); rec.Code != http.StatusForbidden {
		t.Errorf("ClientIP answering nothing: %d, want 403", rec.Code)
	}

	// A rate-limited key is never served from the cache: the server counts.
	limited, err := s.st.Create(s.local, keys.CreateRequest{Name: "metered", Grants: []keys.Grant{{Resource: "/acme", Role: keys.Viewer}},
		RateLimit: &keys.RateLimit{N: 2, Per: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	var codes []Code
	for range 3 {
		r, err := v.Verify(ctx, limited.Secret, "/acme", "")
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, r.Code)
	}
	if codes[0] != CodeValid || codes[1] != CodeValid || codes[2] != CodeRateLimited {
		t.Errorf("three verifications of a 2/1h key: %v", codes)
	}
}
