package scan

import (
	"crypto/ed25519"
	"encoding/json"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/keyward/keyward/internal/keys"
)

// Detector names of JWT keys: checked against a JWK Set, or, with none
// (a scan with no database or server), not checked.
const (
	DetectorJWT          = "jwt"
	DetectorJWTUnchecked = "jwt-unchecked"
)

// Tokens detects keyward's JWT keys: a token's shape (keys.IndexToken),
// then its signature against the JWK Set of the backend that made it: a
// token that does not verify is not keyward's, whatever it looks like.
//
// With no JWK Set (UncheckedTokens: `scan --offline`, or no backend) the
// signature cannot be checked, and a shape alone would report every JWT
// in a repository; so only tokens that read as keyward's are reported:
// header alg EdDSA with a kid, claims with sub a key id and jti a
// secret's id. Such a finding says its signature was not checked: a
// forged token with keyward's header is reported too, and one from
// another system that mimics it; nothing else is.
type Tokens struct {
	pubs map[string]ed25519.PublicKey // by kid; nil: unchecked
}

// NewTokens checks tokens against the JWK Set jwks (RFC 7517, as
// keys.SigningKeys.JWKS returns it).
func NewTokens(jwks []byte) (*Tokens, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwks, &set); err != nil {
		return nil, keys.Errorf(keys.Internal, "reading the JWK Set: %s", err.Error())
	}
	pubs := map[string]ed25519.PublicKey{}
	for _, k := range set.Keys {
		if pub, ok := k.Key.(ed25519.PublicKey); ok && k.KeyID != "" {
			pubs[k.KeyID] = pub
		}
	}
	return &Tokens{pubs: pubs}, nil
}

// UncheckedTokens reports tokens that read as keyward's without checking
// their signature.
func UncheckedTokens() *Tokens { return &Tokens{} }

// Checked reports whether found tokens' signatures are checked.
func (t *Tokens) Checked() bool { return t.pubs != nil }

func (t *Tokens) Name() string {
	if t.Checked() {
		return DetectorJWT
	}
	return DetectorJWTUnchecked
}

func (t *Tokens) MaxLen() int { return keys.MaxTokenLen }

func (t *Tokens) Find(s string, match func(start, end int)) {
	for off := 0; off < len(s); {
		start, end := keys.IndexToken(s[off:])
		if start < 0 {
			return
		}
		if t.keyward(s[off+start : off+end]) {
			match(off+start, off+end)
		}
		off += end
	}
}

// keyward reports whether token is one of keyward's: signed by a key of
// the set, or, unchecked, shaped by keyward's header and claims.
func (t *Tokens) keyward(token string) bool {
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil || len(jws.Signatures) != 1 {
		return false
	}
	kid := jws.Signatures[0].Protected.KeyID
	if kid == "" {
		return false
	}
	if t.Checked() {
		pub, ok := t.pubs[kid]
		if !ok {
			return false
		}
		_, err := jws.Verify(pub)
		return err == nil
	}
	var c struct {
		Sub string `json:"sub"`
		JTI string `json:"jti"`
	}
	if json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &c) != nil {
		return false
	}
	return keys.IsID(c.Sub) && strings.HasPrefix(c.JTI, "sec_")
}
