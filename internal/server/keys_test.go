package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/keys/keystest"
	"github.com/keyward/keyward/internal/server"
)

func TestKeyLifecycle(t *testing.T) {
	e := newEnv(t, server.Options{})

	body := createBody("ci-deploy", "/acme/prod", "editor")
	body["ttl"] = "30d"
	body["meta"] = map[string]string{"team": "infra"}
	created := e.do("POST", "/v1/keys", e.root, body).want(t, http.StatusCreated).newSecret(t)
	if created.Name != "ci-deploy" || created.Org != "/acme" || !strings.HasPrefix(created.ID, "key_") ||
		created.ExpiresAt == nil || !created.ExpiresAt.Equal(e.clock.Now().Add(30*keys.Day)) || created.Meta["team"] != "infra" {
		t.Fatalf("created %+v", created)
	}
	if _, err := keys.ParseSecret(created.Secret); err != nil {
		t.Fatalf("secret %q does not parse", created.Secret)
	}

	// Every form of ref reaches the same key.
	for _, ref := range []string{created.ID, "ci-deploy", url.PathEscape("acme/ci-deploy"), "acme%2Fci-deploy"} {
		got := e.do("GET", "/v1/keys/"+ref, e.root, nil).want(t, http.StatusOK).key(t)
		if got.ID != created.ID {
			t.Errorf("GET %s: got %s, want %s", ref, got.ID, created.ID)
		}
		if strings.Contains(string(e.do("GET", "/v1/keys/"+ref, e.root, nil).body), created.Secret) {
			t.Errorf("GET %s shows the secret", ref)
		}
	}

	updated := e.do("PATCH", "/v1/keys/acme%2Fci-deploy", e.root, map[string]any{"enabled": false, "meta": map[string]string{"team": "", "env": "prod"}}).
		want(t, http.StatusOK).key(t)
	if updated.Enabled || updated.Meta["env"] != "prod" || updated.Meta["team"] != "" {
		t.Errorf("updated %+v", updated)
	}
	e.do("PATCH", "/v1/keys/ci-deploy", e.root, map[string]any{"enabled": true}).want(t, http.StatusOK)

	rolled := e.do("POST", "/v1/keys/acme%2Fci-deploy/roll", e.root, map[string]any{"grace": "1h"}).want(t, http.StatusOK).newSecret(t)
	if rolled.ID != created.ID || rolled.Secret == created.Secret || rolled.PreviousExpiresAt == nil {
		t.Errorf("rolled %+v", rolled)
	}
	// An empty roll body is the defaults.
	e.do("POST", "/v1/keys/"+created.ID+"/roll", e.root, nil).want(t, http.StatusOK).newSecret(t)

	granted := e.do("PUT", "/v1/keys/acme%2Fci-deploy/grants", e.root, map[string]string{"resource": "/acme/dev", "role": "viewer"}).
		want(t, http.StatusOK).key(t)
	if len(granted.Grants) != 2 {
		t.Errorf("grants after PUT: %+v", granted.Grants)
	}
	ungranted := e.do("DELETE", "/v1/keys/acme%2Fci-deploy/grants?resource=/acme/dev", e.root, nil).want(t, http.StatusOK).key(t)
	if len(ungranted.Grants) != 1 || ungranted.Grants[0].Resource != "/acme/prod" {
		t.Errorf("grants after DELETE: %+v", ungranted.Grants)
	}
	e.do("DELETE", "/v1/keys/acme%2Fci-deploy/grants?resource=/acme/prod", e.root, nil).wantError(t, http.StatusConflict, keys.Conflict)
	e.do("DELETE", "/v1/keys/ci-deploy/grants", e.root, nil).wantError(t, http.StatusBadRequest, keys.Invalid)
	e.do("DELETE", "/v1/keys/ci-deploy/grants?resource=nope", e.root, nil).wantError(t, http.StatusBadRequest, keys.Invalid)

	del := e.do("DELETE", "/v1/keys/acme%2Fci-deploy", e.root, nil).want(t, http.StatusNoContent)
	if len(del.body) != 0 {
		t.Errorf("204 with a body: %s", del.body)
	}
	e.do("GET", "/v1/keys/"+created.ID, e.root, nil).wantError(t, http.StatusNotFound, keys.NotFound)
	e.do("DELETE", "/v1/keys/"+created.ID, e.root, nil).wantError(t, http.StatusNotFound, keys.NotFound)

	var v keys.VerifyResult
	e.do("POST", "/v1/verify", "", map[string]string{"key": rolled.Secret}).want(t, http.StatusOK).decode(t, &v)
	if v.Code != keys.CodeNotFound {
		t.Errorf("deleted key verifies %s", v.Code)
	}
}

func TestRootRefs(t *testing.T) {
	e := newEnv(t, server.Options{})
	e.local("ops", "/", keys.Viewer)
	e.local("ops", "/acme", keys.Viewer)
	// "/ops" is the root key, "acme/ops" the other; "ops" alone is ambiguous.
	if k := e.do("GET", "/v1/keys/%2Fops", e.root, nil).want(t, http.StatusOK).key(t); k.Org != "/" {
		t.Errorf("/ops: org %s", k.Org)
	}
	if k := e.do("GET", "/v1/keys/acme%2Fops", e.root, nil).want(t, http.StatusOK).key(t); k.Org != "/acme" {
		t.Errorf("acme/ops: org %s", k.Org)
	}
	e.do("GET", "/v1/keys/ops", e.root, nil).wantError(t, http.StatusConflict, keys.Conflict)
	e.do("POST", "/v1/keys/%2Fops/roll", e.root, map[string]string{"grace": "0"}).want(t, http.StatusOK).newSecret(t)
	e.do("PUT", "/v1/keys/%2Fops/grants", e.root, map[string]string{"resource": "/globex", "role": "viewer"}).want(t, http.StatusOK)
	e.do("DELETE", "/v1/keys/%2Fops", e.root, nil).want(t, http.StatusNoContent)
	e.do("GET", "/v1/keys/%2Fops", e.root, nil).wantError(t, http.StatusNotFound, keys.NotFound)
	// An unescaped org/name is not a route.
	e.do("GET", "/v1/keys/acme/ops", e.root, nil).wantError(t, http.StatusNotFound, keys.NoRoute)
}

func TestErrorMapping(t *testing.T) {
	e := newEnv(t, server.Options{})
	admin := e.local("acme-admin", "/acme", keys.Admin).Secret
	viewer := e.local("acme-viewer", "/acme", keys.Viewer).Secret
	e.local("globex-key", "/globex", keys.Viewer)
	e.local("target", "/acme/prod", keys.Viewer)

	e.do("POST", "/v1/keys", admin, createBody("target", "/acme/prod", "viewer")).wantError(t, http.StatusConflict, keys.Conflict)
	e.do("POST", "/v1/keys", admin, createBody("x", "/globex", "viewer")).wantError(t, http.StatusForbidden, keys.Forbidden)
	e.do("POST", "/v1/keys", viewer, createBody("x", "/acme", "viewer")).wantError(t, http.StatusForbidden, keys.Forbidden)
	e.do("POST", "/v1/keys", admin, createBody("bad name!", "/acme", "viewer")).wantError(t, http.StatusBadRequest, keys.Invalid)
	e.do("POST", "/v1/keys", admin, createBody("x", "acme", "viewer")).wantError(t, http.StatusBadRequest, keys.Invalid)
	e.do("POST", "/v1/keys", admin, createBody("x", "/acme", "superuser")).wantError(t, http.StatusBadRequest, keys.Invalid)
	e.do("POST", "/v1/keys", admin, map[string]any{"name": "x", "grants": []any{}}).wantError(t, http.StatusBadRequest, keys.Invalid)
	e.do("POST", "/v1/keys", admin, map[string]any{"name": "x", "grants": []any{map[string]string{"resource": "/acme"}}, "ttl": "-1d"}).
		wantError(t, http.StatusBadRequest, keys.Invalid)

	// A key outside one's view is 404, a visible one it may not change 403.
	e.do("GET", "/v1/keys/globex-key", admin, nil).wantError(t, http.StatusNotFound, keys.NotFound)
	e.do("DELETE", "/v1/keys/globex-key", admin, nil).wantError(t, http.StatusNotFound, keys.NotFound)
	e.do("GET", "/v1/keys/target", viewer, nil).want(t, http.StatusOK)
	e.do("PATCH", "/v1/keys/target", viewer, map[string]any{"enabled": false}).wantError(t, http.StatusForbidden, keys.Forbidden)
	e.do("DELETE", "/v1/keys/target", viewer, nil).wantError(t, http.StatusForbidden, keys.Forbidden)
	e.do("PUT", "/v1/keys/target/grants", admin, map[string]string{"resource": "/", "role": "admin"}).wantError(t, http.StatusForbidden, keys.Forbidden)
	e.do("GET", "/v1/keys/nope", admin, nil).wantError(t, http.StatusNotFound, keys.NotFound)
	e.do("DELETE", "/v1/keys/target/grants?resource=/acme/other", admin, nil).wantError(t, http.StatusNotFound, keys.NotFound)
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t, server.Options{})
	public := e.local("app", "/acme", keys.Viewer, func(r *keys.CreateRequest) { r.Type = keys.Public }).Secret
	disabled := e.local("off", "/", keys.Admin).Secret
	e.do("PATCH", "/v1/keys/off", e.root, map[string]any{"enabled": false}).want(t, http.StatusOK)
	short := e.local("short", "/", keys.Admin, func(r *keys.CreateRequest) { d := keys.Duration(time.Hour); r.TTL = &d }).Secret
	e.clock.Advance(2 * time.Hour)

	for _, tc := range []struct {
		name, header string
		status       int
		code         keys.Code
	}{
		{"no header", "", 401, keys.Unauthorized},
		{"not bearer", "Basic " + e.root, 401, keys.Unauthorized},
		{"empty bearer", "Bearer ", 401, keys.Unauthorized},
		{"garbage", "Bearer sk_nope", 401, keys.Unauthorized},
		{"bad checksum", "Bearer " + keystest.WrongLast(e.root), 401, keys.Unauthorized},
		{"disabled", "Bearer " + disabled, 401, keys.Unauthorized},
		{"expired", "Bearer " + short, 401, keys.Unauthorized},
		{"public key", "Bearer " + public, 403, keys.Forbidden},
		{"lower-case scheme", "bearer " + e.root, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", e.srv.URL+"/v1/keys", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			res, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if tc.status == 401 && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without WWW-Authenticate: Bearer: %v", res.Header)
			}
		})
	}
	// Every route but verify, auth, healthz and the document needs a token.
	for _, p := range []struct{ method, path string }{
		{"POST", "/v1/keys"}, {"GET", "/v1/keys"}, {"GET", "/v1/keys/root"}, {"PATCH", "/v1/keys/root"},
		{"DELETE", "/v1/keys/root"}, {"POST", "/v1/keys/root/roll"}, {"PUT", "/v1/keys/root/grants"},
		{"DELETE", "/v1/keys/root/grants?resource=/"}, {"GET", "/v1/audit"}, {"GET", "/v1/whoami"},
	} {
		e.do(p.method, p.path, "", "{}").wantError(t, http.StatusUnauthorized, keys.Unauthorized)
	}
}

func TestWhoAmI(t *testing.T) {
	e := newEnv(t, server.Options{})
	op := e.local("operator", "/acme", keys.Admin)
	var k keys.Key
	e.do("GET", "/v1/whoami", op.Secret, nil).want(t, http.StatusOK).decode(t, &k)
	if k.ID != op.ID || k.Name != "operator" || len(k.Grants) != 1 {
		t.Errorf("whoami answered %+v, want the operator key", k)
	}
}

func TestSelfRoll(t *testing.T) {
	e := newEnv(t, server.Options{})
	ci := e.local("ci", "/acme/prod", keys.Viewer)
	rolled := e.do("POST", "/v1/keys/ci/roll", ci.Secret, map[string]string{"grace": "0"}).want(t, http.StatusOK).newSecret(t)
	e.do("GET", "/v1/whoami", rolled.Secret, nil).want(t, http.StatusOK)
	e.do("GET", "/v1/whoami", ci.Secret, nil).wantError(t, http.StatusUnauthorized, keys.Unauthorized)
	e.do("POST", "/v1/keys/ci/roll", rolled.Secret, map[string]string{"ttl": "1d"}).wantError(t, http.StatusForbidden, keys.Forbidden)
}

func TestList(t *testing.T) {
	e := newEnv(t, server.Options{})
	for _, n := range []string{"a", "b", "c"} {
		e.local(n, "/acme/prod", keys.Viewer)
	}
	e.local("d", "/globex", keys.Viewer)

	var page keys.KeyPage
	e.do("GET", "/v1/keys?resource=/acme&limit=2", e.root, nil).want(t, http.StatusOK).decode(t, &page)
	if len(page.Items) != 2 || page.Items[0].Name != "a" || page.NextCursor == nil {
		t.Fatalf("first page %s", e.do("GET", "/v1/keys?resource=/acme&limit=2", e.root, nil).body)
	}
	var next keys.KeyPage
	e.do("GET", "/v1/keys?resource=/acme&limit=2&cursor="+url.QueryEscape(*page.NextCursor), e.root, nil).want(t, http.StatusOK).decode(t, &next)
	if len(next.Items) != 1 || next.Items[0].Name != "c" || next.NextCursor != nil {
		t.Fatalf("second page %+v", next)
	}

	empty := e.do("GET", "/v1/keys?resource=/nobody", e.root, nil).want(t, http.StatusOK)
	if got := strings.TrimSpace(string(empty.body)); got != `{"items":[],"next_cursor":null}` {
		t.Errorf("empty list: %s", got)
	}
	var all keys.KeyPage
	e.do("GET", "/v1/keys", e.root, nil).want(t, http.StatusOK).decode(t, &all)
	if len(all.Items) != 5 {
		t.Errorf("default list: %d keys, want 5", len(all.Items))
	}
	for _, q := range []string{"limit=0", "limit=1001", "limit=x", "limit=-1", "resource=acme", "expired=maybe",
		"expiring_within=soon", "unused_for=-1d", "expiring_within=0", "cursor=%zz"} {
		e.do("GET", "/v1/keys?"+q, e.root, nil).wantError(t, http.StatusBadRequest, keys.Invalid)
	}
	for _, q := range []string{"limit=1", "limit=1000", "expired=true", "expiring_within=7d", "unused_for=30d"} {
		e.do("GET", "/v1/keys?"+q, e.root, nil).want(t, http.StatusOK)
	}
}

func TestAudit(t *testing.T) {
	e := newEnv(t, server.Options{})
	e.do("POST", "/v1/keys", e.root, createBody("ci", "/acme", "viewer")).want(t, http.StatusCreated)
	var page keys.AuditPage
	e.do("GET", "/v1/audit?key=acme%2Fci", e.root, nil).want(t, http.StatusOK).decode(t, &page)
	if len(page.Items) != 1 || page.Items[0].Action != keys.ActionCreate {
		t.Fatalf("audit %+v", page)
	}
	for _, since := range []string{"2026-11-22T08:00:00Z", "1h", "2026-11-22"} {
		page = keys.AuditPage{}
		e.do("GET", "/v1/audit?since="+url.QueryEscape(since), e.root, nil).want(t, http.StatusOK).decode(t, &page)
		if len(page.Items) == 0 {
			t.Errorf("since=%s: no events", since)
		}
	}
	empty := e.do("GET", "/v1/audit?since=2026-11-23T00:00:00Z", e.root, nil).want(t, http.StatusOK)
	if got := strings.TrimSpace(string(empty.body)); got != `{"items":[],"next_cursor":null}` {
		t.Errorf("empty audit: %s", got)
	}
	for _, q := range []string{"since=yesterday", "limit=0", "limit=5000"} {
		e.do("GET", "/v1/audit?"+q, e.root, nil).wantError(t, http.StatusBadRequest, keys.Invalid)
	}
}
