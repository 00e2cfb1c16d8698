package keystest

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/keyward/keyward/internal/keys"
)

// JWT keys (issue 12): created, verified, rolled, deleted and expired as
// every key is, online by their SHA-256; offline, a token verifies with
// the JWK Set alone, and a forged one is refused.
func jwtCases() []serviceCase {
	return []serviceCase{
		{"jwt: create, claims, verify online and offline", testJWTCreate},
		{"jwt: refuses public keys, prefixes and unknown formats", testJWTInvalid},
		{"jwt: roll with grace, delete, expiry", testJWTLifecycle},
		{"jwt: forged tokens are not found", testJWTForged},
		{"jwt: rotation keeps old tokens verifiable, JWKS drops unused keys", testJWTRotation},
		{"jwt: a token is an operator credential; only root admins rotate", testJWTOperator},
	}
}

func createJWT(t *testing.T, svc keys.Service, req keys.CreateRequest) *keys.NewSecretKey {
	t.Helper()
	req.Format = keys.FormatJWT
	return createReq(t, svc, req)
}

// tokenClaims decodes a token's payload without checking it.
func tokenClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments, want 3", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	ok(t, err)
	var c map[string]any
	ok(t, json.Unmarshal(raw, &c))
	return c
}

// jwksOf is the backend's JWK Set, parsed by go-jose.
func jwksOf(t *testing.T, svc keys.Service) jose.JSONWebKeySet {
	t.Helper()
	sk, isSK := svc.(keys.SigningKeys)
	if !isSK {
		t.Fatalf("%T does not serve signing keys", svc)
	}
	raw, err := sk.JWKS(bg)
	ok(t, err)
	var set jose.JSONWebKeySet
	ok(t, json.Unmarshal(raw, &set))
	for _, k := range set.Keys {
		if k.Algorithm != "EdDSA" || k.Use != "sig" || k.KeyID == "" {
			t.Fatalf("JWK %+v: want alg EdDSA, use sig, a kid", k)
		}
		if _, isEd := k.Key.(ed25519.PublicKey); !isEd || !k.IsPublic() {
			t.Fatalf("JWK %s is %T, want a public Ed25519 key", k.KeyID, k.Key)
		}
	}
	return set
}

// offline verifies token as a service would with the JWK Set only; it
// returns the kid that signed it, "" when it does not verify.
func offline(t *testing.T, set jose.JSONWebKeySet, token string) string {
	t.Helper()
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		return ""
	}
	kid := jws.Signatures[0].Protected.KeyID
	for _, k := range set.Key(kid) {
		if _, err := jws.Verify(k); err == nil {
			return kid
		}
	}
	return ""
}

func testJWTCreate(t *testing.T, e env) {
	opaque := create(t, e.admin, "opaque", g("/acme", keys.Viewer))
	if opaque.Format != keys.FormatOpaque {
		t.Errorf("opaque key format = %q", opaque.Format)
	}
	k := createJWT(t, e.admin, keys.CreateRequest{Name: "svc-jwt", Grants: []keys.Grant{g("/acme/prod", keys.Editor), g("/acme/dev", keys.Viewer)}})
	if k.Format != keys.FormatJWT || !keys.IsToken(k.Secret) {
		t.Fatalf("format %q, secret %.12s…: want a jwt token", k.Format, k.Secret)
	}
	if k.Start != keys.TokenStart(k.Secret) || k.Start == "" || !strings.Contains(k.Secret, "."+k.Start) {
		t.Errorf("start %q is not the start of the token's signature", k.Start)
	}
	c := tokenClaims(t, k.Secret)
	if c["sub"] != k.ID || c["org"] != "/acme" || c["iss"] != keys.DefaultIssuer || !strings.HasPrefix(c["jti"].(string), "sec_") {
		t.Errorf("claims %v", c)
	}
	if _, has := c["exp"]; has {
		t.Errorf("a key without expiry has exp %v", c["exp"])
	}
	if iat, _ := c["iat"].(float64); !near(time.Unix(int64(iat), 0), time.Now(), time.Minute) {
		t.Errorf("iat %v is not now", c["iat"])
	}
	if g, _ := json.Marshal(c["grants"]); string(g) != `[{"resource":"/acme/dev","role":"viewer"},{"resource":"/acme/prod","role":"editor"}]` {
		t.Errorf("grants claim %s", g)
	}
	if got := get(t, e.admin, k.ID); got.Format != keys.FormatJWT || got.Start != k.Start {
		t.Errorf("get: format %q start %q", got.Format, got.Start)
	}
	// The audit row says so, and never holds the token.
	events := auditAll(t, e.admin, keys.AuditFilter{Key: k.ID})
	if len(events) != 1 || events[0].Details["format"] != "jwt" {
		t.Errorf("audit of a JWT key's create: %s", jsonOf(t, events))
	}
	if text := jsonOf(t, events); strings.Contains(text, k.Secret) || strings.Contains(text, strings.Split(k.Secret, ".")[2]) {
		t.Errorf("the audit row holds the token: %s", text)
	}
	// Online: as any secret, trailing newline and all.
	wantVerify(t, e.admin, k.Secret, "/acme/prod/x", rolePtr(keys.Editor), keys.CodeValid)
	wantVerify(t, e.admin, k.Secret+"\n", "/acme/dev", nil, keys.CodeValid)
	wantVerify(t, e.admin, k.Secret, "/acme/dev", rolePtr(keys.Editor), keys.CodeInsufficientPermissions)
	// Offline: the JWK Set alone.
	set := jwksOf(t, e.admin)
	if kid := offline(t, set, k.Secret); kid == "" {
		t.Fatal("the token does not verify against the JWK Set")
	}

	exp := createJWT(t, e.admin, keys.CreateRequest{Name: "svc-ttl", Grants: []keys.Grant{g("/acme", keys.Viewer)}, TTL: dur("1h")})
	if c := tokenClaims(t, exp.Secret); exp.ExpiresAt == nil || c["exp"] != float64(exp.ExpiresAt.Unix()) {
		t.Errorf("exp claim %v, key expires %v", c["exp"], exp.ExpiresAt)
	}
}

func testJWTInvalid(t *testing.T, e env) {
	acme := []keys.Grant{g("/acme", keys.Viewer)}
	for _, req := range []keys.CreateRequest{
		{Name: "pub", Type: keys.Public, Format: keys.FormatJWT, Grants: acme},
		{Name: "pre", Prefix: "acme", Format: keys.FormatJWT, Grants: acme},
		{Name: "odd", Format: "paseto", Grants: acme},
	} {
		_, err := e.admin.Create(bg, req)
		wantCode(t, err, keys.Invalid)
	}
	// A token is refused in names, meta and resources, as a secret is.
	k := createJWT(t, e.admin, keys.CreateRequest{Name: "svc", Grants: acme})
	_, err := e.admin.Create(bg, keys.CreateRequest{Name: "m", Grants: acme, Meta: map[string]string{"token": k.Secret}})
	wantCode(t, err, keys.Invalid)
}

func testJWTLifecycle(t *testing.T, e env) {
	acme := []keys.Grant{g("/acme", keys.Editor)}
	k := createJWT(t, e.admin, keys.CreateRequest{Name: "rolling", Grants: acme})
	r1, err := e.admin.Roll(bg, k.ID, keys.RollRequest{Grace: dur("1h")})
	ok(t, err)
	if r1.Format != keys.FormatJWT || !keys.IsToken(r1.Secret) || r1.Secret == k.Secret || r1.Start != keys.TokenStart(r1.Secret) {
		t.Fatalf("roll: format %q start %q", r1.Format, r1.Start)
	}
	if c0, c1 := tokenClaims(t, k.Secret), tokenClaims(t, r1.Secret); c0["jti"] == c1["jti"] || c1["sub"] != k.ID {
		t.Errorf("rolled token claims %v after %v: want the same sub, a fresh jti", c1, c0)
	}
	wantVerify(t, e.admin, k.Secret, "/acme", nil, keys.CodeValid)
	wantVerify(t, e.admin, r1.Secret, "/acme", nil, keys.CodeValid)
	// At most two: rolling again ends the oldest at once.
	r2, err := e.admin.Roll(bg, k.ID, keys.RollRequest{Grace: dur("1h"), TTL: dur("2h")})
	ok(t, err)
	wantVerify(t, e.admin, k.Secret, "/acme", nil, keys.CodeNotFound)
	wantVerify(t, e.admin, r1.Secret, "/acme", nil, keys.CodeValid)
	wantVerify(t, e.admin, r2.Secret, "/acme", nil, keys.CodeValid)
	if c := tokenClaims(t, r2.Secret); r2.ExpiresAt == nil || c["exp"] != float64(r2.ExpiresAt.Unix()) {
		t.Errorf("roll --ttl: exp claim %v, key expires %v", c["exp"], r2.ExpiresAt)
	}

	// Grace over: the previous token stops; the key's expiry: the current too.
	e.advance(90 * time.Minute)
	wantVerify(t, e.admin, r1.Secret, "/acme", nil, keys.CodeNotFound)
	wantVerify(t, e.admin, r2.Secret, "/acme", nil, keys.CodeValid)
	e.advance(time.Hour)
	wantVerify(t, e.admin, r2.Secret, "/acme", nil, keys.CodeExpired)

	// Delete ends a token at once for everyone who asks.
	d := createJWT(t, e.admin, keys.CreateRequest{Name: "doomed", Grants: acme})
	wantVerify(t, e.admin, d.Secret, "/acme", nil, keys.CodeValid)
	_, err = e.admin.Delete(bg, []string{d.ID})
	ok(t, err)
	wantVerify(t, e.admin, d.Secret, "/acme", nil, keys.CodeNotFound)
	// Disabled likewise.
	off := createJWT(t, e.admin, keys.CreateRequest{Name: "off", Grants: acme})
	_, err = e.admin.Update(bg, off.ID, keys.UpdateRequest{Enabled: boolPtr(false)})
	ok(t, err)
	wantVerify(t, e.admin, off.Secret, "/acme", nil, keys.CodeDisabled)
}

// forge returns token with its payload replaced by claims (signature
// kept), and a token for the same claims signed by a key keyward never
// had, under the same kid.
func forge(t *testing.T, token string, claims map[string]any) (altered, foreign string) {
	t.Helper()
	parts := strings.Split(token, ".")
	payload, err := json.Marshal(claims)
	ok(t, err)
	altered = parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]
	return altered, ForeignSigned(t, token, payload)
}

func testJWTForged(t *testing.T, e env) {
	k := createJWT(t, e.admin, keys.CreateRequest{Name: "target", Grants: []keys.Grant{g("/acme/prod", keys.Viewer)}})
	c := tokenClaims(t, k.Secret)
	c["grants"] = []map[string]string{{"resource": "/", "role": "admin"}}
	altered, foreign := forge(t, k.Secret, c)
	parts := strings.Split(k.Secret, ".")
	set := jwksOf(t, e.admin)
	for name, tok := range map[string]string{
		"altered payload":   altered,
		"foreign signer":    foreign,
		"cut signature":     parts[0] + "." + parts[1] + "." + parts[2][:20],
		"no signature":      parts[0] + "." + parts[1] + ".AA",
		"alg none":          base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".AA",
		"another signature": parts[0] + "." + parts[1] + "." + strings.Split(foreign, ".")[2],
	} {
		if kid := offline(t, set, tok); kid != "" {
			t.Errorf("%s: verified offline", name)
		}
		wantVerify(t, e.admin, tok, "", nil, keys.CodeNotFound)
	}
	wantVerify(t, e.admin, k.Secret, "", nil, keys.CodeValid)
}

func testJWTRotation(t *testing.T, e env) {
	sk := e.admin.(keys.SigningKeys)
	acme := []keys.Grant{g("/acme", keys.Viewer)}
	old := createJWT(t, e.admin, keys.CreateRequest{Name: "old", Grants: acme})
	oldKid := offline(t, jwksOf(t, e.admin), old.Secret)
	if oldKid == "" {
		t.Fatal("token does not verify offline")
	}
	rotated, err := sk.RotateSigningKey(bg)
	ok(t, err)
	if rotated.KID == oldKid || rotated.State != keys.SigningActive {
		t.Fatalf("rotate: %+v", rotated)
	}
	fresh := createJWT(t, e.admin, keys.CreateRequest{Name: "fresh", Grants: acme})
	set := jwksOf(t, e.admin)
	if offline(t, set, old.Secret) != oldKid || offline(t, set, fresh.Secret) != rotated.KID {
		t.Fatalf("after rotation the JWK Set %v must verify the old token and the new one", set.Keys)
	}
	wantVerify(t, e.admin, old.Secret, "/acme", nil, keys.CodeValid)
	wantVerify(t, e.admin, fresh.Secret, "/acme", nil, keys.CodeValid)

	// The rotation is in the audit log: who, when, which key replaced which.
	var rows []*keys.AuditEvent
	for _, ev := range auditAll(t, e.admin, keys.AuditFilter{}) {
		if ev.Action == keys.ActionSigningKeyRotate {
			rows = append(rows, ev)
		}
	}
	if len(rows) != 1 || rows[0].Org != "/" || rows[0].KeyID != nil ||
		rows[0].Details["kid"] != rotated.KID || rows[0].Details["retired_kid"] != oldKid {
		t.Fatalf("rotation audit rows: %s", jsonOf(t, rows))
	}

	list, err := sk.ListSigningKeys(bg)
	ok(t, err)
	if len(list) != 2 || list[0].KID != rotated.KID || list[0].State != keys.SigningActive ||
		list[1].KID != oldKid || list[1].State != keys.SigningRetired || list[1].InUse != 1 || list[1].RetiresAt != nil || list[1].RetiredAt == nil {
		t.Fatalf("signing keys: %s", jsonOf(t, list))
	}

	// Rolled with a grace: the old key stays published until the grace ends.
	_, err = e.admin.Roll(bg, old.ID, keys.RollRequest{Grace: dur("1h")})
	ok(t, err)
	if offline(t, jwksOf(t, e.admin), old.Secret) != oldKid {
		t.Fatal("the old key left the JWK Set while a token it signed is in its grace")
	}
	list, err = sk.ListSigningKeys(bg)
	ok(t, err)
	if list[1].RetiresAt == nil || !near(*list[1].RetiresAt, time.Now().Add(time.Hour), time.Minute) {
		t.Errorf("retires_at %v, want in an hour", list[1].RetiresAt)
	}
	e.advance(2 * time.Hour)
	set = jwksOf(t, e.admin)
	if len(set.Keys) != 1 || set.Keys[0].KeyID != rotated.KID {
		t.Fatalf("after the grace the JWK Set holds %d keys; want only the active one", len(set.Keys))
	}
	list, err = sk.ListSigningKeys(bg)
	ok(t, err)
	if list[1].State != keys.SigningDropped || list[1].InUse != 0 {
		t.Errorf("old signing key: %s", jsonOf(t, list[1]))
	}
	// Online, the lookup alone decides (the old token was rolled out).
	wantVerify(t, e.admin, old.Secret, "/acme", nil, keys.CodeNotFound)
}

func testJWTOperator(t *testing.T, e env) {
	root := createJWT(t, e.admin, keys.CreateRequest{Name: "root-jwt", Grants: []keys.Grant{g("/", keys.Admin)}})
	acme := createJWT(t, e.admin, keys.CreateRequest{Name: "acme-admin", Grants: []keys.Grant{g("/acme", keys.Admin)}})
	asRoot := e.as(t, root.Secret)
	if got := get(t, asRoot, acme.ID); got.ID != acme.ID {
		t.Fatalf("get as a JWT operator key: %+v", got)
	}
	_, err := asRoot.(keys.SigningKeys).RotateSigningKey(bg)
	ok(t, err)
	asAcme := e.as(t, acme.Secret)
	_, err = asAcme.(keys.SigningKeys).RotateSigningKey(bg)
	wantCode(t, err, keys.Forbidden)
	_, err = asAcme.(keys.SigningKeys).ListSigningKeys(bg)
	wantCode(t, err, keys.Forbidden)
	// The JWK Set is public.
	if len(jwksOf(t, asAcme).Keys) != 2 {
		t.Error("want both signing keys published")
	}
	// A self-roll with the token, as a CI job rotates its own key.
	r, err := asAcme.Roll(bg, acme.ID, keys.RollRequest{Grace: dur("0s")})
	ok(t, err)
	wantVerify(t, e.admin, acme.Secret, "", nil, keys.CodeNotFound)
	wantVerify(t, e.admin, r.Secret, "", nil, keys.CodeValid)
}
