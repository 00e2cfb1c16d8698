package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/api"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/server"
)

func deleteBody(refs ...string) api.DeleteRequest { return api.DeleteRequest{Keys: refs} }

func (r *resp) deleted(t *testing.T) []string {
	t.Helper()
	var out api.DeleteResponse
	r.decode(t, &out)
	var names []string
	for _, k := range out.Items {
		names = append(names, k.Name)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q on keys, want no-store", cc)
	}
	return names
}

func TestBulkDelete(t *testing.T) {
	e := newEnv(t, server.Options{})
	a := e.local("a", "/acme", keys.Viewer)
	e.local("b", "/acme", keys.Viewer)
	e.local("c", "/acme", keys.Viewer)

	// By id, by name and by org/name; the same key twice goes once.
	got := e.do("POST", "/v1/keys/delete", e.root, deleteBody("acme/c", a.ID, "a", "b")).want(t, http.StatusOK).deleted(t)
	if strings.Join(got, ",") != "c,a,b" {
		t.Errorf("deleted %v, want c,a,b in the order asked", got)
	}
	for _, n := range []string{"a", "b", "c"} {
		e.do("GET", "/v1/keys/"+n, e.root, nil).wantError(t, http.StatusNotFound, keys.NotFound)
	}
	e.do("POST", "/v1/verify", "", map[string]string{"key": a.Secret}).want(t, http.StatusOK)
}

// One request, one transaction: a key that is missing, or that the
// operator may read but not delete, deletes nothing.
func TestBulkDeleteAllOrNothing(t *testing.T) {
	e := newEnv(t, server.Options{})
	admin := e.local("acme-admin", "/acme/dev", keys.Admin).Secret
	e.local("dev-key", "/acme/dev", keys.Viewer)
	e.local("prod-key", "/acme/prod", keys.Viewer)

	e.do("POST", "/v1/keys/delete", e.root, deleteBody("dev-key", "missing")).wantError(t, http.StatusNotFound, keys.NotFound)
	// acme-admin reads nothing of /acme/prod: 404, as for one key.
	e.do("POST", "/v1/keys/delete", admin, deleteBody("dev-key", "prod-key")).wantError(t, http.StatusNotFound, keys.NotFound)
	viewer := e.local("acme-viewer", "/acme", keys.Viewer).Secret
	e.do("POST", "/v1/keys/delete", viewer, deleteBody("dev-key")).wantError(t, http.StatusForbidden, keys.Forbidden)
	for _, n := range []string{"dev-key", "prod-key"} {
		e.do("GET", "/v1/keys/"+n, e.root, nil).want(t, http.StatusOK)
	}
	audit := e.do("GET", "/v1/audit?key=dev-key", e.root, nil).want(t, http.StatusOK)
	if strings.Contains(string(audit.body), `"delete"`) {
		t.Errorf("a refused bulk delete left an audit row: %s", audit.body)
	}
}

// The operator's own key may be among the keys: the change is checked
// once, before any goes.
func TestBulkDeleteIncludingSelf(t *testing.T) {
	e := newEnv(t, server.Options{})
	op := e.local("leaving-admin", "/acme", keys.Admin)
	e.local("old", "/acme", keys.Viewer)
	got := e.do("POST", "/v1/keys/delete", op.Secret, deleteBody("leaving-admin", "old")).want(t, http.StatusOK).deleted(t)
	if strings.Join(got, ",") != "leaving-admin,old" {
		t.Errorf("deleted %v", got)
	}
	e.do("GET", "/v1/keys", op.Secret, nil).wantError(t, http.StatusUnauthorized, keys.Unauthorized)
}

func TestBulkDeleteBadRequests(t *testing.T) {
	e := newEnv(t, server.Options{})
	for _, body := range []any{"", "{}", `{"keys":[]}`, `{"keys":"a"}`, `{"key":["a"]}`, `{"keys":["a"],"keys":["b"]}`, deleteBody(make([]string, api.MaxDeleteKeys+1)...)} {
		e.do("POST", "/v1/keys/delete", e.root, body).wantError(t, http.StatusBadRequest, keys.Invalid)
	}
	e.do("POST", "/v1/keys/delete", "", deleteBody("root")).wantError(t, http.StatusUnauthorized, keys.Unauthorized)
	e.do("GET", "/v1/keys/root", e.root, nil).want(t, http.StatusOK)
}

// A roll's answer says when the caller rolled its own key, so that a
// client can follow without asking who it is first (with grace 0 it could
// not ask afterwards).
func TestRollSaysSelf(t *testing.T) {
	e := newEnv(t, server.Options{})
	ci := e.local("ci", "/acme", keys.Editor)
	e.local("other", "/acme", keys.Viewer)
	r := e.do("POST", "/v1/keys/other/roll", e.root, nil).want(t, http.StatusOK)
	if v := r.header.Get(api.HeaderSelf); v != "" {
		t.Errorf("rolling another key: %s: %q", api.HeaderSelf, v)
	}
	r = e.do("POST", "/v1/keys/ci/roll", ci.Secret, map[string]string{"grace": "0"}).want(t, http.StatusOK)
	if v := r.header.Get(api.HeaderSelf); v != "true" {
		t.Errorf("a self-roll: %s: %q, want true", api.HeaderSelf, v)
	}
}

// The most keys one delete may name fit its body however they are named:
// MaxDeleteKeys references of the longest form (/org/name, 64 characters
// each) are read and answered for what they name (here: not found), not
// refused as too large; past the bound, the count is what is refused.
func TestBulkDeleteOfTheMostKeysByTheLongestNames(t *testing.T) {
	e := newEnv(t, server.Options{})
	refs := make([]string, api.MaxDeleteKeys)
	for i := range refs {
		refs[i] = fmt.Sprintf("/%s/%s%04d", strings.Repeat("o", 64), strings.Repeat("n", 60), i)
	}
	e.do("POST", "/v1/keys/delete", e.root, deleteBody(refs...)).wantError(t, http.StatusNotFound, keys.NotFound)
	ids := make([]string, 3*api.MaxDeleteKeys)
	for i := range ids {
		ids[i] = fmt.Sprintf("key_%016d", i)
	}
	msg := e.do("POST", "/v1/keys/delete", e.root, deleteBody(ids...)).wantError(t, http.StatusBadRequest, keys.Invalid)
	if !strings.Contains(msg, "too many keys in one delete") {
		t.Errorf("3,000 ids: %s", msg)
	}
}
