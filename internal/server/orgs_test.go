package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/server"
)

// The wire shapes of /v1/orgs: the Service behaviour itself is the
// keystest suites', run over the client.
func TestOrgsOverHTTP(t *testing.T) {
	e := newEnv(t, server.Options{})
	r := e.do("POST", "/v1/orgs", e.root, map[string]any{"name": "acme", "default_type": "secret", "default_role": "owner"}).want(t, 201)
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q on a secret, want no-store", cc)
	}
	var created struct {
		Org        map[string]any    `json:"org"`
		DefaultKey keys.NewSecretKey `json:"default_key"`
	}
	r.decode(t, &created)
	if created.Org["name"] != "/acme" || created.Org["default_key_id"] != created.DefaultKey.ID ||
		created.DefaultKey.Secret == "" || created.DefaultKey.Grants[0].Role != keys.Admin || !created.DefaultKey.Default {
		t.Fatalf("created: %s", r.body)
	}
	// The org's JSON is exactly its four fields.
	var org map[string]any
	for _, path := range []string{"/v1/orgs/acme", "/v1/orgs/%2Facme"} {
		e.do("GET", path, e.root, nil).want(t, 200).decode(t, &org)
		if len(org) != 4 || org["name"] != "/acme" || org["key_count"] != float64(1) {
			t.Fatalf("GET %s: %v", path, org)
		}
	}
	var page struct {
		Items      []map[string]any `json:"items"`
		NextCursor *string          `json:"next_cursor"`
	}
	e.do("GET", "/v1/orgs?limit=1", e.root, nil).want(t, 200).decode(t, &page)
	if len(page.Items) != 1 || page.NextCursor != nil {
		t.Fatalf("list: %+v", page)
	}

	e.do("POST", "/v1/orgs", e.root, map[string]any{"name": "acme"}).wantError(t, 409, keys.Conflict)
	e.do("POST", "/v1/orgs", e.root, map[string]any{"name": "x", "default_role": "admin"}).wantError(t, 400, keys.Invalid)
	e.do("POST", "/v1/orgs", e.root, map[string]any{"name": "x", "default_type": "root"}).wantError(t, 400, keys.Invalid)
	e.do("GET", "/v1/orgs/a%2Fb", e.root, nil).wantError(t, 400, keys.Invalid)
	e.do("GET", "/v1/orgs/nope", e.root, nil).wantError(t, 404, keys.NotFound)
	e.do("GET", "/v1/orgs?color=red", e.root, nil).wantError(t, 400, keys.Invalid)
	e.do("GET", "/v1/orgs", "", nil).wantError(t, 401, keys.Unauthorized)

	admin := e.local("acme-admin", "/acme", keys.Admin).Secret
	e.do("GET", "/v1/orgs/acme", admin, nil).want(t, 200)
	e.do("DELETE", "/v1/orgs/acme?with_keys=true", admin, nil).wantError(t, 403, keys.Forbidden)
	e.do("DELETE", "/v1/orgs/acme", e.root, nil).wantError(t, 409, keys.Conflict)
	e.do("DELETE", "/v1/orgs/acme?with_keys=maybe", e.root, nil).wantError(t, 400, keys.Invalid)
	r = e.doWith("DELETE", "/v1/orgs/%2Facme?with_keys=true", e.root, nil, http.Header{"Prefer": {"handling=strict, return=representation"}}).want(t, 200)
	r.decode(t, &org)
	if org["key_count"] != float64(2) || r.header.Get("Preference-Applied") != "return=representation" {
		t.Fatalf("deleted: %s %v", r.body, r.header)
	}
	// Without Prefer, a delete answers 204 "as keys" (DESIGN.md's table).
	e.do("POST", "/v1/orgs", e.root, map[string]any{"name": "gone"}).want(t, 201)
	if r := e.do("DELETE", "/v1/orgs/gone?with_keys=true", e.root, nil).want(t, 204); len(r.body) != 0 {
		t.Fatalf("a 204 with a body: %q", r.body)
	}
	e.do("GET", "/v1/orgs/gone", e.root, nil).wantError(t, 404, keys.NotFound)
	if !strings.Contains(string(e.do("GET", "/v1/audit", e.root, nil).want(t, 200).body), `"action":"org_delete","key_id":null,"key_name":null`) {
		t.Fatalf("no org_delete audit row with a null key")
	}
}
