package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// sqliteWatch is SQLite's change signal for verification's cache. Every
// commit to the file, by any process, rewrites the WAL-index header
// (walindex_unix.go): comparing it with the last one seen costs a dozen
// loads from shared memory. When it has moved, one read of changes.rev
// (a new random value at each change, kept by triggers,
// migrations/0003_changes.sql) tells a change to keys or grants, which
// flushes the cache, from a commit that changed neither (last_used_at,
// the audit log alone, a checkpoint), which does not.
//
// The header is read before rev, and seen is stored after the flush: a
// commit after the header read moves the header again (the next lookup
// looks again), and a lookup that finds the header it last saw finds the
// flush that header called for done.
type sqliteWatch struct {
	c    *verifyCache
	wi   *walIndex
	db   *sql.DB
	conn *sql.Conn // held for the store's life, so SQLite never removes or resets the -shm under the mapping

	seen   atomic.Pointer[walHeader]
	closed atomic.Bool
	mu     sync.Mutex // one rev read at a time
	rev    int64
	reads  atomic.Uint64 // rev reads, for tests
}

// sqliteCache is how a store on the SQLite file abs starts its cache; nil
// when opts turn it off.
func (s *Store) sqliteCache(abs string, busy time.Duration, opts Options) func() (*verifyCache, error) {
	if opts.VerifyCacheSize < 0 {
		return nil
	}
	return func() (*verifyCache, error) { return s.watchSQLite(abs, busy, opts) }
}

// watchSQLite starts the cache of a store on the SQLite file abs.
func (s *Store) watchSQLite(abs string, busy time.Duration, opts Options) (c *verifyCache, err error) {
	db, err := sql.Open(driverName, dsn(abs, busy, connReader))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	w := &sqliteWatch{db: db, rev: -1}
	defer func() {
		if err != nil {
			w.close()
		}
	}()
	ctx := context.Background()
	if w.conn, err = db.Conn(ctx); err != nil {
		return nil, err
	}
	// A read first: it sets the -shm file up, should this be the first
	// connection to the file.
	if err = w.conn.QueryRowContext(ctx, "SELECT rev FROM changes WHERE id = 1").Scan(&w.rev); err != nil {
		return nil, err
	}
	if w.wi, err = acquireWALIndex(s.held, abs+"-shm"); err != nil {
		return nil, err
	}
	c = newVerifyCache(opts, s.now)
	c.watch, w.c = w, c
	w.rev = -1 // the first lookup reads rev and starts afresh
	return c, nil
}

func (w *sqliteWatch) ready() bool {
	if w.closed.Load() {
		return false
	}
	if h, stable := w.wi.read(); stable {
		if seen := w.seen.Load(); seen != nil && *seen == h {
			return true
		}
	}
	return w.look()
}

// look reads rev, the header having moved.
func (w *sqliteWatch) look() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	h, stable := w.wi.read()
	if seen := w.seen.Load(); stable && seen != nil && *seen == h {
		return true // another lookup has looked meanwhile
	}
	var rev int64
	ctx, cancel := context.WithTimeout(context.Background(), useWait)
	defer cancel()
	if err := w.conn.QueryRowContext(ctx, "SELECT rev FROM changes WHERE id = 1").Scan(&rev); err != nil {
		if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
			// The held connection is gone: SQLite may now remove the -shm
			// under the mapping, whose header would then never move
			// again. No cache from now on.
			w.closed.Store(true)
		}
		return false // the lookup itself will answer, or fail, on its own
	}
	w.reads.Add(1)
	if rev != w.rev {
		w.c.flush()
		w.rev = rev
	}
	if stable {
		w.seen.Store(&h)
	}
	return !w.closed.Load()
}

func (w *sqliteWatch) close() {
	w.closed.Store(true)
	w.mu.Lock()
	defer w.mu.Unlock()
	var errs []error
	if w.conn != nil {
		errs = append(errs, w.conn.Close())
	}
	errs = append(errs, w.db.Close())
	_ = errors.Join(errs...)
}
