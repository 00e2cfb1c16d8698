package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/keyward/keyward/internal/keys"
)

// migratePostgres brings the schema up to date in one transaction under
// the write lock; keyward_schema holds the version. A database whose
// keys, grants or audit tables are not keyward's is refused, untouched.
func (s *Store) migratePostgres(ctx context.Context) error {
	ms, err := migrationsIn("migrations/postgres")
	if err != nil {
		return err
	}
	// Up to date (every open but the first): no lock taken at all.
	version, known, err := pgSchemaVersion(ctx, s.pools.reader)
	if err != nil {
		return err
	}
	if known && version == len(ms) {
		return nil
	}
	if !known && s.mustExist {
		// A read makes nothing, as on SQLite: tables made by a `keys
		// list` against the wrong database or search_path would be
		// litter there, and hide the mistake.
		return keys.Errorf(keys.Invalid, "%s has no keyward tables, not yet a keyward database: check --db, or create a key first", s.path)
	}
	tx, err := pgBeginWrite(ctx, s.pools.writer, s.busy)
	if err != nil {
		return postgresErr(err)
	}
	defer tx.Rollback()
	if version, known, err = pgSchemaVersion(ctx, tx); err != nil {
		return err
	}
	if !known {
		if err := s.claimSchema(ctx, tx); err != nil {
			return err
		}
	}
	if version > len(ms) {
		return keys.Errorf(keys.Invalid, "%s has schema version %d, newer than this keyward understands (%d): upgrade keyward", s.path, version, len(ms))
	}
	if version == len(ms) {
		return nil // another process migrated it meanwhile
	}
	for _, m := range ms[version:] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return migrationErr(s.path, m.name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, "UPDATE keyward_schema SET version = $1", len(ms)); err != nil {
		return postgresErr(err)
	}
	return postgresErr(tx.Commit())
}

// pgSchemaVersion reads keyward_schema; known is false when there is none.
// It asks the catalog by SQL, in the statement's snapshot: to_regclass
// would answer from a session cache that taking an advisory lock does not
// refresh, and miss a table another process has just created.
func pgSchemaVersion(ctx context.Context, q sqlConn) (version int, known bool, err error) {
	if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relname = 'keyward_schema')`).Scan(&known); err != nil {
		return 0, false, postgresErr(err)
	}
	if !known {
		return 0, false, nil
	}
	if err := q.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM keyward_schema").Scan(&version); err != nil {
		return 0, false, postgresErr(err)
	}
	return version, true, nil
}

// claimSchema makes keyward_schema, at version 0, in the current schema
// if it is empty. keyward makes its tables only in an empty schema, as it
// makes a SQLite file only from an empty one: a schema holding anything
// else is someone else's.
func (s *Store) claimSchema(ctx context.Context, tx *sql.Tx) error {
	var schema sql.NullString
	var others string
	var n int
	// Objects of extensions (pg_stat_statements makes views in
	// public) are the database's, not someone else's data.
	if err := tx.QueryRowContext(ctx, `SELECT current_schema(), count(*),
		coalesce(string_agg(c.relname::text, ', ' ORDER BY c.relname) FILTER (WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')), '')
		FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
			WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')`).Scan(&schema, &n, &others); err != nil {
		return postgresErr(err)
	}
	if !schema.Valid {
		return keys.Errorf(keys.Invalid, "%s has no schema to create keyward's tables in: the search_path names none that exists", s.path)
	}
	if n > 0 {
		what := "objects"
		if others != "" {
			what = "tables or views " + others
		}
		return keys.Errorf(keys.Invalid, "%s is not a keyward database: schema %s already holds %s (use an empty database, or a schema of keyward's own: ?search_path=keyward)", s.path, schema.String, what)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE keyward_schema (version INTEGER NOT NULL);
		INSERT INTO keyward_schema (version) VALUES (0)`); err != nil {
		return migrationErr(s.path, "keyward_schema", err)
	}
	return nil
}

// migrationErr says why keyward's tables could not be made, for the
// operator opening the database.
func migrationErr(path, name string, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "42501": // insufficient_privilege
			return keys.Errorf(keys.Unauthorized, "cannot create keyward's tables in %s: %s (since PostgreSQL 15 only the database's owner may create in public: CREATE SCHEMA keyward AUTHORIZATION <role>, and ?search_path=keyward)", path, pe.Message)
		case "42P07", "42710": // duplicate_table, duplicate_object
			return keys.Errorf(keys.Invalid, "%s is not a keyward database: %s", path, pe.Message)
		}
	}
	return fmt.Errorf("migration postgres/%s: %w", name, postgresErr(err))
}
