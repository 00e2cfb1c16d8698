package server

import (
	"container/list"
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
//
// Its memory is bounded: it tracks at most max addresses, and a client
// rotating through addresses (an IPv6 /64 has 2^64) pushes out the
// addresses that failed least recently, never grows it.
type failLimiter struct {
	mu    sync.Mutex
	limit int
	max   int
	now   func() time.Time
	seen  map[string]*list.Element // of *window
	order *list.List               // windows, least recently failing first
}

type window struct {
	ip    string
	start time.Time
	fails int
}

const limiterWindow = time.Minute

// maxTracked is how many addresses the limiter remembers: about 1 MB.
const maxTracked = 10000

func newFailLimiter(perMinute int, now func() time.Time) *failLimiter {
	return &failLimiter{limit: perMinute, max: maxTracked, now: now, seen: map[string]*list.Element{}, order: list.New()}
}

func (l *failLimiter) blocked(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.seen[ip]
	if e == nil {
		return false
	}
	w := e.Value.(*window)
	return l.now().Sub(w.start) < limiterWindow && w.fails >= l.limit
}

func (l *failLimiter) fail(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	// Windows that ended are forgotten from the least recently failing
	// end; those are the first to have ended.
	for e := l.order.Front(); e != nil && now.Sub(e.Value.(*window).start) >= limiterWindow; e = l.order.Front() {
		l.forget(e)
	}
	e := l.seen[ip]
	if e == nil {
		if l.order.Len() >= l.max {
			l.forget(l.order.Front())
		}
		e = l.order.PushBack(&window{ip: ip, start: now})
		l.seen[ip] = e
	}
	w := e.Value.(*window)
	if now.Sub(w.start) >= limiterWindow {
		w.start, w.fails = now, 0
	}
	w.fails++
	l.order.MoveToBack(e)
}

func (l *failLimiter) forget(e *list.Element) {
	delete(l.seen, e.Value.(*window).ip)
	l.order.Remove(e)
}
