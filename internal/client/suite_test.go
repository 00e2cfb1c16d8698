package client_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/client"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/keys/keystest"
	"github.com/keyward/keyward/internal/server"
	"github.com/keyward/keyward/internal/store"
)

// openRemote is the remote backend end to end: a real SQLite store in a
// temporary folder, served by internal/server on a loopback httptest
// server, reached through the client. admin acts with a root key made by
// direct database access, as an operator bootstraps a real server.
// advance moves the clock the store and the server share.
func openRemote(t *testing.T) (admin keys.Service, as func(t *testing.T, secret string) keys.Service, advance func(time.Duration)) {
	t.Helper()
	ctx := context.Background()
	clock := new(keystest.Clock)
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "keys.db"), store.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	local := keys.WithPrincipal(ctx, keys.LocalPrincipal("test"))
	root, err := st.Create(local, keys.CreateRequest{
		Name:   "suite-root",
		Grants: []keys.Grant{{Resource: keys.Root, Role: keys.Admin}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(st, server.Options{Now: clock.Now}))
	t.Cleanup(srv.Close)

	as = func(t *testing.T, secret string) keys.Service {
		t.Helper()
		c, err := client.New(client.Options{BaseURL: srv.URL, Token: secret})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	return as(t, root.Secret), as, clock.Advance
}

func TestServiceSuite(t *testing.T) {
	keystest.RunServiceSuite(t, openRemote)
}

func TestAuthzSuite(t *testing.T) {
	keystest.RunAuthzSuite(t, openRemote)
}

// TestDotRefs: "." and ".." are not key names, and must reach the server
// as refs that are not found, not as dot segments its router cleans away
// (GET /v1/keys/. became the list, printed as an empty key).
func TestDotRefs(t *testing.T) {
	admin, _, _ := openRemote(t)
	ctx := context.Background()
	for _, ref := range []string{".", ".."} {
		if k, err := admin.Get(ctx, ref); keys.ErrorCode(err) != keys.NotFound {
			t.Errorf("Get(%q) = %+v, %v; want not_found", ref, k, err)
		}
		if _, err := admin.Roll(ctx, ref, keys.RollRequest{}); keys.ErrorCode(err) != keys.NotFound {
			t.Errorf("Roll(%q): %v; want not_found", ref, err)
		}
		if _, err := admin.Grant(ctx, ref, keys.Grant{Resource: "/acme", Role: keys.Viewer}); keys.ErrorCode(err) != keys.NotFound {
			t.Errorf("Grant(%q): %v; want not_found", ref, err)
		}
	}
}

// TestDeleteIncludingSelf: an operator deleting several keys, its own
// among them, deletes them all, in the one request and transaction of the
// bulk delete (DESIGN.md: deleting several keys is all or nothing).
func TestDeleteIncludingSelf(t *testing.T) {
	admin, as, _ := openRemote(t)
	ctx := context.Background()
	mk := func(name string, role keys.Role) *keys.NewSecretKey {
		k, err := admin.Create(ctx, keys.CreateRequest{Name: name, Grants: []keys.Grant{{Resource: "/acme", Role: role}}})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	op := mk("leaving-admin", keys.Admin)
	a, b := mk("old-a", keys.Viewer), mk("old-b", keys.Viewer)
	deleted, err := as(t, op.Secret).Delete(ctx, []string{"old-a", "leaving-admin", "old-b"})
	if err != nil {
		t.Fatalf("delete with the operator's own key among them: %v", err)
	}
	var names []string
	for _, k := range deleted {
		names = append(names, k.Name)
	}
	if strings.Join(names, " ") != "old-a leaving-admin old-b" {
		t.Errorf("deleted %v, want them in the order asked", names)
	}
	for _, id := range []string{a.ID, op.ID, b.ID} {
		if _, err := admin.Get(ctx, id); keys.ErrorCode(err) != keys.NotFound {
			t.Errorf("%s survived: %v", id, err)
		}
	}
}

// TestDeleteAllOrNothingWhenForbidden: one key the operator may read but
// not delete among several: nothing is deleted, as with --db.
func TestDeleteAllOrNothingWhenForbidden(t *testing.T) {
	admin, as, _ := openRemote(t)
	ctx := context.Background()
	mk := func(name string, grants ...keys.Grant) *keys.NewSecretKey {
		k, err := admin.Create(ctx, keys.CreateRequest{Name: name, Grants: grants})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	op := mk("prod-admin", keys.Grant{Resource: "/acme", Role: keys.Viewer}, keys.Grant{Resource: "/acme/prod", Role: keys.Admin})
	prod := mk("prod-key", keys.Grant{Resource: "/acme/prod", Role: keys.Viewer})
	mk("dev-key", keys.Grant{Resource: "/acme/dev", Role: keys.Viewer})
	_, err := as(t, op.Secret).Delete(ctx, []string{"prod-key", "dev-key"})
	if keys.ErrorCode(err) != keys.Forbidden {
		t.Fatalf("delete with a key it may not delete: %v, want forbidden", err)
	}
	if _, err := admin.Get(ctx, prod.ID); err != nil {
		t.Errorf("the deletable key was deleted anyway: %v", err)
	}
}
