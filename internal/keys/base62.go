package keys

import (
	"crypto/rand"
)

const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func isBase62(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isBase62Byte(s[i]) {
			return false
		}
	}
	return true
}

func isBase62Byte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// randomBase62 returns n characters drawn uniformly from the base62
// alphabet. Rejection sampling keeps the distribution uniform (256 is not a
// multiple of 62).
func randomBase62(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2+8)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			panic("keys: crypto/rand failed: " + err.Error()) // never happens on supported platforms
		}
		for _, b := range buf {
			if b >= 248 { // 248 = 62*4
				continue
			}
			out = append(out, base62Alphabet[b%62])
			if len(out) == n {
				break
			}
		}
	}
	return string(out)
}

// encodeBase62 writes v big-endian in base62, left-padded with '0' to width
// (every uint64 fits in 11 digits). It is on verification's path (every
// presented secret's checksum): plain division, no allocation but the
// result.
func encodeBase62(v uint64, width int) string {
	var buf [11]byte
	i := len(buf)
	for v > 0 || i == len(buf) {
		i--
		buf[i] = base62Alphabet[v%62]
		v /= 62
	}
	digits := buf[i:]
	if len(digits) >= width {
		return string(digits)
	}
	out := make([]byte, width)
	n := copy(out[width-len(digits):], digits)
	for j := range width - n {
		out[j] = '0'
	}
	return string(out)
}
