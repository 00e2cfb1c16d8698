// Package store is keyward's database backend: keys.Backend over one
// SQLite file or a PostgreSQL database (see postgres.go). Every method is
// one transaction; the rules of internal/keys are checked inside the
// writing transaction on the rows read in it, and each change writes its
// audit row in the same transaction.
//
// Two connection pools share the file: one writer (a single connection,
// every transaction BEGIN IMMEDIATE, so writers queue on SQLite's lock
// instead of deadlocking on a read-to-write upgrade) and a pool of
// query-only readers, which WAL lets run beside the writer. go-sqlite3
// ignores sql.TxOptions.ReadOnly, hence two pools rather than one.
//
// On PostgreSQL both are one pool: writers queue on an advisory lock
// instead, and readers run REPEATABLE READ READ ONLY transactions. The SQL
// is the same for both; the dialect (dialect.go) rebinds its placeholders.
//
// Verification reads on connections of its own on both (verifyconn.go).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/keyward/keyward/internal/keys"
	"github.com/mattn/go-sqlite3"
)

// Options tune a Store. The zero value is right for production.
type Options struct {
	// Now is the clock; nil means time.Now. Tests move time with it.
	Now func() time.Time
	// BusyTimeout is how long a transaction waits for another writer's
	// lock before failing as keys.Unavailable; 0 means 5s.
	BusyTimeout time.Duration
	// VerifyTimeout bounds how long verification (Verify, and
	// Authenticate's lookup) waits for a PostgreSQL server before failing
	// as keys.Unavailable; 0 means 3s.
	VerifyTimeout time.Duration
	// MustExist opens only a SQLite database that is there already, for
	// commands that read: a missing file is keys.Invalid, and neither the
	// file nor its folder is made. (A PostgreSQL database must exist
	// anyway; keyward's tables are made in it as ever.)
	MustExist bool
}

// DefaultBusyTimeout is the wait for a locked database when Options has none.
const DefaultBusyTimeout = 5 * time.Second

// Store is keys.Backend over a SQLite file or a PostgreSQL database.
type Store struct {
	path string  // the file, or the PostgreSQL URL without its query
	w    *sql.DB // SQLite: one connection, BEGIN IMMEDIATE; PostgreSQL: r
	r    *sql.DB // SQLite: query-only readers; PostgreSQL: the pool
	v    *sql.DB // verification's lookups: SQLite: query-only readers of their own; PostgreSQL: a pool of its own
	u    *sql.DB // verify's last_used_at writes: SQLite: one connection that never waits; PostgreSQL: v
	d    *dialect
	now  func() time.Time

	deadline *verifyDeadline // PostgreSQL: the bound of verification's lookups (nil on SQLite)
	pending  *pendingUses    // uses not yet written because the database was locked
	created  bool            // Open made the SQLite file
	busy     time.Duration   // the longest a write waits for its turn
	turn     chan struct{}   // held by the one writer of this process at work
}

// Created reports whether Open made a new SQLite file, so that a command
// can say so: a mistyped --db otherwise looks like an empty database.
func (s *Store) Created() bool { return s.created }

var _ keys.Backend = (*Store)(nil)

// Close closes the pools.
func (s *Store) Close() error {
	s.pending.close()
	if s.deadline != nil {
		s.deadline.stop()
	}
	var errs []error
	closed := map[*sql.DB]bool{}
	for _, db := range []*sql.DB{s.r, s.w, s.v, s.u} {
		if db != nil && !closed[db] {
			closed[db] = true
			errs = append(errs, db.Close())
		}
	}
	return errors.Join(errs...)
}

// Ping checks that the database answers, with keyward's tables in it (a
// database dropped and made again under a running server has none).
func (s *Store) Ping(ctx context.Context) error {
	var one int
	err := s.r.QueryRowContext(ctx, "SELECT 1 FROM keys LIMIT 1").Scan(&one)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return dbErr(err)
	}
	return nil
}

// clock returns the current time in UTC.
func (s *Store) clock() time.Time { return s.now().UTC() }

func readerPoolSize() int {
	n := runtime.GOMAXPROCS(0)
	if n < 4 {
		n = 4
	}
	return n
}

// errLocked is a write that did not get its turn within the busy timeout.
var errLocked = keys.Errorf(keys.Unavailable, "database is locked; try again")

// dbErr turns a database error into a keys error: a lock held past the busy
// timeout is Unavailable (the caller may retry); keys errors pass through.
func dbErr(err error) error {
	if err == nil {
		return nil
	}
	var ke *keys.Error
	if errors.As(err, &ke) {
		return err
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
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
	}
	if e := pgErr(err); e != nil {
		return e
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return keys.Errorf(keys.Unavailable, "database did not answer in time; try again")
	}
	return fmt.Errorf("database: %w", err)
}
