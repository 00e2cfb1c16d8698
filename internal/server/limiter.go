package server

import (
	"hash/maphash"
	"sync"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// keyLimiter counts the server's verifications of keys with a rate limit
// (keys.RateLimit): in memory, exact on this server, no database write.
// Each key has a token bucket of N, kept as GCRA does, in one number: the
// theoretical arrival time (tat) of the next verification were the key
// to go at its steady rate. A verification at t succeeds when
// tat - t <= (N-1)·I (I = Per/N, rounded up), and moves tat on by I; so
// N succeed at once from rest, then one every I, and in any span of time
// d at most N + ⌊d/I⌋ do. Hand-written rather than golang.org/x/time/rate:
// its Limiter keeps float tokens (a boundary test off by one ulp), and
// its Reserve, which says how long to wait (Retry-After), allocates per
// call; this is one int64 per key, integer arithmetic, no allocation once
// a key is known.
//
// Memory is bounded: a key whose bucket is full again (tat <= now) holds
// no information and is dropped when its shard is full; past that (more
// than maxKeys keys in a burst at once) the entry nearest to full of a
// few is dropped, which may let that key burst again early. Keys deleted
// or rolled need nothing: a rolled key keeps its id (and its count); a
// deleted one's entry is at rest within its period and goes.
type keyLimiter struct {
	now    func() time.Time
	start  time.Time
	share  int // each of `share` servers enforces ⌈N/share⌉ (serve --rate-limit-share)
	seed   maphash.Seed
	shards [limiterShards]limiterShard
	perMax int // entries a shard holds before it drops some
}

const (
	limiterShards = 64
	// DefaultRateLimitKeys is how many keys the limiter tracks at most:
	// about 100 bytes each.
	DefaultRateLimitKeys = 200_000
	// evictSample is how many entries are looked at to drop the one
	// nearest to rest once a shard holds only busy keys.
	evictSample = 8
)

type limiterShard struct {
	mu sync.Mutex
	m  map[string]*bucket
}

type bucket struct {
	tat   int64 // nanoseconds since the limiter's start
	limit keys.RateLimit
}

func newKeyLimiter(now func() time.Time, share, maxKeys int) *keyLimiter {
	if share < 1 {
		share = 1
	}
	if maxKeys <= 0 {
		maxKeys = DefaultRateLimitKeys
	}
	l := &keyLimiter{now: now, start: now(), share: share, seed: maphash.MakeSeed(), perMax: max(1, maxKeys/limiterShards)}
	for i := range l.shards {
		l.shards[i].m = map[string]*bucket{}
	}
	return l
}

// take counts one verification of key id under limit; when the bucket is
// empty it counts nothing and says how long until it holds one again.
func (l *keyLimiter) take(id string, limit keys.RateLimit) (ok bool, retryAfter time.Duration) {
	limit = limit.Share(l.share)
	interval := int64(limit.Interval())
	tolerance := interval * (limit.N - 1)
	now := int64(l.now().Sub(l.start))
	sh := &l.shards[maphash.String(l.seed, id)%limiterShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b := sh.m[id]
	if b == nil || b.limit != limit {
		// A new key, or one whose limit changed (keys update): a full
		// bucket under the limit now set.
		if b == nil {
			if len(sh.m) >= l.perMax {
				sh.shrink(now, l.perMax)
			}
			b = &bucket{}
			sh.m[id] = b
		}
		b.tat, b.limit = now, limit
	}
	tat := max(b.tat, now)
	if wait := tat - now - tolerance; wait > 0 {
		return false, time.Duration(wait)
	}
	b.tat = tat + interval
	return true, 0
}

// shrink makes room for one more entry in a full shard: it drops the
// entries at rest (no information lost); if none is, the one nearest to
// rest among a few.
func (sh *limiterShard) shrink(now int64, perMax int) {
	for id, b := range sh.m {
		if b.tat <= now {
			delete(sh.m, id)
		}
	}
	if len(sh.m) < perMax {
		return
	}
	var victim string
	best, n := int64(0), 0
	for id, b := range sh.m { // map order: a pseudo-random sample
		if n == 0 || b.tat < best {
			victim, best = id, b.tat
		}
		if n++; n == evictSample {
			break
		}
	}
	delete(sh.m, victim)
}

// size is how many keys are tracked, for tests.
func (l *keyLimiter) size() int {
	n := 0
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

// limit counts a VALID verification of a key with a rate limit, turning
// it into RATE_LIMITED past the limit. Nothing else is counted: a key
// refused for any other reason used none of its limit.
func (s *server) limit(res *keys.VerifyResult) {
	if !res.Valid || res.RateLimit == nil || res.KeyID == nil {
		return
	}
	if ok, wait := s.limits.take(*res.KeyID, *res.RateLimit); !ok {
		res.Limited(wait)
	}
}
