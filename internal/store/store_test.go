package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// clock is a settable Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *clock {
	// Not UTC and not a whole second: the store must store UTC seconds.
	return &clock{t: time.Date(2026, 11, 22, 9, 0, 0, 123456789, time.FixedZone("CET", 3600))}
}

func grants(rs ...string) []keys.Grant {
	var out []keys.Grant
	for _, r := range rs {
		out = append(out, keys.Grant{Resource: keys.Resource(r), Role: keys.Admin})
	}
	return out
}

func mustCreate(t testing.TB, s *Store, name string, gs ...string) *keys.NewSecretKey {
	t.Helper()
	k, err := s.Create(local(ctx), keys.CreateRequest{Name: name, Grants: grants(gs...)})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return k
}

func code(t *testing.T, s *Store, secret string) keys.VerifyCode {
	t.Helper()
	r, err := s.Verify(ctx, keys.VerifyRequest{Secret: secret})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return r.Code
}

// codeOnceUp is code on a store whose database was just cut or hung: a
// verification may still meet a connection the cut broke (Unavailable,
// "try again"), so it tries again, as a gateway would, until an answer
// comes (or fails after 10s: a bound for a broken test, not a timing
// under test). Any other error fails at once.
func codeOnceUp(t *testing.T, s *Store, secret string) keys.VerifyCode {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		r, err := s.Verify(ctx, keys.VerifyRequest{Secret: secret})
		if err == nil {
			return r.Code
		}
		if keys.ErrorCode(err) != keys.Unavailable || time.Now().After(deadline) {
			t.Fatalf("verify: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConcurrentWritersOnOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyward.db")
	const stores, perStore, goroutines = 4, 50, 2
	var ss []*Store
	for i := 0; i < stores; i++ {
		s, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ss = append(ss, s)
	}
	for _, err := range writeConcurrently(ss, perStore, goroutines) {
		t.Errorf("concurrent write: %v", err)
	}
	var n, a int
	if err := ss[0].pools.reader.QueryRow("SELECT (SELECT count(*) FROM keys), (SELECT count(*) FROM audit WHERE action = 'create')").Scan(&n, &a); err != nil {
		t.Fatal(err)
	}
	if n != stores*perStore || a != stores*perStore {
		t.Errorf("%d keys, %d create rows; want %d each", n, a, stores*perStore)
	}
}

// writeConcurrently has goroutines per store create perStore keys in all,
// verifying each and updating some: reads and a second write interleaved
// with other writers. It returns every error seen.
func writeConcurrently(ss []*Store, perStore, goroutines int) []error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for i, s := range ss {
		for g := 0; g < goroutines; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < perStore/goroutines; j++ {
					name := fmt.Sprintf("k-%d-%d-%d", i, g, j)
					k, err := s.Create(local(ctx), keys.CreateRequest{Name: name, Grants: grants("/acme")})
					if err != nil {
						fail(err)
						continue
					}
					if _, err := s.Verify(ctx, keys.VerifyRequest{Secret: k.Secret}); err != nil {
						fail(err)
					}
					if j%3 == 0 {
						if _, err := s.Update(local(ctx), k.ID, keys.UpdateRequest{Meta: map[string]string{"n": name}}); err != nil {
							fail(err)
						}
					}
				}
			}()
		}
	}
	wg.Wait()
	return errs
}

func TestAChangeIsSeenByTheNextVerifyOfAnotherStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyward.db")
	a, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	changesSeenAcross(t, a, b)
}

// changesSeenAcross checks that a change committed through one Store is
// what the very next verification through the other sees: nothing is
// cached. a and b share one database (a file, or PostgreSQL "replicas").
func changesSeenAcross(t *testing.T, a, b *Store) {
	t.Helper()
	k := mustCreate(t, a, "shared-key", "/acme")
	if c := code(t, b, k.Secret); c != keys.CodeValid {
		t.Fatalf("b sees %s", c)
	}
	if _, err := a.Update(local(ctx), k.ID, keys.UpdateRequest{Enabled: boolp(false)}); err != nil {
		t.Fatal(err)
	}
	if c := code(t, b, k.Secret); c != keys.CodeDisabled {
		t.Fatalf("after disable, b sees %s", c)
	}
	if _, err := b.Update(local(ctx), k.ID, keys.UpdateRequest{Enabled: boolp(true)}); err != nil {
		t.Fatal(err)
	}
	if c := code(t, a, k.Secret); c != keys.CodeValid {
		t.Fatalf("after enable, a sees %s", c)
	}
	rolled, err := b.Roll(local(ctx), k.ID, keys.RollRequest{Grace: durp(0)})
	if err != nil {
		t.Fatal(err)
	}
	if c := code(t, a, k.Secret); c != keys.CodeNotFound {
		t.Fatalf("after roll --grace 0 in b, a sees the old secret as %s", c)
	}
	if c := code(t, a, rolled.Secret); c != keys.CodeValid {
		t.Fatalf("a sees the new secret as %s", c)
	}
	if _, err := a.Delete(local(ctx), []string{k.ID}); err != nil {
		t.Fatal(err)
	}
	if c := code(t, b, rolled.Secret); c != keys.CodeNotFound {
		t.Fatalf("after delete, b sees %s", c)
	}
}

func boolp(b bool) *bool { return &b }

func durp(d time.Duration) *keys.Duration {
	v := keys.Duration(d)
	return &v
}

func TestLastUsedIsRecordedAndFolded(t *testing.T) {
	c := newClock()
	s := openTemp(t, Options{Now: c.Now})
	k := mustCreate(t, s, "used", "/acme")
	t0 := c.Now().UTC().Truncate(time.Second)
	lastUsed := func() *time.Time {
		t.Helper()
		got, err := s.Get(local(ctx), k.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.LastUsedAt
	}
	// The writer is one connection: total_changes counts every row it
	// ever wrote.
	writes := func() int64 {
		var v int64
		if err := s.pools.writer.QueryRow("SELECT total_changes()").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if lastUsed() != nil {
		t.Fatal("unused key has a last use")
	}
	c.Add(10 * time.Second)
	code(t, s, k.Secret)
	first := lastUsed()
	if first == nil || !first.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("first use recorded as %v, want %v", first, t0.Add(10*time.Second))
	}
	// Uses within a minute are folded: no write at all.
	w0 := writes()
	for i := 0; i < 5; i++ {
		c.Add(10 * time.Second)
		code(t, s, k.Secret)
	}
	if w := writes(); w != w0 {
		t.Errorf("%d rows written by verifications within the fold", w-w0)
	}
	if got := lastUsed(); !got.Equal(*first) {
		t.Fatalf("last use moved to %v within the fold", got)
	}
	c.Add(15 * time.Second) // 65s after the first use
	code(t, s, k.Secret)
	if got := lastUsed(); !got.Equal(t0.Add(75 * time.Second)) {
		t.Fatalf("last use = %v, want %v", got, t0.Add(75*time.Second))
	}
	// A never-used key counts from its creation; a used one from its use.
	never := mustCreate(t, s, "never", "/acme")
	c.Add(2 * keys.Day)
	code(t, s, k.Secret)
	page, err := s.List(local(ctx), keys.ListFilter{UnusedFor: keys.Duration(keys.Day)})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].ID != never.ID {
		t.Fatalf("unused for 1d = %v, want only %s", page.Items, never.Name)
	}
}

func TestTimesAreWholeSecondsInUTC(t *testing.T) {
	c := newClock()
	s := openTemp(t, Options{Now: c.Now})
	k, err := s.Create(local(ctx), keys.CreateRequest{Name: "t", Grants: grants("/acme"), TTL: durp(90 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	now := c.Now().UTC()
	if k.CreatedAt.Location() != time.UTC || !k.CreatedAt.Equal(now.Truncate(time.Second)) {
		t.Errorf("created_at = %v, want %v", k.CreatedAt, now.Truncate(time.Second))
	}
	// A ttl counts from created_at: exactly 90 minutes between the two.
	if want := k.CreatedAt.Add(90 * time.Minute); !k.ExpiresAt.Equal(want) || k.ExpiresAt.Location() != time.UTC {
		t.Errorf("expires_at = %v, want %v", k.ExpiresAt, want)
	}
	got, err := s.Get(local(ctx), k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(k.CreatedAt) || !got.ExpiresAt.Equal(*k.ExpiresAt) {
		t.Errorf("stored times differ: %v %v", got.CreatedAt, got.ExpiresAt)
	}
}

func TestGraceAndExpiryWithAClock(t *testing.T) {
	c := newClock()
	s := openTemp(t, Options{Now: c.Now})
	k, err := s.Create(local(ctx), keys.CreateRequest{Name: "k", Grants: grants("/acme"), TTL: durp(keys.Day)})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Roll(local(ctx), k.ID, keys.RollRequest{Grace: durp(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	c.Add(59 * time.Minute)
	if code(t, s, k.Secret) != keys.CodeValid {
		t.Fatal("old secret stopped within its grace")
	}
	c.Add(2 * time.Minute)
	if code(t, s, k.Secret) != keys.CodeNotFound {
		t.Fatal("old secret works after its grace")
	}
	if got, _ := s.Get(local(ctx), k.ID); got.PreviousExpiresAt != nil {
		t.Errorf("previous_expires_at = %v after the grace", got.PreviousExpiresAt)
	}
	page, err := s.List(local(ctx), keys.ListFilter{ExpiringWithin: keys.Duration(keys.Day)})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("expiring within 1d: %v %v", page, err)
	}
	c.Add(keys.Day)
	if code(t, s, r.Secret) != keys.CodeExpired {
		t.Fatal("key did not expire")
	}
	page, err = s.List(local(ctx), keys.ListFilter{Expired: true})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("expired: %v %v", page, err)
	}
	// An expired operator key authenticates no more.
	if _, err := s.Authenticate(ctx, r.Secret); keys.ErrorCode(err) != keys.Unauthorized {
		t.Fatalf("expired operator key: %v", err)
	}
}

func TestALockHeldPastTheBusyTimeoutIsUnavailable(t *testing.T) {
	s := openTemp(t, Options{BusyTimeout: 200 * time.Millisecond})
	k := mustCreate(t, s, "k", "/acme")
	// Another process, as far as SQLite can tell, holds the write lock.
	tx := holdLock(t, "sqlite3", dsn(s.path, time.Second, connWriter))
	lockedWritesGiveUp(t, s, s.path, k, tx)
}

// lockedWritesGiveUp: while tx holds the write lock elsewhere, a write
// gives up within the busy timeout as Unavailable; reads and verification
// go on beside it, an up-to-date database opens without the lock, and
// writes work again once tx ends.
func lockedWritesGiveUp(t *testing.T, s *Store, dbURL string, k *keys.NewSecretKey, tx *sql.Tx) {
	t.Helper()
	start := time.Now()
	_, err := s.Create(local(ctx), keys.CreateRequest{Name: "blocked", Grants: grants("/acme")})
	if keys.ErrorCode(err) != keys.Unavailable || keys.ErrorMessage(err) != "database is locked; try again" {
		t.Fatalf("create under a held lock: %v (%s)", err, keys.ErrorCode(err))
	}
	if d := time.Since(start); d > 2*time.Second { // a bound against a hang, with room for a loaded machine
		t.Errorf("waited %v for a 200ms busy timeout", d)
	}
	// Verification records its use later.
	if c := code(t, s, k.Secret); c != keys.CodeValid {
		t.Fatalf("verify under a held lock: %s", c)
	}
	if _, err := s.List(local(ctx), keys.ListFilter{}); err != nil {
		t.Fatalf("list under a held lock: %v", err)
	}
	s2, err := Open(ctx, dbURL, Options{BusyTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("open under a held lock: %v", err)
	}
	s2.Close()
	tx.Rollback()
	if _, err := s.Create(local(ctx), keys.CreateRequest{Name: "unblocked", Grants: grants("/acme")}); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
}

// Recording a use never waits for the write lock: with a busy timeout of
// an hour, a verification under a held lock still answers (the guard below
// catches a hang; it measures nothing), and the next use records it.
func TestVerifyDoesNotWaitForTheWriteLock(t *testing.T) {
	s := openTemp(t, Options{BusyTimeout: time.Hour})
	k := mustCreate(t, s, "k", "/acme")
	tx := holdLock(t, "sqlite3", dsn(s.path, time.Second, connWriter))
	done := make(chan keys.VerifyCode, 1)
	go func() { done <- code(t, s, k.Secret) }()
	select {
	case c := <-done:
		if c != keys.CodeValid {
			t.Fatalf("verify under a held lock: %s", c)
		}
	case <-time.After(time.Minute):
		t.Fatal("verify waited for the write lock")
	}
	if got, _ := s.Get(local(ctx), k.ID); got.LastUsedAt != nil {
		t.Fatalf("a use was recorded under the lock: %v", got.LastUsedAt)
	}
	// Once the lock is free, the first use is recorded without another.
	tx.Rollback()
	waitForUse(t, s, k.ID)
}

// waitForUse waits for a key's last_used_at to be set by the background
// writer (the bound catches a use never written; it measures nothing).
func waitForUse(t *testing.T, s *Store, id string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		got, err := s.Get(local(ctx), id)
		if err != nil {
			t.Fatal(err)
		}
		if got.LastUsedAt != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("a use made under a held lock was never recorded")
		}
	}
}

// A use that could not be recorded before the store closed is left to
// the key's next use; closing does not wait for the lock.
func TestCloseDoesNotWaitForALockToRecordUses(t *testing.T) {
	s := openTemp(t, Options{BusyTimeout: time.Hour})
	k := mustCreate(t, s, "k", "/acme")
	tx := holdLock(t, "sqlite3", dsn(s.path, time.Second, connWriter))
	if c := code(t, s, k.Secret); c != keys.CodeValid {
		t.Fatalf("verify under a held lock: %s", c)
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Close waited for the write lock")
	}
	tx.Rollback()
	s2, err := Open(ctx, s.path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got, _ := s2.Get(local(ctx), k.ID); got.LastUsedAt != nil {
		t.Fatalf("a use was recorded under the lock: %v", got.LastUsedAt)
	}
	code(t, s2, k.Secret)
	if got, _ := s2.Get(local(ctx), k.ID); got.LastUsedAt == nil {
		t.Fatal("the next use was not recorded")
	}
}

func TestCursorsAreOpaqueAndURLSafe(t *testing.T) {
	s := openTemp(t, Options{})
	for i := 0; i < 5; i++ {
		mustCreate(t, s, fmt.Sprintf("name.with-odd_chars%d", i), "/acme")
	}
	page, err := s.List(local(ctx), keys.ListFilter{Limit: 2})
	if err != nil || page.NextCursor == nil {
		t.Fatalf("list: %v", err)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_-]+$`).MatchString(*page.NextCursor) {
		t.Errorf("cursor %q is not URL-safe", *page.NextCursor)
	}
	ap, err := s.Audit(local(ctx), keys.AuditFilter{Limit: 2})
	if err != nil || ap.NextCursor == nil || !regexp.MustCompile(`^[A-Za-z0-9_-]+$`).MatchString(*ap.NextCursor) {
		t.Errorf("audit cursor %v, %v", ap.NextCursor, err)
	}
}

func TestNoPrincipalIsUnauthorized(t *testing.T) {
	s := openTemp(t, Options{})
	if _, err := s.List(ctx, keys.ListFilter{}); keys.ErrorCode(err) != keys.Unauthorized {
		t.Fatalf("list without a principal: %v", err)
	}
	if _, err := s.Create(ctx, keys.CreateRequest{Name: "x", Grants: grants("/a")}); keys.ErrorCode(err) != keys.Unauthorized {
		t.Fatalf("create without a principal: %v", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func readAll(t *testing.T, path string) []byte {
	t.Helper()
	var out []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		out = append(out, b...)
	}
	return out
}

func TestSecretsAreStoredOnlyAsHashes(t *testing.T) {
	s := openTemp(t, Options{})
	k := mustCreate(t, s, "k", "/acme")
	r, err := s.Roll(local(ctx), k.ID, keys.RollRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var hash, prev string
	if err := s.pools.reader.QueryRow("SELECT secret_hash, prev_hash FROM keys").Scan(&hash, &prev); err != nil {
		t.Fatal(err)
	}
	if hash != keys.HashSecret(r.Secret) || prev != keys.HashSecret(k.Secret) {
		t.Fatal("stored hashes are not the SHA-256 of the secrets")
	}
	s.Close()
	raw := readAll(t, s.path)
	for _, secret := range []string{k.Secret, r.Secret} {
		if regexp.MustCompile(regexp.QuoteMeta(secret[3:])).Match(raw) {
			t.Fatal("a secret is in the database file")
		}
	}
}

const processWrites = 50

// TestWritersInSeveralProcesses runs writers in separate processes (this
// test binary, re-executed) on one file: SQLite's file locks, not Go's
// connection pool, keep them apart, and none waits past the busy timeout.
func TestWritersInSeveralProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyward.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var cmds []*exec.Cmd
	for i := 0; i < 2; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "KEYWARD_STORE_TEST_WRITER="+path, fmt.Sprintf("KEYWARD_STORE_TEST_TAG=proc%d", i))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		t.Cleanup(func() {
			if stderr.Len() > 0 {
				t.Logf("writer %d: %s", i, stderr.String())
			}
		})
	}
	for i := 0; i < processWrites; i++ {
		k := mustCreate(t, s, fmt.Sprintf("parent-%d", i), "/acme")
		if _, err := s.Roll(local(ctx), k.ID, keys.RollRequest{}); err != nil {
			t.Errorf("roll: %v", err)
		}
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("writer process %d: %v", i, err)
		}
	}
	var n int
	if err := s.pools.reader.QueryRow("SELECT count(*) FROM keys").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 3*processWrites {
		t.Errorf("%d keys, want %d", n, 3*processWrites)
	}
}

// TestDurableSettings pins what a power cut relies on: WAL with
// synchronous=FULL on the writer, foreign keys on, readers query-only.
func TestDurableSettings(t *testing.T) {
	s := openTemp(t, Options{BusyTimeout: 1234 * time.Millisecond})
	for pragma, want := range map[string]string{
		"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "1234", "application_id": "1802990180",
	} {
		var got string
		if err := s.pools.writer.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("writer PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
	var qo string
	if err := s.pools.reader.QueryRow("PRAGMA query_only").Scan(&qo); err != nil || qo != "1" {
		t.Errorf("reader query_only = %s (%v)", qo, err)
	}
	if _, err := s.pools.reader.Exec("DELETE FROM keys"); err == nil {
		t.Error("a reader wrote")
	}
}

func TestShorteningAKeyShortensItsGrace(t *testing.T) {
	c := newClock()
	s := openTemp(t, Options{Now: c.Now})
	k := mustCreate(t, s, "k", "/acme")
	if _, err := s.Roll(local(ctx), k.ID, keys.RollRequest{Grace: durp(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	u, err := s.Update(local(ctx), k.ID, keys.UpdateRequest{TTL: durp(10 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if u.PreviousExpiresAt == nil || !u.PreviousExpiresAt.Equal(*u.ExpiresAt) {
		t.Fatalf("previous_expires_at %v, expires_at %v", u.PreviousExpiresAt, u.ExpiresAt)
	}
	// A longer lifetime does not lengthen the grace.
	u, err = s.Update(local(ctx), k.ID, keys.UpdateRequest{NoExpiry: true})
	if err != nil {
		t.Fatal(err)
	}
	c.Add(11 * time.Minute)
	if code(t, s, k.Secret) != keys.CodeNotFound {
		t.Fatal("the old secret outlived the shortened key")
	}
}

// TestListFillsPagesPastUnreadableKeys: a tenant's pages are full (but the
// last) even when other tenants' keys sort between its own, and the walk
// ends without an empty page.
func TestListFillsPagesPastUnreadableKeys(t *testing.T) {
	s := openTemp(t, Options{})
	op := mustCreate(t, s, "op", "/a")
	want := []string{"op"}
	for i := 0; i < 40; i++ {
		mustCreate(t, s, fmt.Sprintf("k%02d", i), []string{"/a", "/b", "/b/x"}[i%3])
		if i%3 == 0 {
			want = append(want, fmt.Sprintf("k%02d", i))
		}
	}
	for i := 0; i < 30; i++ {
		mustCreate(t, s, fmt.Sprintf("z%02d", i), "/b") // unreadable tail
	}
	want = append(want[1:], "op") // by name: k.. < op
	p, err := s.Authenticate(ctx, op.Secret)
	if err != nil {
		t.Fatal(err)
	}
	pctx := keys.WithPrincipal(ctx, p)
	var got []string
	f := keys.ListFilter{Limit: 5} // 15 readable keys: three full pages, no fourth
	for {
		page, err := s.List(pctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if page.NextCursor != nil && len(page.Items) != f.Limit {
			t.Fatalf("a page of %d items with more to come", len(page.Items))
		}
		if len(page.Items) == 0 {
			t.Fatal("an empty page")
		}
		for _, k := range page.Items {
			got = append(got, k.Name)
		}
		if page.NextCursor == nil {
			break
		}
		f.Cursor = *page.NextCursor
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("walk = %v\nwant %v", got, want)
	}
}

// A key that a root grant took out of its organization for a while: its
// organization's admin sees the rows from before and after, and the row
// that took it out (judged by the grants just before it), not the ones
// written while it was a root key.
func TestAuditOfAKeyThatMovedOrganization(t *testing.T) {
	s := openTemp(t, Options{})
	op := mustCreate(t, s, "op", "/acme")
	k := mustCreate(t, s, "k", "/acme/prod")
	if _, err := s.Grant(local(ctx), k.ID, keys.Grant{Resource: "/", Role: keys.Viewer}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Ungrant(local(ctx), k.ID, "/"); err != nil {
		t.Fatal(err)
	}
	p, err := s.Authenticate(ctx, op.Secret)
	if err != nil {
		t.Fatal(err)
	}
	page, err := s.Audit(keys.WithPrincipal(ctx, p), keys.AuditFilter{Key: k.ID})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range page.Items {
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, " ") != "ungrant grant create" {
		t.Fatalf("audit of a key now in /acme, as an /acme admin: %v", actions)
	}
}

// An expiry that rounds up past year 9999 is refused as invalid, not an
// internal error (JSON cannot write such a time).
func TestExpiryPastYear9999IsInvalid(t *testing.T) {
	s := openTemp(t, Options{})
	at := time.Date(9999, 12, 31, 23, 59, 59, 500_000_000, time.UTC)
	_, err := s.Create(local(ctx), keys.CreateRequest{Name: "far", Grants: grants("/acme"), ExpiresAt: &at})
	if keys.ErrorCode(err) != keys.Invalid {
		t.Fatalf("create: %v (%s), want invalid", err, keys.ErrorCode(err))
	}
	k := mustCreate(t, s, "k", "/acme")
	_, err = s.Update(local(ctx), k.ID, keys.UpdateRequest{ExpiresAt: &at})
	if keys.ErrorCode(err) != keys.Invalid {
		t.Fatalf("update: %v (%s), want invalid", err, keys.ErrorCode(err))
	}
	last := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	if _, err := s.Update(local(ctx), k.ID, keys.UpdateRequest{ExpiresAt: &last}); err != nil {
		t.Fatalf("update to the last second of 9999: %v", err)
	}
}

// staleSecretsActNoMore: a request that authenticated with a secret rolled
// out before its change ran acts no more; one within its grace still does.
func staleSecretsActNoMore(t *testing.T, s *Store) {
	t.Helper()
	create := func(name string) *keys.NewSecretKey {
		k, err := s.Create(local(ctx), keys.CreateRequest{Name: name, Grants: []keys.Grant{{Resource: "/acme", Role: keys.Admin}}})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	as := func(secret string) context.Context {
		p, err := s.Authenticate(ctx, secret)
		if err != nil {
			t.Fatalf("authenticate: %v", err)
		}
		return keys.WithPrincipal(ctx, p)
	}
	cut, graced := create("cut"), create("graced")
	cutCtx, gracedCtx := as(cut.Secret), as(graced.Secret)
	if _, err := s.Roll(local(ctx), cut.ID, keys.RollRequest{Grace: gracep(0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Roll(local(ctx), graced.ID, keys.RollRequest{Grace: gracep(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Create(cutCtx, keys.CreateRequest{Name: "backdoor", Grants: []keys.Grant{{Resource: "/acme", Role: keys.Admin}}})
	if keys.ErrorCode(err) != keys.Unauthorized {
		t.Fatalf("a change by a secret rolled out with --grace 0 after it authenticated: %v, want unauthorized", err)
	}
	if _, err := s.Roll(cutCtx, cut.ID, keys.RollRequest{}); keys.ErrorCode(err) != keys.Unauthorized {
		t.Fatalf("a self-roll by the rolled-out secret: %v, want unauthorized", err)
	}
	// Rolled out since it authenticated, but within its grace: it reads,
	// and changes nothing.
	if _, err := s.Get(gracedCtx, graced.ID); err != nil {
		t.Fatalf("a read by a secret within its grace: %v", err)
	}
	if _, err := s.Create(gracedCtx, keys.CreateRequest{Name: "fine", Grants: []keys.Grant{{Resource: "/acme", Role: keys.Viewer}}}); keys.ErrorCode(err) != keys.Forbidden {
		t.Fatalf("a change by a secret within its grace: %v, want forbidden", err)
	}
}

func TestStaleOperatorSecretsActNoMore(t *testing.T) {
	staleSecretsActNoMore(t, openTemp(t, Options{}))
}

func gracep(d time.Duration) *keys.Duration { g := keys.Duration(d); return &g }

// Writers queued behind a lock held elsewhere each give up within the busy
// timeout, not one busy timeout after another: a server's clients get
// their 503 in time instead of being cut off, their change made later.
func TestQueuedWritersShareOneBusyTimeout(t *testing.T) {
	s := openTemp(t, Options{BusyTimeout: queueBusy})
	tx := holdLock(t, "sqlite3", dsn(s.path, time.Second, connWriter))
	queuedWritersGiveUpInTime(t, s, tx)
}

const queueBusy = 500 * time.Millisecond

// queuedWritersGiveUpInTime runs many writers against s while tx (holding
// the write lock elsewhere) is open, then ends it.
func queuedWritersGiveUpInTime(t *testing.T, s *Store, tx *sql.Tx) {
	t.Helper()
	const busy = queueBusy
	const n = 24 // more than a PostgreSQL pool's writers; one after another, they would wait 12s
	type result struct {
		err  error
		wait time.Duration
	}
	results := make(chan result, n)
	for i := range n {
		go func() {
			start := time.Now()
			_, err := s.Create(local(ctx), keys.CreateRequest{Name: fmt.Sprintf("q%d", i), Grants: grants("/acme")})
			results <- result{err, time.Since(start)}
		}()
	}
	for range n {
		r := <-results
		if keys.ErrorCode(r.err) != keys.Unavailable {
			t.Fatalf("a write under a held lock: %v", r.err)
		}
		// A bound against waiting twice (for a connection, then for the
		// lock) or in turn, with room for a loaded machine.
		if r.wait > busy+300*time.Millisecond {
			t.Errorf("a queued writer waited %v for a %v busy timeout", r.wait, busy)
		}
	}
	tx.Rollback()
	if page, err := s.List(local(ctx), keys.ListFilter{}); err != nil || len(page.Items) != 0 {
		t.Fatalf("refused writes were made: %v %v", page, err)
	}
}

// holdLock opens another connection to a database, as another process
// would, and holds its write lock in a transaction until the test ends (or
// the test rolls it back): on SQLite by beginning (BEGIN IMMEDIATE), on
// PostgreSQL with the statements given.
func holdLock(t *testing.T, driver, dsn string, stmts ...string) *sql.Tx {
	t.Helper()
	other, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := other.Begin()
	if err != nil {
		other.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		tx.Rollback()
		other.Close()
	})
	for _, q := range stmts {
		if _, err := tx.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return tx
}
