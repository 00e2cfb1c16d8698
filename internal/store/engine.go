package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"
)

// engine is what differs between the two databases a Store sits on. Its
// two implementations are sqliteEngine (sqlite.go, with open.go's file
// checks) and postgresEngine (postgres.go); each also opens its pools
// and migrates its schema, which only its own Open calls.
type engine interface {
	// rebind turns the store's SQL, written with PostgreSQL's explicit
	// $N parameters, into the engine's own.
	rebind(query string) string
	// grantsJSON is the expression that folds the grants g of the key k
	// into a JSON array of {"resource", "role"} objects (or NULL).
	grantsJSON() string
	// beginRead starts a read: one snapshot for the whole call.
	beginRead(ctx context.Context, db *sql.DB) (*sql.Tx, error)
	// holdWriter makes the writer's connection wait at most left for the
	// database's lock, for one write; release puts it back.
	holdWriter(ctx context.Context, c *sql.Conn, left time.Duration) (release func(), err error)
	// beginWrite starts a write on the writer's connection that holds the
	// database's write lock, waiting at most lockWait for it.
	beginWrite(ctx context.Context, c *sql.Conn, lockWait time.Duration) (*sql.Tx, error)
	// stmtContext is the context of a write's statements, given the
	// batch's (which commit checks before committing).
	stmtContext(batch context.Context) context.Context
	// mapErr turns the engine's own errors into keys errors; nil for any
	// error it does not know (dbErr handles the rest).
	mapErr(err error) error
}

// pools are a Store's connections by what they are for. An engine may
// back two roles with one pool (PostgreSQL does); Close closes each once.
type pools struct {
	writer *sql.DB // writes, one at a time (Store.turn)
	reader *sql.DB // management reads
	verify *sql.DB // verification's lookups (verifyconn.go)
	usage  *sql.DB // verification's last_used_at writes
}

// sqlConn is a pool, a connection or a transaction.
type sqlConn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// db is the one path the store's SQL takes to a database: every
// statement is adapted to the engine here, so none can reach a database
// unadapted. (An engine's own SQL, written in its dialect, it runs
// itself.)
type db struct {
	c   sqlConn
	eng engine
}

func (d db) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.c.ExecContext(ctx, d.eng.rebind(query), args...)
}

func (d db) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.c.QueryContext(ctx, d.eng.rebind(query), args...)
}

func (d db) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return d.c.QueryRowContext(ctx, d.eng.rebind(query), args...)
}

// on is c seen through the store's engine.
func (s *Store) on(c sqlConn) db { return db{c: c, eng: s.eng} }

// conds collects the AND-ed conditions of a query and numbers their
// parameters explicitly ($1, $2, …) as they are bound.
type conds struct {
	where []string
	args  []any
}

// arg binds v and returns its placeholder.
func (c *conds) arg(v any) string {
	c.args = append(c.args, v)
	return "$" + strconv.Itoa(len(c.args))
}

// add adds a condition whose parameters were bound with arg.
func (c *conds) add(cond string) { c.where = append(c.where, cond) }

// clone is a copy that can grow without changing c.
func (c conds) clone() conds {
	return conds{where: append([]string(nil), c.where...), args: append([]any(nil), c.args...)}
}

// sql is the conditions joined ("1 = 1" for none).
func (c *conds) sql() string {
	if len(c.where) == 0 {
		return "1 = 1"
	}
	return strings.Join(c.where, " AND ")
}
