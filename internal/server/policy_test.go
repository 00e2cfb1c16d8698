package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/server"
	"github.com/keyward/keyward/internal/store"
)

func withAllowList(entries ...string) func(*keys.CreateRequest) {
	return func(r *keys.CreateRequest) {
		l, err := keys.ParseAllowList(entries)
		if err != nil {
			panic(err)
		}
		r.AllowedIPs = l
	}
}

func withRateLimit(s string) func(*keys.CreateRequest) {
	return func(r *keys.CreateRequest) {
		rl, err := keys.ParseRateLimit(s)
		if err != nil {
			panic(err)
		}
		r.RateLimit = &rl
	}
}

// auth is GET path (a /v1/auth URL) with the bearer and extra headers.
func (e *env) auth(path, secret string, header map[string]string) *resp {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	return &resp{status: res.StatusCode, header: res.Header}
}

func verifyCode(t *testing.T, e *env, body map[string]any) *keys.VerifyResult {
	t.Helper()
	var r keys.VerifyResult
	e.do("POST", "/v1/verify", "", body).want(t, http.StatusOK).decode(t, &r)
	return &r
}

// The tests' server is reached over loopback: its peer is 127.0.0.1.

func TestAuthAllowListUsesThePeerUnlessItIsATrustedProxy(t *testing.T) {
	xff := func(v string) map[string]string { return map[string]string{"X-Forwarded-For": v} }
	t.Run("no trusted proxy: headers are ignored", func(t *testing.T) {
		e := newEnv(t, server.Options{})
		local := e.local("local", "/acme", keys.Viewer, withAllowList("127.0.0.1"))
		remote := e.local("remote", "/acme", keys.Viewer, withAllowList("192.0.2.0/24"))
		e.auth("/v1/auth", local.Secret, nil).want(t, http.StatusNoContent)
		// A caller claiming to be elsewhere is still the peer it is.
		e.auth("/v1/auth", local.Secret, xff("192.0.2.1")).want(t, http.StatusNoContent)
		r := e.auth("/v1/auth", remote.Secret, xff("192.0.2.1")).want(t, http.StatusForbidden)
		if r.header.Get("X-Keyward-Code") != "IP_NOT_ALLOWED" {
			t.Errorf("X-Keyward-Code %q, want IP_NOT_ALLOWED", r.header.Get("X-Keyward-Code"))
		}
		e.auth("/v1/auth", remote.Secret, map[string]string{"X-Real-IP": "192.0.2.1"}).want(t, http.StatusForbidden)
	})
	t.Run("behind a trusted proxy", func(t *testing.T) {
		e := newEnv(t, server.Options{TrustedProxies: keys.AllowList{netip.MustParsePrefix("127.0.0.0/8")}})
		remote := e.local("remote", "/acme", keys.Viewer, withAllowList("192.0.2.0/24"))
		local := e.local("local", "/acme", keys.Viewer, withAllowList("127.0.0.1"))
		e.auth("/v1/auth", remote.Secret, xff("192.0.2.1")).want(t, http.StatusNoContent)
		e.auth("/v1/auth", remote.Secret, map[string]string{"X-Real-IP": "192.0.2.1"}).want(t, http.StatusNoContent)
		// The client wrote 192.0.2.1 itself; the proxy appended where it
		// really came from.
		e.auth("/v1/auth", remote.Secret, xff("192.0.2.1, 198.51.100.7")).want(t, http.StatusForbidden)
		// A proxy that passed no address: not known, refused (not the
		// proxy's own address).
		e.auth("/v1/auth", local.Secret, nil).want(t, http.StatusForbidden)
		e.auth("/v1/auth", remote.Secret, nil).want(t, http.StatusForbidden)
		// A key without a list does not care.
		open := e.local("open", "/acme", keys.Viewer)
		e.auth("/v1/auth", open.Secret, nil).want(t, http.StatusNoContent)
	})
}

func TestVerifyTakesTheAddressFromTheBody(t *testing.T) {
	e := newEnv(t, server.Options{})
	k := e.local("remote", "/acme", keys.Viewer, withAllowList("192.0.2.0/24", "2001:db8::/32"))
	for ip, want := range map[string]keys.VerifyCode{
		"192.0.2.9": keys.CodeValid, "::ffff:192.0.2.9": keys.CodeValid, "2001:db8::1": keys.CodeValid,
		"198.51.100.1": keys.CodeIPNotAllowed,
	} {
		if r := verifyCode(t, e, map[string]any{"key": k.Secret, "ip": ip}); r.Code != want {
			t.Errorf("ip %s: %s, want %s", ip, r.Code, want)
		}
	}
	// Not the peer's: a service verifying for its callers is not them.
	if r := verifyCode(t, e, map[string]any{"key": k.Secret}); r.Code != keys.CodeIPNotAllowed {
		t.Errorf("no ip: %s, want IP_NOT_ALLOWED", r.Code)
	}
	e.do("POST", "/v1/verify", "", map[string]any{"key": k.Secret, "ip": "192.0.2"}).wantError(t, http.StatusBadRequest, keys.Invalid)
	e.do("POST", "/v1/verify", "", map[string]any{"key": k.Secret, "ip": 7}).wantError(t, http.StatusBadRequest, keys.Invalid)
}

func TestRateLimitOnAuthAndVerify(t *testing.T) {
	e, m := metricsEnv(t, true)
	k := e.local("metered", "/acme", keys.Viewer, withRateLimit("2/1h"))
	e.auth("/v1/auth", k.Secret, nil).want(t, http.StatusNoContent)
	e.auth("/v1/auth", k.Secret, nil).want(t, http.StatusNoContent)
	r := e.auth("/v1/auth", k.Secret, nil).want(t, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") != "1800" || r.header.Get("X-Keyward-Code") != "RATE_LIMITED" {
		t.Errorf("429 with Retry-After %q and X-Keyward-Code %q, want 1800 (a verification regained every 30m) and RATE_LIMITED",
			r.header.Get("Retry-After"), r.header.Get("X-Keyward-Code"))
	}
	// For nginx: a 403 that says why.
	r = e.auth("/v1/auth?resource=/acme&rate_limited_status=403", k.Secret, nil).want(t, http.StatusForbidden)
	if r.header.Get("Retry-After") != "1800" || r.header.Get("X-Keyward-Code") != "RATE_LIMITED" {
		t.Errorf("403 with Retry-After %q and X-Keyward-Code %q", r.header.Get("Retry-After"), r.header.Get("X-Keyward-Code"))
	}
	e.auth("/v1/auth?rate_limited_status=500", k.Secret, nil).want(t, http.StatusBadRequest)
	// /v1/verify counts too, answering 200 with the code.
	v := verifyCode(t, e, map[string]any{"key": k.Secret})
	if v.Code != keys.CodeRateLimited || v.Valid || v.RetryAfter == nil || *v.RetryAfter != 1800 || v.RateLimit == nil {
		t.Errorf("verify past the limit: %+v", v)
	}
	// Refusals for other reasons use none of the limit; time gives it back.
	other := e.local("other", "/acme", keys.Viewer, withRateLimit("1/1h"))
	e.auth("/v1/auth?resource=/globex", other.Secret, nil).want(t, http.StatusForbidden)
	e.auth("/v1/auth", other.Secret, nil).want(t, http.StatusNoContent)
	e.clock.Advance(30 * time.Minute)
	e.auth("/v1/auth", k.Secret, nil).want(t, http.StatusNoContent)
	e.auth("/v1/auth", k.Secret, nil).want(t, http.StatusTooManyRequests)

	// Metrics count the new codes like any other.
	ip := e.local("ip", "/acme", keys.Viewer, withAllowList("192.0.2.1"))
	e.auth("/v1/auth", ip.Secret, nil).want(t, http.StatusForbidden)
	fams := scrape(t, m.Handler(), "")
	if got := value(fams, "keyward_verifications_total", "route", "/v1/auth", "code", "RATE_LIMITED"); got != 3 {
		t.Errorf("RATE_LIMITED on /v1/auth counted %v, want 3", got)
	}
	if got := value(fams, "keyward_verifications_total", "route", "/v1/verify", "code", "RATE_LIMITED"); got != 1 {
		t.Errorf("RATE_LIMITED on /v1/verify counted %v, want 1", got)
	}
	if got := value(fams, "keyward_verifications_total", "route", "/v1/auth", "code", "IP_NOT_ALLOWED"); got != 1 {
		t.Errorf("IP_NOT_ALLOWED counted %v, want 1", got)
	}
}

// A policy change reaches verification at once through a warm cache,
// made by another process on the same file (as `keyward --db` would).
func TestPolicyChangeSeenThroughAWarmCache(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	ctx := keys.WithPrincipal(context.Background(), keys.LocalPrincipal("test"))
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	other, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	srv := httptest.NewServer(server.New(st, server.Options{}))
	defer srv.Close()
	e := &env{t: t, st: st, srv: srv}
	k, err := st.Create(ctx, keys.CreateRequest{Name: "k", Grants: []keys.Grant{{Resource: "/acme", Role: keys.Viewer}}})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 { // the second verification starts the cache, the third is served by it
		e.auth("/v1/auth", k.Secret, nil).want(t, http.StatusNoContent)
	}
	if st.Stats().CacheHits == 0 {
		t.Fatal("the cache is not warm")
	}
	l := keys.AllowList{netip.MustParsePrefix("192.0.2.0/24")}
	if _, err := other.Update(ctx, k.ID, keys.UpdateRequest{AllowedIPs: &l}); err != nil {
		t.Fatal(err)
	}
	e.auth("/v1/auth", k.Secret, nil).want(t, http.StatusForbidden)
	rl := keys.RateLimit{N: 1, Per: time.Hour}
	if _, err := other.Update(ctx, k.ID, keys.UpdateRequest{AllowedIPs: &keys.AllowList{}, RateLimit: &rl}); err != nil {
		t.Fatal(err)
	}
	e.auth("/v1/auth", k.Secret, nil).want(t, http.StatusNoContent)
	e.auth("/v1/auth", k.Secret, nil).want(t, http.StatusTooManyRequests)
}

// Replicas sharing the limits (serve --rate-limit-share N) allow at most
// the limit plus N-1 between them, however requests are spread.
func TestRateLimitShareBoundsReplicas(t *testing.T) {
	for _, share := range []int{2, 3} {
		c := newClock()
		path := filepath.Join(t.TempDir(), "keys.db")
		var replicas []*httptest.Server
		var first *store.Store
		for range share {
			st, err := store.Open(context.Background(), path, store.Options{Now: c.Now})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			if first == nil {
				first = st
			}
			srv := httptest.NewServer(server.New(st, server.Options{Now: c.Now, RateLimitShare: share}))
			t.Cleanup(srv.Close)
			replicas = append(replicas, srv)
		}
		const limit = 10
		k, err := first.Create(keys.WithPrincipal(context.Background(), keys.LocalPrincipal("test")), keys.CreateRequest{
			Name: "shared", Grants: []keys.Grant{{Resource: "/acme", Role: keys.Viewer}}, RateLimit: &keys.RateLimit{N: limit, Per: time.Hour}})
		if err != nil {
			t.Fatal(err)
		}
		ok, perReplica := 0, make([]int, share)
		for i := range 5 * limit {
			n := i % share
			if i%7 == 0 {
				n = 0 // uneven spreading
			}
			req, _ := http.NewRequest("GET", replicas[n].URL+"/v1/auth", nil)
			req.Header.Set("Authorization", "Bearer "+k.Secret)
			res, err := replicas[n].Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode == http.StatusNoContent {
				ok++
				perReplica[n]++
			}
		}
		each := (limit + share - 1) / share
		for i, n := range perReplica {
			if n != each {
				t.Errorf("share %d: replica %d allowed %d, want ⌈%d/%d⌉ = %d", share, i, n, limit, share, each)
			}
		}
		if ok > limit+share-1 {
			t.Errorf("share %d: %d allowed in all, bound %d", share, ok, limit+share-1)
		}
	}
}

// An operator key's allow-list holds for management calls too, with the
// address taken as for /v1/auth.
func TestOperatorKeyAllowList(t *testing.T) {
	e := newEnv(t, server.Options{})
	here := e.local("here", "/", keys.Admin, withAllowList("127.0.0.1"))
	elsewhere := e.local("elsewhere", "/", keys.Admin, withAllowList("192.0.2.0/24"))
	e.do("GET", "/v1/whoami", here.Secret, nil).want(t, http.StatusOK)
	msg := e.do("GET", "/v1/whoami", elsewhere.Secret, nil).wantError(t, http.StatusForbidden, keys.Forbidden)
	if !strings.Contains(msg, "IP_NOT_ALLOWED") {
		t.Errorf("message %q does not say why", msg)
	}
	e.do("POST", "/v1/keys", elsewhere.Secret, createBody("made", "/acme", "viewer")).wantError(t, http.StatusForbidden, keys.Forbidden)
	e.do("GET", "/v1/keys/made", e.root, nil).wantError(t, http.StatusNotFound, keys.NotFound)
}
