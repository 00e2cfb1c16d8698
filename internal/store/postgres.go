package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // database/sql over pgx

	"github.com/keyward/keyward/internal/keys"
)

// postgresEngine is a Store on a pool of connections to one PostgreSQL
// database (pgx, the maintained pure-Go driver; it reads PGPASSWORD,
// ~/.pgpass and the other PG* variables itself), with the same SQL.
//
// Writes: an ordinary READ COMMITTED transaction whose first statement
// takes keyward's transaction-scoped advisory lock. Every keyward writer,
// in any process on any machine, queues on it as SQLite's writers queue
// on the file's write lock, so each rule check and the write it allows are
// one atomic step, and audit ids grow in commit order. lock_timeout (the
// Options.BusyTimeout) bounds the wait: past it the call is Unavailable.
// Only verification's last_used_at update runs outside the lock; it
// touches nothing a writer reads for its checks.
//
// Reads: REPEATABLE READ READ ONLY transactions on the same pool, one
// snapshot per call as on SQLite. Verification is one statement, on a
// pool of its own, behind a cache that NOTIFY empties
// (changes_postgres.go).
type postgresEngine struct{}

var _ engine = postgresEngine{}

// rebind: the store's SQL is written with PostgreSQL's own parameters.
func (postgresEngine) rebind(q string) string { return q }

func (postgresEngine) grantsJSON() string {
	return "json_agg(json_build_object('resource', g.resource, 'role', g.role))"
}

func (postgresEngine) beginRead(ctx context.Context, db *sql.DB) (*sql.Tx, error) {
	return db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
}

// holdWriter: the wait is bounded per transaction, by beginWrite.
func (postgresEngine) holdWriter(context.Context, *sql.Conn, time.Duration) (func(), error) {
	return func() {}, nil
}

// beginWrite takes keyward's advisory lock (pgWriteLock) first, waiting
// at most lockWait.
func (postgresEngine) beginWrite(ctx context.Context, c *sql.Conn, lockWait time.Duration) (*sql.Tx, error) {
	return pgBeginWrite(ctx, c, lockWait)
}

func pgBeginWrite(ctx context.Context, c interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}, lockWait time.Duration) (*sql.Tx, error) {
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	// What is left of the busy timeout, for this transaction only (one
	// SQL text whatever the value: pgx caches statements by text).
	if _, err := tx.ExecContext(ctx, "SELECT set_config('lock_timeout', $1, true)", fmt.Sprintf("%dms", lockWait.Milliseconds())); err != nil {
		tx.Rollback()
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, pgWriteLock); err != nil {
		tx.Rollback()
		return nil, err
	}
	return tx, nil
}

// stmtContext: the batch's, which ends a statement waiting on the network.
func (postgresEngine) stmtContext(batch context.Context) context.Context { return batch }

func (postgresEngine) mapErr(err error) error { return pgErr(err) }

// postgresErr is dbErr for the PostgreSQL engine.
func postgresErr(err error) error { return dbErr(postgresEngine{}, err) }

// pgWriteLock takes keyward's advisory lock ("keyward\0" as an int8) until
// the transaction ends.
const pgWriteLock = "SELECT pg_advisory_xact_lock(7738725088349021184)"

// defaultConnectTimeout bounds a connection attempt when neither the URL
// (connect_timeout) nor PGCONNECT_TIMEOUT sets one.
const defaultConnectTimeout = 5 * time.Second

func isPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// checkPostgresURL refuses a URL that is not one or that carries a
// password (the login's or the client key's, sslpassword): argv,
// KEYWARD_DB and config files are too easily read. It returns the URL as
// messages show it: without its query, where other settings could be.
func checkPostgresURL(raw string) (shown string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, which may hold a password
		}
		var esc url.EscapeError
		if errors.As(err, &esc) {
			// The bad escape may be part of a password: not repeated.
			return "", keys.Errorf(keys.Invalid, "invalid PostgreSQL URL: a malformed %%-escape")
		}
		return "", keys.Errorf(keys.Invalid, "invalid PostgreSQL URL: %v", err)
	}
	_, hasPassword := u.User.Password()
	// In any case: ?SSLPassword= is as readable as ?sslpassword= (pgx
	// would pass it on to the server as a setting of that name).
	for name := range u.Query() {
		switch strings.ToLower(name) {
		case "password":
			hasPassword = true
		case "sslpassword":
			return "", keys.Errorf(keys.Invalid, "put the client key's password in PGSSLPASSWORD, not in the URL")
		}
	}
	if hasPassword {
		return "", keys.Errorf(keys.Invalid, "put the password in PGPASSWORD or ~/.pgpass, not in the URL")
	}
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

// openPostgres opens the keyward database at a postgres:// URL, creating
// keyward's tables in an empty database (or one without them).
func openPostgres(ctx context.Context, raw string, opts Options) (*Store, error) {
	shown, err := checkPostgresURL(raw)
	if err != nil {
		return nil, err
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = DefaultBusyTimeout
	}
	cfg, err := pgConfig(raw, shown, busy)
	if err != nil {
		return nil, err
	}
	s := newStore(postgresEngine{}, shown, busy, opts)
	s.openPostgresPools(cfg)
	s.deadline = newVerifyDeadline(opts.VerifyTimeout)
	if err := s.pools.reader.PingContext(ctx); err != nil {
		s.Close()
		return nil, connectErr(err)
	}
	if err := s.migratePostgres(ctx); err != nil {
		s.Close()
		return nil, err
	}
	s.cache.start = s.pgCache(cfg, opts)
	return s, nil
}

// pgConfig reads the URL, with keyward's defaults for what it leaves
// out: a connect timeout, lock_timeout (the busy timeout) and the
// application's name.
func pgConfig(raw, shown string, busy time.Duration) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(raw)
	if err != nil {
		var pe *pgconn.ParseConfigError
		if errors.As(err, &pe) && errors.Unwrap(pe) != nil {
			err = errors.Unwrap(pe)
		}
		return nil, keys.Errorf(keys.Invalid, "invalid PostgreSQL URL %s: %s", shown, err.Error())
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	if _, set := cfg.RuntimeParams["lock_timeout"]; !set {
		cfg.RuntimeParams["lock_timeout"] = strconv.FormatInt(busy.Milliseconds(), 10)
	}
	if _, set := cfg.RuntimeParams["application_name"]; !set {
		cfg.RuntimeParams["application_name"] = "keyward"
	}
	return cfg, nil
}

// openPostgresPools opens two pools, lazily (database/sql connects on
// first use): writes and management reads share one, and verification
// has its own, which also writes last_used_at (verifyconn.go).
func (s *Store) openPostgresPools(cfg *pgx.ConnConfig) {
	db := stdlib.OpenDB(*cfg)
	n := readerPoolSize()
	// One writer at a time holds a connection (Store.turn); the rest are
	// management readers.
	db.SetMaxOpenConns(2 * n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(30 * time.Minute)
	v := stdlib.OpenDB(*cfg)
	v.SetMaxOpenConns(n)
	v.SetMaxIdleConns(n)
	v.SetConnMaxIdleTime(5 * time.Minute)
	v.SetConnMaxLifetime(30 * time.Minute)
	s.pools = pools{writer: db, reader: db, verify: v, usage: v}
}

// connectErr says why the first connection failed. Here, for the
// operator who gave the URL, the driver's detail; later (pgErr), to API
// clients too, only that it is unreachable.
func connectErr(err error) error {
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe) && (pe.Code == "28000" || pe.Code == "28P01"):
		return keys.Errorf(keys.Unauthorized, "PostgreSQL refused the login: %s (the password comes from PGPASSWORD or ~/.pgpass)", pe.Message)
	case errors.As(err, &pe) && pe.Code == "42501": // insufficient_privilege: no CONNECT
		return keys.Errorf(keys.Unauthorized, "PostgreSQL refused access: %s", pe.Message)
	case errors.As(err, &pe) && pe.Code == "3D000":
		return keys.Errorf(keys.Invalid, "%s: create it first", pe.Message)
	case errors.As(err, &ce):
		return keys.Errorf(keys.Unavailable, "cannot connect to PostgreSQL at %s: %s", pgAddress(ce.Config), connectReason(ce))
	}
	return postgresErr(err)
}

// unreachableMessage is what API clients are told of a database the server
// cannot use: not its address, user or PostgreSQL's words.
const unreachableMessage = "the database is unreachable; try again"

// unreachable is a database the server cannot use now, with the cause
// kept for the server's log.
func unreachable(cause error) error {
	return &keys.Error{Code: keys.Unavailable, Message: unreachableMessage, Cause: cause}
}

// pgErr maps a PostgreSQL or pgx error to a keys error, nil for any other.
func pgErr(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch code := pe.Code; {
		case code == "23505": // unique_violation
			if strings.Contains(pe.ConstraintName, "org_name") {
				return keys.Errorf(keys.Conflict, "a key of that name already exists in its organization")
			}
			return keys.Errorf(keys.Conflict, "a conflicting change was made at the same time; try again")
		case code == "55P03", code == "40001", code == "40P01": // lock_not_available, serialization_failure, deadlock_detected
			return keys.Errorf(keys.Unavailable, "database is locked; try again")
		case code == "57014": // query_canceled: statement_timeout
			return keys.Errorf(keys.Unavailable, "database did not answer in time; try again")
		case code == "25006": // read_only_sql_transaction
			return keys.Errorf(keys.Unavailable, "database is read-only (a standby?): connect to the primary")
		case code == "53100":
			return keys.Errorf(keys.Unavailable, "database or disk is full")
		case code == "28000", code == "28P01", code == "3D000", code == "3F000", code == "42501",
			strings.HasPrefix(code, "08"), strings.HasPrefix(code, "53"), strings.HasPrefix(code, "57P"):
			// Login or access refused, database or schema gone, connection
			// lost, out of resources, shutting down: once open, the
			// server's trouble. API clients are told only that; the log
			// gets the cause (openPostgres tells the operator at the start).
			return unreachable(pe)
		case code == "42P01": // undefined_table: keyward's tables went away
			return keys.Errorf(keys.Unavailable, "the database has lost keyward's tables")
		}
		return nil
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return unreachable(ce)
	}
	// Before net.Error, which context.DeadlineExceeded also is.
	if pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded) {
		return keys.Errorf(keys.Unavailable, "database did not answer in time; try again")
	}
	if lostConnection(err) {
		return errLost
	}
	return nil
}

// lostConnection reports whether err says the connection to the server is
// gone, in any of the words a restart, a crash or a network failure
// leaves: pgx's "conn closed" for a connection it has already found dead
// (and its other errors raised before anything was sent), a connection
// database/sql has given up, an EOF, a reset, a broken pipe.
func lostConnection(err error) bool {
	var ne net.Error
	return errors.Is(err, pgconn.ErrConnClosed) || pgconn.SafeToRetry(err) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.As(err, &ne)
}

// pgAddress is where a connection was attempted, for a message.
func pgAddress(c *pgconn.Config) string {
	if c == nil {
		return "the given URL"
	}
	if strings.HasPrefix(c.Host, "/") {
		return c.Host // a Unix socket folder
	}
	return net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port)))
}

// connectReason is why a connection failed, once: pgx reports every
// attempt (an sslmode of prefer tries twice) with its own prefixes.
func connectReason(ce *pgconn.ConnectError) string {
	var pge *pgconn.PgError
	if errors.As(ce, &pge) {
		return pge.Message // e.g. password authentication failed for user "kw"
	}
	if pgconn.Timeout(ce) || errors.Is(ce, context.DeadlineExceeded) {
		return "no answer within the connect timeout (connect_timeout, PGCONNECT_TIMEOUT)"
	}
	var dns *net.DNSError
	if errors.As(ce, &dns) {
		return "cannot resolve the host: " + dns.Err
	}
	var op *net.OpError
	if errors.As(ce, &op) && op.Err != nil {
		msg := op.Err.Error()
		var sys *os.SyscallError
		if errors.As(op.Err, &sys) {
			msg = sys.Err.Error()
		}
		return msg // e.g. connection refused, i/o timeout
	}
	return ce.Error()
}
