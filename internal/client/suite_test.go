package client_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"

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
func openRemote(t *testing.T) (keys.Service, func(t *testing.T, secret string) keys.Service) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "keys.db"), store.Options{})
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
	srv := httptest.NewServer(server.New(st, server.Options{}))
	t.Cleanup(srv.Close)

	as := func(t *testing.T, secret string) keys.Service {
		t.Helper()
		c, err := client.New(client.Options{BaseURL: srv.URL, Token: secret})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	return as(t, root.Secret), as
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
	admin, _ := openRemote(t)
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
