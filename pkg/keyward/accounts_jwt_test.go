package keyward

import (
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// A JWT key of a service account, verified through a real server: the
// Verifier takes the token (keys.ParseSecret knows its shape), answers
// with the account's grants and names the account; a change to the
// account reaches an uncached Verifier at once.
func TestAccountJWTKeyThroughVerifier(t *testing.T) {
	s := startReal(t)
	if _, err := s.st.CreateAccount(s.local, keys.CreateAccountRequest{Name: "svc", Grants: []keys.Grant{{Resource: "/acme/prod", Role: keys.Editor}}}); err != nil {
		t.Fatal(err)
	}
	k, err := s.st.Create(s.local, keys.CreateRequest{Name: "svc-jwt", Account: "svc", Format: keys.FormatJWT})
	if err != nil {
		t.Fatal(err)
	}
	v := s.verifier(t, Options{})
	r := mustVerify(t, v, k.Secret, "/acme/prod", "editor")
	if r.Code != CodeValid || r.KeyID != k.ID || r.Account != "svc" || len(r.Grants) != 1 || r.Grants[0] != (Grant{"/acme/prod", "editor"}) {
		t.Fatalf("verify: %+v", r)
	}
	if _, err := s.st.GrantAccount(s.local, "svc", keys.Grant{Resource: "/acme/ops", Role: keys.Admin}); err != nil {
		t.Fatal(err)
	}
	if r := mustVerify(t, v, k.Secret, "/acme/ops", "admin"); r.Code != CodeValid {
		t.Errorf("after the account's grant: %+v", r)
	}
	plain := s.create(t, "plain", "/acme", keys.Viewer, 0)
	if r := mustVerify(t, v, plain.Secret, "/acme", ""); r.Code != CodeValid || r.Account != "" {
		t.Errorf("a key of no account: %+v", r)
	}
}
