package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dialect is what differs between the two databases a Store can sit on:
// placeholders, the grant aggregate, how transactions begin. The store's
// SQL is written once, with SQLite's placeholders (? and ?N); everything
// else in it is common to SQLite and PostgreSQL. Errors of both map in
// dbErr (pgErr for PostgreSQL's), migrations in migrate.go and
// migratePostgres.
type dialect struct {
	// postgres: placeholders become $N, writes take an advisory lock,
	// reads run REPEATABLE READ READ ONLY.
	postgres bool
	// keyColumns selects a key row (see keyColumnsFor).
	keyColumns string
	// grantAggregate folds the grants g of one key into one string (see
	// keyColumnsFor).
	grantAggregate string
}

const (
	sqliteGrantAggregate   = "group_concat(g.role || g.resource, ',')"
	postgresGrantAggregate = "string_agg(g.role::text || g.resource, ',')"
)

var (
	sqliteDialect   = &dialect{keyColumns: keyColumnsFor(sqliteGrantAggregate), grantAggregate: sqliteGrantAggregate}
	postgresDialect = &dialect{postgres: true, keyColumns: keyColumnsFor(postgresGrantAggregate), grantAggregate: postgresGrantAggregate}
)

// begin starts a transaction on db. SQLite: the writer's DSN makes every
// transaction BEGIN IMMEDIATE; readers are query-only connections.
// PostgreSQL: a writer first takes keyward's advisory lock (pgWriteLock),
// waiting at most lock_timeout; a reader is REPEATABLE READ READ ONLY, one
// snapshot for the whole call.
func (d *dialect) begin(ctx context.Context, db beginner, writer bool, lockWait time.Duration) (*sql.Tx, error) {
	switch {
	case !d.postgres:
		return db.BeginTx(ctx, nil)
	case !writer:
		return db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	}
	tx, err := db.BeginTx(ctx, nil)
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

// rebind turns the store's placeholders into the database's own.
func (d *dialect) rebind(query string) string {
	if !d.postgres {
		return query
	}
	return rebindDollar(query)
}

// rebindDollar rewrites SQLite placeholders as PostgreSQL's $N, numbering
// them as SQLite does: ?N is parameter N, and a bare ? is one more than the
// largest number used before it. String literals, quoted identifiers and
// comments are copied unchanged. PostgreSQL's own ? operators (jsonb) are
// not used by the store.
func rebindDollar(q string) string {
	if strings.IndexByte(q, '?') < 0 {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	max := 0
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			// a literal or quoted identifier; a doubled quote stays inside
			j := i + 1
			for j < len(q) {
				if q[j] == c {
					if j+1 < len(q) && q[j+1] == c {
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j < len(q) {
				j++ // the closing quote
			}
			b.WriteString(q[i:j])
			i = j
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i
			}
			b.WriteString(q[i : i+j])
			i += j
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			j := strings.Index(q[i+2:], "*/")
			if j < 0 {
				j = len(q)
			} else {
				j += i + 4
			}
			b.WriteString(q[i:j])
			i = j
		case c == '?':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			n := max + 1
			if j > i+1 {
				n, _ = strconv.Atoi(q[i+1 : j])
			}
			if n > max {
				max = n
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// boolInt stores a boolean as the schema's 0 or 1, the same in both
// databases (PostgreSQL will not take a bool for an integer column).
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
