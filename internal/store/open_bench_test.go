package store

import (
	"path/filepath"
	"testing"
)

// BenchmarkOpenRead is what every reading command pays before its query:
// opening an up-to-date file that must exist (its checks, the pools, the
// schema check on one reader connection) and closing it.
func BenchmarkOpenRead(b *testing.B) {
	path := filepath.Join(b.TempDir(), "keyward.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	mustCreate(b, s, "k", "/acme")
	s.Close()
	b.ReportAllocs()
	for b.Loop() {
		s, err := Open(ctx, path, Options{MustExist: true})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// BenchmarkSchemaCount is the schema check's side of an open: how many
// migrations this keyward knows.
func BenchmarkSchemaCount(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if n, err := schemaVersion(); err != nil || n < 9 {
			b.Fatal(n, err)
		}
	}
}
