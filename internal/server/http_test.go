package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/server"
)

func TestMalformedBodies(t *testing.T) {
	e := newEnv(t, server.Options{})
	e.local("k", "/acme", keys.Viewer)
	for _, tc := range []struct {
		name, method, path, body string
	}{
		{"not JSON", "POST", "/v1/keys", "{name: x}"},
		{"truncated", "POST", "/v1/keys", `{"name":"x","grants":[`},
		{"empty create", "POST", "/v1/keys", ""},
		{"array", "POST", "/v1/keys", `[]`},
		{"unknown field", "POST", "/v1/keys", `{"name":"x","grants":[{"resource":"/acme"}],"colour":"red"}`},
		{"wrong type", "POST", "/v1/keys", `{"name":5,"grants":[{"resource":"/acme"}]}`},
		{"ttl as number", "POST", "/v1/keys", `{"name":"x","grants":[{"resource":"/acme"}],"ttl":30}`},
		{"bad expires_at", "POST", "/v1/keys", `{"name":"x","grants":[{"resource":"/acme"}],"expires_at":"tomorrow"}`},
		{"role as number", "POST", "/v1/keys", `{"name":"x","grants":[{"resource":"/acme","role":3}]}`},
		{"trailing data", "POST", "/v1/keys", `{"name":"x","grants":[{"resource":"/acme"}]} {}`},
		{"unknown update field", "PATCH", "/v1/keys/k", `{"disabled":true}`},
		{"enabled as string", "PATCH", "/v1/keys/k", `{"enabled":"no"}`},
		{"empty update", "PATCH", "/v1/keys/k", ""},
		{"roll grace number", "POST", "/v1/keys/k/roll", `{"grace":1}`},
		{"roll grace negative", "POST", "/v1/keys/k/roll", `{"grace":"-1h"}`},
		{"grant without resource", "PUT", "/v1/keys/k/grants", `{"role":"admin"}`},
		{"grant unknown field", "PUT", "/v1/keys/k/grants", `{"resource":"/acme","level":"admin"}`},
		{"verify key as number", "POST", "/v1/verify", `{"key":12}`},
		{"verify not JSON", "POST", "/v1/verify", `key=sk_x`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := e.root
			if tc.path == "/v1/verify" {
				token = ""
			}
			e.do(tc.method, tc.path, token, tc.body).wantError(t, http.StatusBadRequest, keys.Invalid)
		})
	}
}

func TestBodyTooLarge(t *testing.T) {
	e := newEnv(t, server.Options{})
	big := `{"name":"x","grants":[{"resource":"/acme"}],"meta":{"a":"` + strings.Repeat("x", 600<<10) + `"}}`
	e.do("POST", "/v1/keys", e.root, big).wantError(t, http.StatusRequestEntityTooLarge, keys.TooLarge)
	e.do("POST", "/v1/verify", "", `{"key":"`+strings.Repeat("x", 70<<10)+`"}`).wantError(t, http.StatusRequestEntityTooLarge, keys.TooLarge)
	// Whitespace after a small object still counts.
	e.do("POST", "/v1/verify", "", `{"key":"x"}`+strings.Repeat(" ", 70<<10)).wantError(t, http.StatusRequestEntityTooLarge, keys.TooLarge)
}

// Whatever a key may hold fits the body that creates or changes it: the
// most meta (64 entries of 128-byte keys and 1,024-byte values) in the
// characters JSON writes six bytes for (here "<", as encoding/json and so
// keyward's own client write it, and a control character) is a key, not
// a 413. The same create worked locally and failed through a server.
func TestLargestValidKeyBodyIsNotTooLarge(t *testing.T) {
	e := newEnv(t, server.Options{})
	meta := func(value string) map[string]string {
		m := map[string]string{}
		for i := 0; i < keys.MaxMetaEntries; i++ {
			m[fmt.Sprintf("%03d", i)+strings.Repeat("<", keys.MaxMetaKeyLen-3)] = strings.Repeat(value, keys.MaxMetaValueLen)
		}
		return m
	}
	grants := make([]map[string]string, keys.MaxGrants)
	for i := range grants {
		grants[i] = map[string]string{"resource": fmt.Sprintf("/acme/%03d", i) + strings.Repeat("/"+strings.Repeat("r", 60), 3), "role": "viewer"}
	}
	e.do("POST", "/v1/keys", e.root, map[string]any{"name": "most", "grants": grants, "meta": meta("<")}).want(t, http.StatusCreated)
	e.do("PATCH", "/v1/keys/most", e.root, map[string]any{"meta": meta("\x01")}).want(t, http.StatusOK)
}

// Query parameters are as strict as bodies: a typo or a repeat is a 400,
// not a silently wider listing.
func TestStrictQueries(t *testing.T) {
	e := newEnv(t, server.Options{})
	e.local("k", "/acme", keys.Viewer)
	for _, p := range []string{
		"/v1/keys?limt=5", "/v1/keys?resourc=/beta", "/v1/keys?resource=/acme&resource=/beta", "/v1/keys?limit=1&limit=2",
		"/v1/audit?keys=k", "/v1/audit?since=1d&since=2d",
	} {
		r := e.do("GET", p, e.root, nil)
		r.wantError(t, http.StatusBadRequest, keys.Invalid)
	}
	e.do("DELETE", "/v1/keys/k/grants?resource=/acme&resource=/acme/x", e.root, nil).wantError(t, http.StatusBadRequest, keys.Invalid)
	e.do("DELETE", "/v1/keys/k/grants?resource=/acme&role=viewer", e.root, nil).wantError(t, http.StatusBadRequest, keys.Invalid)
	e.do("GET", "/v1/keys?resource=/acme&expired=false&expiring_within=1d&limit=5", e.root, nil).want(t, http.StatusOK)
	e.do("GET", "/v1/audit?key=k&since=1d&limit=5", e.root, nil).want(t, http.StatusOK)
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	e := newEnv(t, server.Options{})
	for _, p := range []string{"/", "/v1", "/v1/nope", "/v2/keys", "/v1/keys/a/b/c", "/v1/keys/x/rolls"} {
		// no_route, not not_found: no key is missing.
		e.do("GET", p, e.root, nil).wantError(t, http.StatusNotFound, keys.NoRoute)
	}
	for _, tc := range []struct{ method, path string }{
		{"DELETE", "/v1/keys"}, {"PUT", "/v1/keys/x"}, {"GET", "/v1/keys/x/roll"}, {"POST", "/v1/keys/x/grants"},
		{"GET", "/v1/verify"}, {"POST", "/healthz"}, {"POST", "/v1/whoami"},
	} {
		r := e.do(tc.method, tc.path, e.root, nil)
		r.wantError(t, http.StatusMethodNotAllowed, keys.Invalid)
		if r.header.Get("Allow") == "" {
			t.Errorf("%s %s: 405 without Allow", tc.method, tc.path)
		}
	}
}

func TestMaxTTL(t *testing.T) {
	max := 30 * keys.Day
	e := newEnv(t, server.Options{MaxTTL: max})
	now := e.clock.Now()

	k := e.do("POST", "/v1/keys", e.root, createBody("capped", "/acme", "viewer")).want(t, http.StatusCreated).newSecret(t)
	if k.ExpiresAt == nil || !k.ExpiresAt.Equal(now.Add(max)) {
		t.Errorf("create without expiry: expires_at %v, want %v", k.ExpiresAt, now.Add(max))
	}
	b := createBody("short", "/acme", "viewer")
	b["ttl"] = "7d"
	if k := e.do("POST", "/v1/keys", e.root, b).want(t, http.StatusCreated).newSecret(t); !k.ExpiresAt.Equal(now.Add(7 * keys.Day)) {
		t.Errorf("ttl 7d: expires_at %v", k.ExpiresAt)
	}
	b = createBody("exact", "/acme", "viewer")
	b["ttl"] = "30d"
	e.do("POST", "/v1/keys", e.root, b).want(t, http.StatusCreated)

	b = createBody("long", "/acme", "viewer")
	b["ttl"] = "31d"
	if msg := e.do("POST", "/v1/keys", e.root, b).wantError(t, http.StatusBadRequest, keys.Invalid); !strings.Contains(msg, "30d") {
		t.Errorf("message does not name the cap: %s", msg)
	}
	b = createBody("far", "/acme", "viewer")
	b["expires_at"] = now.Add(60 * keys.Day).Format(time.RFC3339)
	e.do("POST", "/v1/keys", e.root, b).wantError(t, http.StatusBadRequest, keys.Invalid)
	b["expires_at"] = now.Add(10 * keys.Day).Format(time.RFC3339)
	e.do("POST", "/v1/keys", e.root, b).want(t, http.StatusCreated)

	// update --no-expiry gets the cap; a longer ttl is refused.
	u := e.do("PATCH", "/v1/keys/short", e.root, map[string]any{"no_expiry": true}).want(t, http.StatusOK).key(t)
	if u.ExpiresAt == nil || !u.ExpiresAt.Equal(now.Add(max)) {
		t.Errorf("update no_expiry: expires_at %v, want the cap", u.ExpiresAt)
	}
	e.do("PATCH", "/v1/keys/short", e.root, map[string]any{"ttl": "1M1d"}).wantError(t, http.StatusBadRequest, keys.Invalid)
	e.do("PATCH", "/v1/keys/short", e.root, map[string]any{"expires_at": now.Add(90 * keys.Day).Format(time.RFC3339)}).
		wantError(t, http.StatusBadRequest, keys.Invalid)
	e.do("PATCH", "/v1/keys/short", e.root, map[string]any{"ttl": "1d"}).want(t, http.StatusOK)

	e.do("POST", "/v1/keys/short/roll", e.root, map[string]any{"ttl": "365d"}).wantError(t, http.StatusBadRequest, keys.Invalid)
	e.do("POST", "/v1/keys/short/roll", e.root, map[string]any{"ttl": "2w"}).want(t, http.StatusOK)
	e.do("POST", "/v1/keys/short/roll", e.root, nil).want(t, http.StatusOK)
}

// A previous secret is a credential too: its grace is capped like a key's
// lifetime, or a roll could leave one working for a century.
func TestMaxTTLCapsGrace(t *testing.T) {
	e := newEnv(t, server.Options{MaxTTL: 6 * time.Hour})
	// A key without expiry (made with --db, or before the cap): only the
	// cap on the grace bounds its previous secret.
	local := keys.WithPrincipal(context.Background(), keys.LocalPrincipal("test"))
	if _, err := e.st.Create(local, keys.CreateRequest{Name: "k", Grants: []keys.Grant{{Resource: "/acme", Role: keys.Viewer}}}); err != nil {
		t.Fatal(err)
	}
	for _, grace := range []string{"5000w", "7h", "1d"} {
		msg := e.do("POST", "/v1/keys/k/roll", e.root, map[string]any{"grace": grace}).wantError(t, http.StatusBadRequest, keys.Invalid)
		if !strings.Contains(msg, "grace") || !strings.Contains(msg, "6h") {
			t.Errorf("grace %s: %s", grace, msg)
		}
	}
	now := e.clock.Now()
	k := e.do("POST", "/v1/keys/k/roll", e.root, map[string]any{"grace": "6h"}).want(t, http.StatusOK).newSecret(t)
	if k.PreviousExpiresAt == nil || !k.PreviousExpiresAt.Equal(now.Add(6*time.Hour)) {
		t.Errorf("grace 6h: previous_expires_at %v", k.PreviousExpiresAt)
	}
	// The default grace (12h) is cut to the cap.
	k = e.do("POST", "/v1/keys/k/roll", e.root, nil).want(t, http.StatusOK).newSecret(t)
	if k.PreviousExpiresAt == nil || !k.PreviousExpiresAt.Equal(now.Add(6*time.Hour)) {
		t.Errorf("default grace under a 6h cap: previous_expires_at %v", k.PreviousExpiresAt)
	}
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string `json:"openapi"`
		Info    struct {
			Description string `json:"description"`
		} `json:"info"`
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(server.OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi version %q", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options", "trace":
				documented = append(documented, strings.ToUpper(method)+" "+path)
			}
		}
	}
	served := server.Routes()
	var want []string
	gets := map[string]bool{}
	for _, rt := range served {
		method, path, _ := strings.Cut(rt, " ")
		// A route whose last segment takes the rest of the path
		// ({path...}, Envoy's /v1/auth/…) cannot be an OpenAPI path, whose
		// parameters match one segment: the document describes it in words.
		if prefix, ok := strings.CutSuffix(path, "{path}"); ok {
			if !strings.Contains(doc.Info.Description, "`"+prefix) {
				t.Errorf("%s is served but the document's description does not name %s…", rt, prefix)
			}
			continue
		}
		if method == "GET" {
			gets[path] = true
		}
		want = append(want, rt)
	}
	// GET routes answer HEAD too; the document may say so.
	for _, d := range documented {
		if path, ok := strings.CutPrefix(d, "HEAD "); ok && gets[path] {
			want = append(want, d)
		}
	}
	sort.Strings(documented)
	sort.Strings(want)
	if strings.Join(documented, "\n") != strings.Join(want, "\n") {
		t.Errorf("OpenAPI paths and the router differ:\ndocumented:\n  %s\nserved:\n  %s",
			strings.Join(documented, "\n  "), strings.Join(want, "\n  "))
	}

	// Every route in the document answers something other than 404/405.
	e := newEnv(t, server.Options{})
	for _, rt := range append(served, documented...) {
		method, path, _ := strings.Cut(rt, " ")
		path = strings.ReplaceAll(strings.ReplaceAll(path, "{key}", "nokey"), "{path}", "app/x")
		r := e.do(method, path, e.root, nil)
		if r.status == http.StatusNotFound && bytes.Contains(r.body, []byte(keys.NoRoute)) || r.status == http.StatusMethodNotAllowed {
			t.Errorf("%s: %d %s", rt, r.status, r.body)
		}
	}

	served2 := e.do("GET", "/v1/openapi.json", "", nil).want(t, http.StatusOK)
	if !bytes.Equal(served2.body, server.OpenAPI()) {
		t.Error("/v1/openapi.json is not the embedded document")
	}
}

func TestSecretsNeverLogged(t *testing.T) {
	e := newEnv(t, server.Options{})
	created := e.do("POST", "/v1/keys", e.root, createBody("ci", "/acme", "editor")).want(t, http.StatusCreated).newSecret(t)
	rolled := e.do("POST", "/v1/keys/ci/roll", e.root, map[string]string{"grace": "1h"}).want(t, http.StatusOK).newSecret(t)
	e.do("POST", "/v1/verify", "", map[string]string{"key": rolled.Secret, "resource": "/acme"}).want(t, http.StatusOK)
	e.do("POST", "/v1/verify", "", map[string]string{"key": created.Secret}).want(t, http.StatusOK)
	e.do("GET", "/v1/auth?resource=/acme", rolled.Secret, nil).want(t, http.StatusNoContent)
	e.do("GET", "/v1/auth?resource=/globex", rolled.Secret, nil).want(t, http.StatusForbidden)
	e.do("GET", "/v1/whoami", rolled.Secret, nil).want(t, http.StatusOK)
	e.do("GET", "/v1/whoami", created.Secret+"x", nil).want(t, http.StatusUnauthorized)
	// A secret pasted where a name or a query belongs is redacted too.
	e.do("GET", "/v1/keys/"+rolled.Secret, e.root, nil).want(t, http.StatusNotFound)
	e.do("GET", "/v1/audit?key="+rolled.Secret, e.root, nil)
	e.do("GET", "/v1/keys?"+rolled.Secret, e.root, nil)
	// ... and so is one run together with other text (a typo, a separator).
	e.do("GET", "/v1/keys/"+created.Secret+"x", e.root, nil).want(t, http.StatusNotFound)
	e.do("GET", "/v1/keys/x;"+created.Secret, e.root, nil).want(t, http.StatusNotFound)
	e.do("GET", "/v1/audit?key=x"+created.Secret, e.root, nil).want(t, http.StatusNotFound)
	e.do("GET", "/v1/keys?cursor="+created.Secret+"x", e.root, nil).want(t, http.StatusBadRequest)
	e.do("POST", "/v1/verify", "", `{"key":"`+rolled.Secret+`", oops}`).want(t, http.StatusBadRequest)

	logs := e.logs.String()
	for _, s := range []string{e.root, created.Secret, rolled.Secret} {
		if strings.Contains(logs, s) || strings.Contains(logs, s[len(s)-38:]) {
			t.Fatalf("a secret is in the log:\n%s", logs)
		}
	}
	// The log has what an operator needs.
	var sawActor, sawAuth bool
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		if rec["msg"] != "request" {
			continue
		}
		for _, f := range []string{"method", "path", "status", "duration_ms"} {
			if _, ok := rec[f]; !ok {
				t.Errorf("log line without %s: %s", f, line)
			}
		}
		if rec["path"] == "/v1/whoami" && rec["actor"] == rolled.ID {
			sawActor = true
		}
		if strings.HasPrefix(rec["path"].(string), "/v1/auth?resource=") && rec["status"] == float64(204) {
			sawAuth = true
		}
	}
	if !sawActor || !sawAuth {
		t.Errorf("log lacks the actor or the auth request:\n%s", logs)
	}
	if !strings.Contains(logs, "REDACTED") {
		t.Errorf("a secret in the path was not redacted:\n%s", logs)
	}
}

// panicky is the real store whose Get panics: a fault no client can cause.
type panicky struct{ keys.Backend }

func (panicky) Get(context.Context, string) (*keys.Key, error) { panic("boom") }

func TestPanicIsJSON500(t *testing.T) {
	e := newEnvWith(t, server.Options{}, func(b keys.Backend) keys.Backend { return panicky{b} })
	e.do("GET", "/v1/keys/root", e.root, nil).wantError(t, http.StatusInternalServerError, keys.Internal)
	if !strings.Contains(e.logs.String(), "boom") {
		t.Errorf("panic not logged:\n%s", e.logs.String())
	}
	if strings.Contains(e.logs.String(), e.root) {
		t.Error("the panic log holds the operator secret")
	}
	e.do("GET", "/v1/keys", e.root, nil).want(t, http.StatusOK) // the server lives on
}

// stalling is the real store whose Get waits for its request to end, as a
// slow query does when its client gives up.
type stalling struct {
	keys.Backend
	entered chan struct{}
}

func (s stalling) Get(ctx context.Context, _ string) (*keys.Key, error) {
	close(s.entered)
	<-ctx.Done()
	return nil, fmt.Errorf("query: %w", ctx.Err())
}

// TestClientGoneIsNotAnInternalError: a client that disconnects mid-request
// is logged as nginx's 499, not as a server fault.
func TestClientGoneIsNotAnInternalError(t *testing.T) {
	entered := make(chan struct{})
	e := newEnvWith(t, server.Options{}, func(b keys.Backend) keys.Backend { return stalling{b, entered} })
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/v1/keys/root", nil)
	req.Header.Set("Authorization", "Bearer "+e.root)
	go func() {
		<-entered
		cancel()
	}()
	if _, err := e.srv.Client().Do(req); err == nil {
		t.Fatal("the request outlived its cancellation")
	}
	for i := 0; !strings.Contains(e.logs.String(), `"path":"/v1/keys/root"`); i++ {
		if i > 500 {
			t.Fatalf("no request line:\n%s", e.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	logs := e.logs.String()
	if strings.Contains(logs, "internal error") || !strings.Contains(logs, `"status":499`) {
		t.Errorf("a client gone mid-request is logged as:\n%s", logs)
	}
}

func TestAuthFailureRateLimit(t *testing.T) {
	e := newEnv(t, server.Options{AuthFailuresPerMinute: 3})
	for i := 0; i < 3; i++ {
		e.do("GET", "/v1/keys", "sk_guess", nil).want(t, http.StatusUnauthorized)
	}
	r := e.do("GET", "/v1/keys", "sk_guess", nil).want(t, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// A valid key from the same address (behind the same proxy, say) is
	// never refused for another client's guesses.
	e.do("GET", "/v1/keys", e.root, nil).want(t, http.StatusOK)
	// verify is not an operator authentication and stays open.
	e.do("POST", "/v1/verify", "", map[string]string{"key": e.root}).want(t, http.StatusOK)
	e.clock.Advance(time.Minute)
	e.do("GET", "/v1/keys", "sk_guess", nil).want(t, http.StatusUnauthorized)
}

func TestRun(t *testing.T) {
	e := newEnv(t, server.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- server.Run(ctx, server.RunConfig{
			Addr:     "127.0.0.1:0",
			Handler:  server.New(e.st, server.Options{}),
			OnListen: func(u string) { urls <- u },
		})
	}()
	var base string
	select {
	case base = <-urls:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	}
	res, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("healthz via Run: %d", res.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("graceful shutdown: %v", err)
	}

	err = server.Run(context.Background(), server.RunConfig{Addr: "127.0.0.1:0", CertFile: "cert.pem", Handler: http.NotFoundHandler()})
	if keys.ErrorCode(err) != keys.Invalid {
		t.Errorf("cert without key: %v", err)
	}
}

// Every $ref in the document points at something it defines.
func TestOpenAPIRefsResolve(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(server.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				var node any = doc
				for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
					m, ok := node.(map[string]any)
					if !ok || m[part] == nil {
						t.Errorf("unresolved $ref %s", ref)
						return
					}
					node = m[part]
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(doc)
}

// unreachableDB is the real store whose Get fails as a lost database does.
type unreachableDB struct{ keys.Backend }

func (unreachableDB) Get(context.Context, string) (*keys.Key, error) {
	return nil, &keys.Error{Code: keys.Unavailable, Message: "the database is unreachable; try again",
		Cause: errors.New(`password authentication failed for user "kw"`)}
}

// A client is told "try again"; the log keeps why.
func TestUnavailableCauseIsLoggedNotSent(t *testing.T) {
	e := newEnvWith(t, server.Options{}, func(b keys.Backend) keys.Backend { return unreachableDB{b} })
	r := e.do("GET", "/v1/keys/root", e.root, nil)
	r.wantError(t, http.StatusServiceUnavailable, keys.Unavailable)
	if bytes.Contains(r.body, []byte("kw")) {
		t.Errorf("the answer tells the cause: %s", r.body)
	}
	if !strings.Contains(e.logs.String(), "password authentication failed") {
		t.Errorf("the log lacks the cause:\n%s", e.logs.String())
	}
}

// A member named twice (at any depth, in any case: encoding/json matches
// field names regardless of case) is refused: a proxy or WAF reading the
// first one would see another request than keyward, which keeps the last.
func TestDuplicateMembersRefused(t *testing.T) {
	e := newEnv(t, server.Options{})
	e.local("k", "/acme", keys.Viewer)
	for _, tc := range []struct{ name, method, path, body string }{
		{"top level", "POST", "/v1/keys", `{"name":"a","name":"b","grants":[{"resource":"/acme"}]}`},
		{"other case", "POST", "/v1/keys", `{"name":"a","NAME":"b","grants":[{"resource":"/acme"}]}`},
		{"in a grant", "POST", "/v1/keys", `{"name":"a","grants":[{"resource":"/acme","resource":"/"}]}`},
		{"in meta", "POST", "/v1/keys", `{"name":"a","grants":[{"resource":"/acme"}],"meta":{"team":"x","team":"y"}}`},
		{"update", "PATCH", "/v1/keys/k", `{"enabled":true,"enabled":false}`},
		{"roll", "POST", "/v1/keys/k/roll", `{"grace":"1h","grace":"0"}`},
		{"grant", "PUT", "/v1/keys/k/grants", `{"resource":"/acme","role":"viewer","role":"admin"}`},
		{"verify", "POST", "/v1/verify", `{"key":"sk_a","key":"sk_b"}`},
		{"verify resource", "POST", "/v1/verify", `{"key":"sk_a","resource":"/acme","Resource":"/"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := e.do(tc.method, tc.path, e.root, tc.body).wantError(t, http.StatusBadRequest, keys.Invalid)
			if !strings.Contains(msg, "twice") {
				t.Errorf("message does not say what is wrong: %s", msg)
			}
		})
	}
	// The same member name in two different objects is fine.
	e.do("POST", "/v1/keys", e.root, `{"name":"c","grants":[{"resource":"/acme/x"},{"resource":"/acme/y"}],"meta":{"name":"n"}}`).want(t, http.StatusCreated)
}

// A verify body must be an object: null, an array or a scalar is a
// malformed request (400), not a request for nothing (200 NOT_FOUND).
func TestVerifyBodyMustBeAnObject(t *testing.T) {
	e := newEnv(t, server.Options{})
	for _, body := range []string{"null", " null ", "[]", `"sk_x"`, "1", "true", "[{}]"} {
		e.do("POST", "/v1/verify", "", body).wantError(t, http.StatusBadRequest, keys.Invalid)
	}
	e.do("POST", "/v1/keys/root/roll", e.root, "null").wantError(t, http.StatusBadRequest, keys.Invalid)
	e.do("POST", "/v1/keys", e.root, "null").wantError(t, http.StatusBadRequest, keys.Invalid)
}

// A secret split by a separator (an encoded newline, a space, a slash...)
// where a name or a query belongs still never reaches the log: neither
// half of it may be there.
func TestSplitSecretsNeverLogged(t *testing.T) {
	e := newEnv(t, server.Options{})
	secret, err := keys.NewSecret("sk")
	if err != nil {
		t.Fatal(err)
	}
	public, err := keys.NewSecret("pk")
	if err != nil {
		t.Fatal(err)
	}
	seps := []string{"%0A", "%0D%0A", "%20", "%09", "%00", "%2F", "%3B", "%2C", "-", ".", "~", ";", "/", "%E2%80%8B", "%0A%0A%0A"}
	var pieces []string
	for _, s := range []string{secret, public} {
		for _, at := range []int{3, 3 + 16, len(s) - 6} { // after the prefix, in the random part, before the checksum
			a, b := s[:at], s[at:]
			for _, p := range []string{a, b} {
				if len(p) >= 10 {
					pieces = append(pieces, p)
				}
			}
			for _, sep := range seps {
				e.do("GET", "/v1/keys/"+a+sep+b, e.root, nil)
				e.do("GET", "/v1/keys/"+a+sep+b+"/grants", e.root, nil)
				e.do("GET", "/v1/audit?key="+a+sep+b, e.root, nil)
				e.do("GET", "/v1/keys?cursor=x"+a+sep+b, e.root, nil)
			}
			e.do("GET", "/v1/keys?cursor="+a+"&"+b, e.root, nil)
			e.do("GET", "/v1/keys?"+a+"="+b, e.root, nil)
			if at == 3 { // the prefix cut off by anything: the rest is the secret
				e.do("GET", "/v1/keys?a="+a+"&b="+b, e.root, nil)
				e.do("GET", "/v1/keys/"+b, e.root, nil)
			}
		}
	}
	logs := e.logs.String()
	for _, p := range pieces {
		if strings.Contains(logs, p) {
			t.Fatalf("part of a secret (%s…) is in the log:\n%s", p[:6], logs)
		}
	}
	if !strings.Contains(logs, "REDACTED") {
		t.Errorf("nothing was redacted:\n%s", logs)
	}
	// What is not a secret stays readable.
	e.do("GET", "/v1/keys/ci-deploy%0Anext", e.root, nil)
	e.do("GET", "/v1/keys?resource=/acme/prod&limit=5", e.root, nil)
	logs = e.logs.String()
	for _, want := range []string{`"path":"/v1/keys/ci-deploy%0Anext"`, `"path":"/v1/keys?resource=/acme/prod&limit=5"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %s", want)
		}
	}
}
