package keys

import "strings"

const idPrefix = "key_"
const idRandomLen = 16

// NewID returns a fresh public key id: "key_" and 16 base62 characters.
func NewID() string { return idPrefix + randomBase62(idRandomLen) }

// IsID reports whether s has the shape of a key id.
func IsID(s string) bool {
	return len(s) == len(idPrefix)+idRandomLen && strings.HasPrefix(s, idPrefix) && isBase62(s[len(idPrefix):])
}
