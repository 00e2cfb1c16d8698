package keys

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

const (
	Day   = 24 * time.Hour
	Week  = 7 * Day
	Month = 30 * Day // "M": a fixed 30 days, never a calendar month
)

var durationUnits = map[byte]time.Duration{
	's': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': Day, 'w': Week, 'M': Month,
}

// ParseDuration reads keyward's duration syntax: a whole number and one unit
// of s m h d w M ("30d", "12h", "1M"), or a Go duration ("1h30m"). Zero,
// negative and overflowing values are errors; use ParseGrace where zero is
// allowed.
func ParseDuration(s string) (time.Duration, error) {
	d, err := parseDuration(s)
	if err != nil {
		return 0, err
	}
	if d == 0 {
		return 0, Errorf(Invalid, "invalid duration %q: must be greater than zero", s)
	}
	return d, nil
}

// ParseGrace is ParseDuration that also accepts zero ("0", "0s"), meaning
// "not at all".
func ParseGrace(s string) (time.Duration, error) { return parseDuration(s) }

func parseDuration(s string) (time.Duration, error) {
	bad := func(why string) (time.Duration, error) {
		return 0, Errorf(Invalid, "invalid duration %q: %s (use e.g. 30s, 5m, 12h, 30d, 2w, 1M or 1h30m)", s, why)
	}
	if s == "" {
		return bad("empty")
	}
	if strings.HasPrefix(s, "-") {
		return bad("must not be negative")
	}
	if s == "0" {
		return 0, nil
	}
	if unit, ok := durationUnits[s[len(s)-1]]; ok {
		num := s[:len(s)-1]
		if num != "" && strings.Trim(num, "0123456789") == "" {
			n, err := strconv.ParseInt(num, 10, 64)
			if err != nil || n > math.MaxInt64/int64(unit) {
				return bad("too large")
			}
			return time.Duration(n) * unit, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		if strings.Contains(err.Error(), "overflow") {
			return bad("too large")
		}
		return bad("unknown format")
	}
	if d < 0 {
		return bad("must not be negative")
	}
	return d, nil
}

// FormatDuration writes d in keyward syntax, reading back to exactly d: in
// days, hours, minutes or seconds, whichever is the largest whole unit
// ("90d", not "3M": the way it was most likely asked for).
func FormatDuration(d time.Duration) string {
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{Day, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if d != 0 && d%u.unit == 0 {
			return strconv.FormatInt(int64(d/u.unit), 10) + u.name
		}
	}
	if d == 0 {
		return "0s"
	}
	return d.String()
}

// Duration is a time.Duration in keyward's syntax. It marshals to JSON as
// that syntax ("30d"), which is what the management API takes; the
// command line reads it with ParseDuration or ParseGrace.
type Duration time.Duration

func (d Duration) String() string { return FormatDuration(time.Duration(d)) }

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON accepts keyward syntax, zero included: whether zero is
// allowed is the receiver's decision (a grace may be zero, a ttl may not).
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return Errorf(Invalid, "a duration must be a string such as \"30d\"")
	}
	v, err := parseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// ParseTime reads an absolute time: RFC 3339, or YYYY-MM-DD meaning the end
// of that day in UTC (the last second before the next day).
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.Add(Day - time.Second).UTC(), nil
	}
	return time.Time{}, Errorf(Invalid, "invalid time %q: use RFC 3339 (2026-12-31T23:00:00Z) or YYYY-MM-DD", s)
}

// ParseExpiresAt reads an --expires-at value and refuses one not in the
// future.
func ParseExpiresAt(s string, now time.Time) (time.Time, error) {
	t, err := ParseTime(s)
	if err != nil {
		return t, err
	}
	if !t.After(now) {
		return time.Time{}, Errorf(Invalid, "invalid expiry %q: it is in the past", s)
	}
	return t, nil
}

// ExpiryAfter returns now+d, rounded up to the whole second so that a
// stored, second-precision expiry never ends a lifetime early. (A Duration
// tops out near 292 years, so the sum cannot overflow a time.Time.)
func ExpiryAfter(now time.Time, d time.Duration) (time.Time, error) {
	if d <= 0 {
		return time.Time{}, Errorf(Invalid, "a lifetime must be greater than zero")
	}
	t := now.Add(d).UTC()
	if r := t.Truncate(time.Second); !r.Equal(t) {
		t = r.Add(time.Second)
	}
	return t, nil
}
