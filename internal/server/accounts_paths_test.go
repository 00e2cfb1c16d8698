package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/server"
)

// The {account} and {org} path values as a hostile tenant writes them:
// escaped slashes, dot segments, NUL and secrets never reach another
// tenant's account, never answer 500 and never echo a secret.
func TestAccountAndOrgPathsHostile(t *testing.T) {
	e := newEnv(t, server.Options{})
	local := keys.WithPrincipal(context.Background(), keys.LocalPrincipal("test"))
	for _, req := range []keys.CreateAccountRequest{
		{Name: "robots", Grants: []keys.Grant{{Resource: "/acme/prod", Role: keys.Editor}}},
		{Name: "vault", Grants: []keys.Grant{{Resource: "/globex/vault", Role: keys.Viewer}}},
	} {
		if _, err := e.st.CreateAccount(local, req); err != nil {
			t.Fatal(err)
		}
	}
	admin := e.local("acme-admin", "/acme", keys.Admin).Secret
	viewer := e.local("acme-viewer", "/acme", keys.Viewer).Secret
	globexSecret := e.local("globex-ci", "/globex", keys.Viewer).Secret

	e.do("GET", "/v1/accounts/acme%2Frobots", admin, nil).want(t, 200)
	e.do("GET", "/v1/accounts/%2Facme%2Frobots", admin, nil).want(t, 200)
	e.do("PUT", "/v1/accounts/acme%2Frobots/grants", viewer, map[string]any{"resource": "/acme/prod", "role": "admin"}).wantError(t, 403, keys.Forbidden)
	for _, path := range []string{
		"/v1/accounts/globex%2Fvault", "/v1/accounts/vault", "/v1/accounts/%2E%2E",
		"/v1/accounts/acme%2F..%2Fglobex%2Fvault", "/v1/accounts/..%2Fglobex%2Fvault",
		"/v1/accounts/acme%2F%2E%2E%2Fglobex%2Fvault", "/v1/accounts/globex%2Fvault%00",
		"/v1/accounts/%FF", "/v1/accounts/" + globexSecret, "/v1/accounts/acme%2F" + globexSecret,
	} {
		for _, m := range []string{"GET", "DELETE"} {
			msg := e.do(m, path, admin, nil).wantError(t, 404, keys.NotFound)
			if strings.Contains(msg, globexSecret[3:]) {
				t.Errorf("%s %s echoes a secret: %s", m, path, msg)
			}
		}
		e.do("PUT", path+"/grants", admin, map[string]any{"resource": "/globex/vault", "role": "admin"}).wantError(t, 404, keys.NotFound)
	}
	for _, path := range []string{"/v1/orgs/%2E%2E", "/v1/orgs/acme%2F..", "/v1/orgs/acme%00", "/v1/orgs/%FF", "/v1/orgs/" + globexSecret} {
		msg := e.do("GET", path, admin, nil).wantError(t, 400, keys.Invalid)
		if strings.Contains(msg, globexSecret[3:]) {
			t.Errorf("GET %s echoes a secret: %s", path, msg)
		}
	}
	// Another tenant's organization is not found; one's own, not
	// administered, is forbidden; whether /globex exists is not told.
	e.do("GET", "/v1/orgs/globex", admin, nil).wantError(t, 404, keys.NotFound)
	e.do("GET", "/v1/orgs/initech", admin, nil).wantError(t, 404, keys.NotFound)
	e.do("GET", "/v1/orgs/acme", viewer, nil).wantError(t, 403, keys.Forbidden)
	e.do("DELETE", "/v1/orgs/globex", admin, nil).wantError(t, 403, keys.Forbidden)
	e.do("DELETE", "/v1/orgs/initech", admin, nil).wantError(t, 403, keys.Forbidden)
}

// A change to an account reaches /v1/auth and /v1/verify at once, however
// warm the server's caches are.
func TestAccountChangeReachesGatewayAtOnce(t *testing.T) {
	e := newEnv(t, server.Options{})
	local := keys.WithPrincipal(context.Background(), keys.LocalPrincipal("test"))
	if _, err := e.st.CreateAccount(local, keys.CreateAccountRequest{Name: "fleet",
		Grants: []keys.Grant{{Resource: "/acme/prod", Role: keys.Editor}}}); err != nil {
		t.Fatal(err)
	}
	k, err := e.st.Create(local, keys.CreateRequest{Name: "robot", Account: "fleet"})
	if err != nil {
		t.Fatal(err)
	}
	auth := func(resource string, want int) {
		t.Helper()
		r := e.do("GET", "/v1/auth?resource="+resource, k.Secret, nil).want(t, want)
		if want == 204 && r.header.Get("X-Keyward-Account") != "fleet" {
			t.Errorf("X-Keyward-Account = %q", r.header.Get("X-Keyward-Account"))
		}
		var v keys.VerifyResult
		e.do("POST", "/v1/verify", "", map[string]any{"key": k.Secret, "resource": resource}).want(t, 200).decode(t, &v)
		if v.Valid != (want == 204) {
			t.Errorf("verify %s: %+v, want valid %v", resource, v, want == 204)
		}
	}
	for range 3 { // warm
		auth("/acme/prod", 204)
		auth("/acme/dev", 403)
	}
	admin := e.root
	e.do("PUT", "/v1/accounts/fleet/grants", admin, map[string]any{"resource": "/acme/dev", "role": "viewer"}).want(t, 200)
	auth("/acme/dev", 204)
	e.do("DELETE", "/v1/accounts/fleet/grants?resource=%2Facme%2Fprod", admin, nil).want(t, 200)
	auth("/acme/prod", 403)
	auth("/acme/dev", 204)
}

// Deleting an account answers 204 "as keys" (DESIGN.md's table), and the
// account deleted with 200 when asked with Prefer: return=representation
// (what the CLI does, to say what went).
func TestDeleteAccountAnswers204UnlessAskedForTheAccount(t *testing.T) {
	e := newEnv(t, server.Options{})
	local := keys.WithPrincipal(context.Background(), keys.LocalPrincipal("test"))
	for _, name := range []string{"one", "two"} {
		req := keys.CreateAccountRequest{Name: name, Grants: []keys.Grant{{Resource: "/acme/prod", Role: keys.Editor}}}
		if _, err := e.st.CreateAccount(local, req); err != nil {
			t.Fatal(err)
		}
	}
	if r := e.do("DELETE", "/v1/accounts/acme%2Fone", e.root, nil).want(t, 204); len(r.body) != 0 {
		t.Fatalf("a 204 with a body: %q", r.body)
	}
	e.do("GET", "/v1/accounts/acme%2Fone", e.root, nil).wantError(t, 404, keys.NotFound)
	var a keys.Account
	r := e.doWith("DELETE", "/v1/accounts/acme%2Ftwo", e.root, nil, http.Header{"Prefer": {`RETURN="representation"`}}).want(t, 200)
	r.decode(t, &a)
	if a.Name != "two" || r.header.Get("Preference-Applied") != "return=representation" {
		t.Fatalf("deleted: %s %v", r.body, r.header)
	}
}
