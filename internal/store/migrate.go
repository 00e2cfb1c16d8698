package store

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
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
	out, err := migrationNames(dir)
	if err != nil {
		return nil, err
	}
	for i, m := range out {
		b, err := migrationFS.ReadFile(dir + "/" + m.name)
		if err != nil {
			return nil, err
		}
		out[i].sql = string(b)
	}
	return out, nil
}

// migrationNames lists dir's migrations in order, without their SQL.
func migrationNames(dir string) ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	out := make([]migration, 0, len(entries))
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a number and _", e.Name())
		}
		out = append(out, migration{version: v, name: e.Name()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: versions must be 1, 2, 3, ... without gaps", m.name)
		}
	}
	return out, nil
}

// schemaVersion is the schema version this keyward brings a file to. Every
// open of an up-to-date file asks it, so it reads the names alone: reading
// and copying every migration's SQL was three quarters of an open's
// allocations (BenchmarkOpenRead).
func schemaVersion() (int, error) {
	ms, err := migrationNames("migrations")
	return len(ms), err
}
