package server

import (
	"sync"
	"time"
)

// failLimiter counts failed operator authentications per client IP in
// fixed one-minute windows, to slow down guessing. Successful requests are
// never limited, and the secrets' 190 random bits make guessing hopeless
// anyway: this tells a misbehaving client to stop (429). It does not spare
// the database: a blocked address's keys are still looked up (one indexed
// read each), because a valid key from behind the same address (a proxy)
// must keep working. Malformed tokens are refused before any lookup.
type failLimiter struct {
	mu    sync.Mutex
	limit int
	now   func() time.Time
	seen  map[string]*window
}

type window struct {
	start time.Time
	fails int
}

const limiterWindow = time.Minute

// maxTracked bounds the limiter's memory; past it, finished windows are
// dropped.
const maxTracked = 10000

func newFailLimiter(perMinute int, now func() time.Time) *failLimiter {
	return &failLimiter{limit: perMinute, now: now, seen: map[string]*window{}}
}

func (l *failLimiter) blocked(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.seen[ip]
	if w == nil || l.now().Sub(w.start) >= limiterWindow {
		return false
	}
	return w.fails >= l.limit
}

func (l *failLimiter) fail(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w := l.seen[ip]
	if w == nil || now.Sub(w.start) >= limiterWindow {
		if len(l.seen) >= maxTracked {
			for k, old := range l.seen {
				if now.Sub(old.start) >= limiterWindow {
					delete(l.seen, k)
				}
			}
		}
		w = &window{start: now}
		l.seen[ip] = w
	}
	w.fails++
}
