// Package store is keyward's database backend: keys.Backend over one
// SQLite file or a PostgreSQL database. Every method is one transaction
// (a write: one savepoint of a transaction that the writes arriving while
// another commits share, group.go); the rules of internal/keys are checked
// inside the writing transaction on the rows read in it, and each change
// writes its audit row in the same transaction.
//
// One package, two engines. What is common is written once, on Store:
// the rules inside a transaction (tx.go and the method files), row
// scanning (rows.go), paging (pager.go), the audit writer, verification.
// What differs is the engine interface (engine.go), implemented by
// sqliteEngine (sqlite.go, and open.go for the file's header checks) and
// postgresEngine (postgres.go): opening and pooling, beginning a write,
// placeholders, error mapping, the grant aggregate, migrations. The store
// keeps them in one package rather than sqlite/ and postgres/ packages
// over a core: the engines are small next to the core, and the core's
// tests reach into both.
//
// The store's SQL is written once, with PostgreSQL's explicit $N
// parameters, and reaches a database only through db (engine.go), which
// has the engine adapt it: there is no other way to run it.
//
// Verification reads on connections of its own on both (verifyconn.go).
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/keyward/keyward/internal/keys"
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
	// MustExist opens only a database that is there already, for
	// commands that read: a missing file is keys.Invalid, and neither the
	// file nor its folder is made; a PostgreSQL database without
	// keyward's tables is keys.Invalid too, and they are not made in it.
	MustExist bool
	// CreateFolder lets Open make a new SQLite file's missing folder
	// (0700): keyward's default database's, never a --db in a folder
	// that is not there, which is a typo more often than a wish.
	CreateFolder bool
	// VerifyCacheSize bounds verification's cache of keys (cache.go):
	// 0 means DefaultVerifyCacheSize, a negative size turns the cache off.
	VerifyCacheSize int
	// VerifyCacheNegatives bounds how many unknown secrets the cache
	// remembers (for a short while); 0 means DefaultVerifyCacheNegatives.
	VerifyCacheNegatives int
	// Signing is where JWT keys' signing keys are unsealed from, and the
	// issuer their tokens name (signing.go).
	Signing SigningOptions
}

// DefaultBusyTimeout is the wait for a locked database when Options has none.
const DefaultBusyTimeout = 5 * time.Second

// Store is keys.Backend over a SQLite file or a PostgreSQL database.
type Store struct {
	eng   engine
	pools pools
	path  string // the file, or the PostgreSQL URL without its query
	now   func() time.Time

	deadline *verifyDeadline // PostgreSQL: the bound of verification's lookups (nil on SQLite)
	pending  *pendingUses    // uses not yet written because the database was locked
	created  bool            // Open made the SQLite file
	busy     time.Duration   // the longest a write waits for its turn
	turn     chan struct{}   // held by the one writer of this process at work
	commits  commits         // writes waiting for their batch (group.go)
	cache    cacheState      // verification's cache (cache.go)
	held     *heldFile       // SQLite: the file, registered (openfiles.go)
	stats    storeStats      // for Stats (stats.go)
	signing  signingState    // JWT keys' signing keys (signing.go)
	// mustExist: opened for a read, which makes no tables (Options).
	mustExist bool
}

// newStore is a Store on eng without pools yet.
func newStore(eng engine, path string, busy time.Duration, opts Options) *Store {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Store{eng: eng, path: path, now: now, pending: newPendingUses(), busy: busy, turn: make(chan struct{}, 1),
		signing: newSigningState(opts.Signing), mustExist: opts.MustExist}
}

// Created reports whether Open made a new SQLite file, so that a command
// can say so: a mistyped --db otherwise looks like an empty database.
func (s *Store) Created() bool { return s.created }

var _ keys.Backend = (*Store)(nil)

// Close closes the pools.
func (s *Store) Close() error {
	s.pending.close()
	s.cache.close()
	if s.deadline != nil {
		s.deadline.stop()
	}
	var errs []error
	closed := map[*sql.DB]bool{}
	for _, db := range []*sql.DB{s.pools.reader, s.pools.writer, s.pools.verify, s.pools.usage} {
		if db != nil && !closed[db] {
			closed[db] = true
			errs = append(errs, db.Close())
		}
	}
	s.held.release() // after every connection of the store's is closed
	return errors.Join(errs...)
}

// Ping checks that the database answers, with keyward's tables in it (a
// database dropped and made again under a running server has none).
func (s *Store) Ping(ctx context.Context) error {
	var one int
	err := s.on(s.pools.reader).queryRow(ctx, "SELECT 1 FROM keys LIMIT 1").Scan(&one)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return s.dbErr(err)
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

// dbErr is the store's dbErr.
func (s *Store) dbErr(err error) error {
	mapped := dbErr(s.eng, err)
	s.countDBErr(err, mapped)
	return mapped
}

// dbErr turns a database error into a keys error: the engine's own
// first (a lock held past the busy timeout is Unavailable: the caller
// may retry); keys errors pass through.
func dbErr(eng engine, err error) error {
	if err == nil {
		return nil
	}
	var ke *keys.Error
	if errors.As(err, &ke) {
		return err
	}
	if e := eng.mapErr(err); e != nil {
		return e
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return keys.Errorf(keys.Unavailable, "database did not answer in time; try again")
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone):
		return errLost
	}
	return fmt.Errorf("database: %w", err)
}

// errLost is a connection to the database gone mid-call.
var errLost = keys.Errorf(keys.Unavailable, "lost the connection to the database; try again")
