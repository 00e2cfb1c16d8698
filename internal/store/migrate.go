package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/keyward/keyward/internal/keys"
)

// Migrations are numbered files NNNN_what.sql; the schema version
// (SQLite: PRAGMA user_version; PostgreSQL: the keyward_schema table) is
// the number of the last one applied. PostgreSQL has its own set, in
// migrations/postgres, kept in step with SQLite's.
//
//go:embed migrations/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) { return migrationsIn("migrations") }

func migrationsIn(dir string) ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a number and _", e.Name())
		}
		b, err := migrationFS.ReadFile(dir + "/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: versions must be 1, 2, 3, ... without gaps", m.name)
		}
	}
	return out, nil
}

// migrateSQLite brings a SQLite file's schema up to date in one write
// transaction. The version is read inside it, so two processes opening a
// new file at once migrate it once.
func (s *Store) migrateSQLite(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	// Up to date (every open but the first): no write lock taken at all.
	var appID0, version0 int64
	if err := s.pools.writer.QueryRowContext(ctx, "SELECT application_id, user_version FROM pragma_application_id, pragma_user_version").Scan(&appID0, &version0); err != nil {
		return sqliteErr(err)
	}
	if appID0 == applicationID && version0 == int64(len(ms)) {
		return nil
	}
	tx, err := s.pools.writer.BeginTx(ctx, nil)
	if err != nil {
		return sqliteErr(err)
	}
	defer tx.Rollback()
	var appID, version int64
	if err := tx.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return sqliteErr(err)
	}
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return sqliteErr(err)
	}
	switch {
	case appID == 0 && version == 0:
		// A new file: nothing may be in it yet.
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&n); err != nil {
			return sqliteErr(err)
		}
		if n != 0 {
			return notKeyward(s.path)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", applicationID)); err != nil {
			return sqliteErr(err)
		}
	case appID != applicationID:
		return notKeyward(s.path)
	}
	if version > int64(len(ms)) {
		return keys.Errorf(keys.Invalid, "%s has schema version %d, newer than this keyward understands (%d): upgrade keyward", s.path, version, len(ms))
	}
	if version == int64(len(ms)) {
		return nil // up to date: nothing written
	}
	for _, m := range ms[version:] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, sqliteErr(err))
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(ms))); err != nil {
		return sqliteErr(err)
	}
	return sqliteErr(tx.Commit())
}
