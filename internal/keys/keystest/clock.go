package keystest

import (
	"sync/atomic"
	"time"
)

// Clock is a backend's clock in the suites: the machine's time plus an
// offset that only Advance moves. Cases that compare with time.Now still
// hold; cases about expiry and grace move it by hours, so that no
// lifetime can run out on a slow machine before it is checked.
type Clock struct{ offset atomic.Int64 }

// Now is the clock's time, for store.Options.Now and server.Options.Now.
func (c *Clock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// Advance moves the clock d forward.
func (c *Clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }
