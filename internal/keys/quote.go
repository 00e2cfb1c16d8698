package keys

import (
	"reflect"
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
	return strconv.Quote(s[:cutAt(s, maxQuoted)]) + "…"
}

// maxArg bounds every string argument of Errorf: whatever a message
// repeats (a name, a path, a flag's value), a hostile input of 120 KB must
// not become a 120 KB error line, in a terminal, a log or an API answer.
const maxArg = 200

// boundArg cuts a string argument (of any string type: Resource, Role
// names) longer than maxArg, marking the cut with …; others pass as they are.
func boundArg(a any) any {
	v := reflect.ValueOf(a)
	if !v.IsValid() || v.Kind() != reflect.String || v.Len() <= maxArg {
		return a
	}
	s := v.String()
	return s[:cutAt(s, maxArg)] + "…"
}

// cutAt is the largest character boundary of s at or before n.
func cutAt(s string, n int) int {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}
