package store

import (
	"database/sql"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/keys/keystest"
)

// cacheOf is s's verification cache, started.
func cacheOf(t testing.TB, s *Store) *verifyCache {
	t.Helper()
	c := s.cache.get()
	if c == nil {
		t.Fatal("the store has no verification cache")
	}
	return c
}

func TestWALIndexHeaderMovesWithEveryCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyward.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w := cacheOf(t, s).watch.(*sqliteWatch)
	other, err := sql.Open(driverName, "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	h0, stable := w.wi.read()
	if !stable {
		t.Fatal("header of a quiet database is not stable")
	}
	var n int
	if err := other.QueryRow("SELECT count(*) FROM keys").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if h, _ := w.wi.read(); h != h0 {
		t.Fatal("a read moved the header")
	}
	for i := 0; i < 3; i++ {
		// (An update that changes nothing writes nothing: no commit.)
		if _, err := other.Exec("UPDATE changes SET rev = rev + 1"); err != nil {
			t.Fatal(err)
		}
		h, stable := w.wi.read()
		if !stable || h == h0 {
			t.Fatalf("commit %d by another connection: header moved %v, stable %v", i, h != h0, stable)
		}
		h0 = h
	}
}

func TestGenerationsDropRacingFills(t *testing.T) {
	c := newVerifyCache(Options{}, time.Now)
	r := &row{Key: keys.Key{ID: "key_x"}}
	g := c.cur.Load() // a fill starts…
	c.flush()         // …a change is committed meanwhile…
	c.put(g, "h", newCached(r, false))
	if _, out := c.get(c.cur.Load(), "h"); out != miss {
		t.Fatal("a fill that raced a flush is served")
	}
	c.put(c.cur.Load(), "h", newCached(r, false))
	if _, out := c.get(c.cur.Load(), "h"); out != hit {
		t.Fatal("a fill in the current generation is not served")
	}
}

// cacheWriter is a way to change keys behind a caching store's back.
type cacheWriter struct {
	name    string
	disable func(t *testing.T, id string, off bool)
	narrow  func(t *testing.T, id string) // /acme/prod down to viewer
	roll    func(t *testing.T, id string) string
	delete  func(t *testing.T, id string)
}

func storeWriter(name string, s *Store) cacheWriter {
	return cacheWriter{
		name: name,
		disable: func(t *testing.T, id string, off bool) {
			if _, err := s.Update(local(ctx), id, keys.UpdateRequest{Enabled: boolp(!off)}); err != nil {
				t.Fatal(err)
			}
		},
		narrow: func(t *testing.T, id string) {
			if _, err := s.Grant(local(ctx), id, keys.Grant{Resource: "/acme/prod", Role: keys.Viewer}); err != nil {
				t.Fatal(err)
			}
		},
		roll: func(t *testing.T, id string) string {
			k, err := s.Roll(local(ctx), id, keys.RollRequest{Grace: durp(0)})
			if err != nil {
				t.Fatal(err)
			}
			return k.Secret
		},
		delete: func(t *testing.T, id string) {
			if _, err := s.Delete(local(ctx), []string{id}); err != nil {
				t.Fatal(err)
			}
		},
	}
}

// cacheProbe verifies secrets on a caching store for a resource, as an
// editor, and tells an answer from the cache from one read afresh.
type cacheProbe struct {
	s   *Store
	c   *verifyCache
	res keys.Resource
}

func newCacheProbe(t *testing.T, s *Store, res keys.Resource) cacheProbe {
	return cacheProbe{s: s, c: cacheOf(t, s), res: res}
}

func (p cacheProbe) verify(t *testing.T, secret string) keys.VerifyCode {
	t.Helper()
	editor := keys.Editor
	r, err := p.s.Verify(ctx, keys.VerifyRequest{Secret: secret, Resource: &p.res, Role: &editor})
	if err != nil {
		t.Fatal(err)
	}
	return r.Code
}

// cached verifies secret twice, wanting want both times and the second
// answer from the cache.
func (p cacheProbe) cached(t *testing.T, secret string, want keys.VerifyCode) {
	t.Helper()
	if got := p.verify(t, secret); got != want {
		t.Fatalf("before: %s, want %s", got, want)
	}
	fills := p.c.fills.Load()
	if got := p.verify(t, secret); got != want || p.c.fills.Load() != fills {
		t.Fatalf("second verification: %s, %d fills: not from the cache", got, p.c.fills.Load()-fills)
	}
}

// cliWriter changes the file with the sqlite3 program: a writer that is
// not keyward at all.
func cliWriter(t *testing.T, path string) cacheWriter {
	sqlite3Bin(t) // before any subtest: a missing program skips (or fails) once
	run := func(t *testing.T, sql string) {
		t.Helper()
		sqlite3Run(t, path, sql)
	}
	return cacheWriter{
		name: "sqlite3 CLI",
		disable: func(t *testing.T, id string, off bool) {
			run(t, fmt.Sprintf("UPDATE keys SET enabled = %d WHERE id = '%s'", boolInt(!off), id))
		},
		narrow: func(t *testing.T, id string) {
			run(t, fmt.Sprintf("UPDATE grants SET role = 1 WHERE key_id = '%s'", id))
		},
		roll: func(t *testing.T, id string) string {
			secret, err := keys.NewSecret("sk")
			if err != nil {
				t.Fatal(err)
			}
			run(t, fmt.Sprintf("UPDATE keys SET secret_hash = '%s' WHERE id = '%s'", keys.HashSecret(secret), id))
			return secret
		},
		delete: func(t *testing.T, id string) {
			run(t, fmt.Sprintf("DELETE FROM grants WHERE key_id = '%s'; DELETE FROM keys WHERE id = '%s'", id, id))
		},
	}
}

// TestCachedVerificationSeesEveryChange changes a key through the caching
// store itself, through a second store on the file, and with the sqlite3
// program, each change right after the key's entry was served from the
// cache: the very next verification sees it.
func TestCachedVerificationSeesEveryChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyward.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	p := newCacheProbe(t, s, "/acme/prod/robot-1")
	verify := p.verify
	// cachedThen verifies secret twice, the second time from the cache,
	// then makes a change and checks what the next verification says.
	cachedThen := func(t *testing.T, secret string, want keys.VerifyCode, change func(), after keys.VerifyCode) {
		t.Helper()
		p.cached(t, secret, want)
		change()
		if got := verify(t, secret); got != after {
			t.Fatalf("after the change: %s, want %s", got, after)
		}
	}
	for i, w := range []cacheWriter{storeWriter("the store itself", s), storeWriter("another store", other), cliWriter(t, path)} {
		t.Run(w.name, func(t *testing.T) {
			k, err := s.Create(local(ctx), keys.CreateRequest{Name: fmt.Sprintf("k%d", i),
				Grants: []keys.Grant{{Resource: "/acme/prod", Role: keys.Editor}}})
			if err != nil {
				t.Fatal(err)
			}
			secret := k.Secret
			cachedThen(t, secret, keys.CodeValid, func() { w.disable(t, k.ID, true) }, keys.CodeDisabled)
			cachedThen(t, secret, keys.CodeDisabled, func() { w.disable(t, k.ID, false) }, keys.CodeValid)
			cachedThen(t, secret, keys.CodeValid, func() { w.narrow(t, k.ID) }, keys.CodeInsufficientPermissions)
			var rolled string
			cachedThen(t, secret, keys.CodeInsufficientPermissions, func() { rolled = w.roll(t, k.ID) }, keys.CodeNotFound)
			if got := verify(t, rolled); got != keys.CodeInsufficientPermissions {
				t.Fatalf("the rolled secret: %s", got)
			}
			cachedThen(t, rolled, keys.CodeInsufficientPermissions, func() { w.delete(t, k.ID) }, keys.CodeNotFound)
		})
	}
}

func TestCachedVerificationExpiresByTheClock(t *testing.T) {
	clk := newClock()
	s := openTemp(t, Options{Now: clk.Now})
	c := cacheOf(t, s)
	k, err := s.Create(local(ctx), keys.CreateRequest{Name: "short", Grants: grants("/acme"), TTL: durp(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	rolled, err := s.Roll(local(ctx), k.ID, keys.RollRequest{Grace: durp(10 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{k.Secret, rolled.Secret} {
		if got := code(t, s, secret); got != keys.CodeValid {
			t.Fatalf("fresh: %s", got)
		}
	}
	fills := c.fills.Load()
	clk.Add(11 * time.Minute)
	if got := code(t, s, k.Secret); got != keys.CodeNotFound {
		t.Fatalf("the previous secret after its grace: %s", got)
	}
	if got := code(t, s, rolled.Secret); got != keys.CodeValid {
		t.Fatalf("the current secret within its key's life: %s", got)
	}
	clk.Add(time.Hour)
	if got := code(t, s, rolled.Secret); got != keys.CodeExpired {
		t.Fatalf("after the key's expiry: %s", got)
	}
	if f := c.fills.Load(); f != fills {
		t.Fatalf("%d fills: the clock's verdicts did not come from the cache", f-fills)
	}
}

// TestUseTrackingDoesNotFlushTheCache: last_used_at is written once per
// fold, and its writes (commits that move SQLite's WAL-index header) cost
// one revision read, not a flush.
func TestUseTrackingDoesNotFlushTheCache(t *testing.T) {
	clk := newClock()
	s := openTemp(t, Options{Now: clk.Now})
	k := mustCreate(t, s, "used", "/acme")
	c := cacheOf(t, s)
	w := c.watch.(*sqliteWatch)
	uses := func() int64 {
		var n int64
		if err := s.pools.usage.QueryRow("SELECT total_changes()").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	lastUsed := func() time.Time {
		got, err := s.Get(local(ctx), k.ID)
		if err != nil || got.LastUsedAt == nil {
			t.Fatalf("last use: %v %v", got, err)
		}
		return *got.LastUsedAt
	}
	code(t, s, k.Secret) // the first use: written
	first := lastUsed()
	fills, flushes, reads, u0 := c.fills.Load(), c.flushes.Load(), w.reads.Load(), uses()
	for i := 0; i < 5; i++ {
		clk.Add(10 * time.Second)
		code(t, s, k.Secret)
	}
	if u := uses(); u != u0 {
		t.Fatalf("%d uses written within the fold", u-u0)
	}
	clk.Add(15 * time.Second) // 65s after the first use
	code(t, s, k.Secret)
	code(t, s, k.Secret)
	if u := uses(); u != u0+1 {
		t.Fatalf("%d uses written for the fold after the first, want 1", u-u0)
	}
	if got := lastUsed(); !got.Equal(first.Add(65 * time.Second)) {
		t.Fatalf("last use %v, want %v", got, first.Add(65*time.Second))
	}
	code(t, s, k.Secret) // sees the header the use write moved
	if f, fl := c.fills.Load(), c.flushes.Load(); f != fills || fl != flushes {
		t.Fatalf("use-tracking caused %d fills and %d flushes", f-fills, fl-flushes)
	}
	if r := w.reads.Load(); r == reads {
		t.Fatal("the use's commit was not noticed: the header did not move, or was not read")
	}
}

func TestUnknownSecretsAreRememberedBriefly(t *testing.T) {
	clk := newClock()
	s := openTemp(t, Options{Now: clk.Now, VerifyCacheNegatives: 10})
	k := mustCreate(t, s, "known", "/acme")
	c := cacheOf(t, s)
	code(t, s, k.Secret)
	unknown, err := keys.NewSecret("sk")
	if err != nil {
		t.Fatal(err)
	}
	fills := c.fills.Load()
	for i := 0; i < 3; i++ {
		if got := code(t, s, unknown); got != keys.CodeNotFound {
			t.Fatalf("unknown: %s", got)
		}
	}
	if f := c.fills.Load(); f != fills+1 {
		t.Fatalf("an unknown secret asked 3 times read the database %d times, want 1", f-fills)
	}
	clk.Add(negativeTTL + time.Second)
	code(t, s, unknown)
	if f := c.fills.Load(); f != fills+2 {
		t.Fatalf("after the negative window: %d reads, want 2", f-fills)
	}
	// Malformed: never read.
	fills = c.fills.Load()
	for _, bad := range []string{"", "sk_short", keystest.WrongLast(unknown), "not a secret at all"} {
		if got := code(t, s, bad); got != keys.CodeNotFound {
			t.Fatalf("%q: %s", bad, got)
		}
	}
	if f := c.fills.Load(); f != fills {
		t.Fatalf("malformed secrets read the database %d times", f-fills)
	}
	// A flood of unknown secrets evicts only unknown secrets.
	for i := 0; i < 100; i++ {
		flood, err := keys.NewSecret("sk")
		if err != nil {
			t.Fatal(err)
		}
		code(t, s, flood)
	}
	g := c.cur.Load()
	if n := g.nneg.Load(); n > 10 {
		t.Fatalf("%d unknown secrets remembered, bound 10", n)
	}
	fills = c.fills.Load()
	if got := code(t, s, k.Secret); got != keys.CodeValid || c.fills.Load() != fills {
		t.Fatalf("the known key after a flood: %s, %d reads", got, c.fills.Load()-fills)
	}
	// A key made with a secret once unknown is found at once.
	if got := code(t, s, unknown); got != keys.CodeNotFound {
		t.Fatal(got)
	}
	if _, err := s.pools.writer.Exec("UPDATE keys SET secret_hash = ? WHERE id = ?", keys.HashSecret(unknown), k.ID); err != nil {
		t.Fatal(err)
	}
	if got := code(t, s, unknown); got != keys.CodeValid {
		t.Fatalf("a remembered unknown secret that a key now has: %s", got)
	}
}

func TestCacheSizeIsBounded(t *testing.T) {
	s := openTemp(t, Options{VerifyCacheSize: 3})
	c := cacheOf(t, s)
	var secrets []string
	for i := 0; i < 8; i++ {
		secrets = append(secrets, mustCreate(t, s, fmt.Sprintf("k%d", i), "/acme").Secret)
	}
	for round := 0; round < 2; round++ {
		for _, secret := range secrets {
			if got := code(t, s, secret); got != keys.CodeValid {
				t.Fatalf("%s", got)
			}
		}
	}
	if n := c.cur.Load().npos.Load(); n > 3 {
		t.Fatalf("%d keys cached, bound 3", n)
	}
}

func TestCacheCanBeTurnedOff(t *testing.T) {
	s := openTemp(t, Options{VerifyCacheSize: -1})
	k := mustCreate(t, s, "k", "/acme")
	if got := code(t, s, k.Secret); got != keys.CodeValid {
		t.Fatal(got)
	}
	if s.cache.get() != nil {
		t.Fatal("a cache with VerifyCacheSize < 0")
	}
}

// TestASecondOpenLeavesTheFirstStoresLocks: opening a second store on a
// file this process has open must not drop the first one's SQLite locks
// (openfiles.go); else another process, closing, deletes the -wal and
// -shm under it, and its later changes are never seen here.
func TestASecondOpenLeavesTheFirstStoresLocks(t *testing.T) {
	bin := sqlite3Bin(t)
	path := filepath.Join(t.TempDir(), "keyward.db")
	s, err := Open(ctx, path, Options{VerifyCacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	k := mustCreate(t, s, "k", "/acme")
	second, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	second.Close()
	for _, enabled := range []int{0, 1, 0} {
		if out, err := exec.Command(bin, path, fmt.Sprintf("UPDATE keys SET enabled = %d", enabled)).CombinedOutput(); err != nil {
			t.Fatalf("sqlite3: %v\n%s", err, out)
		}
		want := map[int]keys.VerifyCode{0: keys.CodeDisabled, 1: keys.CodeValid}[enabled]
		if got := code(t, s, k.Secret); got != want {
			t.Fatalf("after sqlite3 set enabled = %d: %s", enabled, got)
		}
	}
}

func TestOneVerificationStartsNoCache(t *testing.T) {
	s := openTemp(t, Options{})
	k := mustCreate(t, s, "k", "/acme")
	if got := code(t, s, k.Secret); got != keys.CodeValid {
		t.Fatal(got)
	}
	if s.cache.c.Load() != nil {
		t.Fatal("one verification started a cache")
	}
	code(t, s, k.Secret)
	if s.cache.c.Load() == nil {
		t.Fatal("a second verification started no cache")
	}
}
