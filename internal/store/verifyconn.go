package store

import (
	"context"
	"sync/atomic"
	"time"
)

// Verification (Verify, and Authenticate's lookup) reads on connections
// of its own, Store.pools.verify, so that slow management calls (a big audit read,
// many lists at once) can hold every management connection and still
// not make a gateway's check wait: on SQLite a second pool of query-only
// readers, on PostgreSQL a second pool (which also writes last_used_at).
//
// On PostgreSQL a lookup also has a deadline: a server that accepts and
// never answers (stopped, frozen, a silent network) would hold it, and
// the connections and goroutines of every check after it, for ever. A
// server cannot enforce statement_timeout while it is frozen, so the
// bound is the client's. SQLite needs none: a local file does not go
// silent, and its locks are bounded by the busy timeout.

// DefaultVerifyTimeout is how long a verification waits for PostgreSQL
// when Options has no VerifyTimeout.
const DefaultVerifyTimeout = 3 * time.Second

// verifyDeadline hands out a context whose deadline is about timeout
// away, shared by every lookup that starts within a quarter of timeout of
// it, so that a lookup gets between 3/4 and all of timeout: one time.Now
// per lookup and a timer a quarter-timeout, rather than a timer per call.
type verifyDeadline struct {
	timeout time.Duration
	cur     atomic.Pointer[sharedDeadline]
}

type sharedDeadline struct {
	ctx     context.Context
	cancel  context.CancelFunc // not called on renewal: lookups may still hold ctx; its timer ends it
	renewAt time.Time
}

func newVerifyDeadline(timeout time.Duration) *verifyDeadline {
	if timeout <= 0 {
		timeout = DefaultVerifyTimeout
	}
	return &verifyDeadline{timeout: timeout}
}

// context returns the shared context for a lookup starting at now.
func (d *verifyDeadline) context(now time.Time) context.Context {
	c := d.cur.Load()
	if c != nil && now.Before(c.renewAt) {
		return c.ctx
	}
	ctx, cancel := context.WithDeadline(context.Background(), now.Add(d.timeout))
	next := &sharedDeadline{ctx: ctx, cancel: cancel, renewAt: now.Add(d.timeout / 4)}
	if !d.cur.CompareAndSwap(c, next) {
		cancel() // another lookup renewed it first: use theirs
		return d.cur.Load().ctx
	}
	return ctx
}

// stop ends the current context (the store is closing).
func (d *verifyDeadline) stop() {
	if c := d.cur.Load(); c != nil {
		c.cancel()
	}
}

// verifyCtx is the context a verification's lookup runs under: on
// PostgreSQL the shared deadline's, unless the caller's own deadline
// comes sooner. The caller's cancellation is not passed on there: a
// lookup is one short statement, and bounded anyway.
func (s *Store) verifyCtx(ctx context.Context) context.Context {
	if s.deadline == nil {
		return ctx
	}
	shared := s.deadline.context(time.Now())
	if own, ok := ctx.Deadline(); ok {
		if end, _ := shared.Deadline(); own.Before(end) {
			return ctx
		}
	}
	return shared
}
