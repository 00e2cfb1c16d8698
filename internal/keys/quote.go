package keys

import (
	"reflect"
	"strconv"
	"strings"
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

// boundArg folds a string argument (of any string type: Resource, Role
// names) onto one line, as every message is one line even when it repeats
// another system's text (PostgreSQL's, a YAML parser's), and cuts it after
// maxArg bytes, marking the cut with …; others pass as they are.
func boundArg(a any) any {
	v := reflect.ValueOf(a)
	if !v.IsValid() || v.Kind() != reflect.String {
		return a
	}
	s := v.String()
	if strings.ContainsAny(s, "\r\n") {
		s = strings.Join(strings.Fields(s), " ")
	} else if len(s) <= maxArg {
		return a
	}
	if len(s) > maxArg {
		s = s[:cutAt(s, maxArg)] + "…"
	}
	return s
}

// cutAt is the largest character boundary of s at or before n.
func cutAt(s string, n int) int {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}
