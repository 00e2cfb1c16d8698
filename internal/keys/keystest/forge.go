package keystest

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// ForeignSigned is payload (nil: token's own claims) signed as a JWT key's
// token is, under token's kid, by a key keyward never had: a forgery that
// reads as keyward's and that no JWK Set of keyward verifies.
func ForeignSigned(t *testing.T, token string, payload []byte) string {
	t.Helper()
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.EdDSA})
	ok(t, err)
	if payload == nil {
		payload = jws.UnsafePayloadWithoutVerification()
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	ok(t, err)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: jose.JSONWebKey{Key: priv, KeyID: jws.Signatures[0].Protected.KeyID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	ok(t, err)
	obj, err := signer.Sign(payload)
	ok(t, err)
	forged, err := obj.CompactSerialize()
	ok(t, err)
	return forged
}
