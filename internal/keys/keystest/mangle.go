package keystest

// WrongLast is secret with its last character changed: the same shape,
// a checksum that no longer matches. (Replacing it with a fixed character
// gives the secret itself back when that is already its last one: one
// secret in 62.)
func WrongLast(secret string) string {
	if secret == "" {
		return "x"
	}
	last := secret[len(secret)-1]
	c := byte('x')
	if last == c {
		c = 'y'
	}
	return secret[:len(secret)-1] + string(c)
}
