package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// txn is one Service call's transaction: the principal as re-read inside
// it, and the time the call acts at.
type txn struct {
	*sql.Tx
	s   *Store
	ctx context.Context
	p   *keys.Principal
	now time.Time
}

// The store's SQL is SQLite's; txn's methods rebind it for the dialect.

func (t *txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.Tx.ExecContext(ctx, t.s.d.rebind(query), args...)
}

func (t *txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.Tx.QueryContext(ctx, t.s.d.rebind(query), args...)
}

func (t *txn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.Tx.QueryRowContext(ctx, t.s.d.rebind(query), args...)
}

// write runs fn in one write transaction and commits it when fn succeeds.
// SQLite: BEGIN IMMEDIATE on the one writer connection. PostgreSQL: an
// ordinary transaction that first takes keyward's advisory lock, so that
// writers queue exactly as on SQLite's write lock and every rule check
// and the write it allows are one atomic step.
func (s *Store) write(ctx context.Context, fn func(t *txn) error) error {
	return s.run(ctx, s.w, true, fn)
}

// read runs fn in one read transaction on a reader: one snapshot
// (PostgreSQL: REPEATABLE READ, READ ONLY).
func (s *Store) read(ctx context.Context, fn func(t *txn) error) error {
	return s.run(ctx, s.r, false, fn)
}

func (s *Store) run(ctx context.Context, db *sql.DB, writer bool, fn func(t *txn) error) error {
	p, err := keys.PrincipalFrom(ctx)
	if err != nil {
		return err
	}
	var src beginner = db
	var lockWait time.Duration
	if writer {
		conn, left, err := s.writerConn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		src, lockWait = conn, left
	}
	tx, err := s.d.begin(ctx, src, writer, lockWait)
	if err != nil {
		return dbErr(err)
	}
	defer tx.Rollback()
	t := &txn{Tx: tx, s: s, ctx: ctx, now: s.clock()}
	if t.p, err = t.refresh(p); err != nil {
		return dbErr(err)
	}
	if err := fn(t); err != nil {
		return dbErr(err)
	}
	return dbErr(tx.Commit())
}

// beginner is a *sql.DB or one of its connections.
type beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// writerConn takes a writer connection for one write, waiting at most the
// busy timeout in all: for the connection (in-process writers queue for
// it), then for the database's lock, which may take what is left (it is
// returned). Without the bound, writers queued behind a lock held
// elsewhere would each wait their own busy timeout in turn, and a server's
// client would be cut off before its change was made, or refused.
func (s *Store) writerConn(ctx context.Context) (*writer, time.Duration, error) {
	deadline := time.Now().Add(s.busy)
	wctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	// One writer of this process at a time takes a connection: the others
	// wait here, not holding PostgreSQL connections that reads and
	// verification need (SQLite's one writer connection does the same).
	select {
	case s.turn <- struct{}{}:
	case <-wctx.Done():
		if ctx.Err() == nil {
			return nil, 0, errLocked
		}
		return nil, 0, dbErr(ctx.Err())
	}
	conn, err := s.w.Conn(wctx)
	if err != nil {
		<-s.turn
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return nil, 0, errLocked
		}
		return nil, 0, dbErr(err)
	}
	// In steps of 100ms: an uncontended write (nearly all of the busy
	// timeout left) sets nothing, and the writer's statement cache does
	// not fill with one PRAGMA text per millisecond.
	left := max(time.Until(deadline).Round(100*time.Millisecond), 100*time.Millisecond)
	if !s.d.postgres && left < s.busy {
		if err := setBusy(ctx, conn, left); err != nil {
			conn.Close()
			<-s.turn
			return nil, 0, dbErr(err)
		}
		// Back to the full timeout on release, so that what the next
		// writer finds is what the DSN says (as a new connection has).
		return &writer{conn: conn, turn: s.turn, restore: s.busy}, left, nil
	}
	return &writer{conn: conn, turn: s.turn}, left, nil
}

func setBusy(ctx context.Context, conn *sql.Conn, d time.Duration) error {
	_, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", d.Milliseconds()))
	return err
}

// writer is the connection a write holds, and the busy timeout to put
// back on it when the write is done.
type writer struct {
	conn    *sql.Conn
	turn    chan struct{}
	restore time.Duration
}

func (w *writer) BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error) {
	return w.conn.BeginTx(ctx, opts)
}

func (w *writer) Close() {
	if w.restore > 0 {
		_ = setBusy(context.Background(), w.conn, w.restore)
	}
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
	r, err := t.s.loadByID(t.ctx, t, p.Key.ID)
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
		if err := t.QueryRowContext(t.ctx, `SELECT secret_hash = ?, COALESCE(prev_hash = ?, FALSE) FROM keys WHERE id = ?`,
			p.SecretHash, p.SecretHash, k.ID).Scan(&current, &previous); err != nil {
			return nil, err
		}
		if !current && !(previous && r.evaluate(true, t.now, nil, nil).Code != keys.CodeNotFound) {
			return nil, keys.Errorf(keys.Unauthorized, "invalid operator key: log in again or check KEYWARD_TOKEN")
		}
		out.Previous = !current
	}
	return out, nil
}

// audit writes one audit row for a change to k.
func (t *txn) audit(action string, k *keys.Key, details map[string]any) error {
	var actorName *string
	if !t.p.IsLocal() {
		n := t.p.Name
		actorName = &n
	}
	grants, err := json.Marshal(k.Grants)
	if err != nil {
		return err
	}
	if details == nil {
		details = map[string]any{}
	}
	if acted := t.p.SecretActed(); acted != "" {
		details["secret"] = acted
	}
	d, err := json.Marshal(details)
	if err != nil {
		return err
	}
	_, err = t.ExecContext(t.ctx, `INSERT INTO audit (at, org, actor, actor_name, action, key_id, key_name, grants, details)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		toUnix(t.now), k.Org, t.p.Actor, actorName, action, k.ID, k.Name, string(grants), string(d))
	return err
}
