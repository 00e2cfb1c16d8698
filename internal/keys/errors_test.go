package keys

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// A message repeats at most a bounded prefix of its input: a 120 KB name
// made a 120 KB error line, in terminals, logs and API answers alike.
func TestErrorfBoundsWhatItQuotes(t *testing.T) {
	huge := strings.Repeat("é", 60000) // 120 KB, cut on a character boundary
	for _, err := range []error{
		Errorf(Invalid, "invalid name %q", huge),
		Errorf(Invalid, "invalid resource %s", Resource("/"+huge)),
		ValidateName(huge),
	} {
		msg := ErrorMessage(err)
		if len(msg) > 2*maxArg+100 || !strings.Contains(msg, "…") {
			t.Errorf("%d-byte message: %.80s…", len(msg), msg)
		}
		if !utf8.ValidString(msg) {
			t.Errorf("message is not valid UTF-8 after the cut")
		}
	}
	if got := ErrorMessage(Errorf(Invalid, "postgres: %s", "relation \"x\"\n  does not exist\r\n")); got != `postgres: relation "x" does not exist` {
		t.Errorf("a multi-line argument is not folded onto one line: %q", got)
	}
	if got := ErrorMessage(Errorf(Invalid, "%s and %d", "short", 3)); got != "short and 3" {
		t.Errorf("short arguments changed: %q", got)
	}
}
