package store

import (
	"errors"
	"sync/atomic"

	"github.com/keyward/keyward/internal/keys"
)

// Stats are a Store's counters since it was opened, for `keyward serve`'s
// metrics: they are read, never reset.
type Stats struct {
	// CacheHits are verifications answered from verification's cache
	// (cache.go), a remembered unknown secret included: no database read.
	CacheHits uint64
	// CacheMisses are verifications that read the database: not cached
	// yet, or the cache not in use for that lookup (not started, or its
	// change signal not ready).
	CacheMisses uint64
	// CacheFlushes are the times the cache was emptied by a change.
	CacheFlushes uint64
	// DatabaseErrors are calls the database failed for the engine's
	// reasons (locked past the busy timeout, a lost connection, no answer
	// in time, anything unexpected); refusals keyward decided (a name
	// taken, a key not found) are not counted.
	DatabaseErrors uint64
	// SigningKeyReads are the times verification read the signing keys'
	// public halves (to check a token the cache does not hold): once per
	// cache generation while the cache is in use.
	SigningKeyReads uint64
}

// storeStats are the counters Stats reads.
type storeStats struct {
	hits, misses, dbErrors atomic.Uint64
}

// Stats reports the store's counters.
func (s *Store) Stats() Stats {
	st := Stats{
		CacheHits:       s.stats.hits.Load(),
		CacheMisses:     s.stats.misses.Load(),
		DatabaseErrors:  s.stats.dbErrors.Load(),
		SigningKeyReads: s.signing.reads.Load(),
	}
	if c := s.cache.c.Load(); c != nil {
		st.CacheFlushes = c.flushes.Load()
	}
	return st
}

// countDBErr counts err, the engine's error as dbErr mapped it, when it is
// the database's failure rather than a keyward decision.
func (s *Store) countDBErr(orig, mapped error) {
	var ke *keys.Error
	if mapped == nil || errors.As(orig, &ke) {
		return
	}
	if c := keys.ErrorCode(mapped); c == keys.Unavailable || c == keys.Internal {
		s.stats.dbErrors.Add(1)
	}
}

// lockedOut is errLocked for a write that waited its busy timeout out
// before reaching the database, counted as the database's failure as a
// lock reported by the database itself is.
func (s *Store) lockedOut() error {
	s.stats.dbErrors.Add(1)
	return errLocked
}
