package client

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/api"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/server"
)

// fast makes retries quick in tests; what is counted is attempts, never time.
func fast(t *testing.T, c *Client) *Client {
	t.Helper()
	c.backoff = []time.Duration{time.Millisecond, time.Millisecond}
	return c
}

func newClient(t *testing.T, url string, token string) *Client {
	t.Helper()
	c, err := New(Options{BaseURL: url, Token: token, Version: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return fast(t, c)
}

func wantCode(t *testing.T, err error, code keys.Code) {
	t.Helper()
	if got := keys.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

// counting answers every request with status (and an optional body) and
// counts requests per "METHOD path".
func counting(t *testing.T, status int, body string, header http.Header) (*httptest.Server, map[string]*atomic.Int32) {
	t.Helper()
	counts := map[string]*atomic.Int32{}
	for _, k := range []string{"GET /v1/keys/x", "POST /v1/keys/delete", "POST /v1/verify", "POST /v1/keys",
		"POST /v1/keys/x/roll", "PATCH /v1/keys/x", "PUT /v1/keys/x/grants", "DELETE /v1/keys/x/grants", "GET /v1/keys", "GET /v1/audit", "GET /v1/whoami"} {
		counts[k] = &atomic.Int32{}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n, ok := counts[r.Method+" "+r.URL.Path]; ok {
			n.Add(1)
		}
		for k, v := range header {
			w.Header()[k] = v
		}
		if body != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, counts
}

func TestRetriesOnlyIdempotentRequests(t *testing.T) {
	srv, counts := counting(t, http.StatusServiceUnavailable, `{"error":{"code":"unavailable","message":"database is locked"}}`, nil)
	c := newClient(t, srv.URL, "sk_token")
	ctx := context.Background()
	ttl := keys.Duration(time.Hour)

	calls := map[string]func() error{
		"GET /v1/keys/x":       func() error { _, err := c.Get(ctx, "x"); return err },
		"GET /v1/keys":         func() error { _, err := c.List(ctx, keys.ListFilter{}); return err },
		"GET /v1/audit":        func() error { _, err := c.Audit(ctx, keys.AuditFilter{}); return err },
		"GET /v1/whoami":       func() error { _, err := c.WhoAmI(ctx); return err },
		"POST /v1/verify":      func() error { _, err := c.Verify(ctx, keys.VerifyRequest{Secret: "x"}); return err },
		"POST /v1/keys":        func() error { _, err := c.Create(ctx, keys.CreateRequest{Name: "a"}); return err },
		"POST /v1/keys/x/roll": func() error { _, err := c.Roll(ctx, "x", keys.RollRequest{TTL: &ttl}); return err },
		"PATCH /v1/keys/x":     func() error { _, err := c.Update(ctx, "x", keys.UpdateRequest{}); return err },
		"PUT /v1/keys/x/grants": func() error {
			_, err := c.Grant(ctx, "x", keys.Grant{Resource: "/a", Role: keys.Viewer})
			return err
		},
		"DELETE /v1/keys/x/grants": func() error { _, err := c.Ungrant(ctx, "x", "/a"); return err },
		"POST /v1/keys/delete":     func() error { _, err := c.Delete(ctx, []string{"x"}); return err },
	}
	want := map[string]int32{
		"GET /v1/keys/x": 3, "GET /v1/keys": 3, "GET /v1/audit": 3, "GET /v1/whoami": 3, "POST /v1/verify": 3,
		"POST /v1/keys": 1, "POST /v1/keys/x/roll": 1, "PATCH /v1/keys/x": 1, "PUT /v1/keys/x/grants": 1,
		"DELETE /v1/keys/x/grants": 1, "POST /v1/keys/delete": 1,
	}
	for name, fn := range calls {
		err := fn()
		wantCode(t, err, keys.Unavailable)
		if keys.ErrorMessage(err) != "database is locked" {
			t.Errorf("%s: message %q, want the server's", name, keys.ErrorMessage(err))
		}
		if got := counts[name].Load(); got != want[name] {
			t.Errorf("%s: %d requests, want %d", name, got, want[name])
		}
	}
}

// Delete is one request naming every key: the server resolves them, checks
// the operator's rights and deletes them in one transaction. The client
// asks nothing first (no GET per key, no whoami) and decides nothing.
func TestDeleteIsOneRequest(t *testing.T) {
	var requests []string
	var sent api.DeleteRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests = append(requests, r.Method+" "+r.URL.Path)
		if err := json.NewDecoder(r.Body).Decode(&sent); err != nil {
			t.Errorf("body: %v", err)
		}
		_ = json.NewEncoder(w).Encode(api.DeleteResponse{Items: []*keys.Key{
			{ID: "key_0000000000000000", Name: "x"}, {ID: "key_0000000000000001", Name: "y"}}})
	}))
	defer srv.Close()
	got, err := newClient(t, srv.URL, "sk_token").Delete(context.Background(), []string{"x", "acme/y"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "x" || got[1].Name != "y" {
		t.Fatalf("got %v", got)
	}
	if strings.Join(requests, ", ") != "POST /v1/keys/delete" || strings.Join(sent.Keys, ",") != "x,acme/y" {
		t.Fatalf("requests %v with %v, want one POST /v1/keys/delete naming x and acme/y", requests, sent.Keys)
	}
}

// A delete whose answer was lost (here: a 502 from a proxy after the
// server may have acted) is not retried: by name, a retry could delete a
// key that took a deleted one's name meanwhile. The error says the change
// may have been made and how to tell.
func TestDeleteLostAnswerIsNotRetried(t *testing.T) {
	srv, counts := counting(t, http.StatusBadGateway, "", nil)
	_, err := newClient(t, srv.URL, "sk_token").Delete(context.Background(), []string{"x", "y"})
	wantCode(t, err, keys.Unavailable)
	if !errors.Is(err, errNoAnswer) || !strings.Contains(keys.ErrorMessage(err), "keyward keys get x") {
		t.Fatalf("error %q does not say the delete may have been made and how to check", keys.ErrorMessage(err))
	}
	if n := counts["POST /v1/keys/delete"].Load(); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

// One missing key is the server's 404 for the whole request: nothing was
// deleted (internal/server's TestBulkDeleteAllOrNothing), and the client
// says not found.
func TestDeleteOfAMissingKeyIsNotFound(t *testing.T) {
	srv, counts := counting(t, http.StatusNotFound, `{"error":{"code":"not_found","message":"key \"missing\" not found"}}`, nil)
	_, err := newClient(t, srv.URL, "sk_token").Delete(context.Background(), []string{"there", "missing"})
	wantCode(t, err, keys.NotFound)
	if n := counts["POST /v1/keys/delete"].Load(); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

// More keys than one delete may name on a server is refused before any
// request, as the server refuses it: the body of a few thousand would be
// answered as too large, a limit the user never chose.
func TestDeleteOfTooManyKeysIsRefusedBeforeSending(t *testing.T) {
	srv, counts := counting(t, http.StatusOK, `{"items":[]}`, nil)
	refs := make([]string, api.MaxDeleteKeys+1)
	for i := range refs {
		refs[i] = fmt.Sprintf("key_%016d", i)
	}
	_, err := newClient(t, srv.URL, "sk_token").Delete(context.Background(), refs)
	wantCode(t, err, keys.Invalid)
	if !strings.Contains(keys.ErrorMessage(err), "too many keys in one delete") {
		t.Errorf("error %q", keys.ErrorMessage(err))
	}
	if n := counts["POST /v1/keys/delete"].Load(); n != 0 {
		t.Fatalf("%d requests, want none", n)
	}
}

// wellFormedSecret passes the checksum (DESIGN.md's test vector).
const wellFormedSecret = "sk_0000000000000000000000000000000030OBQY"

// A presented key that cannot be a secret (too long, or a character no
// secret has) is NOT_FOUND without a request, as every backend answers it
// before any lookup: sent, stdin of 60 KB of '<' (six bytes each in JSON)
// was refused by the server as too large, exit 2 where the local backend
// answered NOT_FOUND, exit 7. The resource and role are still checked
// first, as the backends check them; anything else is the server's to
// answer (an unreachable one is exit 6 even for "sk_x").
func TestVerifyOfWhatCannotBeASecretIsNotFoundWithoutARequest(t *testing.T) {
	srv, counts := counting(t, http.StatusOK, `{"valid":true,"code":"VALID"}`, nil)
	c := newClient(t, srv.URL, "")
	ctx := context.Background()
	for _, presented := range []string{strings.Repeat("<", 60000), strings.Repeat("a", keys.MaxTokenLen+1), " " + wellFormedSecret, "sk_x\x00", "é"} {
		res, err := c.Verify(ctx, keys.VerifyRequest{Secret: presented})
		if err != nil || res.Code != keys.CodeNotFound || res.Valid {
			t.Errorf("%.20q: %+v %v, want NOT_FOUND", presented, res, err)
		}
	}
	bad := keys.Resource("acme")
	_, err := c.Verify(ctx, keys.VerifyRequest{Secret: "x", Resource: &bad})
	wantCode(t, err, keys.Invalid)
	if n := counts["POST /v1/verify"].Load(); n != 0 {
		t.Fatalf("%d requests, want none", n)
	}
	if res, err := c.Verify(ctx, keys.VerifyRequest{Secret: wellFormedSecret + "\n"}); err != nil || res.Code != keys.CodeValid {
		t.Errorf("a well-formed secret: %+v %v, want the server's answer", res, err)
	}
	if n := counts["POST /v1/verify"].Load(); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

func TestRetryAfter(t *testing.T) {
	t.Run("honoured when short", func(t *testing.T) {
		srv, counts := counting(t, http.StatusTooManyRequests, `{"error":{"code":"rate_limited","message":"slow down"}}`, http.Header{"Retry-After": {"0"}})
		c := newClient(t, srv.URL, "sk_token")
		_, err := c.Get(context.Background(), "x")
		wantCode(t, err, keys.RateLimited)
		if n := counts["GET /v1/keys/x"].Load(); n != 3 {
			t.Fatalf("%d requests, want 3", n)
		}
	})
	t.Run("given up when too long", func(t *testing.T) {
		srv, counts := counting(t, http.StatusTooManyRequests, "", http.Header{"Retry-After": {"3600"}})
		c := newClient(t, srv.URL, "sk_token")
		_, err := c.Get(context.Background(), "x")
		wantCode(t, err, keys.RateLimited)
		if n := counts["GET /v1/keys/x"].Load(); n != 1 {
			t.Fatalf("%d requests, want 1", n)
		}
	})
}

func TestErrorMapping(t *testing.T) {
	statuses := map[int]keys.Code{
		// A 404 that is not keyward's says nothing about a key: exit 1, not 3.
		400: keys.Invalid, 401: keys.Unauthorized, 403: keys.Forbidden, 404: keys.Internal,
		409: keys.Conflict, 413: keys.TooLarge, 429: keys.RateLimited, 503: keys.Unavailable,
		500: keys.Internal, 418: keys.Internal,
	}
	for status, code := range statuses {
		t.Run("status "+http.StatusText(status), func(t *testing.T) {
			srv, _ := counting(t, status, "<html>proxy says no</html>", nil)
			_, err := newClient(t, srv.URL, "sk_token").Update(context.Background(), "x", keys.UpdateRequest{})
			wantCode(t, err, code)
		})
	}
	t.Run("body code wins over status", func(t *testing.T) {
		srv, _ := counting(t, 409, `{"error":{"code":"conflict","message":"a key named \"web\" already exists in /acme"}}`, nil)
		_, err := newClient(t, srv.URL, "sk_token").Create(context.Background(), keys.CreateRequest{Name: "web"})
		wantCode(t, err, keys.Conflict)
		if keys.ErrorMessage(err) != `a key named "web" already exists in /acme` {
			t.Fatalf("message %q", keys.ErrorMessage(err))
		}
		var ke *keys.Error
		if !errors.As(err, &ke) {
			t.Fatalf("%T is not a *keys.Error", err)
		}
	})
	t.Run("a keyward server without the endpoint is no missing key", func(t *testing.T) {
		srv, _ := counting(t, 404, `{"error":{"code":"no_route","message":"no such endpoint: GET /v2/v1/keys (see /v1/openapi.json)"}}`, nil)
		_, err := newClient(t, srv.URL, "sk_token").List(context.Background(), keys.ListFilter{})
		wantCode(t, err, keys.NoRoute)
		if !strings.Contains(keys.ErrorMessage(err), "--server") {
			t.Fatalf("message %q does not point at --server", keys.ErrorMessage(err))
		}
	})
	t.Run("a path in --server that keyward does not serve is no_route", func(t *testing.T) {
		srv := httptest.NewServer(server.New(nil, server.Options{})) // no route reaches the backend
		defer srv.Close()
		_, err := newClient(t, srv.URL+"/prefix", "sk_token").List(context.Background(), keys.ListFilter{})
		wantCode(t, err, keys.NoRoute)
	})
	t.Run("plain HTTP to an HTTPS server says so", func(t *testing.T) {
		srv, _ := counting(t, 400, "Client sent an HTTP request to an HTTPS server.\n", nil)
		_, err := newClient(t, srv.URL, "sk_token").List(context.Background(), keys.ListFilter{})
		wantCode(t, err, keys.Invalid)
		if !strings.Contains(keys.ErrorMessage(err), "https://") {
			t.Fatalf("message %q does not suggest https://", keys.ErrorMessage(err))
		}
	})
	t.Run("unknown body code falls back to status", func(t *testing.T) {
		srv, _ := counting(t, 403, `{"error":{"code":"nope","message":"m"}}`, nil)
		_, err := newClient(t, srv.URL, "sk_token").Update(context.Background(), "x", keys.UpdateRequest{})
		wantCode(t, err, keys.Forbidden)
	})
}

func TestUnreachableServerIsUnavailable(t *testing.T) {
	addr := freeAddr(t)
	c := newClient(t, "http://"+addr, "sk_token")
	_, err := c.List(context.Background(), keys.ListFilter{})
	wantCode(t, err, keys.Unavailable)
	if !strings.Contains(err.Error(), "cannot reach "+addr) {
		t.Fatalf("message %q does not say which server", err)
	}
}

func TestRequestShape(t *testing.T) {
	type seen struct{ method, rawPath, query, auth, ua, contentType string }
	got := make(chan seen, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- seen{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("User-Agent"), r.Header.Get("Content-Type")}
		switch r.URL.Path {
		case "/v1/keys":
			_, _ = w.Write([]byte(`{"items":[],"next_cursor":"abc"}`))
		case "/v1/verify":
			_, _ = w.Write([]byte(`{"valid":false,"code":"NOT_FOUND","key_id":null,"name":null,"org":null,"grants":null,"expires_at":null}`))
		default:
			_, _ = w.Write([]byte(`{"id":"key_0000000000000000","name":"ci-deploy"}`))
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	c := newClient(t, srv.URL+"/", "sk_token")

	if _, err := c.Get(ctx, "acme/ci-deploy"); err != nil {
		t.Fatal(err)
	}
	s := <-got
	if s.rawPath != "/v1/keys/acme%2Fci-deploy" || s.auth != "Bearer sk_token" || s.ua != "keyward/1.2.3" {
		t.Fatalf("get: %+v", s)
	}
	if _, err := c.Get(ctx, "/root"); err != nil {
		t.Fatal(err)
	}
	if s = <-got; s.rawPath != "/v1/keys/%2Froot" {
		t.Fatalf("root key ref: %+v", s)
	}

	res := keys.Resource("/acme/prod")
	page, err := c.List(ctx, keys.ListFilter{Resource: &res, ExpiringWithin: keys.Duration(7 * keys.Day), Limit: 5, Cursor: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	if page.NextCursor == nil || *page.NextCursor != "abc" || page.Items == nil {
		t.Fatalf("page %+v", page)
	}
	if s = <-got; s.query != "cursor=c1&expiring_within=7d&limit=5&resource=%2Facme%2Fprod" {
		t.Fatalf("list query %q", s.query)
	}

	since := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	if _, err := c.Audit(ctx, keys.AuditFilter{Key: "acme/web", Since: &since, Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if s = <-got; s.query != "key=acme%2Fweb&limit=10&since=2026-11-22T09%3A00%3A00Z" {
		t.Fatalf("audit query %q", s.query)
	}

	if _, err := c.Ungrant(ctx, "web", "/acme/dev"); err != nil {
		t.Fatal(err)
	}
	if s = <-got; s.method != "DELETE" || s.rawPath != "/v1/keys/web/grants" || s.query != "resource=%2Facme%2Fdev" {
		t.Fatalf("ungrant %+v", s)
	}

	// verify needs no credential: an anonymous client sends none.
	anon := newClient(t, srv.URL, "")
	r, err := anon.Verify(ctx, keys.VerifyRequest{Secret: "sk_x"})
	if err != nil || r.Code != keys.CodeNotFound {
		t.Fatalf("verify %+v %v", r, err)
	}
	if s = <-got; s.auth != "" || s.contentType != "application/json" {
		t.Fatalf("verify %+v", s)
	}
}

func TestCredentialIsLookedUpLazily(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"valid":false,"code":"NOT_FOUND"}`))
	}))
	defer srv.Close()
	var lookups atomic.Int32
	c, err := New(Options{BaseURL: srv.URL, Credential: func() (string, error) {
		lookups.Add(1)
		return "", keys.Errorf(keys.Unauthorized, "not logged in")
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Verify(context.Background(), keys.VerifyRequest{Secret: "x"}); err != nil {
		t.Fatal(err)
	}
	if lookups.Load() != 0 {
		t.Fatal("verify looked up a credential it does not need")
	}
	_, err = c.Get(context.Background(), "x")
	wantCode(t, err, keys.Unauthorized)
	_, _ = c.Get(context.Background(), "x")
	if lookups.Load() != 1 {
		t.Fatalf("%d lookups, want 1", lookups.Load())
	}
}

func TestDebugRedactsCredentials(t *testing.T) {
	const token = "sk_abcdefghijklmnopqrstuvwxyzABCDEF1rJNtw"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/keys" {
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"id":"key_0000000000000000","secret":"sk_00000000000000000000000000000000030OBQY"}`))
			return
		}
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":{"code":"not_found","message":"key not found"}}`))
	}))
	defer srv.Close()
	var debug bytes.Buffer
	c, err := New(Options{BaseURL: srv.URL, Token: token, Debug: &debug})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Create(ctx, keys.CreateRequest{Name: "a"}); err != nil {
		t.Fatal(err)
	}
	_, _ = c.Get(ctx, token) // a secret typed where a key belongs
	out := debug.String()
	if strings.Contains(out, "abcdefghij") || strings.Contains(out, "000000000000000000") {
		t.Fatalf("debug output leaks a secret:\n%s", out)
	}
	for _, want := range []string{"> POST " + srv.URL + "/v1/keys (Authorization: Bearer [redacted])", "< 201 Created", "< 404 Not Found"} {
		if !strings.Contains(out, want) {
			t.Errorf("debug output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 4 {
		t.Errorf("%d debug lines, want 4 (one per request and response):\n%s", n, out)
	}
}

func TestCAFile(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"items":[],"next_cursor":null}`))
	}))
	defer srv.Close()
	ctx := context.Background()

	c, err := New(Options{BaseURL: srv.URL, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = fast(t, c).List(ctx, keys.ListFilter{})
	wantCode(t, err, keys.Unavailable)
	if !strings.Contains(err.Error(), "--ca-file") {
		t.Fatalf("an unknown CA should point at --ca-file: %v", err)
	}

	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = New(Options{BaseURL: srv.URL, Token: "t", CAFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.List(ctx, keys.ListFilter{}); err != nil {
		t.Fatalf("with --ca-file: %v", err)
	}

	// The right CA, the wrong name: the hint is the name, not --ca-file.
	c, err = New(Options{BaseURL: strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), Token: "t", CAFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	_, err = fast(t, c).List(ctx, keys.ListFilter{})
	wantCode(t, err, keys.Unavailable)
	if msg := keys.ErrorMessage(err); !strings.Contains(msg, `not for "localhost"`) || !strings.Contains(msg, "127.0.0.1") || strings.Contains(msg, "--ca-file") {
		t.Fatalf("a certificate for other names: %q", msg)
	}

	bad := filepath.Join(t.TempDir(), "bad.pem")
	_ = os.WriteFile(bad, []byte("not pem"), 0o600)
	_, err = New(Options{BaseURL: srv.URL, CAFile: bad})
	wantCode(t, err, keys.Invalid)
}

// https:// to a plain HTTP server is a mistake in --server (exit 2), said
// in words rather than Go's.
func TestHTTPSToPlainHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c, err := New(Options{BaseURL: strings.Replace(srv.URL, "http://", "https://", 1), Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = fast(t, c).List(context.Background(), keys.ListFilter{})
	wantCode(t, err, keys.Invalid)
	if msg := keys.ErrorMessage(err); !strings.Contains(msg, "use http://") {
		t.Fatalf("message %q", msg)
	}
}

func TestBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080/":      "http://127.0.0.1:8080",
		"keys.example.com":            "https://keys.example.com",
		"https://example.com/keyward": "https://example.com/keyward",
	} {
		c, err := New(Options{BaseURL: in})
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if c.BaseURL() != want {
			t.Errorf("%s -> %s, want %s", in, c.BaseURL(), want)
		}
	}
	for _, in := range []string{"", "ftp://x", "https://user:pw@example.com"} {
		_, err := New(Options{BaseURL: in})
		wantCode(t, err, keys.Invalid)
	}
}

// TestAnswerThatIsNotAKey: a 2xx answer without a key (another endpoint's,
// reached through a redirect or a misrouting proxy) is an error, never an
// empty key printed with exit 0.
func TestAnswerThatIsNotAKey(t *testing.T) {
	srv, _ := counting(t, http.StatusOK, `{"items":[],"next_cursor":null}`, nil)
	c := newClient(t, srv.URL, "sk_token")
	ctx := context.Background()
	calls := map[string]func() error{
		"get":     func() error { _, err := c.Get(ctx, "x"); return err },
		"create":  func() error { _, err := c.Create(ctx, keys.CreateRequest{Name: "x"}); return err },
		"update":  func() error { _, err := c.Update(ctx, "x", keys.UpdateRequest{}); return err },
		"roll":    func() error { _, err := c.Roll(ctx, "x", keys.RollRequest{}); return err },
		"grant":   func() error { _, err := c.Grant(ctx, "x", keys.Grant{Resource: "/acme"}); return err },
		"ungrant": func() error { _, err := c.Ungrant(ctx, "x", "/acme"); return err },
	}
	for name, call := range calls {
		if err := call(); keys.ErrorCode(err) != keys.Internal || !strings.Contains(keys.ErrorMessage(err), "not a key") {
			t.Errorf("%s: %v; want an unexpected-answer error", name, err)
		}
	}
}

// The client waits for an answer longer than a keyward server lets a
// request work: giving up first could leave a change made (a roll) whose
// result nobody received.
func TestClientOutwaitsTheServer(t *testing.T) {
	if headerTimeout <= server.RequestTimeout+2*time.Second {
		t.Fatalf("the client waits %v for an answer, the server works up to %v", headerTimeout, server.RequestTimeout)
	}
}

// freeAddr is a loopback address that was just free: nothing listens there.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// A self-roll is told by the roll's answer (api.HeaderSelf): the client
// asks no whoami first, follows the new secret and tells OnSelfRoll; a
// roll of another key leaves the credential alone.
func TestSelfRollFromTheAnswer(t *testing.T) {
	var requests []string
	var self atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests = append(requests, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		if self.Load() {
			w.Header().Set(api.HeaderSelf, "true")
		}
		_ = json.NewEncoder(w).Encode(keys.NewSecretKey{Key: keys.Key{ID: "key_0000000000000000"}, Secret: "sk_new"})
	}))
	defer srv.Close()
	var followed []string
	c, err := New(Options{BaseURL: srv.URL, Token: "sk_old", OnSelfRoll: func(o, n string) { followed = append(followed, o+">"+n) }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if _, err := c.Roll(ctx, "other", keys.RollRequest{}); err != nil {
		t.Fatal(err)
	}
	self.Store(true)
	if _, err := c.Roll(ctx, "me", keys.RollRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, "me"); err != nil {
		t.Fatal(err)
	}
	want := "POST /v1/keys/other/roll Bearer sk_old, POST /v1/keys/me/roll Bearer sk_old, GET /v1/keys/me Bearer sk_new"
	if got := strings.Join(requests, ", "); got != want {
		t.Errorf("requests:\n  %s\nwant\n  %s", got, want)
	}
	if strings.Join(followed, " ") != "sk_old>sk_new" {
		t.Errorf("OnSelfRoll calls: %v", followed)
	}
}
