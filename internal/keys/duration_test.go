package keys

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"30s", 30 * time.Second}, {"5m", 5 * time.Minute}, {"12h", 12 * time.Hour},
		{"30d", 30 * Day}, {"2w", 14 * Day}, {"1M", 30 * Day}, {"1h30m", 90 * time.Minute},
		{"90s", 90 * time.Second}, {"0001d", Day},
	} {
		got, err := ParseDuration(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "0", "0s", "0d", "-1d", "-5m", "3x", "d", "1.5d", "1 d", "99999999999999999999d", "106752d", "9223372036s1h", "1e3s", "+1d"} {
		if d, err := ParseDuration(in); ErrorCode(err) != Invalid {
			t.Errorf("ParseDuration(%q) = %v, %v; want an invalid error", in, d, err)
		}
	}
}

func TestParseGraceAllowsZero(t *testing.T) {
	for _, in := range []string{"0", "0s", "0d"} {
		if d, err := ParseGrace(in); err != nil || d != 0 {
			t.Errorf("ParseGrace(%q) = %v, %v", in, d, err)
		}
	}
	if _, err := ParseGrace("-1s"); ErrorCode(err) != Invalid {
		t.Errorf("ParseGrace(-1s) = %v, want invalid", err)
	}
}

func TestFormatDurationRoundTrips(t *testing.T) {
	for _, d := range []time.Duration{time.Second, 90 * time.Second, time.Hour, 36 * time.Hour, Day, Week, 3 * Week, Month, 60 * Day, 1500 * time.Millisecond} {
		s := FormatDuration(d)
		back, err := ParseDuration(s)
		if err != nil || back != d {
			t.Errorf("FormatDuration(%v) = %q, parses back to %v, %v", d, s, back, err)
		}
	}
}

func TestParseTime(t *testing.T) {
	got, err := ParseTime("2026-12-31")
	if want := time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC); err != nil || !got.Equal(want) {
		t.Errorf("ParseTime(date) = %v, %v; want %v", got, err, want)
	}
	got, err = ParseTime("2026-12-31T10:00:00+02:00")
	if want := time.Date(2026, 12, 31, 8, 0, 0, 0, time.UTC); err != nil || !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("ParseTime(rfc3339) = %v, %v; want %v", got, err, want)
	}
	for _, in := range []string{"", "tomorrow", "2026-13-01", "2026-12-31 10:00"} {
		if _, err := ParseTime(in); ErrorCode(err) != Invalid {
			t.Errorf("ParseTime(%q) = %v, want invalid", in, err)
		}
	}
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	if _, err := ParseExpiresAt("2026-11-21", now); ErrorCode(err) != Invalid {
		t.Errorf("a past --expires-at must be invalid, got %v", err)
	}
	if _, err := ParseExpiresAt("2026-11-22", now); err != nil {
		t.Errorf("the end of today is in the future: %v", err)
	}
}

func TestExpiryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 400_000_000, time.UTC)
	got, err := ExpiryAfter(now, 2*time.Second)
	if want := time.Date(2026, 11, 22, 9, 0, 3, 0, time.UTC); err != nil || !got.Equal(want) {
		t.Errorf("ExpiryAfter rounds up: got %v, %v; want %v", got, err, want)
	}
	if _, err := ExpiryAfter(now, 0); ErrorCode(err) != Invalid {
		t.Errorf("a zero lifetime must be invalid, got %v", err)
	}
}

func TestDurationJSON(t *testing.T) {
	var d Duration
	if err := d.UnmarshalJSON([]byte(`"30d"`)); err != nil || time.Duration(d) != 30*Day {
		t.Fatalf("UnmarshalJSON(30d) = %v, %v", d, err)
	}
	b, _ := d.MarshalJSON()
	if string(b) != `"30d"` {
		t.Errorf("MarshalJSON(30d) = %s", b)
	}
	for _, in := range []string{`30`, `"-1d"`, `"x"`, `null1`} {
		if err := d.UnmarshalJSON([]byte(in)); ErrorCode(err) != Invalid {
			t.Errorf("UnmarshalJSON(%s) = %v, want invalid", in, err)
		}
	}
}
