package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/server"
)

func TestVerifyNeedsNoToken(t *testing.T) {
	e := newEnv(t, server.Options{})
	k := e.local("svc", "/acme/prod", keys.Editor)
	pub := e.local("app", "/acme/prod", keys.Viewer, func(r *keys.CreateRequest) { r.Type = keys.Public })

	for _, tc := range []struct {
		name string
		body map[string]any
		code keys.VerifyCode
	}{
		{"valid", map[string]any{"key": k.Secret, "resource": "/acme/prod/robot-1", "role": "editor"}, keys.CodeValid},
		{"trailing newline", map[string]any{"key": k.Secret + "\n"}, keys.CodeValid},
		{"public key verifies", map[string]any{"key": pub.Secret, "resource": "/acme/prod"}, keys.CodeValid},
		{"role too high", map[string]any{"key": k.Secret, "resource": "/acme/prod", "role": "admin"}, keys.CodeInsufficientPermissions},
		{"other resource", map[string]any{"key": k.Secret, "resource": "/acme/dev"}, keys.CodeInsufficientPermissions},
		{"garbage", map[string]any{"key": "sk_nope"}, keys.CodeNotFound},
		{"empty", map[string]any{}, keys.CodeNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v keys.VerifyResult
			r := e.do("POST", "/v1/verify", "", tc.body).want(t, http.StatusOK)
			r.decode(t, &v)
			if v.Code != tc.code || v.Valid != (tc.code == keys.CodeValid) {
				t.Fatalf("verify: %s, want %s", r.body, tc.code)
			}
			if tc.code == keys.CodeNotFound && (v.KeyID != nil || v.Name != nil) {
				t.Errorf("NOT_FOUND tells about a key: %s", r.body)
			}
		})
	}
	e.do("PATCH", "/v1/keys/svc", e.root, map[string]any{"enabled": false}).want(t, http.StatusOK)
	var v keys.VerifyResult
	e.do("POST", "/v1/verify", "", map[string]any{"key": k.Secret}).want(t, http.StatusOK).decode(t, &v)
	if v.Code != keys.CodeDisabled {
		t.Errorf("disabled key: %s", v.Code)
	}
	e.do("POST", "/v1/verify", "", map[string]any{"key": k.Secret, "resource": "acme"}).wantError(t, http.StatusBadRequest, keys.Invalid)
	e.do("POST", "/v1/verify", "", map[string]any{"key": k.Secret, "role": "root"}).wantError(t, http.StatusBadRequest, keys.Invalid)
	e.do("POST", "/v1/verify", "", map[string]any{"key": k.Secret, "extra": 1}).wantError(t, http.StatusBadRequest, keys.Invalid)
	e.do("POST", "/v1/verify", "", nil).wantError(t, http.StatusBadRequest, keys.Invalid)
}

func TestGatewayAuth(t *testing.T) {
	e := newEnv(t, server.Options{})
	editor := e.local("gw-editor", "/acme/prod", keys.Editor)
	viewer := e.local("gw-viewer", "/acme/prod", keys.Viewer)
	off := e.local("gw-off", "/acme/prod", keys.Editor)
	e.do("PATCH", "/v1/keys/gw-off", e.root, map[string]any{"enabled": false}).want(t, http.StatusOK)

	const q = "/v1/auth?resource=/acme/prod/app&role=editor"
	ok := e.do("GET", q, editor.Secret, nil).want(t, http.StatusNoContent)
	if ok.header.Get("X-Keyward-Key-Id") != editor.ID || ok.header.Get("X-Keyward-Key-Name") != "gw-editor" || ok.header.Get("X-Keyward-Key-Type") != "secret" {
		t.Errorf("204 headers: %v", ok.header)
	}
	pub := e.do("POST", "/v1/keys", e.root, map[string]any{"name": "gw-public", "type": "public",
		"grants": []map[string]string{{"resource": "/acme/prod", "role": "viewer"}}}).want(t, http.StatusCreated).newSecret(t)
	if r := e.do("GET", "/v1/auth?resource=/acme/prod/app&role=viewer", pub.Secret, nil).want(t, http.StatusNoContent); r.header.Get("X-Keyward-Key-Type") != "public" {
		t.Errorf("204 headers of a public key: %v", r.header)
	}
	for _, tc := range []struct {
		name, token string
		status      int
	}{
		{"no credential", "", 401},
		{"garbage", "sk_notarealkey", 401},
		{"disabled", off.Secret, 401},
		{"role too low", viewer.Secret, 403},
	} {
		r := e.do("GET", q, tc.token, nil)
		if r.status != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, r.status, tc.status)
		}
		if tc.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: no WWW-Authenticate: %v", tc.name, r.header)
		}
		if r.header.Get("X-Keyward-Key-Id") != "" {
			t.Errorf("%s: key id on a refusal", tc.name)
		}
	}
	// Without resource and role: any valid key passes (viewer on its highest grant).
	e.do("GET", "/v1/auth", viewer.Secret, nil).want(t, http.StatusNoContent)
	e.do("GET", "/v1/auth?resource=nope", editor.Secret, nil).wantError(t, http.StatusBadRequest, keys.Invalid)
	e.do("GET", "/v1/auth?role=god", editor.Secret, nil).wantError(t, http.StatusBadRequest, keys.Invalid)

	// A backend that cannot answer: the gateway must hear 503, not 401.
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	e.do("GET", q, editor.Secret, nil).wantError(t, http.StatusServiceUnavailable, keys.Unavailable)
}

func TestHealthz(t *testing.T) {
	e := newEnv(t, server.Options{})
	r := e.do("GET", "/healthz", "", nil).want(t, http.StatusOK)
	if strings.TrimSpace(string(r.body)) != `{"status":"ok"}` {
		t.Errorf("healthz: %s", r.body)
	}
	_ = e.st.Close()
	e.do("GET", "/healthz", "", nil).want(t, http.StatusServiceUnavailable)
}

// Envoy's ext_authz HTTP service sends the original method and path under
// the prefix, with the original query; the resource comes from headers.
func TestGatewayAuthPrefixed(t *testing.T) {
	e := newEnv(t, server.Options{})
	editor := e.local("gw-editor", "/acme/prod", keys.Editor)
	viewer := e.local("gw-viewer", "/acme/prod", keys.Viewer)
	check := func(method, path, token, resource, role string) *resp {
		t.Helper()
		req, _ := http.NewRequest(method, e.srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if resource != "" {
			req.Header.Set("X-Keyward-Resource", resource)
		}
		if role != "" {
			req.Header.Set("X-Keyward-Role", role)
		}
		res, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return &resp{status: res.StatusCode, header: res.Header}
	}
	if r := check("POST", "/v1/auth/app/orders?x=1", editor.Secret, "/acme/prod/app", "editor"); r.status != 204 || r.header.Get("X-Keyward-Key-Name") != "gw-editor" {
		t.Errorf("editor: %d %v", r.status, r.header)
	}
	if r := check("DELETE", "/v1/auth/", viewer.Secret, "/acme/prod/app", "editor"); r.status != 403 {
		t.Errorf("viewer: %d", r.status)
	}
	if r := check("GET", "/v1/auth/app", "", "/acme/prod", ""); r.status != 401 {
		t.Errorf("no key: %d", r.status)
	}
	// The end user's query cannot loosen the check: it is ignored here.
	if r := check("GET", "/v1/auth/app?resource=/acme/prod&role=viewer", viewer.Secret, "/acme/prod/app", "editor"); r.status != 403 {
		t.Errorf("query overrode the gateway's headers: %d", r.status)
	}
	// On /v1/auth itself the headers stand in for a missing query.
	if r := check("GET", "/v1/auth", viewer.Secret, "/acme/prod", "editor"); r.status != 403 {
		t.Errorf("headers on /v1/auth: %d", r.status)
	}
	if r := check("GET", "/v1/auth?role=viewer", viewer.Secret, "/globex", "editor"); r.status != 403 {
		t.Errorf("header resource with query role: %d", r.status)
	}
	// Another method on /v1/auth itself is refused, not redirected to
	// /v1/auth/, where the query would be ignored and the key found valid.
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		if r := check(m, "/v1/auth?resource=/globex&role=admin", editor.Secret, "", ""); r.status != http.StatusMethodNotAllowed {
			t.Errorf("%s /v1/auth with a query the key does not satisfy: %d, want 405", m, r.status)
		}
	}
}

// A bad resource or role names where it came from: a header the gateway
// set, or the query.
func TestGatewayAuthBadValueNamesItsSource(t *testing.T) {
	e := newEnv(t, server.Options{})
	k := e.local("src", "/acme/prod", keys.Editor)
	for _, c := range []struct{ path, resource, role, want string }{
		{"/v1/auth/app", "/acme/prod", "boss", "X-Keyward-Role: "},
		{"/v1/auth/app", "acme", "", "X-Keyward-Resource: "},
		{"/v1/auth", "/acme/prod", "boss", "X-Keyward-Role: "},
		{"/v1/auth?role=boss", "", "", "query parameter role: "},
		{"/v1/auth?resource=acme", "", "", "query parameter resource: "},
	} {
		req, _ := http.NewRequest("GET", e.srv.URL+c.path, nil)
		req.Header.Set("Authorization", "Bearer "+k.Secret)
		if c.resource != "" {
			req.Header.Set("X-Keyward-Resource", c.resource)
		}
		if c.role != "" {
			req.Header.Set("X-Keyward-Role", c.role)
		}
		res, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), c.want) {
			t.Errorf("%s (resource %q, role %q): %d %s, want 400 naming %q", c.path, c.resource, c.role, res.StatusCode, body, c.want)
		}
	}
}

// A resource or role header sent twice (the caller's own passed on beside
// the gateway's) is denied: which one the gateway meant cannot be told.
func TestGatewayAuthDuplicateHeaders(t *testing.T) {
	e := newEnv(t, server.Options{})
	k := e.local("dup", "/acme/prod", keys.Editor)
	for _, h := range []string{"X-Keyward-Resource", "X-Keyward-Role"} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/v1/auth/app", nil)
		req.Header.Set("Authorization", "Bearer "+k.Secret)
		req.Header.Set("X-Keyward-Resource", "/acme/prod")
		req.Header.Set("X-Keyward-Role", "viewer")
		req.Header.Add(h, map[string]string{"X-Keyward-Resource": "/globex", "X-Keyward-Role": "admin"}[h])
		res, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s twice: %d, want 403", h, res.StatusCode)
		}
	}
}

// The same in the query: a resource or role given twice is denied, in
// either order (the first one used to win).
func TestGatewayAuthDuplicateQuery(t *testing.T) {
	e := newEnv(t, server.Options{})
	k := e.local("dup", "/acme/prod", keys.Editor)
	for _, q := range []string{
		"resource=/acme/prod&resource=/globex", "resource=/globex&resource=/acme/prod",
		"resource=/acme/prod&role=viewer&role=admin",
	} {
		if r := e.do("GET", "/v1/auth?"+q, k.Secret, nil); r.status != http.StatusForbidden {
			t.Errorf("/v1/auth?%s: %d, want 403", q, r.status)
		}
	}
}

// A gateway configured with a misspelt parameter (Role=admin, RESOURCE=…)
// asks for a check it does not get: keyward must deny, not answer for any
// valid key. Other parameters (a caller's query that Caddy passes on when
// its uri has none) stay ignored.
func TestGatewayAuthMisspeltQueryDenies(t *testing.T) {
	e := newEnv(t, server.Options{})
	k := e.local("gw-case", "/acme/prod", keys.Viewer)
	for _, q := range []string{
		"resource=/acme/prod&Role=admin", "Resource=/globex", "RESOURCE=/globex&role=viewer",
		"resource=/acme/prod&ROLE=editor", "resource=/acme/prod&role%20=admin",
	} {
		if r := e.do("GET", "/v1/auth?"+q, k.Secret, nil); r.status != http.StatusForbidden {
			t.Errorf("/v1/auth?%s: %d, want 403", q, r.status)
		}
	}
	e.do("GET", "/v1/auth?resource=/acme/prod&page=2", k.Secret, nil).want(t, http.StatusNoContent)
}

// Two Authorization headers: which key is meant cannot be told, so none is.
func TestTwoAuthorizationHeaders(t *testing.T) {
	e := newEnv(t, server.Options{})
	k := e.local("k", "/acme", keys.Viewer)
	for _, path := range []string{"/v1/auth", "/v1/whoami"} {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		req.Header.Add("Authorization", "Bearer "+e.root)
		req.Header.Add("Authorization", "Bearer "+k.Secret)
		res, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s with two Authorization headers: %d, want 401", path, res.StatusCode)
		}
	}
}

// An empty resource or role is denied, not read as "none asked for": a
// gateway configured with an unset variable must not pass any valid key.
func TestGatewayAuthEmptyValues(t *testing.T) {
	e := newEnv(t, server.Options{})
	k := e.local("narrow", "/globex", keys.Viewer)
	for _, q := range []string{"resource=", "resource=&role=", "role=", "resource=%20"} {
		if r := e.do("GET", "/v1/auth?"+q, k.Secret, nil); r.status != http.StatusForbidden {
			t.Errorf("/v1/auth?%s: %d, want 403", q, r.status)
		}
	}
	for _, h := range []string{"X-Keyward-Resource", "X-Keyward-Role"} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/v1/auth/app", nil)
		req.Header.Set("Authorization", "Bearer "+k.Secret)
		req.Header.Set(h, "")
		res, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s empty: %d, want 403", h, res.StatusCode)
		}
	}
	if r := e.do("GET", "/v1/auth", k.Secret, nil); r.status != http.StatusNoContent {
		t.Errorf("no resource at all: %d, want 204", r.status)
	}
}

// authCheck sends a gateway's check: any method and path, the presented
// key as a bearer, and X-Keyward-* headers when given (name, value pairs).
func (e *env) authCheck(method, path, token string, headers ...string) *resp {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return &resp{status: res.StatusCode, header: res.Header, body: b}
}

// Under /v1/auth/ the query is the end user's: the resource comes only
// from X-Keyward-Resource, and without it the check is denied, never
// "any valid key" (a trailing slash in a gateway's proxy_pass led there).
func TestGatewayAuthPrefixedNeedsResourceHeader(t *testing.T) {
	e := newEnv(t, server.Options{})
	viewer := e.local("gw-viewer", "/acme/prod", keys.Viewer)

	for _, path := range []string{"/v1/auth/", "/v1/auth/?resource=/other&role=admin", "/v1/auth/app/x?resource=/acme/prod"} {
		for _, method := range []string{"GET", "POST"} {
			r := e.authCheck(method, path, viewer.Secret)
			msg := r.wantError(t, http.StatusForbidden, keys.Forbidden)
			if !strings.Contains(msg, "X-Keyward-Resource") {
				t.Errorf("%s %s: the refusal does not say how to configure the gateway: %s", method, path, msg)
			}
			if r.header.Get("X-Keyward-Key-Id") != "" {
				t.Errorf("%s %s: key id on a refusal", method, path)
			}
		}
	}
	// A role alone is not a resource.
	e.authCheck("GET", "/v1/auth/app", viewer.Secret, "X-Keyward-Role", "viewer").wantError(t, http.StatusForbidden, keys.Forbidden)

	// "/" asks for any valid key, explicitly; a role is then checked
	// against the key's highest grant.
	ok := e.authCheck("GET", "/v1/auth/app?resource=/other&role=admin", viewer.Secret, "X-Keyward-Resource", "/").want(t, http.StatusNoContent)
	if ok.header.Get("X-Keyward-Key-Id") != viewer.ID {
		t.Errorf("204 headers: %v", ok.header)
	}
	e.authCheck("GET", "/v1/auth/app", viewer.Secret, "X-Keyward-Resource", "/", "X-Keyward-Role", "editor").want(t, http.StatusForbidden)
	e.authCheck("GET", "/v1/auth/app", viewer.Secret, "X-Keyward-Resource", "/acme/prod/app").want(t, http.StatusNoContent)
	e.authCheck("GET", "/v1/auth/app", viewer.Secret, "X-Keyward-Resource", "/other").want(t, http.StatusForbidden)
	// Without a key it is still 401 once the gateway is configured.
	e.authCheck("GET", "/v1/auth/app", "", "X-Keyward-Resource", "/").want(t, http.StatusUnauthorized)
}

// A 401 from /v1/auth says nothing about why: gateways (Caddy) hand its
// body and headers to the anonymous caller, and "DISABLED" would tell
// them that a real key was presented. The reason goes to the server log.
func TestGatewayAuth401IsTheSameForEveryReason(t *testing.T) {
	e := newEnv(t, server.Options{})
	off := e.local("gw-off", "/acme", keys.Viewer)
	e.do("PATCH", "/v1/keys/gw-off", e.root, map[string]any{"enabled": false}).want(t, http.StatusOK)
	short := e.local("gw-short", "/acme", keys.Viewer, func(r *keys.CreateRequest) { d := keys.Duration(time.Hour); r.TTL = &d })
	gone := e.local("gw-gone", "/acme", keys.Viewer)
	e.do("DELETE", "/v1/keys/gw-gone", e.root, nil).want(t, http.StatusNoContent)
	e.clock.Advance(2 * time.Hour)
	unknown, err := keys.NewSecret("sk")
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct{ name, token string }{
		{"no key", ""},
		{"garbage", "sk_nope"},
		{"unknown", unknown},
		{"deleted", gone.Secret},
		{"disabled", off.Secret},
		{"expired", short.Secret},
	}
	var first *resp
	for _, tc := range cases {
		for _, path := range []string{"/v1/auth?resource=/acme", "/v1/auth/app"} {
			r := e.authCheck("GET", path, tc.token, "X-Keyward-Resource", "/acme")
			r.wantError(t, http.StatusUnauthorized, keys.Unauthorized)
			r.header.Del("Date")
			if first == nil {
				first = r
				continue
			}
			if !bytes.Equal(r.body, first.body) || !reflect.DeepEqual(r.header, first.header) {
				t.Errorf("%s on %s: the 401 differs from the others:\n%v %s\nvs\n%v %s", tc.name, path, r.header, r.body, first.header, first.body)
			}
		}
	}
	logs := e.logs.String()
	for _, reason := range []string{"DISABLED", "EXPIRED", "NOT_FOUND"} {
		if !strings.Contains(logs, reason) {
			t.Errorf("the log does not say %s:\n%s", reason, logs)
		}
	}
	for _, tc := range cases[2:] {
		if strings.Contains(logs, tc.token[len(tc.token)-38:]) {
			t.Fatalf("a secret is in the log:\n%s", logs)
		}
	}
}

// failingVerify is the real store whose Verify fails as a database that
// is gone, or that did not answer within its deadline, makes it fail.
type failingVerify struct {
	keys.Backend
	err error
}

func (f failingVerify) Verify(context.Context, keys.VerifyRequest) (*keys.VerifyResult, error) {
	return nil, f.err
}

// A backend that cannot decide is 503 on both verification paths, never a
// 500 (a server fault to page someone for) and never a verdict.
func TestVerificationUnavailableIs503(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"unavailable", keys.Errorf(keys.Unavailable, "the database is unreachable; try again")},
		{"deadline", context.DeadlineExceeded},
		{"wrapped deadline", fmt.Errorf("looking up the key: %w", context.DeadlineExceeded)},
		{"unavailable deadline", &keys.Error{Code: keys.Unavailable, Message: "the database did not answer in time", Cause: context.DeadlineExceeded}},
		// A database the server lost (closed, an I/O error): the backend
		// cannot decide, whatever its error says.
		{"internal", errors.New("sql: database is closed")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvWith(t, server.Options{}, func(b keys.Backend) keys.Backend { return failingVerify{b, tc.err} })
			k := e.local("svc", "/acme", keys.Viewer)
			e.do("POST", "/v1/verify", "", map[string]string{"key": k.Secret}).wantError(t, http.StatusServiceUnavailable, keys.Unavailable)
			e.authCheck("GET", "/v1/auth?resource=/acme", k.Secret).wantError(t, http.StatusServiceUnavailable, keys.Unavailable)
			e.authCheck("GET", "/v1/auth/app", k.Secret, "X-Keyward-Resource", "/acme").wantError(t, http.StatusServiceUnavailable, keys.Unavailable)
			if strings.Contains(e.logs.String(), "internal error") {
				t.Errorf("logged as a server fault:\n%s", e.logs.String())
			}
		})
	}
}
