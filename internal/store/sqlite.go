package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/keyward/keyward/internal/keys"
)

// sqliteEngine is a Store on one SQLite file (open.go keeps the file's
// own checks). Two kinds of pool share the file: one writer (a single
// connection, every transaction BEGIN IMMEDIATE, so writers queue on
// SQLite's lock instead of deadlocking on a read-to-write upgrade) and
// query-only readers, which WAL lets run beside the writer. go-sqlite3
// ignores sql.TxOptions.ReadOnly, hence pools rather than one.
type sqliteEngine struct {
	busy time.Duration // the writer DSN's busy timeout, put back after each write
}

var _ engine = sqliteEngine{}

// rebind makes $N SQLite's ?N: the same parameter N, by number.
func (sqliteEngine) rebind(q string) string {
	i := strings.IndexByte(q, '$')
	if i < 0 {
		return q
	}
	b := []byte(q)
	for ; i < len(b); i++ {
		// No literal of the store's SQL holds a $ followed by a digit.
		if b[i] == '$' && i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '9' {
			b[i] = '?'
		}
	}
	return string(b)
}

func (sqliteEngine) grantsJSON() string {
	return "json_group_array(json_object('resource', g.resource, 'role', g.role))"
}

// beginRead: the readers are query-only connections; a transaction is
// one snapshot.
func (sqliteEngine) beginRead(ctx context.Context, db *sql.DB) (*sql.Tx, error) {
	return db.BeginTx(ctx, nil)
}

// holdWriter sets the connection's busy timeout to what is left of the
// write's, in steps of 100ms (so the writer's statement cache does not
// fill with one PRAGMA text per millisecond), and back to the full one
// on release, so that the next writer finds what the DSN says.
func (e sqliteEngine) holdWriter(ctx context.Context, c *sql.Conn, left time.Duration) (func(), error) {
	if left >= e.busy {
		return func() {}, nil
	}
	if err := setBusy(ctx, c, left); err != nil {
		return nil, err
	}
	return func() { _ = setBusy(context.Background(), c, e.busy) }, nil
}

func setBusy(ctx context.Context, conn *sql.Conn, d time.Duration) error {
	_, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", d.Milliseconds()))
	return err
}

// beginWrite: the writer's DSN makes every transaction BEGIN IMMEDIATE,
// which waits for the lock up to the busy timeout holdWriter set.
//
// The write's sub-journal (what a group commit's savepoints, and a
// statement firing triggers, roll back to) is kept in memory: past 64 KiB,
// SQLite's default spills it to a temporary file, and a batch of 25
// creates wrote 1.8 MB there through 800 pwrite calls, most of a create's
// cost. It is never synced nor read after the transaction, so durability
// is the same; a batch holds at most a few MB of it (a call that may
// change any number of rows runs alone, without a savepoint: call.alone).
// The setting is taken when the transaction begins (hence here), applies
// when the statement is prepared, and stays with the connection
// (migrations, which may sort a million rows, run on a fresh connection
// before any write).
func (sqliteEngine) beginWrite(ctx context.Context, c *sql.Conn, _ time.Duration) (*sql.Tx, error) {
	if _, err := c.ExecContext(ctx, "PRAGMA temp_store = MEMORY"); err != nil {
		return nil, err
	}
	return c.BeginTx(ctx, nil)
}

// stmtContext: none that can end. go-sqlite3 watches a context that can
// end with a goroutine of its own per statement (and a hand-off between
// threads to start it and to hear its end), about ten per create. A
// write's statements wait for nothing: BEGIN IMMEDIATE took the lock
// (within the busy timeout), and nothing else holds them up but the disk.
// The batch's end still bounds the write: commit refuses to commit once
// it has passed, and each caller stops waiting at its own.
func (sqliteEngine) stmtContext(batch context.Context) context.Context {
	return context.WithoutCancel(batch)
}

// sqliteErr is dbErr for the SQLite engine, for the file checks that run
// before there is a Store.
func sqliteErr(err error) error { return dbErr(sqliteEngine{}, err) }

func (sqliteEngine) mapErr(err error) error {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return nil
	}
	switch se.Code {
	case sqlite3.ErrBusy, sqlite3.ErrLocked:
		return errLocked
	case sqlite3.ErrReadonly:
		// Unavailable, not Invalid: behind a server it is the server's
		// fault (503), not the client's. Opening refuses the common
		// causes (a read-only file system or folder) as bad input.
		return keys.Errorf(keys.Unavailable, "database is read-only: check the permissions of the file and its folder")
	case sqlite3.ErrFull:
		return keys.Errorf(keys.Unavailable, "database or disk is full")
	case sqlite3.ErrIoErr, sqlite3.ErrCantOpen:
		return keys.Errorf(keys.Unavailable, "database I/O error: %v", se)
	}
	return nil
}

// openSQLite opens the pools on a file prepareFile has accepted, and
// migrates it.
func openSQLite(ctx context.Context, abs, path string, busy time.Duration, opts Options) (*Store, error) {
	if err := prepareFile(ctx, abs, path, opts, busy); err != nil {
		return nil, err
	}
	s := newStore(sqliteEngine{busy: busy}, abs, busy, opts)
	s.held = holdFile(abs) // before any connection: see openfiles.go
	if err := s.openSQLitePools(ctx, abs, path, busy, opts.MustExist); err != nil {
		s.Close()
		return nil, err
	}
	s.cache.start = s.sqliteCache(abs, busy, opts)
	return s, nil
}

// openSQLitePools opens the pools and brings the file's schema up to
// date. database/sql connects a pool only when it is first used, so an
// open costs one connection: the schema version is read on the pool the
// command will use first (the readers for a file that must exist, which
// reading commands open; the writer for one that may be made), and the
// writer is connected, with its WAL and synchronous pragmas, only when a
// migration or a write needs it. A read of an up-to-date file so never
// connects the writer at all (two connections and a lock dance on the
// -shm file were a tenth of a `keys list`).
func (s *Store) openSQLitePools(ctx context.Context, abs, path string, busy time.Duration, mustExist bool) error {
	open := func(busy time.Duration, kind connKind) (*sql.DB, error) {
		db, err := sql.Open(driverName, dsn(abs, busy, kind))
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		return db, nil
	}
	var err error
	if s.pools.writer, err = open(busy, connWriter); err != nil {
		return err
	}
	// One writer connection: in-process writers queue here, other
	// processes on SQLite's lock (BEGIN IMMEDIATE + busy timeout).
	s.pools.writer.SetMaxOpenConns(1)
	s.pools.writer.SetMaxIdleConns(1)
	s.pools.writer.SetConnMaxLifetime(0)
	s.pools.writer.SetConnMaxIdleTime(0)
	n := readerPoolSize()
	for _, p := range []**sql.DB{&s.pools.reader, &s.pools.verify} {
		if *p, err = open(busy, connReader); err != nil {
			return err
		}
		(*p).SetMaxOpenConns(n)
		(*p).SetMaxIdleConns(n)
	}
	// Opened lazily by database/sql: a process that never verifies never
	// connects it.
	if s.pools.usage, err = open(0, connUsage); err != nil {
		return err
	}
	s.pools.usage.SetMaxOpenConns(1)
	first := s.pools.writer
	if mustExist {
		first = s.pools.reader
	}
	current, err := s.schemaCurrent(ctx, first)
	if err != nil {
		return err
	}
	if !current {
		if err := s.migrateSQLite(ctx); err != nil {
			return err
		}
		if err := s.Ping(ctx); err != nil {
			return err
		}
	}
	// SQLite gives -wal and -shm the main file's mode; make sure anyway,
	// whatever the umask was when they were made.
	for _, suffix := range []string{"-wal", "-shm"} {
		if fi, err := os.Stat(abs + suffix); err == nil && fi.Mode().Perm()&0o077 != 0 {
			_ = os.Chmod(abs+suffix, 0o600)
		}
	}
	return nil
}

// schemaCurrent reports whether the file on db is keyward's at the schema
// version this keyward knows, with one statement that takes no write lock:
// then its tables are there and nothing is to be migrated.
func (s *Store) schemaCurrent(ctx context.Context, db *sql.DB) (bool, error) {
	known, err := schemaVersion()
	if err != nil {
		return false, err
	}
	var appID, version int64
	if err := db.QueryRowContext(ctx, "SELECT application_id, user_version FROM pragma_application_id, pragma_user_version").Scan(&appID, &version); err != nil {
		return false, sqliteErr(err)
	}
	return appID == applicationID && version == int64(known), nil
}

// driverName is mattn/go-sqlite3. (Memory-mapped reads were tried: a full
// walk of a million keys got no faster, and the mapped pages made a
// streamed listing's resident memory grow with the database.)
const driverName = "sqlite3"

// The kinds of SQLite connection a Store holds.
type connKind int

const (
	connWriter connKind = iota // one; WAL, synchronous=FULL, BEGIN IMMEDIATE
	connReader                 // a pool; query-only
	connUsage                  // one; records last_used_at, never waits for the lock
)

// dsn builds a go-sqlite3 URI for path. The writer makes the file WAL with
// synchronous=FULL (a revocation must survive a power cut) and opens every
// transaction with BEGIN IMMEDIATE; readers are query-only. The usage
// connection gives up at once when the file is locked (busy is 0 for it)
// and does not fsync: a lost last_used_at is retried by the next use.
func dsn(path string, busy time.Duration, kind connKind) string {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busy.Milliseconds()))
	q.Set("_foreign_keys", "1")
	q.Set("_stmt_cache_size", "32")
	switch kind {
	case connWriter:
		q.Set("_txlock", "immediate")
		q.Set("_journal_mode", "WAL")
		q.Set("_synchronous", "FULL")
	case connReader:
		q.Set("_query_only", "1")
	case connUsage:
		q.Set("_synchronous", "NORMAL")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}
