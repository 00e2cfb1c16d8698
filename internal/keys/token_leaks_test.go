package keys

import (
	"strings"
	"testing"
)

// A found token is shown by its TokenStart, as its key is: SecretStart
// once showed all of a token but its last 34 characters.
func TestLeakOfATokenShowsOnlyItsStart(t *testing.T) {
	if got := SecretStart(sampleToken); got != TokenStart(sampleToken) {
		t.Errorf("SecretStart(token) = %q, want %q", got, TokenStart(sampleToken))
	}
	if r := UnknownLeak(sampleToken); r.Start != TokenStart(sampleToken) {
		t.Errorf("UnknownLeak(token).Start = %q", r.Start)
	}
}

func TestIndexToken(t *testing.T) {
	for s, want := range map[string]string{
		"token=" + sampleToken + "\n":            sampleToken,
		`"` + sampleToken + `".more`:             sampleToken,
		"eyJ eyJx.y " + sampleToken:              sampleToken,
		sampleToken + "." + sampleToken:          sampleToken,
		"eyJhbGciOiJub25lIn0.e30":                "",
		"eyJ" + strings.Repeat("A", 40) + ".a.b": "",
	} {
		start, end := IndexToken(s)
		got := ""
		if start >= 0 {
			got = s[start:end]
		}
		if got != want {
			t.Errorf("IndexToken(%.50q) = %.50q, want %.50q", s, got, want)
		}
	}
}

// Runs of "eyJ" without a token are skipped whole, and a token after
// them is still found.
func TestIndexTokenAfterManyStarts(t *testing.T) {
	noise := strings.Repeat("eyJ", 30000)
	for _, s := range []string{noise + " " + sampleToken, noise + "." + noise + " " + sampleToken, noise + ".a.b." + sampleToken} {
		start, end := IndexToken(s)
		if start < 0 || s[start:end] != sampleToken {
			t.Errorf("IndexToken(noise + token) = %d, %d", start, end)
		}
	}
	if start, _ := IndexToken(noise); start != -1 {
		t.Errorf("IndexToken(noise) = %d", start)
	}
}
