package keys

import (
	"hash/crc32"
	"regexp"
	"strings"
	"sync"
)

// Redacted stands in for whatever Redact took out.
const Redacted = "[redacted]"

// secretShape is a keyward secret's shape (<prefix>_<32 random><6
// checksum>) anywhere in a string, checksum or not: a secret pasted with a
// typo, or run together with other text, must not get through either.
// Compiled when first needed: a command that redacts nothing (most) does
// not pay for it at start-up.
var secretShape = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`[a-z0-9_]{1,20}_[0-9A-Za-z]{38}`)
})

// tokenShape is a JWT key's token from its header on (every JSON header
// encodes to "eyJ…"), valid or cut short: any part of a token past its
// header carries its claims or signature.
var tokenShape = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_.-]*`)
})

// Redact returns s fit for a log line, a debug line or an error message:
// every run shaped like a secret becomes [redacted]; and when a secret
// still hides in what is left — split by separators (an encoded newline, a
// space, a slash, a dash...) or cut off from its prefix — the whole of s
// is [redacted], since no part of it can then be told safe. Text that
// merely runs long after an underscore (svc_payments-eu-west-1) stays: a
// split secret counts only when its checksum matches.
//
// Callers that must keep a structure readable (the server's log of a URL)
// redact part by part and test Redact(part) != part.
func Redact(s string) string {
	if secretChars(s) < 1+1+secretRandomLen+secretChecksumLen { // the shortest secret: p_ and 38 more
		return s
	}
	out := secretShape().ReplaceAllString(s, Redacted)
	if strings.Contains(out, "eyJ") {
		out = tokenShape().ReplaceAllString(out, Redacted)
	}
	if hidesSplitSecret(out) {
		return Redacted
	}
	return out
}

// hidesSplitSecret joins the characters secrets are made of and looks for
// a whole secret (when separators were dropped) or the 38 characters that
// follow a default prefix (sk_, pk_): the part that matters, when a
// separator such as "&b=" took the prefix away.
func hidesSplitSecret(s string) bool {
	joined := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if isSecretByte(s[i]) {
			joined = append(joined, s[i])
		}
	}
	j := string(joined)
	return (len(j) != len(s) && ContainsSecret(j)) || hasSecretTail(j)
}

// secretChars counts the bytes of s that a secret can be made of.
func secretChars(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isSecretByte(s[i]) {
			n++
		}
	}
	return n
}

func hasSecretTail(s string) bool {
	const tail = secretRandomLen + secretChecksumLen
	pre := defaultPrefixCRCs()
	body := make([]byte, secretRandomLen) // one for the run: crc32 keeps no reference, but escape analysis cannot tell
	run := 0
	for i := 0; i < len(s); i++ {
		if !isBase62Byte(s[i]) {
			run = 0
			continue
		}
		if run++; run < tail {
			continue
		}
		// Checked in place at every position of a run (which may be all
		// of a 64 KiB URL): the checksum decoded, the CRC continued from
		// the prefix's, nothing built.
		t := s[i+1-tail : i+1]
		sum := decodeBase62(t[secretRandomLen:])
		copy(body, t)
		for _, p := range pre {
			if uint64(crc32.Update(p, crc32.IEEETable, body)) == sum {
				return true
			}
		}
	}
	return false
}

// defaultPrefixCRCs are the CRC-32s of "sk_" and "pk_", which a secret's
// checksum continues over its random part.
var defaultPrefixCRCs = sync.OnceValue(func() [2]uint32 {
	var out [2]uint32
	for i, kt := range []KeyType{Secret, Public} {
		out[i] = crc32.ChecksumIEEE([]byte(DefaultPrefix(kt) + "_"))
	}
	return out
})

// decodeBase62 is the number a run of base62 digits (of a checksum)
// stands for; encodeBase62(decodeBase62(s), len(s)) == s.
func decodeBase62(s string) uint64 {
	var v uint64
	for i := 0; i < len(s); i++ {
		v = v*62 + uint64(strings.IndexByte(base62Alphabet, s[i]))
	}
	return v
}

func isSecretByte(c byte) bool { return c == '_' || isBase62Byte(c) }
