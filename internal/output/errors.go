package output

import (
	"fmt"
	"io"
	"strings"

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

// OneLine folds a message onto one line.
func OneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(strings.ReplaceAll(s, "\r", " "), "\n", " ")), " ")
}
