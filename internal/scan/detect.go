// Package scan finds keyward secrets in files and streams (`keyward
// scan`): which files to read (a git work tree's own, binary files
// skipped), reading them line by line in bounded memory, and the
// detectors that tell a secret from text shaped like one. What a backend
// knows of a found secret is the command's business, not this package's.
package scan

import "github.com/keyward/keyward/internal/keys"

// A Detector finds one kind of credential in text. Find reports each
// match in s as the half-open byte range [start, end); a match must be
// certain (a checksum or a signature, never a shape alone), since every
// one fails a CI job. MaxLen bounds a match's length: the scanner reads
// long lines in pieces that overlap by MaxLen-1 bytes, so no match is cut
// in two.
//
// keyward's opaque secrets are found by Secrets, JWT keys (compact JWS,
// `eyJ…`.`…`.`…`) by Tokens: their shape, then the signature against
// the JWK Set keyward publishes (tokens.go).
type Detector interface {
	Name() string
	MaxLen() int
	Find(s string, match func(start, end int))
}

// Secrets detects keyward secrets by their checksum (keys.IndexSecret):
// random text shaped like a secret is not one.
type Secrets struct{}

func (Secrets) Name() string { return "keyward" }

// MaxLen is the longest secret: a 20-character prefix, '_', 32 random
// characters and a 6-character checksum.
func (Secrets) MaxLen() int { return 20 + 1 + 32 + 6 }

func (Secrets) Find(s string, match func(start, end int)) {
	for off := 0; off < len(s); {
		start, end := keys.IndexSecret(s[off:])
		if start < 0 {
			return
		}
		match(off+start, off+end)
		off += end
	}
}

// DefaultDetectors are the detectors `keyward scan` runs: tokens is
// NewTokens with the backend's JWK Set, or UncheckedTokens without one.
func DefaultDetectors(tokens *Tokens) []Detector { return []Detector{Secrets{}, tokens} }
