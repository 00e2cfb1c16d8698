package store

import (
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// A public key stored with more than viewer, before public keys were held
// to viewer, verifies as a viewer and can be brought down to one.
func legacyPublicKeysVerifyAsViewers(t *testing.T, s *Store) {
	t.Helper()
	pub, err := s.Create(local(ctx), keys.CreateRequest{Name: "web", Type: keys.Public,
		Grants: []keys.Grant{{Resource: "/acme", Role: keys.Viewer}}})
	if err != nil {
		t.Fatal(err)
	}
	// As the rule's absence left it: admin on /acme.
	if _, err := s.on(s.pools.writer).exec(ctx, "UPDATE grants SET role = 3 WHERE key_id = $1", pub.ID); err != nil {
		t.Fatal(err)
	}
	verify := func(resource string, role keys.Role) *keys.VerifyResult {
		t.Helper()
		r := keys.Resource(resource)
		res, err := s.Verify(ctx, keys.VerifyRequest{Secret: pub.Secret, Resource: &r, Role: &role})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if r := verify("/acme/web", keys.Viewer); r.Code != keys.CodeValid {
		t.Errorf("verify as viewer: %s", r.Code)
	}
	for _, role := range []keys.Role{keys.Editor, keys.Admin} {
		r := verify("/acme/web", role)
		if r.Code != keys.CodeInsufficientPermissions {
			t.Errorf("verify --role %s of a public key stored as admin: %s, want INSUFFICIENT_PERMISSIONS", role, r.Code)
		}
		if len(r.Grants) != 1 || r.Grants[0].Role != keys.Viewer {
			t.Errorf("verify answers grants %v for a public key", r.Grants)
		}
	}
	if _, err := s.Grant(local(ctx), pub.ID, keys.Grant{Resource: "/acme/app", Role: keys.Editor}); keys.ErrorCode(err) != keys.Invalid {
		t.Errorf("editor to a stored admin public key: %v, want invalid", err)
	}
	k, err := s.Grant(local(ctx), pub.ID, keys.Grant{Resource: "/acme", Role: keys.Viewer})
	if err != nil {
		t.Fatalf("bringing it down to viewer: %v", err)
	}
	if len(k.Grants) != 1 || k.Grants[0].Role != keys.Viewer {
		t.Errorf("grants after bringing it down: %v", k.Grants)
	}
}

func TestLegacyPublicKeysVerifyAsViewers(t *testing.T) {
	legacyPublicKeysVerifyAsViewers(t, openTemp(t, Options{}))
}

func TestPostgresLegacyPublicKeysVerifyAsViewers(t *testing.T) {
	legacyPublicKeysVerifyAsViewers(t, openPG(t, Options{}))
}
