package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"

	"github.com/keyward/keyward/internal/keys"
)

// Group commit. A durable commit costs an fsync (SQLite, synchronous=FULL)
// or a WAL flush (PostgreSQL) under keyward's write lock, and nearly all of
// a write's time is that commit: one commit per call caps a server's writes
// below the disk's commit rate. So the calls that arrive while a commit is
// in flight share the next transaction, each inside a SAVEPOINT of its own:
// every call still runs its rule checks on rows read in the writing
// transaction and writes its audit row in it, sees the calls before it in
// the batch as if they had committed, and fails alone (rolled back to its
// savepoint). One COMMIT makes the batch durable before any of its callers
// hears success; if it fails, none of the batch is kept and every call that
// succeeded hears that error, as does every call refused after one that
// succeeded (it may have been refused on that change). A caller whose
// context ends while its change runs hears at once that it may have been
// applied. A lone writer waits for nobody: its batch is
// itself, run without a savepoint, as one transaction per call always was.

// maxBatch bounds the calls one transaction holds: enough to cover a
// server's connections, few enough that one batch holds the lock briefly.
const maxBatch = 64

// batchSavepoint is the savepoint each call of a batch runs in (released
// after it, so the name is free again for the next).
const batchSavepoint = "keyward_call"

// A call's states: queued (waiting for its batch), running (its statements
// began: it is committed, or not, with its batch), abandoned (its caller
// gave up before that: the batch skips it).
const (
	callQueued int32 = iota
	callRunning
	callAbandoned
)

// call is one Service call waiting for, or in, a batch.
type call struct {
	p        *keys.Principal
	fn       func(t *txn) error
	ctx      context.Context // the caller's: its deadline bounds the batch's statements
	deadline time.Time       // the busy timeout's end: past it, a call not yet run gives up
	state    atomic.Int32
	done     chan error // the call's outcome, sent once, by the batch that claimed it
	// alone: the call may change any number of rows (a delete of many
	// keys, an organization's with its keys), so it runs in a batch of
	// its own. In a batch of several, a call runs under a savepoint whose
	// sub-journal keeps every page the call changed, in memory on SQLite
	// (temp_store): 300,000 keys deleted one by one under a savepoint took
	// the sqlite3 shell to 86 MB, without one 6 MB.
	alone bool
}

// claim marks c running; false if its caller gave up first.
func (c *call) claim() bool { return c.state.CompareAndSwap(callQueued, callRunning) }

// abandon marks c given up; false if a batch runs it already.
func (c *call) abandon() bool { return c.state.CompareAndSwap(callQueued, callAbandoned) }

// commits is the queue of a Store's writes and its one runner.
type commits struct {
	mu      sync.Mutex
	queue   []*call
	running bool // a runner goroutine is at work; it takes the queue until it is empty

	// What the batches held, for benchmarks and tests: commits attempted,
	// and the calls whose statements ran in them.
	batches, calls atomic.Int64
}

// write runs fn as one call of a batch (see above) and returns its outcome:
// its own error, the batch's commit error, or nil once the commit holding
// its change is durable.
func (s *Store) write(ctx context.Context, fn func(t *txn) error) error {
	return s.writeCall(ctx, fn, false)
}

// writeAlone is write for a call that may change any number of rows: it
// runs in a batch of its own (see call.alone).
func (s *Store) writeAlone(ctx context.Context, fn func(t *txn) error) error {
	return s.writeCall(ctx, fn, true)
}

func (s *Store) writeCall(ctx context.Context, fn func(t *txn) error, alone bool) error {
	p, err := keys.PrincipalFrom(ctx)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return s.dbErr(err)
	}
	c := &call{p: p, fn: fn, ctx: ctx, deadline: time.Now().Add(s.busy), done: make(chan error, 1), alone: alone}
	g := &s.commits
	g.mu.Lock()
	g.queue = append(g.queue, c)
	start := !g.running
	g.running = true
	g.mu.Unlock()
	if start {
		go s.runBatches()
	}
	timer := time.NewTimer(time.Until(c.deadline))
	defer timer.Stop()
	select {
	case err := <-c.done:
		return err
	case <-ctx.Done():
		if c.abandon() {
			return s.dbErr(ctx.Err())
		}
	case <-timer.C:
		if c.abandon() {
			return s.lockedOut()
		}
	}
	// Its statements run already, and are committed, or not, with the
	// batch: the caller waits for that as long as its own context lets it
	// (not the batch's, which may last as long as its longest caller's),
	// then hears that the change may have been applied.
	select {
	case err := <-c.done:
		return err
	case <-ctx.Done():
		select {
		case err := <-c.done:
			return err
		default:
			return errGaveUpRunning
		}
	}
}

// errGaveUpRunning is a caller gone before the batch running its change
// committed: the change may still be made durable with the others.
var errGaveUpRunning = keys.Errorf(keys.Unavailable,
	"the request ended while its change was being committed: the change may have been applied; check before trying again")

// runBatches runs batches while calls are queued: each takes the calls
// that came while the one before it committed.
func (s *Store) runBatches() {
	g := &s.commits
	for {
		g.mu.Lock()
		n := min(len(g.queue), maxBatch)
		for i, c := range g.queue[:n] {
			if c.alone { // a batch of its own: the calls before it, then it
				n = max(i, 1)
				break
			}
		}
		batch := g.queue[:n:n]
		g.queue = g.queue[n:]
		if n == 0 {
			g.queue = nil
			g.running = false
		}
		g.mu.Unlock()
		if n == 0 {
			return
		}
		s.runBatch(batch)
	}
}

// runBatch runs the calls of one batch in one transaction and tells each
// caller its outcome.
func (s *Store) runBatch(batch []*call) {
	live := batch[:0:0]
	var deadline time.Time
	for _, c := range batch {
		if c.state.Load() == callQueued {
			live = append(live, c)
			deadline = later(deadline, c.deadline)
		}
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := batchContext(live)
	defer cancel()
	w, err := s.writerConnUntil(ctx, deadline)
	if err != nil {
		failAll(live, err)
		return
	}
	defer w.Close()
	tx, err := s.eng.beginWrite(ctx, w.conn, w.left)
	if err != nil {
		failAll(live, s.dbErr(err))
		return
	}
	defer tx.Rollback()
	ran, err := s.runCalls(ctx, tx, live)
	s.commits.batches.Add(1)
	s.commits.calls.Add(int64(len(ran)))
	if err != nil {
		failAll(live, err)
		for _, c := range ran {
			c.done <- err
		}
		return
	}
	if len(ran) == 1 && ran[0].err != nil {
		// A lone call that failed: nothing of it is kept (the deferred
		// rollback), as before group commit.
		ran[0].done <- ran[0].err
		return
	}
	commitErr := s.commit(ctx, tx)
	// Before any caller hears of it: verification on this store sees the
	// change (or its failure) from the moment the change returns, even
	// where the engine's own signal comes later (PostgreSQL's NOTIFY).
	s.changed()
	// Whether a call before this one in the batch succeeded: a call after
	// it was judged on rows that include that change.
	after := false
	for _, c := range ran {
		switch {
		case c.err == nil:
			c.done <- commitErr
			after = true
		case commitErr != nil && after:
			// Refused on a state an earlier call of the batch made, which
			// the failed commit has undone: run alone it might have
			// succeeded, so its refusal would describe rows that never
			// existed. It hears what the others hear.
			c.done <- commitErr
		default:
			// Refused on committed rows alone, or on changes now
			// committed: that stays its answer (a retry meets it again).
			c.done <- c.err
		}
	}
}

// commit commits a batch's transaction. A COMMIT the database refused, or
// never got, kept nothing; one whose answer was lost on the way back (a
// connection cut, a deadline passed while waiting for it) may have been
// made durable: its callers must not hear a bare "try again", which would
// have them make the change a second time (a roll would then throw away
// the secret the first one made).
func (s *Store) commit(ctx context.Context, tx *sql.Tx) error {
	if err := ctx.Err(); err != nil {
		// Not sent: the deferred rollback ends the transaction.
		return s.dbErr(err)
	}
	err := tx.Commit()
	if err == nil || commitRefused(err) {
		return s.dbErr(err)
	}
	return errMaybeCommitted
}

// errMaybeCommitted is a COMMIT sent whose outcome nobody heard.
var errMaybeCommitted = keys.Errorf(keys.Unavailable,
	"lost the database's answer to the commit: the change may have been applied; check before trying again")

// commitRefused reports whether err, from a COMMIT, says the database
// answered and kept nothing: an error the server sent (PostgreSQL rolls
// back a transaction whose COMMIT fails), a SQLite error other than an I/O
// error (which may strike after the commit's frames were written), or a
// transaction database/sql ended before sending the COMMIT.
func commitRefused(err error) bool {
	var pe *pgconn.PgError
	var se sqlite3.Error
	switch {
	case errors.As(err, &pe):
		return true
	case errors.As(err, &se):
		return se.Code != sqlite3.ErrIoErr
	case errors.Is(err, sql.ErrTxDone):
		return true
	}
	return false
}

// ranCall is a call whose statements ran, with its own outcome.
type ranCall struct {
	*call
	err error
}

// runCalls runs each live call that is still wanted, in order, in tx: in
// a savepoint of its own when the batch holds several. An error returned
// is the batch's (the transaction can no longer be trusted): every call
// gets it and nothing is committed.
func (s *Store) runCalls(ctx context.Context, tx *sql.Tx, live []*call) ([]ranCall, error) {
	batch, ctx := ctx, s.eng.stmtContext(ctx)
	lone := len(live) == 1
	var ran []ranCall
	for _, c := range live {
		if !c.claim() {
			continue
		}
		ran = append(ran, ranCall{call: c})
		r := &ran[len(ran)-1]
		if lone {
			r.err = s.runCall(batch, ctx, tx, c)
			break
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT "+batchSavepoint); err != nil {
			return ran, s.dbErr(batchEnded(batch, err))
		}
		if r.err = s.runCall(batch, ctx, tx, c); r.err != nil {
			// A statement error may have ended the whole transaction
			// (SQLite rolls back on a full disk, an I/O error, an
			// interrupt): then the savepoint is gone and this fails, and
			// the batch with it. The callers hear the database's trouble
			// that did it, not "no such savepoint".
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO "+batchSavepoint); err != nil {
				if keys.ErrorCode(r.err) == keys.Unavailable {
					return ran, r.err
				}
				return ran, s.dbErr(batchEnded(batch, err))
			}
		}
		if _, err := tx.ExecContext(ctx, "RELEASE "+batchSavepoint); err != nil {
			return ran, s.dbErr(batchEnded(batch, err))
		}
	}
	return ran, nil
}

// runCall re-reads c's principal in tx and runs c's function, at the
// call's own time. A panic in it is the call's error, not the server's end:
// it runs on the batch's goroutine, beyond net/http's recovery.
func (s *Store) runCall(batch, ctx context.Context, tx *sql.Tx, c *call) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("store: a write panicked: %v", v)
		}
	}()
	t := &txn{db: s.on(tx), s: s, ctx: ctx, now: s.clock()}
	if t.p, err = t.refresh(c.p); err != nil {
		return s.dbErr(batchEnded(batch, err))
	}
	return s.dbErr(batchEnded(batch, c.fn(t)))
}

// batchEnded is err, or the batch's end when that is what made it: the
// statements' context may be one that cannot end (stmtContext), and
// database/sql, rolling the transaction back at the batch's end, then
// answers them "transaction done", an internal error, where a statement
// watching the batch's context heard "deadline exceeded" (unavailable:
// try again).
func batchEnded(batch context.Context, err error) error {
	if errors.Is(err, sql.ErrTxDone) && batch.Err() != nil {
		return batch.Err()
	}
	return err
}

// batchContext is the context of a batch's statements. It is no caller's:
// a caller going away must not interrupt a statement (SQLite would roll
// back the transaction, other callers' changes with it). It ends only when
// every caller's own deadline has passed, and has none if one caller has
// none, as a lone writer's statements had.
func batchContext(live []*call) (context.Context, context.CancelFunc) {
	var end time.Time
	for _, c := range live {
		d, ok := c.ctx.Deadline()
		if !ok {
			// Never done: the driver then watches no context per statement.
			return context.Background(), func() {}
		}
		end = later(end, d)
	}
	return context.WithDeadline(context.Background(), end)
}

// failAll tells every call of a batch not yet run (nor given up) err.
func failAll(calls []*call, err error) {
	for _, c := range calls {
		if c.claim() {
			c.done <- err
		}
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
