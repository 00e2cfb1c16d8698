package store

import (
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// Stats feed serve's metrics: a verification answered from the cache is a
// hit, one that read the database a miss, and a change flushes.
func TestStatsCountCacheHitsMissesAndFlushes(t *testing.T) {
	s := openTemp(t, Options{})
	k := mustCreate(t, s, "k", "/acme")
	// The first verification starts no cache; the second starts it and
	// fills it; the third is answered from it.
	for i := 0; i < 3; i++ {
		if c := code(t, s, k.Secret); c != keys.CodeValid {
			t.Fatalf("verify %d: %s", i, c)
		}
	}
	st := s.Stats()
	if st.CacheMisses != 2 || st.CacheHits != 1 {
		t.Fatalf("after three verifications: %+v, want 2 misses then 1 hit", st)
	}
	// An unknown secret, once remembered, is a hit too.
	unknown, _ := keys.NewSecret("sk")
	code(t, s, unknown)
	code(t, s, unknown)
	if st2 := s.Stats(); st2.CacheMisses != 3 || st2.CacheHits != 2 {
		t.Fatalf("an unknown secret twice: %+v, want a miss then a hit", st2)
	}
	flushes := s.Stats().CacheFlushes
	mustCreate(t, s, "k2", "/acme")
	if got := s.Stats().CacheFlushes; got <= flushes {
		t.Fatalf("a create did not flush: %d then %d", flushes, got)
	}
	if st.DatabaseErrors != 0 {
		t.Fatalf("database errors on a healthy database: %+v", st)
	}
}

// A write that gives up on a lock held elsewhere is the database's
// failure; a refusal keyward decides (a name taken) is not.
func TestStatsCountDatabaseErrorsNotRefusals(t *testing.T) {
	s := openTemp(t, Options{BusyTimeout: 50 * time.Millisecond})
	mustCreate(t, s, "k", "/acme")
	if _, err := s.Create(local(ctx), keys.CreateRequest{Name: "k", Grants: grants("/acme")}); keys.ErrorCode(err) != keys.Conflict {
		t.Fatalf("a taken name: %v", err)
	}
	if n := s.Stats().DatabaseErrors; n != 0 {
		t.Fatalf("a taken name counted as %d database errors", n)
	}
	tx := holdLock(t, "sqlite3", dsn(s.path, time.Second, connWriter))
	defer tx.Rollback()
	if _, err := s.Create(local(ctx), keys.CreateRequest{Name: "blocked", Grants: grants("/acme")}); keys.ErrorCode(err) != keys.Unavailable {
		t.Fatalf("create under a held lock: %v", err)
	}
	if n := s.Stats().DatabaseErrors; n == 0 {
		t.Fatal("a write that gave up on the lock was not counted")
	}
}
