package store

import (
	"path/filepath"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// A reading command on an up-to-date file costs one connection: the
// schema check runs on the readers it reads with, and the writer (with
// its WAL pragmas and a lock on the -shm file) is never connected. A
// write then connects the writer as ever.
func TestReadOpenConnectsOnlyAReader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyward.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	k := mustCreate(t, s, "k", "/acme")
	s.Close()

	s, err = Open(ctx, path, Options{MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.List(local(ctx), keys.ListFilter{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(local(ctx), k.ID); err != nil {
		t.Fatal(err)
	}
	if n := s.pools.writer.Stats().OpenConnections; n != 0 {
		t.Fatalf("a read connected the writer (%d connections)", n)
	}
	if n := s.pools.reader.Stats().OpenConnections; n != 1 {
		t.Fatalf("a read used %d reader connections, want 1", n)
	}
	if _, err := s.Update(local(ctx), k.ID, keys.UpdateRequest{Name: ptr("k2")}); err != nil {
		t.Fatalf("a write after a read open: %v", err)
	}
}

// A file an older keyward left behind (schema version 1) is still
// migrated by a reading command, on the writer: the check on the readers
// found it behind.
func TestReadOpenMigratesAnOldFile(t *testing.T) {
	path := olderSQLiteFile(t, 1,
		`INSERT INTO keys (id, name, org, type, prefix, start, created_at, created_by, secret_hash)
		VALUES ('key_0000000000000001', 'k', '/acme', 'secret', 'sk', 'sk_abcd', 0, 'old', 'h')`,
		`INSERT INTO grants (key_id, resource, role) VALUES ('key_0000000000000001', '/acme', 1)`)
	s, err := Open(ctx, path, Options{MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	current, err := s.schemaCurrent(ctx, s.pools.reader)
	if err != nil || !current {
		t.Fatalf("after a read open: current %v, %v", current, err)
	}
	if page, err := s.List(local(ctx), keys.ListFilter{}); err != nil || len(page.Items) != 1 {
		t.Fatalf("list: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
