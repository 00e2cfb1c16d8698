package keys

import (
	"strings"
	"time"
)

// ParseSince reads the start of an audit window (`audit list --since`,
// GET /v1/audit?since=): RFC 3339, YYYY-MM-DD (the start of that day, UTC),
// or a duration meaning that long before now. Input that looks like a
// duration but is a bad one ("0", "3x") gets the duration's own message.
func ParseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.UTC(), nil
	}
	if d, err := ParseDuration(s); err == nil {
		return now.Add(-d).UTC(), nil
	} else if s != "" && s[0] >= '0' && s[0] <= '9' && !strings.ContainsAny(s, "-:T") {
		return time.Time{}, err
	}
	return time.Time{}, Errorf(Invalid, "%s is not a time: use RFC 3339, YYYY-MM-DD or a duration such as 7d", quoteInput(s))
}
