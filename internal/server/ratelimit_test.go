package server

import (
	"fmt"
	"testing"
	"time"
)

// A client rotating through addresses within one window (as an IPv6 /64
// allows) never grows the limiter past its cap, and an address that keeps
// failing stays blocked meanwhile: the least recently failing go first.
func TestFailLimiterMemoryIsBounded(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	l := newFailLimiter(3, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		l.fail("192.0.2.1")
	}
	for i := 0; i < 3*l.max; i++ {
		l.fail(fmt.Sprintf("2001:db8::%x", i))
		if i%100 == 0 {
			l.fail("192.0.2.1") // the guesser keeps guessing
		}
		if len(l.seen) > l.max || l.order.Len() > l.max {
			t.Fatalf("after %d addresses the limiter tracks %d, more than its cap %d", i+1, len(l.seen), l.max)
		}
	}
	if !l.blocked("192.0.2.1") {
		t.Error("an address failing all along was pushed out by a rotating client")
	}
	if l.blocked("2001:db8::0") {
		t.Error("the least recently failing address is still tracked")
	}

	// Windows that ended are forgotten, not kept until the cap.
	now = now.Add(limiterWindow)
	l.fail("198.51.100.7")
	if len(l.seen) != 1 || l.order.Len() != 1 || l.blocked("192.0.2.1") {
		t.Errorf("after the window, %d addresses are tracked; want only the new one", len(l.seen))
	}
}
