package commands

import "github.com/keyward/keyward/internal/keys"

// durationFlag is the value of every duration flag (--ttl, --grace,
// --expiring-within, --unused-for, --max-ttl): keyward's syntax, whether
// the flag was given, and no "(default 0s)" in --help, which would read
// as "no lifetime at all". Zero is refused unless allowZero (--grace 0).
type durationFlag struct {
	d         keys.Duration
	set       bool
	allowZero bool
}

func (f *durationFlag) String() string {
	if !f.set && f.d == 0 {
		return ""
	}
	return f.d.String()
}

func (f *durationFlag) Type() string { return "duration" }

func (f *durationFlag) Set(s string) error {
	parse := keys.ParseDuration
	if f.allowZero {
		parse = keys.ParseGrace
	}
	d, err := parse(s)
	if err != nil {
		return err
	}
	f.d, f.set = keys.Duration(d), true
	return nil
}

// Ptr is the duration, or nil when the flag was not given.
func (f *durationFlag) Ptr() *keys.Duration {
	if !f.set {
		return nil
	}
	d := f.d
	return &d
}
