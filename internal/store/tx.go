package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/netip"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// txn is one Service call's transaction: the principal as re-read inside
// it, and the time the call acts at. Its statements go through db: the
// *sql.Tx itself stays with run, which commits it.
type txn struct {
	db
	s   *Store
	ctx context.Context
	p   *keys.Principal
	now time.Time
}

// read runs fn in one read transaction on a reader: one snapshot.
func (s *Store) read(ctx context.Context, fn func(t *txn) error) error {
	p, err := keys.PrincipalFrom(ctx)
	if err != nil {
		return err
	}
	tx, err := s.eng.beginRead(ctx, s.pools.reader)
	if err != nil {
		return s.dbErr(err)
	}
	return s.run(ctx, tx, p, fn)
}

// run re-reads the principal in tx, runs fn and commits.
func (s *Store) run(ctx context.Context, tx *sql.Tx, p *keys.Principal, fn func(t *txn) error) error {
	defer tx.Rollback()
	t := &txn{db: s.on(tx), s: s, ctx: ctx, now: s.clock()}
	var err error
	if t.p, err = t.refresh(p); err != nil {
		return s.dbErr(err)
	}
	if err := fn(t); err != nil {
		return s.dbErr(err)
	}
	return s.dbErr(tx.Commit())
}

// writerConn takes a writer connection for one write, waiting at most the
// busy timeout in all: for the connection (in-process writers queue for
// it), then for the database's lock, which may take what is left. Without
// the bound, writers queued behind a lock held elsewhere would each wait
// their own busy timeout in turn, and a server's client would be cut off
// before its change was made, or refused.
func (s *Store) writerConn(ctx context.Context) (*writer, error) {
	return s.writerConnUntil(ctx, time.Now().Add(s.busy))
}

// writerConnUntil is writerConn for a wait that ends at deadline: a
// batch's, which ends with the latest busy timeout of its calls.
func (s *Store) writerConnUntil(ctx context.Context, deadline time.Time) (*writer, error) {
	wctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	// One writer of this process at a time takes a connection: the others
	// wait here, not holding PostgreSQL connections that reads and
	// verification need (SQLite's one writer connection does the same).
	select {
	case s.turn <- struct{}{}:
	case <-wctx.Done():
		if ctx.Err() == nil {
			return nil, s.lockedOut()
		}
		return nil, s.dbErr(ctx.Err())
	}
	conn, err := s.pools.writer.Conn(wctx)
	if err != nil {
		<-s.turn
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return nil, s.lockedOut()
		}
		return nil, s.dbErr(err)
	}
	// In steps of 100ms: an uncontended write (nearly all of the busy
	// timeout left) changes nothing.
	left := max(time.Until(deadline).Round(100*time.Millisecond), 100*time.Millisecond)
	release, err := s.eng.holdWriter(ctx, conn, left)
	if err != nil {
		conn.Close()
		<-s.turn
		return nil, s.dbErr(err)
	}
	return &writer{conn: conn, left: left, turn: s.turn, release: release}, nil
}

// writer is the connection a write holds, with what is left of the busy
// timeout for the database's lock.
type writer struct {
	conn    *sql.Conn
	left    time.Duration
	turn    chan struct{}
	release func()
}

func (w *writer) Close() {
	w.release()
	w.conn.Close()
	<-w.turn
}

// refresh re-reads an operator key inside the transaction, so that the
// rules judge its grants as they are now: a key deleted, disabled or
// narrowed since it authenticated acts no more, or with less.
func (t *txn) refresh(p *keys.Principal) (*keys.Principal, error) {
	if p.IsLocal() {
		return p, nil
	}
	r, err := t.loadByID(p.Key.ID)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, keys.Errorf(keys.Unauthorized, "the operator key no longer exists")
	}
	k := r.view(t.now)
	if err := keys.CanAuthenticate(k, t.now); err != nil {
		return nil, err
	}
	out := keys.KeyPrincipal(k)
	out.SecretHash = p.SecretHash
	if p.SecretHash != "" {
		// The secret it presented must still work: a roll (--grace 0, or
		// a grace now over) between authentication and this transaction
		// ends it here too, and a roll since then makes it the previous
		// one, which changes nothing.
		var current, previous bool
		if err := t.queryRow(t.ctx, `SELECT secret_hash = $1, COALESCE(prev_hash = $1, FALSE) FROM keys WHERE id = $2`,
			p.SecretHash, k.ID).Scan(&current, &previous); err != nil {
			return nil, err
		}
		if !current && !(previous && r.evaluate(true, t.now, nil, nil, netip.Addr{}).Code != keys.CodeNotFound) {
			return nil, keys.Errorf(keys.Unauthorized, "invalid operator key: log in again or check KEYWARD_TOKEN")
		}
		out.Previous = !current
	}
	return out, nil
}

// audit writes one audit row for a change to k.
func (t *txn) audit(action string, k *keys.Key, details map[string]any) error {
	return t.auditRow(action, k.Org, &k.ID, &k.Name, k.Grants, details)
}

// auditRow writes one audit row: about a key (keyID and keyName), or
// about no key (nil: an account's change). grants, with org, judge who
// may read it.
func (t *txn) auditRow(action, org string, keyID, keyName *string, grants []keys.Grant, details map[string]any) error {
	var actorName *string
	if !t.p.IsLocal() {
		n := t.p.Name
		actorName = &n
	}
	gs, err := json.Marshal(grants)
	if err != nil {
		return err
	}
	if details == nil {
		details = map[string]any{}
	}
	if acted := t.p.SecretActed(); acted != "" {
		details["secret"] = acted
	}
	if !t.p.IsLocal() && t.p.Key.Account != nil {
		// The key that acted is the actor; its account is named too.
		details["account"] = *t.p.Key.Account
	}
	d, err := json.Marshal(details)
	if err != nil {
		return err
	}
	_, err = t.exec(t.ctx, `INSERT INTO audit (at, org, actor, actor_name, action, key_id, key_name, grants, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		toUnix(t.now), org, t.p.Actor, actorName, action, keyID, keyName, string(gs), string(d))
	return err
}
