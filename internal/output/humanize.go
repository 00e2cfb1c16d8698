package output

import (
	"fmt"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// Relative says when t is from now, the way people read it: "in 3 days",
// "2 hours ago", "just now".
func Relative(t, now time.Time) string {
	d := t.Sub(now)
	future := d > 0
	if d < 0 {
		d = -d
	}
	if d < 5*time.Second {
		return "just now"
	}
	var n int64
	var unit string
	switch {
	case d < time.Minute:
		n, unit = int64(d/time.Second), "second"
	case d < time.Hour:
		n, unit = int64(d/time.Minute), "minute"
	case d < 48*time.Hour:
		n, unit = int64(d/time.Hour), "hour"
	case d < 60*keys.Day:
		n, unit = int64(d/keys.Day), "day"
	case d < 730*keys.Day:
		n, unit = int64(d/keys.Month), "month"
	default:
		n, unit = int64(d/(365*keys.Day)), "year"
	}
	if n != 1 {
		unit += "s"
	}
	if future {
		return fmt.Sprintf("in %d %s", n, unit)
	}
	return fmt.Sprintf("%d %s ago", n, unit)
}
