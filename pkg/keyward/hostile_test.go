package keyward

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// These tests are a hostile review's findings: each failed before its fix.

// answering is a server that answers every request with status, headers
// and body given, counting the calls.
func answering(t *testing.T, status int, header map[string]string, body string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// serveOnce sends one request with secret as its bearer through h and
// reports the answer and whether the handler behind h ran.
func serveOnce(t *testing.T, v *Verifier, ctx context.Context, secret string) (*httptest.ResponseRecorder, bool) {
	t.Helper()
	ran := false
	h, err := middleware(v, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran = true }), MiddlewareOptions{Resource: "/acme"})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequestWithContext(ctx, "GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+secret)
	h.ServeHTTP(w, r)
	return w, ran
}

// TestFailOpenNeverCoversAMisconfiguration: FailOpen is for outages. A
// server URL that redirects (http:// for an https:// server), names no
// keyward server (404), sits behind a login (401, 403) or answers a page
// with 200 is a mistake that lasts: read as an outage, FailOpen let every
// request through for as long as it lasted.
func TestFailOpenNeverCoversAMisconfiguration(t *testing.T) {
	secret := testSecret(t)
	for _, c := range []struct {
		name   string
		status int
		header map[string]string
		body   string
	}{
		{"redirect to https", http.StatusMovedPermanently, map[string]string{"Location": "https://keys.example.com/v1/verify"}, ""},
		{"permanent redirect", http.StatusPermanentRedirect, map[string]string{"Location": "/other/v1/verify"}, ""},
		{"no such route", http.StatusNotFound, nil, `{"error":{"code":"not_found","message":"no route"}}`},
		{"a proxy's login", http.StatusUnauthorized, map[string]string{"WWW-Authenticate": "Basic"}, "login"},
		{"forbidden", http.StatusForbidden, nil, "forbidden"},
		{"method not allowed", http.StatusMethodNotAllowed, nil, ""},
		{"a web page", http.StatusOK, map[string]string{"Content-Type": "text/html"}, "<html>welcome</html>"},
		{"JSON, not a verify result", http.StatusOK, nil, `{"status":"ok"}`},
		{"valid and code disagreeing", http.StatusOK, nil, `{"valid":false,"code":"VALID"}`},
	} {
		srv, _ := answering(t, c.status, c.header, c.body)
		v, _ := newTestVerifier(t, srv.URL, Options{FailOpen: true})
		_, err := v.Verify(context.Background(), secret, "/acme", "")
		if err == nil || errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: Verify err %v; want an error that is not ErrUnavailable", c.name, err)
		}
		if w, ran := serveOnce(t, v, context.Background(), secret); ran || w.Code != http.StatusServiceUnavailable {
			t.Errorf("%s: FailOpen middleware answered %d (handler ran: %v); want 503, the handler never run", c.name, w.Code, ran)
		}
	}
	// What an outage is stays one: FailOpen lets these through.
	for _, status := range []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable,
		http.StatusGatewayTimeout, http.StatusTooManyRequests, http.StatusRequestTimeout} {
		srv, _ := answering(t, status, nil, "down")
		v, _ := newTestVerifier(t, srv.URL, Options{FailOpen: true})
		if w, ran := serveOnce(t, v, context.Background(), secret); !ran || w.Code != http.StatusOK {
			t.Errorf("%d: FailOpen middleware answered %d (handler ran: %v); want it let through", status, w.Code, ran)
		}
	}
}

// TestRateLimitedKeysAreNeverCached: a key with a rate limit (key
// policies) must have every use counted by the server; a cached answer
// let it past its limit for CacheTTL.
func TestRateLimitedKeysAreNeverCached(t *testing.T) {
	secret := testSecret(t)
	srv, calls := answering(t, http.StatusOK, nil,
		`{"valid":true,"code":"VALID","key_id":"key_a","name":"a","org":"/acme","grants":[{"resource":"/acme","role":"viewer"}],`+
			`"expires_at":null,"rate_limit":{"requests":2,"per":"1m"},"retry_after":null}`)
	v, _ := newTestVerifier(t, srv.URL, Options{CacheTTL: time.Hour})
	for range 3 {
		if r := mustVerify(t, v, secret, "/acme", ""); !r.Valid {
			t.Fatalf("%+v", r)
		}
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("server calls = %d; want 3: a rate-limited key's answers are not cached", n)
	}
	// Without a limit (null, or a server that does not know of limits) it is.
	for _, body := range []string{`{"valid":true,"code":"VALID","rate_limit":null}`, `{"valid":true,"code":"VALID"}`} {
		srv, calls := answering(t, http.StatusOK, nil, body)
		v, _ := newTestVerifier(t, srv.URL, Options{CacheTTL: time.Hour})
		for range 3 {
			mustVerify(t, v, secret, "/acme", "")
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("%s: server calls = %d; want 1", body, n)
		}
	}
}

// TestPolicyCodesAnswerAsGatewayAuth: with key policies, /v1/auth answers
// RATE_LIMITED with 429, the seconds to wait in Retry-After and the code
// in X-Keyward-Code, and IP_NOT_ALLOWED with 403 and X-Keyward-Code.
func TestPolicyCodesAnswerAsGatewayAuth(t *testing.T) {
	secret := testSecret(t)
	for _, c := range []struct {
		body            string
		status          int
		retry, msg      string
		wantCode, ctype string
	}{
		{`{"valid":false,"code":"RATE_LIMITED","key_id":"key_a","retry_after":17}`, 429, "17",
			"the key is over its rate limit (RATE_LIMITED); retry after 17 s", "RATE_LIMITED", "application/json"},
		{`{"valid":false,"code":"RATE_LIMITED","key_id":"key_a"}`, 429, "1",
			"the key is over its rate limit (RATE_LIMITED); retry after 1 s", "RATE_LIMITED", "application/json"},
		{`{"valid":false,"code":"IP_NOT_ALLOWED","key_id":"key_a"}`, 403, "",
			"the key may not be used from this address (IP_NOT_ALLOWED)", "IP_NOT_ALLOWED", "application/json"},
	} {
		srv, _ := answering(t, http.StatusOK, nil, c.body)
		v, _ := newTestVerifier(t, srv.URL, Options{})
		w, ran := serveOnce(t, v, context.Background(), secret)
		if ran || w.Code != c.status || w.Header().Get("Retry-After") != c.retry || w.Header().Get("X-Keyward-Code") != c.wantCode ||
			!strings.Contains(w.Body.String(), c.msg) {
			t.Errorf("%s: %d Retry-After %q X-Keyward-Code %q %s (ran %v); want %d %q %q %q",
				c.body, w.Code, w.Header().Get("Retry-After"), w.Header().Get("X-Keyward-Code"), w.Body, ran, c.status, c.retry, c.wantCode, c.msg)
		}
	}
}

// TestCallerContextEnding: a caller whose context ended is told so
// (context.Canceled, DeadlineExceeded), no call is started for it, and
// FailOpen does not run the handler for a request nobody waits for.
func TestCallerContextEnding(t *testing.T) {
	var calls atomic.Int64
	v, _ := newTestVerifier(t, "http://keys.invalid", Options{FailOpen: true, HTTPClient: &http.Client{
		Transport: roundTripper(func(*http.Request) (*http.Response, error) {
			calls.Add(1)
			return nil, errors.New("unreachable")
		})}})
	secret := testSecret(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := v.Verify(ctx, secret, "/acme", "")
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrUnavailable) {
		t.Errorf("Verify with a cancelled context: %v; want context.Canceled (and ErrUnavailable)", err)
	}
	// Any call DoChan started for it has been registered by now: wait it out.
	sum := sha256.Sum256([]byte(secret))
	q, _ := newQuery("/acme", "")
	_, _, _ = v.calls.Do(string(sum[:])+q.tag, func() (any, error) { return nil, nil })
	if n := calls.Load(); n != 0 {
		t.Errorf("%d calls made for a caller that had left; want 0", n)
	}
	if w, ran := serveOnce(t, v, ctx, secret); ran {
		t.Errorf("FailOpen ran the handler for a request whose context had ended (%d)", w.Code)
	}
	// Its own deadline, over before the server answered, reads the same way.
	dctx, dcancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer dcancel()
	if _, err := v.Verify(dctx, secret, "/acme", ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Verify past its deadline: %v; want context.DeadlineExceeded", err)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// scriptedVerifier is a verifier whose server answers its n-th call
// (from 1) 200 with body(n); body may block, as a slow server does.
func scriptedVerifier(t *testing.T, ttl time.Duration, body func(n int64) string) *Verifier {
	t.Helper()
	var calls atomic.Int64
	v, err := NewVerifier("http://keys.invalid", Options{CacheTTL: ttl, HTTPClient: &http.Client{
		Transport: roundTripper(func(*http.Request) (*http.Response, error) {
			b := body(calls.Add(1))
			return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(b))}, nil
		})}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestOversizedAnswersAreRefused: a verify answer is a few KiB (32
// grants of at most 255 bytes); a server answering far more would
// otherwise have each kept in the cache, CacheSize times over.
func TestOversizedAnswersAreRefused(t *testing.T) {
	secret := testSecret(t)
	var grants []string
	for i := range 1000 {
		grants = append(grants, fmt.Sprintf(`{"resource":"/acme/%060d","role":"viewer"}`, i))
	}
	srv, _ := answering(t, http.StatusOK, nil, `{"valid":true,"code":"VALID","grants":[`+strings.Join(grants, ",")+`]}`)
	v, _ := newTestVerifier(t, srv.URL, Options{CacheTTL: time.Hour})
	if r, err := v.Verify(context.Background(), secret, "/acme", ""); err == nil {
		t.Errorf("a %d-grant answer: %d grants, no error; want it refused", len(grants), len(r.Grants))
	}
	if n := v.cache.entries.Len(); n != 0 {
		t.Errorf("cache holds %d answers; want 0", n)
	}
}

// TestErrorsStayShort: whatever a broken server answers, the error (and
// so each warning logged) stays a line, not the server's megabyte.
func TestErrorsStayShort(t *testing.T) {
	secret := testSecret(t)
	long := strings.Repeat("x", 100_000)
	for _, c := range []struct {
		status int
		body   string
	}{
		{http.StatusServiceUnavailable, `{"error":{"code":"unavailable","message":"` + long + `"}}`},
		{http.StatusBadRequest, `{"error":{"code":"invalid","message":"` + long + "\\n" + long + `"}}`},
	} {
		srv, _ := answering(t, c.status, nil, c.body)
		v, _ := newTestVerifier(t, srv.URL, Options{})
		_, err := v.Verify(context.Background(), secret, "/acme", "")
		if err == nil || len(err.Error()) > 1000 || strings.Contains(err.Error(), "\n") {
			t.Errorf("%d: error of %d bytes: %.200v", c.status, len(fmt.Sprint(err)), err)
		}
	}
}

// TestCacheKeyCoversTheWholeRequest guards a merge: whatever a verify
// request carries besides the secret decides the answer, so it must be
// sent by query and be part of its tag, or an answer for one request is
// served for another (a key's allow-list judged for one client address
// and reused for the next). A member keys.VerifyRequest gains fails this
// until query, tag and this list have it.
func TestCacheKeyCoversTheWholeRequest(t *testing.T) {
	known := map[string]bool{"Secret": true, "Resource": true, "Role": true, "IP": true}
	rt := reflect.TypeFor[keys.VerifyRequest]()
	for i := range rt.NumField() {
		if f := rt.Field(i); !known[f.Name] {
			t.Errorf("keys.VerifyRequest.%s is new: send it from query and put it in query.tag (the cache key), then add it here", f.Name)
		}
	}
}

// TestResourceFuncSlashIsTheRoot: "/" is the root resource wherever this
// package takes one (Verify, MiddlewareOptions.Resource). ResourceFunc
// read it as "any valid key", so a resource computed from the request
// that collapsed to "/" ("/" + an empty tenant) let every valid key in,
// and a route could not ask for a root key at all.
func TestResourceFuncSlashIsTheRoot(t *testing.T) {
	s := startReal(t)
	tenant := s.create(t, "tenant", "/acme", keys.Admin, 0)
	root := s.create(t, "root", "/", keys.Viewer, 0)
	v := s.verifier(t, Options{CacheTTL: time.Minute})
	h, err := middleware(v, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}),
		MiddlewareOptions{ResourceFunc: func(r *http.Request) string { return "/" + r.URL.Query().Get("org") }})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		org    string
		secret string
		want   int
	}{
		{"acme", tenant.Secret, 200},
		{"", tenant.Secret, 403}, // "/": the root, which /acme's admin does not hold
		{"", root.Secret, 200},
		{"globex", tenant.Secret, 403},
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/?org="+c.org, nil)
		r.Header.Set("Authorization", "Bearer "+c.secret)
		h.ServeHTTP(w, r)
		if w.Code != c.want {
			t.Errorf("org %q: %d %s; want %d", c.org, w.Code, w.Body, c.want)
		}
	}
}

// TestServerURLWithAnEmptyQuery: "https://keys.example.com/?" has no
// query, but a '?' all the same, after which /v1/verify was appended: the
// request went to / with the query "/v1/verify".
func TestServerURLWithAnEmptyQuery(t *testing.T) {
	for _, u := range []string{"http://h?", "http://h/keyward/?", "http://h#"} {
		if v, err := NewVerifier(u, Options{}); err == nil && v.endpoint != "http://h/v1/verify" && v.endpoint != "http://h/keyward/v1/verify" {
			t.Errorf("NewVerifier(%q): endpoint %q, no error", u, v.endpoint)
		}
	}
}

// TestSharedCallsAreNoStalerThanTheCache: identical requests arriving
// together share one call, but a request that arrives while an older
// call is in flight must not take that call's answer when it is older
// than CacheTTL allows: with CacheTTL 0, a key revoked while a call was
// in flight passed the next request (the revocation delay became one
// call's time, up to Timeout, for a slow server). synctest makes "joined
// the call in flight" certain.
func TestSharedCallsAreNoStalerThanTheCache(t *testing.T) {
	for _, ttl := range []time.Duration{0, time.Second} {
		synctest.Test(t, func(t *testing.T) {
			secret := testSecret(t)
			release := make(chan struct{})
			revoked := atomic.Bool{}
			v := scriptedVerifier(t, ttl, func(n int64) string {
				if n == 1 {
					<-release // the call in flight while the key is revoked
					return `{"valid":true,"code":"VALID"}`
				}
				if !revoked.Load() {
					t.Error("a second call before the revocation")
				}
				return `{"valid":false,"code":"NOT_FOUND"}`
			})
			first := make(chan *Result, 1)
			go func() { r, _ := v.Verify(context.Background(), secret, "", ""); first <- r }()
			synctest.Wait()
			revoked.Store(true)
			time.Sleep(ttl + time.Millisecond) // past what the cache may serve of the call in flight
			second := make(chan *Result, 1)
			go func() { r, _ := v.Verify(context.Background(), secret, "", ""); second <- r }()
			synctest.Wait() // the second request has joined the call in flight
			close(release)
			if r := <-first; r == nil || !r.Valid {
				t.Errorf("CacheTTL %v: first request: %+v; want the VALID it asked before the revocation", ttl, r)
			}
			if r := <-second; r == nil || r.Valid {
				t.Errorf("CacheTTL %v: a request arriving %v after the revocation: %+v; want NOT_FOUND", ttl, ttl+time.Millisecond, r)
			}
		})
	}
	// Within CacheTTL the shared answer serves, as the cache would.
	synctest.Test(t, func(t *testing.T) {
		secret := testSecret(t)
		release := make(chan struct{})
		var calls atomic.Int64
		v := scriptedVerifier(t, time.Second, func(int64) string {
			calls.Add(1)
			<-release
			return `{"valid":true,"code":"VALID"}`
		})
		done := make(chan bool, 2)
		go func() { r, _ := v.Verify(context.Background(), secret, "", ""); done <- r != nil && r.Valid }()
		synctest.Wait()
		time.Sleep(500 * time.Millisecond)
		go func() { r, _ := v.Verify(context.Background(), secret, "", ""); done <- r != nil && r.Valid }()
		synctest.Wait()
		close(release)
		if !<-done || !<-done || calls.Load() != 1 {
			t.Errorf("two requests 0.5s apart with CacheTTL 1s: %d calls; want one, shared, VALID for both", calls.Load())
		}
	})
}

// TestRateLimitedKeysAreNeverShared: requests arriving together with a
// rate-limited key each make their own call, so that the server counts
// every use: one shared call let a burst pass as one.
func TestRateLimitedKeysAreNeverShared(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		secret := testSecret(t)
		release := make(chan struct{})
		var calls atomic.Int64
		v := scriptedVerifier(t, time.Hour, func(int64) string {
			calls.Add(1)
			<-release
			return `{"valid":true,"code":"VALID","rate_limit":{"requests":1,"per":"1m"}}`
		})
		done := make(chan bool, 3)
		for range 3 {
			go func() { r, _ := v.Verify(context.Background(), secret, "", ""); done <- r != nil && r.Valid }()
		}
		synctest.Wait()
		close(release)
		for range 3 {
			<-done
		}
		if n := calls.Load(); n != 3 {
			t.Errorf("three requests together with a rate-limited key: %d calls; want 3, each counted", n)
		}
	})
}

// TestKeysMadeDuringACallWorkAtOnce: refusals are never cached, so a key
// made a moment ago works at once; neither may a refusal be taken from a
// call that was in flight before the request arrived.
func TestKeysMadeDuringACallWorkAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		secret := testSecret(t)
		release := make(chan struct{})
		v := scriptedVerifier(t, time.Hour, func(n int64) string {
			if n == 1 {
				<-release
				return `{"valid":false,"code":"NOT_FOUND"}` // asked before the key was made
			}
			return `{"valid":true,"code":"VALID"}`
		})
		first := make(chan *Result, 1)
		go func() { r, _ := v.Verify(context.Background(), secret, "", ""); first <- r }()
		synctest.Wait()
		time.Sleep(time.Millisecond) // the key is made; a request comes with it
		second := make(chan *Result, 1)
		go func() { r, _ := v.Verify(context.Background(), secret, "", ""); second <- r }()
		synctest.Wait()
		close(release)
		<-first
		if r := <-second; r == nil || !r.Valid {
			t.Errorf("a request arriving after the key was made: %+v; want VALID", r)
		}
	})
}

// TestTLSMistakesAreNotOutages: a server whose certificate does not
// verify (another CA, another name: or someone in the middle) and an
// https:// URL for a plain-HTTP server are mistakes that last, and a
// server that cannot be told to be keyward's must not open a FailOpen
// service. A redirect's Location is named without its query or user
// info, which can carry tokens of their own.
func TestTLSMistakesAreNotOutages(t *testing.T) {
	secret := testSecret(t)
	tlsSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes refused are the test
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	plain, _ := answering(t, http.StatusOK, nil, `{"valid":true,"code":"VALID"}`)
	for name, url := range map[string]string{
		"unknown CA":        tlsSrv.URL,
		"https for http":    strings.Replace(plain.URL, "http://", "https://", 1),
		"another host name": strings.Replace(tlsSrv.URL, "127.0.0.1", "localhost", 1),
	} {
		v, _ := newTestVerifier(t, url, Options{FailOpen: true})
		if name == "another host name" {
			v.client.Transport = tlsSrv.Client().Transport // trusts the test CA, whose certificate names 127.0.0.1 and example.com
		}
		_, err := v.Verify(context.Background(), secret, "/acme", "")
		if err == nil || errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: Verify err %v; want an error that is not ErrUnavailable", name, err)
		}
		if w, ran := serveOnce(t, v, context.Background(), secret); ran || w.Code != http.StatusServiceUnavailable {
			t.Errorf("%s: FailOpen middleware answered %d (handler ran: %v); want 503", name, w.Code, ran)
		}
	}

	redirect, _ := answering(t, http.StatusFound, map[string]string{"Location": "https://user:pw@sso.example.com/login?token=abc123"}, "")
	v, _ := newTestVerifier(t, redirect.URL, Options{})
	if _, err := v.Verify(context.Background(), secret, "/acme", ""); err == nil || strings.Contains(err.Error(), "abc123") || strings.Contains(err.Error(), "pw") ||
		!strings.Contains(err.Error(), "https://sso.example.com/login") {
		t.Errorf("redirect: %v; want it named without query and user info", err)
	}
}
