package store

import (
	"sync"
	"sync/atomic"
	"time"
)

// Verification's cache: the stored rows verification needs, by the
// SHA-256 of a secret (never the secret), so that a verification reads no
// database. It caches rows, never answers: keys.Evaluate runs on every
// verification with the current time, so expiry and a grace's end are as
// exact as without it.
//
// Exactness rests on the engine's change signal (a changeWatch): SQLite's
// WAL-index header and the changes revision (changes_sqlite.go), or
// PostgreSQL's NOTIFY (changes_postgres.go). Before every lookup the
// watch says whether the cache may be used, having flushed it first if
// anything changed. A flush starts a new generation; a fill stores into
// the generation it saw before its database read, so a fill that raced a
// change lands in a generation already dropped and is never served.

// Default bounds of the cache (Options.VerifyCacheSize,
// Options.VerifyCacheNegatives).
const (
	DefaultVerifyCacheSize      = 200_000
	DefaultVerifyCacheNegatives = 20_000
	// negativeTTL is how long an unknown secret is remembered: long enough
	// that a client hammering with one costs one read per window, short
	// enough that memory is given back.
	negativeTTL = 2 * time.Second
)

// changeWatch is an engine's change signal.
type changeWatch interface {
	// ready reports whether the cache may be used for a lookup starting
	// now, having flushed it if a change has been committed since it
	// last looked. false: the lookup goes to the database, and stores
	// nothing.
	ready() bool
	// close stops watching; ready is false from then on.
	close()
}

// verifyCache is a Store's cache; nil on a store without one.
type verifyCache struct {
	watch  changeWatch
	cur    atomic.Pointer[generation]
	maxPos int64
	maxNeg int64
	now    func() time.Time

	// For tests: rows read into the cache, and flushes.
	fills, flushes atomic.Uint64

	inflight sync.Mutex
	calls    map[fillKey]*fillCall
}

// generation is the cache between two flushes.
type generation struct {
	pos  sync.Map // hash → *cached
	npos atomic.Int64
	neg  sync.Map // hash → int64: unix nanoseconds (store clock) until which the hash is unknown
	nneg atomic.Int64
}

// cached is a stored row as verification needs it. Entries are shared by
// concurrent verifications, and results point into them (grants, expiry):
// nothing may modify a cached row.
type cached struct {
	r    *row
	prev bool // the hash is the key's previous secret
	// used is the last use recorded (unix seconds; noUse for none): the
	// row's last_used_at goes stale in the cache, and use-tracking still
	// writes once per fold.
	used atomic.Int64
}

const noUse = -1 << 63

func newCached(r *row, prev bool) *cached {
	c := &cached{r: r, prev: prev}
	c.used.Store(noUse)
	if r.LastUsedAt != nil {
		c.used.Store(toUnix(*r.LastUsedAt))
	}
	return c
}

func newVerifyCache(opts Options, now func() time.Time) *verifyCache {
	c := &verifyCache{maxPos: int64(opts.VerifyCacheSize), maxNeg: int64(opts.VerifyCacheNegatives), now: now, calls: map[fillKey]*fillCall{}}
	if c.maxPos <= 0 {
		c.maxPos = DefaultVerifyCacheSize
	}
	if c.maxNeg <= 0 {
		c.maxNeg = DefaultVerifyCacheNegatives
	}
	c.cur.Store(&generation{})
	return c
}

// flush drops every entry: the next lookup of each reads the database.
func (c *verifyCache) flush() {
	c.cur.Store(&generation{})
	c.flushes.Add(1)
}

// outcome of a cache lookup.
type outcome int

const (
	miss outcome = iota
	hit
	unknown // remembered as no key's
)

// get looks h up in generation g.
func (c *verifyCache) get(g *generation, h string) (*cached, outcome) {
	if v, ok := g.pos.Load(h); ok {
		return v.(*cached), hit
	}
	if v, ok := g.neg.Load(h); ok && c.now().UnixNano() < v.(int64) {
		return nil, unknown
	}
	return nil, miss
}

// put stores what a database read found for h into g (nil: no key):
// positives and negatives in maps of their own, each bounded, so that a
// flood of unknown secrets evicts only other unknown secrets.
func (c *verifyCache) put(g *generation, h string, e *cached) {
	c.fills.Add(1)
	if e == nil {
		until := c.now().Add(negativeTTL).UnixNano()
		if _, loaded := g.neg.Swap(h, until); !loaded && g.nneg.Add(1) > c.maxNeg {
			evictOne(&g.neg, &g.nneg, h)
		}
		return
	}
	if _, loaded := g.pos.Swap(h, e); !loaded && g.npos.Add(1) > c.maxPos {
		evictOne(&g.pos, &g.npos, h)
	}
	if _, ok := g.neg.LoadAndDelete(h); ok {
		g.nneg.Add(-1)
	}
}

// evictOne drops one entry other than keep (sync.Map ranges from a
// random point, so which one is arbitrary).
func evictOne(m *sync.Map, n *atomic.Int64, keep string) {
	m.Range(func(k, _ any) bool {
		if k.(string) == keep {
			return true
		}
		if _, ok := m.LoadAndDelete(k); ok {
			n.Add(-1)
		}
		return false
	})
}

// fillKey is one database read: concurrent misses of one hash in one
// generation share it (a burst of one unknown secret reads once). A
// lookup that started after a flush never shares a read that started
// before it.
type fillKey struct {
	g *generation
	h string
}

type fillCall struct {
	done chan struct{}
	e    *cached
	err  error
}

// fill reads h with read, once for all concurrent callers in g, and
// stores what it found in g.
func (c *verifyCache) fill(g *generation, h string, read func() (*row, bool, error)) (*cached, error) {
	k := fillKey{g, h}
	c.inflight.Lock()
	if call := c.calls[k]; call != nil {
		c.inflight.Unlock()
		<-call.done
		return call.e, call.err
	}
	call := &fillCall{done: make(chan struct{})}
	c.calls[k] = call
	c.inflight.Unlock()
	defer func() {
		c.inflight.Lock()
		delete(c.calls, k)
		c.inflight.Unlock()
		close(call.done)
	}()
	r, prev, err := read()
	if err != nil {
		call.err = err
		return nil, err
	}
	if r != nil {
		call.e = newCached(r, prev)
	}
	c.put(g, h, call.e)
	return call.e, nil
}

// cacheState is a Store's cache, started by the second verification (a
// command that verifies once, or never, does not pay for it).
type cacheState struct {
	used   atomic.Bool // a verification has been made
	once   sync.Once
	c      atomic.Pointer[verifyCache]
	start  func() (*verifyCache, error) // the engine's; nil: no cache
	mu     sync.Mutex
	closed bool
}

// get returns the cache, starting it on first use; nil when there is
// none (turned off, unsupported here, or the store is closing).
func (cs *cacheState) get() *verifyCache {
	cs.once.Do(func() {
		cs.mu.Lock()
		defer cs.mu.Unlock()
		if cs.start == nil || cs.closed {
			return
		}
		c, err := cs.start()
		if err != nil {
			return // verification reads the database, as without a cache
		}
		cs.c.Store(c)
	})
	return cs.c.Load()
}

// close stops the cache's watch: called before the store's pools close.
func (cs *cacheState) close() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.closed = true
	if c := cs.c.Load(); c != nil {
		c.watch.close()
	}
}

// changed flushes this store's cache after a write of its own: exact on
// this store even where the engine's signal comes later (PostgreSQL's
// NOTIFY); called once the write is committed (or failed), before it
// returns.
func (s *Store) changed() {
	if c := s.cache.c.Load(); c != nil {
		c.flush()
	}
}
