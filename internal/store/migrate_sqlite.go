package store

import (
	"context"
	"fmt"

	"github.com/keyward/keyward/internal/keys"
)

// migrateSQLite brings a SQLite file's schema up to date in one write
// transaction. The version is read again inside it, so two processes opening a
// new file at once migrate it once.
func (s *Store) migrateSQLite(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	// (openSQLitePools calls it only when a statement outside any
	// transaction found the file behind: every open but the first takes
	// no write lock at all.)
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
