package keys

import (
	"strconv"
	"unicode/utf8"
)

// maxQuoted is how much of an input an error message repeats: enough to
// recognise it, never a line as long as a hostile input.
const maxQuoted = 40

// quoteInput is s quoted as %q does, cut after maxQuoted bytes (on a
// character boundary) with … after the closing quote when it was longer.
func quoteInput(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}
