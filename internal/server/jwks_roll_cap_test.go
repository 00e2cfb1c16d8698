package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/server"
)

// TestMaxJWTTTLRollOfKeyWithoutExpiry: a JWT key made before the server
// had --max-jwt-ttl (or with --db) never expires; a roll keeps the key's
// expiry and its new token carries it as exp, so a roll without --ttl
// used to mint a token that verifies offline for ever. It gets the cap,
// as a create without an expiry does; the key itself, which may not
// change its own expiry, is told to ask an admin.
func TestMaxJWTTTLRollOfKeyWithoutExpiry(t *testing.T) {
	e := newEnv(t, server.Options{MaxJWTTTL: 24 * time.Hour})
	tokenExp := func(secret string) any {
		var claims map[string]any
		payload, _ := decodeSegment(strings.Split(secret, ".")[1])
		if err := json.Unmarshal(payload, &claims); err != nil {
			t.Fatal(err)
		}
		return claims["exp"]
	}
	forever := e.local("forever", "/acme", keys.Viewer, jwtReq)
	far := e.local("far", "/acme", keys.Viewer, jwtReq, func(r *keys.CreateRequest) {
		d := keys.Duration(10 * 365 * 24 * time.Hour)
		r.TTL = &d
	})
	for _, k := range []*keys.NewSecretKey{forever, far} {
		rolled := e.do("POST", "/v1/keys/"+k.ID+"/roll", e.root, map[string]any{"grace": "1h"}).want(t, http.StatusOK).newSecret(t)
		exp, ok := tokenExp(rolled.Secret).(float64)
		if !ok || time.Unix(int64(exp), 0).Sub(e.clock.Now()) > 24*time.Hour+time.Second {
			t.Errorf("%s: rolled token exp %v, key expires %v", k.Name, tokenExp(rolled.Secret), rolled.ExpiresAt)
		}
	}
	// Within the cap already: the roll keeps the key's expiry.
	near := e.local("near", "/acme", keys.Viewer, jwtReq, func(r *keys.CreateRequest) {
		d := keys.Duration(time.Hour)
		r.TTL = &d
	})
	rolled := e.do("POST", "/v1/keys/"+near.ID+"/roll", e.root, nil).want(t, http.StatusOK).newSecret(t)
	if rolled.ExpiresAt == nil || !rolled.ExpiresAt.Equal(*near.ExpiresAt) {
		t.Errorf("near: expires %v, was %v", rolled.ExpiresAt, near.ExpiresAt)
	}
	// A key rolling itself: refused, with the way out.
	self := e.local("self", "/acme", keys.Viewer, jwtReq)
	r := e.do("POST", "/v1/keys/"+self.ID+"/roll", self.Secret, nil).wantError(t, http.StatusBadRequest, keys.Invalid)
	if !strings.Contains(r, "--max-jwt-ttl") {
		t.Errorf("self roll: %s", r)
	}
	// Opaque keys are --max-ttl's business only.
	o := e.local("opaque", "/acme", keys.Viewer)
	if k := e.do("POST", "/v1/keys/"+o.ID+"/roll", e.root, nil).want(t, http.StatusOK).newSecret(t); k.ExpiresAt != nil {
		t.Errorf("opaque key got an expiry: %v", k.ExpiresAt)
	}
}
