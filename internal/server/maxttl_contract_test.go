package server_test

import (
	"net/http"
	"testing"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/server"
)

// --max-ttl gives every key made without an expiry the cap, and an
// organization's default key is made without one: it gets the cap too,
// or orgs create would make the one key the server lets live forever.
func TestMaxTTLCapsAnOrgsDefaultKey(t *testing.T) {
	max := 30 * keys.Day
	e := newEnv(t, server.Options{MaxTTL: max})
	now := e.clock.Now()
	var created keys.OrgCreated
	e.do("POST", "/v1/orgs", e.root, map[string]any{"name": "capped"}).want(t, http.StatusCreated).decode(t, &created)
	if k := created.DefaultKey; k == nil || k.ExpiresAt == nil || !k.ExpiresAt.Equal(now.Add(max)) {
		t.Fatalf("default key under --max-ttl 30d: %+v, want expires_at %v", k, now.Add(max))
	}
	got := e.do("GET", "/v1/keys/capped%2Fdefault", e.root, nil).want(t, http.StatusOK).key(t)
	if got.ExpiresAt == nil || !got.ExpiresAt.Equal(now.Add(max)) {
		t.Errorf("stored default key expires_at %v, want %v", got.ExpiresAt, now.Add(max))
	}
	e.do("POST", "/v1/orgs", e.root, map[string]any{"name": "long", "ttl": "31d"}).wantError(t, http.StatusBadRequest, keys.Invalid)
	e.do("GET", "/v1/orgs/long", e.root, nil).want(t, http.StatusNotFound)

	// Without a cap the default key still never expires.
	e = newEnv(t, server.Options{})
	created = keys.OrgCreated{}
	e.do("POST", "/v1/orgs", e.root, map[string]any{"name": "free"}).want(t, http.StatusCreated).decode(t, &created)
	if created.DefaultKey.ExpiresAt != nil {
		t.Errorf("default key without --max-ttl expires at %v", created.DefaultKey.ExpiresAt)
	}
}
