package store

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

// olderSQLiteFile writes the file an older keyward left behind: its first
// version migrations applied, user_version saying so, then rows, so a
// test can show what Open's later migrations do to it.
func olderSQLiteFile(t *testing.T, version int, rows ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keyward.db")
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open(driverName, "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	qs := []string{fmt.Sprintf("PRAGMA application_id = %d", applicationID)}
	for _, m := range ms[:version] {
		qs = append(qs, m.sql)
	}
	qs = append(qs, fmt.Sprintf("PRAGMA user_version = %d", version))
	for _, q := range append(qs, rows...) {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return path
}

// olderPostgresDatabase is olderSQLiteFile on PostgreSQL: a new database
// with its first version migrations applied, keyward_schema saying so,
// then rows. It returns the database's URL.
func olderPostgresDatabase(t *testing.T, version int, rows ...string) string {
	t.Helper()
	u := pgDatabase(t)
	ms, err := migrationsIn("migrations/postgres")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	qs := []string{"CREATE TABLE keyward_schema (version INTEGER NOT NULL)",
		fmt.Sprintf("INSERT INTO keyward_schema (version) VALUES (%d)", version)}
	for _, m := range ms[:version] {
		qs = append(qs, m.sql)
	}
	for _, q := range append(qs, rows...) {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return u
}
