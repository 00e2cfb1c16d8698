package output

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/keyward/keyward/internal/keys"
)

// Error writes err as keyward's one-line error on stderr: "error: message",
// or under json/jsonl {"error":{"code":…,"message":…}}.
func Error(w io.Writer, f Format, err error) {
	msg := OneLine(keys.ErrorMessage(err))
	if f == JSON || f == JSONL {
		type body struct {
			Code    keys.Code `json:"code"`
			Message string    `json:"message"`
		}
		b, mErr := marshal(map[string]body{"error": {Code: keys.ErrorCode(err), Message: msg}}, false, "")
		if mErr == nil {
			fmt.Fprintf(w, "%s\n", b)
			return
		}
	}
	fmt.Fprintf(w, "error: %s\n", msg)
}

// escapeControls writes control characters (ESC, BEL, …) as \xNN: an
// error message may come from a server, and raw escape sequences would
// let it rewrite the operator's terminal.
func escapeControls(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// maxErrorLine bounds an error line. Messages made with keys.Errorf
// already cut what they quote; this catches the rest (a library's message
// repeating a 120 KB flag or argument in full).
const maxErrorLine = 1000

// OneLine folds a message onto one line of at most maxErrorLine bytes.
func OneLine(s string) string {
	s = strings.TrimSpace(s)
	s = strings.Join(strings.Fields(strings.ReplaceAll(strings.ReplaceAll(s, "\r", " "), "\n", " ")), " ")
	s = escapeControls(s)
	if len(s) <= maxErrorLine {
		return s
	}
	cut := maxErrorLine
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
