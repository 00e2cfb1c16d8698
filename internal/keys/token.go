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

// maxHeaderLen bounds a token's encoded header: keyward's is about 100
// characters ({"alg":"EdDSA","kid":<43>,"typ":"JWT"}), and the bound keeps
// the search for tokens in text linear (findToken).
const maxHeaderLen = 512

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
	if !ok || len(h) > maxHeaderLen || !isB64URL(h) || !isB64URL(p) || !isB64URL(sig) {
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

// hasTokenStart is strings.Contains(s, tokenStart), looking for its 'J'
// first: Contains stops at every 'e', the commonest letter of text, and
// names, meta and resources are checked with every change and
// verification (14 ns for 80 bytes of clean text before tokens, 95 after).
func hasTokenStart(s string) bool {
	for i := len(tokenStart) - 1; i < len(s); i++ {
		j := strings.IndexByte(s[i:], tokenStart[2])
		if j < 0 {
			return false
		}
		i += j
		if s[i-2:i] == tokenStart[:2] {
			return true
		}
	}
	return false
}

// containsToken reports whether a JWT-shaped run appears anywhere in s.
func containsToken(s string) bool {
	found, _ := findToken(s)
	return found
}

// findToken is containsToken, and how many bytes it looked at: at most
// maxHeaderLen+1 for each byte of s, whatever s holds (text from a request
// body or a URL is checked, and a search quadratic in its length would let
// one request hold a core for seconds). s is cut into runs of base64url
// and dots, each run into its dot-separated pieces; three pieces in a row
// are a token when the last two are non-empty and the first ends in a
// header: a suffix of it from an "eyJ" (the encoding of `{"`) that decodes
// to a JSON object with an "alg".
func findToken(s string) (found bool, work int) {
	if !hasTokenStart(s) {
		return false, len(s)
	}
	work = len(s)
	// The last three pieces of the current run: [start, end) each.
	var ps [3][2]int
	n := 0
	start := 0
	for i := 0; i <= len(s); i++ {
		inRun := i < len(s) && isB64URLByte(s[i])
		if inRun {
			continue
		}
		ps[0], ps[1], ps[2] = ps[1], ps[2], [2]int{start, i}
		n++
		if n >= 3 {
			w, ok := tokenAt(s, ps)
			work += w
			if ok {
				return true, work
			}
		}
		if i == len(s) || s[i] != '.' {
			n = 0 // the run ends
		}
		start = i + 1
	}
	return false, work
}

// tokenAt reports whether pieces h, p, sig of s (consecutive in a run)
// make a token whose header is a suffix of h, and how many bytes of h it
// decoded to find out.
func tokenAt(s string, ps [3][2]int) (work int, ok bool) {
	h, p, sig := s[ps[0][0]:ps[0][1]], s[ps[1][0]:ps[1][1]], s[ps[2][0]:ps[2][1]]
	if p == "" || sig == "" {
		return 0, false
	}
	room := min(maxHeaderLen, maxTokenLen-len(p)-len(sig)-2)
	if room < len(tokenStart) {
		return 0, false
	}
	// Only the last room bytes of h can start a header.
	from := max(0, len(h)-room)
	for off := from; ; {
		i := strings.Index(h[off:], tokenStart)
		if i < 0 {
			return work, false
		}
		work += len(h) - off - i
		if tokenHeader(h[off+i:]) {
			return work, true
		}
		off += i + 1
	}
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
