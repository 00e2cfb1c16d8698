package scan

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func signToken(t *testing.T, priv ed25519.PrivateKey, kid, payload string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: jose.JSONWebKey{Key: priv, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := signer.Sign([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokensBySignatureOrKeywardShape(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	claims := `{"sub":"key_0123456789abcdef","jti":"sec_0123456789abcdef","org":"/acme"}`
	real := signToken(t, priv, "k1", claims)
	forged := signToken(t, other, "k1", claims)
	foreign := signToken(t, other, "x", `{"sub":"1234567890"}`)
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: pub, KeyID: "k1", Algorithm: "EdDSA", Use: "sig"}}})
	checked, err := NewTokens(set)
	if err != nil {
		t.Fatal(err)
	}
	// A real token at the end of a line longer than a piece is found once.
	text := "a=" + real + " b=" + forged + "\nc=" + foreign + "\n" + strings.Repeat("x", pieceSize+100) + "=" + real + "\n"
	for _, tc := range []struct {
		d    *Tokens
		want []string
	}{
		{checked, []string{"1 jwt", "3 jwt"}},
		{UncheckedTokens(), []string{"1 jwt-unchecked", "1 jwt-unchecked", "3 jwt-unchecked"}},
	} {
		var got []string
		rd := &Reader{Detectors: []Detector{Secrets{}, tc.d}}
		if _, err := rd.Read(strings.NewReader(text), "f", func(h Hit) {
			if h.Secret != real && h.Secret != forged {
				t.Errorf("found %q", h.Secret)
			}
			got = append(got, strings.Join([]string{string(rune('0' + h.Line)), h.Detector}, " "))
		}); err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: hits %v, want %v", tc.d.Name(), got, tc.want)
		}
	}
}
