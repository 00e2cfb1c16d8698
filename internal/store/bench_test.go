package store

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// fixtureDir holds databases built once per test binary and shared by
// benchmarks across b.N rounds; TestMain removes it.
var (
	fixtureDir string
	fixtureMu  sync.Mutex
	fixtures   = map[string]fixture{}
)

type fixture struct {
	path    string
	secrets []string // valid secrets the benchmarks present
}

// openFixtureAs opens a store over the database named name, building it
// with build (which returns the secrets to present) on first use.
func openFixtureAs(b *testing.B, name string, build func(s *Store) []string) (*Store, []string) {
	b.Helper()
	fixtureMu.Lock()
	defer fixtureMu.Unlock()
	f, ok := fixtures[name]
	if !ok {
		if fixtureDir == "" {
			dir, err := os.MkdirTemp("", "keyward-bench-")
			if err != nil {
				b.Fatal(err)
			}
			fixtureDir = dir
		}
		f.path = filepath.Join(fixtureDir, name+".db")
		s, err := Open(ctx, f.path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		f.secrets = build(s)
		b.Logf("fixture %s built in %v", name, time.Since(start).Round(time.Millisecond))
		s.Close()
		fixtures[name] = f
	}
	s, err := Open(ctx, f.path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s, f.secrets
}

// bulkInsert writes n keys straight into s in one transaction: fast enough
// to build a 100,000-key fixture in seconds. The keys are like real ones:
// 100 organizations, a grant each, every tenth with an expiry.
func bulkInsert(tb testing.TB, s *Store, n int) (middleSecret string) {
	tb.Helper()
	tx, err := s.pools.writer.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	insKey, err := tx.Prepare(`INSERT INTO keys (id, name, org, type, prefix, start, created_at, expires_at,
		enabled, meta, created_by, secret_hash) VALUES (?, ?, ?, 'secret', 'sk', ?, ?, ?, 1, '{}', 'local:bench', ?)`)
	if err != nil {
		tb.Fatal(err)
	}
	insGrant, err := tx.Prepare("INSERT INTO grants (key_id, resource, role) VALUES (?, ?, ?)")
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now().Unix()
	for i := 0; i < n; i++ {
		secret, err := keys.NewSecret("sk")
		if err != nil {
			tb.Fatal(err)
		}
		if i == n/2 {
			middleSecret = secret
		}
		id := keys.NewID()
		org := fmt.Sprintf("/org%02d", i%100)
		var exp any
		if i%10 == 0 {
			exp = now + int64(i)
		}
		// Names spread over the alphabet, not in insertion order.
		name := fmt.Sprintf("svc-%05d", (i*7919)%n)
		if _, err := insKey.Exec(id, name, org, keys.SecretStart(secret), now, exp, keys.HashSecret(secret)); err != nil {
			tb.Fatal(err)
		}
		if _, err := insGrant.Exec(id, org+"/prod", int(keys.Viewer)+i%3); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	return middleSecret
}

// openFixture opens a store over a database of n keys and a valid
// secret of one in the middle.
func openFixture(b *testing.B, n int) (*Store, string) {
	s, secrets := openFixtureAs(b, fmt.Sprintf("keys-%d", n), func(s *Store) []string {
		return []string{bulkInsert(b, s, n)}
	})
	return s, secrets[0]
}

func BenchmarkVerify(b *testing.B) {
	s, secret := openFixture(b, 10_000)
	req := keys.VerifyRequest{Secret: secret, Resource: nil}
	// The first use writes last_used_at; later ones within the fold are reads.
	if r, err := s.Verify(ctx, req); err != nil || r.Code != keys.CodeValid {
		b.Fatalf("verify: %v %v", r, err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := s.Verify(ctx, req)
		if err != nil || !r.Valid {
			b.Fatalf("verify: %v %v", r, err)
		}
	}
}

func BenchmarkVerifyParallel(b *testing.B) {
	s, secret := openFixture(b, 10_000)
	req := keys.VerifyRequest{Secret: secret}
	s.Verify(ctx, req)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if r, err := s.Verify(ctx, req); err != nil || !r.Valid {
				b.Fatalf("verify: %v %v", r, err)
			}
		}
	})
}

func BenchmarkList100k(b *testing.B) {
	const n = 100_000
	s, _ := openFixture(b, n)
	p := local(ctx)
	b.Run("first page", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			page, err := s.List(p, keys.ListFilter{})
			if err != nil || len(page.Items) != keys.DefaultPageSize || page.NextCursor == nil {
				b.Fatalf("list: %v", err)
			}
		}
	})
	b.Run("resource filter first page", func(b *testing.B) {
		r := keys.Resource("/org42")
		for i := 0; i < b.N; i++ {
			page, err := s.List(p, keys.ListFilter{Resource: &r})
			if err != nil || len(page.Items) != keys.DefaultPageSize {
				b.Fatalf("list: %v", err)
			}
		}
	})
	b.Run("cursor walk", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			f := keys.ListFilter{Limit: keys.MaxPageSize}
			total := 0
			for {
				page, err := s.List(p, f)
				if err != nil {
					b.Fatal(err)
				}
				total += len(page.Items)
				if page.NextCursor == nil {
					break
				}
				f.Cursor = *page.NextCursor
			}
			if total != n {
				b.Fatalf("walk saw %d keys, want %d", total, n)
			}
		}
	})
}
