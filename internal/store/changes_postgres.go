package store

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// pgWatch is PostgreSQL's change signal for verification's cache: every
// change to keys or grants notifies keyward_changes from inside its
// transaction (migrations/postgres/0003_changes.sql), which PostgreSQL
// delivers at commit to every session listening. Each store listens on a
// connection of its own and flushes its cache on every notification.
//
// The cache is used only while that connection is known to be alive: it
// pings between notifications, and each answer renews a lease; a
// connection lost, or silent past its lease (a frozen server, a cut
// network that no reset reports), stops the cache at once, and the next
// connection flushes it again once LISTEN is in place, since changes made
// meanwhile were never heard of. A store's own writes flush its cache
// after their commit (Store.changed), so on the replica that made a
// change the next verification sees it; on the others, once the
// notification arrives.
type pgWatch struct {
	c   *verifyCache
	cfg *pgx.ConnConfig

	until  atomic.Int64 // the lease: monoNow() before which the listener is known alive
	up     atomic.Bool  // LISTEN in place on a live connection
	pid    atomic.Uint32
	stop   context.CancelFunc
	done   chan struct{}
	notify atomic.Uint64 // notifications heard, for tests

	mu     sync.Mutex
	events chan struct{} // closed and replaced at every change of state or flush, for tests
}

// Listener timing: a ping every pgPing while no notification comes, each
// waiting at most pgLease for its answer, and the cache trusted for
// pgLease after the last sign of life.
const (
	pgPing  = 25 * time.Millisecond
	pgLease = 75 * time.Millisecond
)

var monoStart = time.Now()

func monoNow() int64 { return int64(time.Since(monoStart)) }

// pgCache is how a store on PostgreSQL starts its cache; nil when opts
// turn it off.
func (s *Store) pgCache(cfg *pgx.ConnConfig, opts Options) func() (*verifyCache, error) {
	if opts.VerifyCacheSize < 0 {
		return nil
	}
	return func() (*verifyCache, error) {
		c := newVerifyCache(opts, s.now)
		ctx, stop := context.WithCancel(context.Background())
		w := &pgWatch{c: c, cfg: cfg.Copy(), stop: stop, done: make(chan struct{}), events: make(chan struct{})}
		// Called for every notification the connection reads, also while
		// it waits for a ping's answer.
		w.cfg.OnNotification = func(*pgconn.PgConn, *pgconn.Notification) {
			// Flushed before the lease is renewed: a lookup that finds
			// the lease renewed finds the flush done.
			c.flush()
			w.renew()
			w.notify.Add(1)
			w.event()
		}
		c.watch = w
		go w.run(ctx)
		return c, nil
	}
}

func (w *pgWatch) ready() bool {
	return w.up.Load() && monoNow() < w.until.Load()
}

func (w *pgWatch) close() {
	w.stop()
	<-w.done
}

// event wakes whoever waits for the listener's state (tests).
func (w *pgWatch) event() {
	w.mu.Lock()
	close(w.events)
	w.events = make(chan struct{})
	w.mu.Unlock()
}

// changed returns a channel closed at the next event.
func (w *pgWatch) changed() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.events
}

// run listens until the store closes, reconnecting after any loss.
func (w *pgWatch) run(ctx context.Context) {
	defer close(w.done)
	for wait := 20 * time.Millisecond; ctx.Err() == nil; wait = min(2*wait, time.Second) {
		if w.listen(ctx) {
			wait = 20 * time.Millisecond // it worked for a while: come back quickly
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}

// listen holds one connection until it fails; it reports whether LISTEN
// was in place on it.
func (w *pgWatch) listen(ctx context.Context) (listened bool) {
	defer func() {
		// Lost: no cache until the next connection listens, and nothing
		// cached now may be trusted later.
		w.up.Store(false)
		w.c.flush()
		w.event()
	}()
	cctx, cancel := context.WithTimeout(ctx, defaultConnectTimeout)
	conn, err := pgx.ConnectConfig(cctx, w.cfg)
	cancel()
	if err != nil {
		return false
	}
	defer conn.Close(context.Background())
	w.pid.Store(conn.PgConn().PID())
	if err := w.ping(ctx, conn, "LISTEN keyward_changes"); err != nil {
		return false
	}
	// Changes committed before LISTEN was in place were never heard of.
	w.c.flush()
	w.up.Store(true)
	w.event()
	for {
		wctx, cancel := context.WithTimeout(ctx, pgPing)
		err := conn.PgConn().WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil: // OnNotification has flushed
		case ctx.Err() != nil:
			return true
		case pgconn.Timeout(err):
			if w.ping(ctx, conn, "-- ping") != nil {
				return true
			}
		default:
			return true
		}
	}
}

// ping runs sql (LISTEN, or an empty query) and, answered within the
// lease, renews it.
func (w *pgWatch) ping(ctx context.Context, conn *pgx.Conn, sql string) error {
	start := monoNow()
	pctx, cancel := context.WithTimeout(ctx, pgLease)
	defer cancel()
	if _, err := conn.PgConn().Exec(pctx, sql).ReadAll(); err != nil {
		return err
	}
	// From when it was sent: what the answer proves is that the
	// connection was alive then.
	w.extend(start + int64(pgLease))
	return nil
}

func (w *pgWatch) renew() { w.extend(monoNow() + int64(pgLease)) }

// extend renews the lease until the monoNow() time until. A lease that
// had lapsed is renewed over a flushed cache: while it was lapsed,
// lookups read the database and may have seen a change whose
// notification is still on its way; the entries cached before it must
// not answer again once the lease is back. (Only the listener's
// goroutine extends the lease.)
func (w *pgWatch) extend(until int64) {
	if monoNow() >= w.until.Load() {
		w.c.flush()
	}
	w.until.Store(until)
}
