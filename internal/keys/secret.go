package keys

import (
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
	"strings"
)

const (
	secretRandomLen   = 32
	secretChecksumLen = 6
	maxPrefixLen      = 20
)

// DefaultPrefix is the secret prefix used when none is asked for.
func DefaultPrefix(t KeyType) string {
	if t == Public {
		return "pk"
	}
	return "sk"
}

// ValidatePrefix checks a secret prefix: 1–20 of a-z, 0-9 and _.
func ValidatePrefix(p string) error {
	if len(p) == 0 || len(p) > maxPrefixLen {
		return Errorf(Invalid, "invalid prefix %q: use 1 to %d of a-z, 0-9 and _", p, maxPrefixLen)
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return Errorf(Invalid, "invalid prefix %q: use 1 to %d of a-z, 0-9 and _", p, maxPrefixLen)
		}
	}
	return nil
}

// Checksum is the 6-character base62 CRC-32 (IEEE) of body, as the last
// part of a secret.
func Checksum(body string) string {
	return encodeBase62(uint64(crc32IEEE(body)), secretChecksumLen)
}

// checksumIs reports whether sum is body's Checksum without making it:
// every verification checks one, and a string each was two allocations.
// A CRC-32 is below 62⁶, so its checksum is always six digits.
func checksumIs(body, sum string) bool {
	var buf [secretChecksumLen]byte
	v := crc32IEEE(body)
	for i := len(buf) - 1; i >= 0; i-- {
		buf[i] = base62Alphabet[v%62]
		v /= 62
	}
	return string(buf[:]) == sum
}

// crc32IEEE is crc32.ChecksumIEEE(s) by its table, a byte at a time as
// the package itself does below 64 bytes: ChecksumIEEE([]byte(s)) copies
// s to the heap (the slice escapes through the package's function
// variables).
func crc32IEEE(s string) uint32 {
	crc := ^uint32(0)
	for i := 0; i < len(s); i++ {
		crc = crc32.IEEETable[byte(crc)^s[i]] ^ crc>>8
	}
	return ^crc
}

// NewSecret returns a fresh secret `<prefix>_<32 base62><6 base62 checksum>`.
func NewSecret(prefix string) (string, error) {
	if err := ValidatePrefix(prefix); err != nil {
		return "", err
	}
	body := prefix + "_" + randomBase62(secretRandomLen)
	return body + Checksum(body), nil
}

// ParseSecret checks a presented secret's shape and checksum (or, for a
// JWT key's token, its shape: see IsToken) without any lookup, and returns it with trailing whitespace removed. A string that is
// not a well-formed keyward secret is NotFound: to a verifier, a mistyped
// secret and an unknown one are the same thing.
func ParseSecret(s string) (string, error) {
	s = strings.TrimRight(s, " \t\r\n")
	if strings.HasPrefix(s, tokenStart) {
		if IsToken(s) {
			return s, nil // its signature is checked against the signing keys before any lookup
		}
		return "", Errorf(NotFound, "not a keyward secret")
	}
	// Parse from the right: the prefix itself may contain '_'.
	const tail = secretRandomLen + secretChecksumLen
	if len(s) < tail+2 || s[len(s)-tail-1] != '_' {
		return "", Errorf(NotFound, "not a keyward secret")
	}
	prefix := s[:len(s)-tail-1]
	if ValidatePrefix(prefix) != nil || !isBase62(s[len(s)-tail:]) {
		return "", Errorf(NotFound, "not a keyward secret")
	}
	body, sum := s[:len(s)-secretChecksumLen], s[len(s)-secretChecksumLen:]
	if !checksumIs(body, sum) {
		return "", Errorf(NotFound, "not a keyward secret (checksum mismatch)")
	}
	return s, nil
}

// HashSecret is the only form in which a secret is stored: hex SHA-256.
func HashSecret(secret string) string {
	// On the stack: []byte(secret) and hex.EncodeToString were three
	// allocations a verification, for what is one string.
	var in [64]byte
	var h [sha256.Size]byte
	if len(secret) <= len(in) {
		h = sha256.Sum256(in[:copy(in[:], secret)])
	} else {
		h = sha256.Sum256([]byte(secret)) // a JWT key's token
	}
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], h[:])
	return string(out[:])
}

// SecretStart is the displayable start of a secret: its prefix, '_' and the
// first 4 random characters; a token's is TokenStart (its header and
// claims are no part of what may be shown).
func SecretStart(secret string) string {
	if IsTokenStart(secret) {
		return TokenStart(secret)
	}
	const tail = secretRandomLen + secretChecksumLen
	if len(secret) < tail+2 {
		return ""
	}
	cut := len(secret) - tail + 4
	return secret[:cut]
}

// ContainsSecret reports whether a well-formed keyward secret (checksum
// included), or a JWT-shaped token (IsToken), appears anywhere in s: inside "k=<secret>", "acme/<secret>",
// or run together with other text. It guards the places a secret must
// never reach (arguments, names, meta, the audit log) without refusing
// text that merely looks alike: a match must pass the checksum.
func ContainsSecret(s string) bool {
	if containsToken(s) {
		return true
	}
	start, _ := IndexSecret(s)
	return start >= 0
}

// IndexSecret finds the first well-formed keyward secret (checksum
// included) in s, wherever it lies, and returns where it starts and ends;
// -1, -1 when there is none. The checksum, not the shape, decides: random
// text shaped like a secret is no match, and the prefix is where the
// checksum says it starts (in "xsk_…" the secret is "sk_…"). It is how
// `keyward scan` finds secrets and how ContainsSecret guards input.
func IndexSecret(s string) (start, end int) {
	const tail = secretRandomLen + secretChecksumLen
	for i := 1; i+tail < len(s); i++ {
		// To the next '_' at once: most text has none.
		j := strings.IndexByte(s[i:len(s)-tail], '_')
		if j < 0 {
			break
		}
		i += j
		if !isBase62(s[i+1 : i+1+tail]) {
			continue
		}
		body := s[:i+1+secretRandomLen]
		sum := s[i+1+secretRandomLen : i+1+tail]
		// The prefix ends at i; it may start anywhere within 20 bytes
		// before, wherever the run of prefix characters allows.
		for j := i - 1; j >= 0 && i-j <= maxPrefixLen && isPrefixByte(s[j]); j-- {
			if checksumIs(body[j:], sum) {
				return j, i + 1 + tail
			}
		}
	}
	return -1, -1
}

func isPrefixByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
}
