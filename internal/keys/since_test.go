package keys

import (
	"strings"
	"testing"
	"time"
)

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2026-11-01":           time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		"2026-11-01T10:00:00Z": time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC),
		"7d":                   now.Add(-7 * Day),
		"90m":                  now.Add(-90 * time.Minute),
	} {
		got, err := ParseSince(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-1d", "2026-13-01"} {
		if _, err := ParseSince(bad, now); ErrorCode(err) != Invalid {
			t.Errorf("ParseSince(%q) = %v, want invalid", bad, err)
		}
	}
	// The message fits what was given: a word is not a bad duration.
	if _, err := ParseSince("yesterday", now); !strings.Contains(ErrorMessage(err), "YYYY-MM-DD") {
		t.Errorf("ParseSince(yesterday): %v", err)
	}
	if _, err := ParseSince("0", now); !strings.Contains(ErrorMessage(err), "greater than zero") {
		t.Errorf("ParseSince(0): %v", err)
	}
}
