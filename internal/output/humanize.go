package output

import (
	"fmt"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// Relative says when t is from now, the way people read it: "in 3 days",
// "2 hours ago", "now". Seconds are counted: a key that expired a moment
// ago reads "2 seconds ago", on the right side of now.
func Relative(t, now time.Time) string {
	d := t.Sub(now)
	future := d > 0
	if d < 0 {
		d = -d
	}
	if d < time.Second {
		return "now"
	}
	var size time.Duration
	var unit string
	switch {
	case d < time.Minute:
		size, unit = time.Second, "second"
	case d < time.Hour:
		size, unit = time.Minute, "minute"
	case d < 48*time.Hour:
		size, unit = time.Hour, "hour"
	case d < 60*keys.Day:
		size, unit = keys.Day, "day"
	case d < 730*keys.Day:
		size, unit = keys.Month, "month"
	default:
		size, unit = 365*keys.Day, "year"
	}
	// Rounded, not truncated: a key made a moment ago with --ttl 30d
	// expires "in 30 days", not "in 29 days".
	n := int64((d + size/2) / size)
	if n != 1 {
		unit += "s"
	}
	if future {
		return fmt.Sprintf("in %d %s", n, unit)
	}
	return fmt.Sprintf("%d %s ago", n, unit)
}
