package keys

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// KeyFormat is how a key's secrets look: "opaque" (<prefix>_<random><checksum>)
// or "jwt" (a compact JWS that services can check offline against the JWK
// Set keyward publishes).
type KeyFormat string

const (
	FormatOpaque KeyFormat = "opaque"
	FormatJWT    KeyFormat = "jwt"
)

// ParseKeyFormat reads a key format; "" is opaque.
func ParseKeyFormat(s string) (KeyFormat, error) {
	switch s {
	case "", "opaque":
		return FormatOpaque, nil
	case "jwt":
		return FormatJWT, nil
	}
	return "", Errorf(Invalid, "invalid format %q: use opaque or jwt", s)
}

// maxTokenLen bounds a token: 32 grants of 255-byte resources fit with
// room to spare, and a header of megabytes is never decoded.
const maxTokenLen = 16 << 10

// tokenStartLen is how much of a token's signature its key's start shows:
// header and payload begin alike in every token (eyJhbGciOi…), the
// signature does not, and 6 characters (36 bits of a 512-bit signature)
// tell a key's tokens apart without giving any of it away.
const tokenStartLen = 6

// tokenStart begins every token: `{"` base64url-encoded.
const tokenStart = "eyJ"

// IsToken reports whether s has a JWT's shape: three base64url segments
// (no padding) joined by dots, the first decoding to a JSON object with an
// "alg" (so it starts "eyJ", the encoding of `{"`, as every token keyward
// makes does; no opaque secret can: its prefix is lower case). It says
// nothing of the signature: that is the store's to check, against the
// signing keys it knows.
func IsToken(s string) bool {
	if len(s) > maxTokenLen || !strings.HasPrefix(s, tokenStart) {
		return false
	}
	h, rest, ok := strings.Cut(s, ".")
	if !ok {
		return false
	}
	p, sig, ok := strings.Cut(rest, ".")
	if !ok || !isB64URL(h) || !isB64URL(p) || !isB64URL(sig) {
		return false
	}
	return tokenHeader(h)
}

// tokenHeader reports whether the segment h decodes to a JSON object with
// a non-empty string "alg".
func tokenHeader(h string) bool {
	raw, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return false
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	return json.Unmarshal(raw, &hdr) == nil && hdr.Alg != ""
}

func isB64URL(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isB64URLByte(s[i]) {
			return false
		}
	}
	return true
}

func isB64URLByte(c byte) bool { return isBase62Byte(c) || c == '-' || c == '_' }

// TokenStart is a token's displayable start: the first characters of its
// signature.
func TokenStart(token string) string {
	i := strings.LastIndexByte(token, '.')
	if i < 0 || len(token)-i-1 < tokenStartLen {
		return ""
	}
	return token[i+1 : i+1+tokenStartLen]
}

// containsToken reports whether a JWT-shaped run appears anywhere in s.
func containsToken(s string) bool {
	start, _ := IndexToken(s)
	return start >= 0
}

// IndexToken finds the first JWT-shaped run (IsToken) in s and returns
// where it starts and ends; -1, -1 when there is none. Every JSON
// header's encoding starts "eyJ" (`{"`), so that is where a token is
// looked for; it ends at the first byte no token has, or at a third dot.
// The shape alone decides: a scanner checks the signature itself.
func IndexToken(s string) (start, end int) {
	for off := 0; ; {
		i := strings.Index(s[off:], tokenStart)
		if i < 0 {
			return -1, -1
		}
		runStart := off + i
		runEnd := runStart
		for runEnd < len(s) && (isB64URLByte(s[runEnd]) || s[runEnd] == '.') {
			runEnd++
		}
		if start, end := indexTokenInRun(s[runStart:runEnd]); start >= 0 {
			return runStart + start, runStart + end
		}
		off = runEnd
	}
}

// indexTokenInRun finds the first token in run, which holds only bytes a
// token may (base64url and dots). The dots are found once: a candidate
// from each "eyJ" ends at the third dot after it, or the run's end, so a
// run full of "eyJ" is read once, not once per "eyJ".
func indexTokenInRun(run string) (start, end int) {
	var dots []int
	for i := 0; i < len(run); i++ {
		if run[i] == '.' {
			dots = append(dots, i)
		}
	}
	d := 0 // the first dot after p
	for p := 0; p < len(run); p += len(tokenStart) {
		i := strings.Index(run[p:], tokenStart)
		if i < 0 {
			return -1, -1
		}
		p += i
		for d < len(dots) && dots[d] < p {
			d++
		}
		if d+1 >= len(dots) {
			return -1, -1 // fewer than two dots after p, and after any later "eyJ"
		}
		end := len(run)
		if d+2 < len(dots) {
			end = dots[d+2]
		}
		if IsToken(run[p:end]) {
			return p, end
		}
	}
	return -1, -1
}

// MaxTokenLen is the longest token keyward makes or accepts.
const MaxTokenLen = maxTokenLen

// checkFormat refuses what a JWT key cannot be: public (an app embeds a
// public key, and a token names its grants to anyone holding it), or
// given a prefix (a token has none).
func checkFormat(req CreateRequest) error {
	if req.Format != FormatJWT {
		return nil
	}
	if req.Type == Public {
		return Errorf(Invalid, "a public key cannot be a JWT key: use --format jwt with secret keys only")
	}
	if req.Prefix != "" {
		return Errorf(Invalid, "a JWT key has no prefix: leave --prefix out with --format jwt")
	}
	return nil
}

// IsTokenStart reports whether a secret that passed ParseSecret is a token
// (and not an opaque secret): the one test verification's hot path makes.
func IsTokenStart(secret string) bool { return strings.HasPrefix(secret, tokenStart) }
