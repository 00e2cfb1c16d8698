package keys

import "time"

// Expiry works out an expiry from a ttl or an absolute time (at most one);
// nil, nil means none asked for. It is decided at now, the time of the
// change, not of the request.
func Expiry(now time.Time, ttl *Duration, at *time.Time) (*time.Time, error) {
	switch {
	case ttl != nil && at != nil:
		return nil, Errorf(Invalid, "give a ttl or an expiry time, not both")
	case ttl != nil:
		// From created_at, which is whole seconds: a 30d key shows
		// exactly 30 days between its created_at and expires_at.
		t, err := ExpiryAfter(now.Truncate(time.Second), time.Duration(*ttl))
		if err != nil {
			return nil, err
		}
		return &t, nil
	case at != nil:
		t := at.UTC()
		if !t.After(now) {
			return nil, Errorf(Invalid, "invalid expiry %s: it is in the past", t.Format(time.RFC3339))
		}
		// whole seconds, rounded up: never earlier than asked
		if r := t.Truncate(time.Second); !r.Equal(t) {
			t = r.Add(time.Second)
		}
		if t.Year() > 9999 {
			return nil, Errorf(Invalid, "invalid expiry %s: too far in the future", at.UTC().Format(time.RFC3339Nano))
		}
		return &t, nil
	}
	return nil, nil
}
