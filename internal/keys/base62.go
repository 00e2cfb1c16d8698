package keys

import (
	"crypto/rand"
	"math/big"
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

// encodeBase62 writes v big-endian in base62, left-padded with '0' to width.
func encodeBase62(v uint64, width int) string {
	b := new(big.Int).SetUint64(v)
	s := b.Text(62) // big.Int uses 0-9a-zA-Z: remap to 0-9A-Za-z
	out := make([]byte, 0, width)
	for i := len(s); i < width; i++ {
		out = append(out, '0')
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			c = c - 'a' + 'A'
		case c >= 'A' && c <= 'Z':
			c = c - 'A' + 'a'
		}
		out = append(out, c)
	}
	return string(out)
}
