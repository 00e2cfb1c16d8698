package server_test

import (
	"net/http"
	"testing"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/server"
)

// TestSigningKeysOnlyRootAdmins: rotating (and listing) signing keys is
// for a root admin's current secret: not its rolled-out previous secret
// in its grace, not a public key, not a viewer or editor on /, not a
// disabled root admin.
func TestSigningKeysOnlyRootAdmins(t *testing.T) {
	e := newEnv(t, server.Options{})
	admin := e.local("root2", "/", keys.Admin)
	e.do("POST", "/v1/keys/"+admin.ID+"/roll", e.root, map[string]any{"grace": "1h"}).want(t, http.StatusOK)
	e.do("POST", "/v1/signing-keys/rotate", admin.Secret, nil).wantError(t, http.StatusForbidden, keys.Forbidden)
	e.do("GET", "/v1/signing-keys", admin.Secret, nil).wantError(t, http.StatusForbidden, keys.Forbidden)

	for _, role := range []keys.Role{keys.Viewer, keys.Editor} {
		k := e.local("root-"+role.String(), "/", role)
		e.do("POST", "/v1/signing-keys/rotate", k.Secret, nil).wantError(t, http.StatusForbidden, keys.Forbidden)
	}
	pub := e.local("pub", "/", keys.Viewer, func(r *keys.CreateRequest) { r.Type = keys.Public })
	e.do("POST", "/v1/signing-keys/rotate", pub.Secret, nil).wantError(t, http.StatusForbidden, keys.Forbidden)

	off := e.local("off", "/", keys.Admin)
	e.do("PATCH", "/v1/keys/"+off.ID, e.root, map[string]any{"enabled": false}).want(t, http.StatusOK)
	e.do("POST", "/v1/signing-keys/rotate", off.Secret, nil).wantError(t, http.StatusUnauthorized, keys.Unauthorized)

	var list struct {
		Items []keys.SigningKey `json:"items"`
	}
	e.do("GET", "/v1/signing-keys", e.root, nil).want(t, http.StatusOK).decode(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("a refused rotation made a signing key: %+v", list.Items)
	}
}
