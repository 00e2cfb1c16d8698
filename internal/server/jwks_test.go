package server_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/server"
)

func jwtReq(req *keys.CreateRequest) { req.Format = keys.FormatJWT }

func TestJWKSRoutes(t *testing.T) {
	e := newEnv(t, server.Options{})
	k := e.local("edge", "/acme", keys.Viewer, jwtReq)
	for _, path := range []string{"/v1/jwks", "/.well-known/jwks.json"} {
		r := e.do("GET", path, "", nil).want(t, http.StatusOK)
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", path, ct)
		}
		if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "max-age=") {
			t.Errorf("%s: Cache-Control %q", path, cc)
		}
		var set struct {
			Keys []map[string]any `json:"keys"`
		}
		r.decode(t, &set)
		if len(set.Keys) != 1 || set.Keys[0]["kty"] != "OKP" || set.Keys[0]["d"] != nil {
			t.Errorf("%s: %s", path, r.body)
		}
	}
	// A token verifies and authenticates like any secret, and is never logged.
	var res keys.VerifyResult
	e.do("POST", "/v1/verify", "", map[string]string{"key": k.Secret}).want(t, http.StatusOK).decode(t, &res)
	if res.Code != keys.CodeValid {
		t.Fatalf("verify: %s", res.Code)
	}
	e.do("GET", "/v1/auth?resource=/acme", k.Secret, nil).want(t, http.StatusNoContent)
	e.do("GET", "/v1/keys?key="+k.Secret, k.Secret, nil)
	if logs := e.logs.String(); strings.Contains(logs, k.Secret[len(k.Secret)-30:]) || strings.Contains(logs, strings.Split(k.Secret, ".")[1][:20]) {
		t.Fatalf("a token reached the log:\n%s", logs)
	}

	// Signing keys: root admins only.
	acme := e.local("acme-admin", "/acme", keys.Admin)
	e.do("GET", "/v1/signing-keys", acme.Secret, nil).wantError(t, http.StatusForbidden, keys.Forbidden)
	e.do("POST", "/v1/signing-keys/rotate", acme.Secret, nil).wantError(t, http.StatusForbidden, keys.Forbidden)
	e.do("GET", "/v1/signing-keys", "", nil).wantError(t, http.StatusUnauthorized, keys.Unauthorized)
	var rotated keys.SigningKey
	e.do("POST", "/v1/signing-keys/rotate", e.root, nil).want(t, http.StatusOK).decode(t, &rotated)
	var list struct {
		Items []keys.SigningKey `json:"items"`
	}
	e.do("GET", "/v1/signing-keys", e.root, nil).want(t, http.StatusOK).decode(t, &list)
	if len(list.Items) != 2 || list.Items[0].KID != rotated.KID || list.Items[1].State != keys.SigningRetired {
		t.Fatalf("signing keys: %+v", list.Items)
	}
}

func TestMaxJWTTTL(t *testing.T) {
	e := newEnv(t, server.Options{MaxJWTTTL: 24 * time.Hour, MaxTTL: 30 * 24 * time.Hour})
	body := func(format, ttl string) map[string]any {
		b := createBody("k-"+format+ttl, "/acme", "viewer")
		b["format"] = format
		if ttl != "" {
			b["ttl"] = ttl
		}
		return b
	}
	// A JWT key without an expiry gets the JWT cap; an opaque one the general cap.
	j := e.do("POST", "/v1/keys", e.root, body("jwt", "")).want(t, http.StatusCreated).newSecret(t)
	if j.ExpiresAt == nil || j.ExpiresAt.Sub(e.clock.Now()) > 24*time.Hour+time.Second {
		t.Errorf("jwt key expires %v", j.ExpiresAt)
	}
	var claims map[string]any
	payload, _ := decodeSegment(strings.Split(j.Secret, ".")[1])
	if err := json.Unmarshal(payload, &claims); err != nil || claims["exp"] != float64(j.ExpiresAt.Unix()) {
		t.Errorf("claims %s", payload)
	}
	o := e.do("POST", "/v1/keys", e.root, body("opaque", "")).want(t, http.StatusCreated).newSecret(t)
	if o.ExpiresAt == nil || o.ExpiresAt.Sub(e.clock.Now()) < 29*24*time.Hour {
		t.Errorf("opaque key expires %v", o.ExpiresAt)
	}
	e.do("POST", "/v1/keys", e.root, body("jwt", "2d")).wantError(t, http.StatusBadRequest, keys.Invalid)
	e.do("POST", "/v1/keys", e.root, body("opaque", "2d")).want(t, http.StatusCreated)
	// Update and roll of a JWT key: the same cap.
	e.do("PATCH", "/v1/keys/"+j.ID, e.root, map[string]any{"ttl": "2d"}).wantError(t, http.StatusBadRequest, keys.Invalid)
	u := e.do("PATCH", "/v1/keys/"+j.ID, e.root, map[string]any{"no_expiry": true}).want(t, http.StatusOK).key(t)
	if u.ExpiresAt == nil || u.ExpiresAt.Sub(e.clock.Now()) > 24*time.Hour+time.Second {
		t.Errorf("no_expiry on a jwt key: expires %v", u.ExpiresAt)
	}
	e.do("POST", "/v1/keys/"+j.ID+"/roll", e.root, map[string]any{"ttl": "2d"}).wantError(t, http.StatusBadRequest, keys.Invalid)
	e.do("POST", "/v1/keys/"+j.ID+"/roll", e.root, map[string]any{"grace": "2d"}).wantError(t, http.StatusBadRequest, keys.Invalid)
	e.do("POST", "/v1/keys/"+j.ID+"/roll", e.root, map[string]any{"ttl": "12h"}).want(t, http.StatusOK)
	e.do("PATCH", "/v1/keys/"+o.ID, e.root, map[string]any{"ttl": "2d"}).want(t, http.StatusOK)

	// The tighter cap wins when the general one is shorter.
	f := newEnv(t, server.Options{MaxJWTTTL: 30 * 24 * time.Hour, MaxTTL: time.Hour})
	k := f.do("POST", "/v1/keys", f.root, body("jwt", "")).want(t, http.StatusCreated).newSecret(t)
	if k.ExpiresAt == nil || k.ExpiresAt.Sub(f.clock.Now()) > time.Hour+time.Second {
		t.Errorf("jwt key under a 1h --max-ttl expires %v", k.ExpiresAt)
	}
}

func decodeSegment(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
