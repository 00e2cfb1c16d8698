package store

import (
	"context"
	"database/sql"
	"net/netip"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// useFold is how stale last_used_at may get before a use rewrites it: uses
// within it are folded into one, so verification stays a read.
const useFold = time.Minute

// useWait bounds how long a verification may spend recording a use: a
// database locked by a long write elsewhere must not slow verification
// down (the next use tries again).
const useWait = 100 * time.Millisecond

// lookup finds the key whose current or previous secret hashes to h,
// reading on verification's own connections (verifyconn.go).
func (s *Store) lookup(ctx context.Context, h string) (r *row, matchedPrevious bool, err error) {
	var current bool
	r, err = scanKey(s.on(s.pools.verify).queryRow(s.verifyCtx(ctx), s.lookupSQL(), h), &current)
	if err == sql.ErrNoRows {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, s.dbErr(err)
	}
	return r, !current, nil
}

// lookupSQL selects the key whose current or previous secret hashes to
// $1. Each hash through its own index, spelled out: as one OR, SQLite
// weighs the prev_hash index by its statistics, and once ANALYZE (or
// PRAGMA optimize) has seen prev_hash NULL on nearly every key (keys never
// rolled) it judges that index useless and scans the whole table: 0.8 s a
// lookup at a million keys instead of microseconds.
func (s *Store) lookupSQL() string {
	return "SELECT " + s.keyColumns() + `, k.secret_hash = $1
		FROM keys k WHERE k.id IN (SELECT id FROM keys WHERE secret_hash = $1
			UNION ALL SELECT id FROM keys WHERE prev_hash = $1)`
}

// find is lookup through verification's cache (cache.go): the entry for h,
// nil when no key has it. secret is what hashed to h: a JWT key's token
// that the cache does not hold has its signature checked before the
// database is read (a forged one never reaches it); one the cache holds
// matched a stored token's hash, and needs no check.
func (s *Store) find(ctx context.Context, h, secret string) (*cached, error) {
	c := s.cache.c.Load()
	if c == nil && s.cache.used.Swap(true) {
		// From the second verification on: a command that verifies once
		// (keyward keys verify) never pays for starting a cache.
		c = s.cache.get()
	}
	if c == nil || !c.watch.ready() {
		if ok, err := s.signedIfToken(ctx, secret); !ok {
			return nil, err
		}
		s.stats.misses.Add(1)
		r, prev, err := s.lookup(ctx, h)
		if err != nil || r == nil {
			return nil, err
		}
		return newCached(r, prev), nil
	}
	// The generation is taken after ready, before the read: see cache.go.
	g := c.cur.Load()
	switch e, out := c.get(g, h); out {
	case hit:
		s.stats.hits.Add(1)
		return e, nil
	case unknown:
		s.stats.hits.Add(1)
		return nil, nil
	}
	if ok, err := s.signedIfToken(ctx, secret); !ok {
		return nil, err
	}
	s.stats.misses.Add(1)
	// Shared with concurrent lookups of h: not cut short by this caller
	// going away (lookups are bounded anyway, see verifyCtx).
	return c.fill(g, h, func() (*row, bool, error) { return s.lookup(context.WithoutCancel(ctx), h) })
}

// Verify checks a presented secret. It needs no principal.
func (s *Store) Verify(ctx context.Context, req keys.VerifyRequest) (*keys.VerifyResult, error) {
	req, err := req.Normalize()
	if err != nil {
		return nil, err
	}
	secret, err := keys.ParseSecret(req.Secret)
	if err != nil {
		return keys.NotFoundResult(), nil // malformed: no lookup at all
	}
	hash := keys.HashSecret(secret)
	e, err := s.find(ctx, hash, secret)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return keys.NotFoundResult(), nil
	}
	now := s.clock()
	res := e.r.evaluate(e.prev, now, req.Resource, req.Role, req.IP)
	if res.Code == keys.CodeNotFound {
		return res, nil
	}
	if !e.prev {
		if held, err := s.claim(ctx, e.r, hash, now); err != nil {
			return nil, err
		} else if !held {
			return keys.NotFoundResult(), nil // replaced by a redo meanwhile
		}
	}
	s.recordUse(ctx, e, now)
	return res, nil
}

// claim records the first use of a freshly rolled secret before that use
// is answered, so that a redo (keys.LastRoll) never replaces a secret
// someone holds: one write per roll, waiting at most the busy timeout
// (then Unavailable: better no answer than an answer for a secret that a
// redo could still take away). It reports false when a redo has replaced
// the secret since the lookup. Only a roll that can be redone needs it;
// whether the previous secret's grace is over is not asked here: another
// replica, its clock behind this one's, may still see it running and let
// it redo the roll (the write is once per roll either way).
func (s *Store) claim(ctx context.Context, r *row, hash string, now time.Time) (bool, error) {
	if r.lastRoll.Claimed || !r.lastRoll.BySelf || !r.hasPrev {
		return true, nil
	}
	w, err := s.writerConn(ctx)
	if err != nil {
		return false, err
	}
	defer w.Close()
	defer s.changed() // the cached row says unclaimed
	res, err := s.on(w.conn).exec(ctx, `UPDATE keys SET secret_used_at = COALESCE(secret_used_at, $1)
		WHERE id = $2 AND secret_hash = $3`, toUnix(now), r.ID, hash)
	if err != nil {
		return false, s.dbErr(err)
	}
	n, err := res.RowsAffected()
	return n == 1, s.dbErr(err)
}

// recordUse writes last_used_at: a key's first use always, later ones only
// when the stored time is a fold old, so that a busy key costs one write a
// minute, not one per verification. A locked database must neither turn a
// valid key into an error nor hold verification up: a use that cannot be
// written at once is written in the background once the lock is free (or,
// if the store closes first, by the key's next use). The last use
// recorded is kept in e, not read from its row: a cached row's
// last_used_at is as old as the cache entry, and use-tracking does not
// flush the cache.
func (s *Store) recordUse(ctx context.Context, e *cached, now time.Time) {
	last := e.used.Load()
	if last != noUse && now.Sub(fromUnix(last)) < useFold {
		return
	}
	u := toUnix(now)
	if !e.used.CompareAndSwap(last, u) {
		return // a concurrent use of the same entry records it
	}
	if err := s.writeUse(context.WithoutCancel(ctx), e.r.ID, u); err != nil {
		s.pending.add(s, e.r.ID, u)
	}
}

// writeUse makes one attempt, bounded by useWait, at recording a use at
// unix time u.
func (s *Store) writeUse(ctx context.Context, id string, u int64) error {
	ctx, cancel := context.WithTimeout(ctx, useWait)
	defer cancel()
	_, err := s.on(s.pools.usage).exec(ctx, `UPDATE keys SET last_used_at = $1
		WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)`, u, id, u-int64(useFold/time.Second))
	return err
}

// evaluate is keys.Evaluate on the stored row: the previous secret's
// expiry as stored, even once passed. Evaluate reads PreviousExpiresAt
// only for a previous secret, so the current secret's (every cache hit
// but a roll's grace) is judged on the row itself, not on a copy of its
// Key: the result points into it, which made the copy escape, one
// allocation a verification that grew with every field keys.Key gained
// (192 → 256 B). Cached rows are never written, and the result's
// grants, expiry and limit pointed into them already.
func (r *row) evaluate(prev bool, now time.Time, resource *keys.Resource, role *keys.Role, ip netip.Addr) *keys.VerifyResult {
	if !prev {
		return keys.Evaluate(&r.Key, false, now, resource, role, ip)
	}
	k := r.Key
	k.PreviousExpiresAt = r.prevExpiry
	return keys.Evaluate(&k, prev, now, resource, role, ip)
}

// evaluateAnywhere is evaluate for a key wherever it is presented from:
// whether a leaked secret still works (keyward scan, POST /v1/leaks) does
// not depend on where the finder stands, and an allow-list is no reason
// to leave it enabled.
func (r *row) evaluateAnywhere(prev bool, now time.Time) *keys.VerifyResult {
	k := r.Key
	k.PreviousExpiresAt = r.prevExpiry
	k.AllowedIPs = nil
	return keys.Evaluate(&k, prev, now, nil, nil, netip.Addr{})
}

// Authenticate turns an operator secret into a principal: Unauthorized for
// an unknown, malformed, rolled-out, disabled or expired secret, Forbidden
// for a public key. A previous secret still in its grace period
// authenticates, marked Previous: it may read (rolling an operator key does
// not cut off its readers at once) but change nothing (keys.CheckChange).
func (s *Store) Authenticate(ctx context.Context, secret string) (*keys.Principal, error) {
	bad := keys.Errorf(keys.Unauthorized, "invalid operator key: log in again or check KEYWARD_TOKEN")
	parsed, err := keys.ParseSecret(secret)
	if err != nil {
		return nil, bad
	}
	hash := keys.HashSecret(parsed)
	// Through verification's cache, exact as verification is: and the
	// transaction that follows re-reads the operator key anyway (refresh),
	// so its rules always judge the key as stored.
	e, err := s.find(ctx, hash, parsed)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, bad
	}
	r, prev := e.r, e.prev
	now := s.clock()
	if r.evaluate(prev, now, nil, nil, netip.Addr{}).Code == keys.CodeNotFound {
		return nil, bad // a rolled-out secret past its grace
	}
	k := r.view(now)
	if err := keys.CanAuthenticate(k, now); err != nil {
		return nil, err
	}
	if !prev {
		if held, err := s.claim(ctx, r, hash, now); err != nil {
			return nil, err
		} else if !held {
			return nil, bad // replaced by a redo meanwhile
		}
	}
	s.recordUse(ctx, e, now)
	p := keys.KeyPrincipal(k)
	p.SecretHash = hash
	p.Previous = prev
	return p, nil
}

// WhoAmI describes the principal in ctx; an operator key is read afresh.
func (s *Store) WhoAmI(ctx context.Context) (*keys.Principal, error) {
	var out *keys.Principal
	err := s.read(ctx, func(t *txn) error {
		out = t.p
		return nil
	})
	return out, err
}
