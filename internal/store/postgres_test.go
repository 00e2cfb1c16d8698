package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/keys/keystest"
	"github.com/keyward/keyward/internal/testenv"
)

// The PostgreSQL tests need a server: KEYWARD_TEST_POSTGRES is an admin
// URL without a password (scripts/postgres-test-server.sh starts one and
// prints it). Without it they are skipped, except under CI=true, where a
// missing server is a failure. Every test gets a database of its own.

var (
	pgAdminOnce sync.Once
	pgAdmin     *sql.DB
	pgAdminErr  error
)

// pgAdminURL returns KEYWARD_TEST_POSTGRES, skipping (or, in CI, failing)
// the test without it.
func pgAdminURL(t testing.TB) string {
	t.Helper()
	return testenv.Postgres(t)
}

// pgDatabase creates a fresh database and returns its URL; it is dropped
// when the test ends.
func pgDatabase(t testing.TB) string {
	t.Helper()
	return pgDatabaseWith(t, "")
}

// pgDatabaseWith is pgDatabase with options for CREATE DATABASE.
func pgDatabaseWith(t testing.TB, options string) string {
	t.Helper()
	admin := pgAdminURL(t)
	pgAdminOnce.Do(func() {
		pgAdmin, pgAdminErr = sql.Open("pgx", admin)
		if pgAdminErr == nil {
			pgAdminErr = pgAdmin.Ping()
		}
	})
	if pgAdminErr != nil {
		t.Fatalf("KEYWARD_TEST_POSTGRES: %v", pgAdminErr)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "kw_test_" + hex.EncodeToString(b)
	if _, err := pgAdmin.Exec("CREATE DATABASE " + name + " " + options); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := pgAdmin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// openPG opens a store on a fresh database.
func openPG(t testing.TB, opts Options) *Store {
	t.Helper()
	return openPGAt(t, pgDatabase(t), opts)
}

func openPGAt(t testing.TB, dbURL string, opts Options) *Store {
	t.Helper()
	withTestKEK(&opts)
	s, err := Open(context.Background(), dbURL, opts)
	if err != nil {
		t.Fatalf("open %s: %v", dbURL, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPostgresServiceSuite(t *testing.T) {
	pgAdminURL(t)
	keystest.RunServiceSuite(t, suiteOpener(openPG))
}

func TestPostgresAuthzSuite(t *testing.T) {
	pgAdminURL(t)
	keystest.RunAuthzSuite(t, suiteOpener(openPG))
}

func TestPostgresURLWithAPasswordIsRefused(t *testing.T) {
	for _, u := range []string{
		"postgres://kw:hunter2@127.0.0.1:1/keyward",
		"postgresql://kw:hunter2@127.0.0.1:1/keyward?sslmode=disable",
		"postgres://kw@127.0.0.1:1/keyward?password=hunter2",
		"postgres://kw:@127.0.0.1:1/keyward",
	} {
		_, err := Open(ctx, u, Options{})
		if keys.ErrorCode(err) != keys.Invalid || keys.ErrorMessage(err) != "put the password in PGPASSWORD or ~/.pgpass, not in the URL" {
			t.Errorf("%s: %v (%s)", u, err, keys.ErrorCode(err))
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error holds the password", u)
		}
	}
	// The password of the client key's file sits in argv as much: it goes
	// in PGSSLPASSWORD. Parameter names are matched in any case.
	for _, u := range []string{
		"postgres://kw@127.0.0.1:1/keyward?sslpassword=hunter2",
		"postgres://kw@127.0.0.1:1/keyward?sslmode=verify-full&SSLPassword=hunter2",
		"postgres://kw@127.0.0.1:1/keyward?SSLPASSWORD=",
	} {
		_, err := Open(ctx, u, Options{})
		if keys.ErrorCode(err) != keys.Invalid || keys.ErrorMessage(err) != "put the client key's password in PGSSLPASSWORD, not in the URL" {
			t.Errorf("%s: %v (%s)", u, err, keys.ErrorCode(err))
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error holds the password", u)
		}
	}
	_, err := Open(ctx, "postgres://kw@127.0.0.1:1/keyward?Password=hunter2", Options{})
	if keys.ErrorCode(err) != keys.Invalid || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("?Password=: %v (%s)", err, keys.ErrorCode(err))
	}
	// A URL that does not parse says so without echoing itself.
	_, err = Open(ctx, "postgres://kw:hunter2@127.0.0.1:port/keyward", Options{})
	if keys.ErrorCode(err) != keys.Invalid || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("bad URL: %v (%s)", err, keys.ErrorCode(err))
	}
}

func TestPostgresUnreachableIsUnavailable(t *testing.T) {
	t.Setenv("PGPASSWORD", "hunter2")
	start := time.Now()
	_, err := Open(ctx, "postgres://kw@127.0.0.1:1/keyward?sslmode=disable", Options{})
	if keys.ErrorCode(err) != keys.Unavailable {
		t.Fatalf("open on port 1: %v (%s), want unavailable", err, keys.ErrorCode(err))
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v to fail", d)
	}
	msg := keys.ErrorMessage(err)
	if strings.Contains(msg, "\n") || strings.Contains(msg, "hunter2") || !strings.Contains(msg, "PostgreSQL") {
		t.Errorf("message %q: want one line naming PostgreSQL, without the password", msg)
	}
	if want := "cannot connect to PostgreSQL at 127.0.0.1:1: connection refused"; msg != want {
		t.Errorf("message %q, want %q: where, and why once", msg, want)
	}
}

func TestPostgresNewerSchemaAndForeignTablesAreRefused(t *testing.T) {
	u := pgDatabase(t)
	s := openPGAt(t, u, Options{})
	if _, err := s.pools.writer.Exec("UPDATE keyward_schema SET version = 99"); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, u, Options{})
	if keys.ErrorCode(err) != keys.Invalid || !strings.Contains(keys.ErrorMessage(err), "newer than this keyward understands") {
		t.Fatalf("newer schema: %v (%s)", err, keys.ErrorCode(err))
	}

	other := pgDatabase(t)
	db, err := sql.Open("pgx", other)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE keys (k TEXT); INSERT INTO keys VALUES ('mine')"); err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, other, Options{})
	if keys.ErrorCode(err) != keys.Invalid || !strings.Contains(keys.ErrorMessage(err), "is not a keyward database") {
		t.Fatalf("foreign keys table: %v (%s)", err, keys.ErrorCode(err))
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM keys WHERE k = 'mine'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("the foreign table was touched: %d %v", n, err)
	}
	var exists bool
	if err := db.QueryRow("SELECT to_regclass('keyward_schema') IS NOT NULL").Scan(&exists); err != nil || exists {
		t.Fatalf("keyward_schema created in a refused database: %v %v", exists, err)
	}

	// Any other table (or index) in the schema: someone else's, as a
	// SQLite file with other tables is.
	for _, ddl := range []string{"CREATE TABLE users (id INT PRIMARY KEY, email TEXT)", "CREATE SEQUENCE audit_key"} {
		third := pgDatabase(t)
		db3, err := sql.Open("pgx", third)
		if err != nil {
			t.Fatal(err)
		}
		defer db3.Close()
		if _, err := db3.Exec(ddl); err != nil {
			t.Fatal(err)
		}
		_, err = Open(ctx, third, Options{})
		if keys.ErrorCode(err) != keys.Invalid || !strings.Contains(keys.ErrorMessage(err), "is not a keyward database") {
			t.Fatalf("%s: %v (%s)", ddl, err, keys.ErrorCode(err))
		}
		if err := db3.QueryRow("SELECT to_regclass('keyward_schema') IS NOT NULL OR to_regclass('grants') IS NOT NULL").Scan(&exists); err != nil || exists {
			t.Fatalf("%s: keyward's tables were added: %v %v", ddl, exists, err)
		}
	}
	// A schema of keyward's own in the same database works.
	withOthers := pgDatabase(t)
	db4, err := sql.Open("pgx", withOthers)
	if err != nil {
		t.Fatal(err)
	}
	defer db4.Close()
	if _, err := db4.Exec("CREATE TABLE users (id INT); CREATE SCHEMA keyward"); err != nil {
		t.Fatal(err)
	}
	sep := "?"
	if strings.Contains(withOthers, "?") {
		sep = "&"
	}
	s4, err := Open(ctx, withOthers+sep+"search_path=keyward", Options{})
	if err != nil {
		t.Fatalf("a schema of its own: %v", err)
	}
	s4.Close()
}

func TestPostgresConcurrentOpensMigrateOnce(t *testing.T) {
	u := pgDatabase(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(ctx, u, Options{})
			if err != nil {
				errs <- err
				return
			}
			s.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent open: %v", err)
	}
}

// TestPostgresConcurrentWriters: two Store values (two replicas) write at
// once; the advisory lock queues them, none fails.
func TestPostgresConcurrentWriters(t *testing.T) {
	u := pgDatabase(t)
	const stores, perStore, goroutines = 2, 40, 4
	var ss []*Store
	for i := 0; i < stores; i++ {
		ss = append(ss, openPGAt(t, u, Options{}))
	}
	for _, err := range writeConcurrently(ss, perStore, goroutines) {
		t.Errorf("concurrent write: %v", err)
	}
	// The same name from both replicas at once: exactly one wins, the
	// other is a Conflict, never an internal error.
	var raced [stores]error
	var wg sync.WaitGroup
	for i, s := range ss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, raced[i] = s.Create(local(ctx), keys.CreateRequest{Name: "contested", Grants: grants("/acme")})
		}()
	}
	wg.Wait()
	if ok, conflict := (raced[0] == nil) != (raced[1] == nil), keys.ErrorCode(errors2(raced[:])) == keys.Conflict; !ok || !conflict {
		t.Errorf("contested name: %v / %v", raced[0], raced[1])
	}
	var n, a int
	if err := ss[0].pools.reader.QueryRow("SELECT (SELECT count(*) FROM keys), (SELECT count(*) FROM audit WHERE action = 'create')").Scan(&n, &a); err != nil {
		t.Fatal(err)
	}
	if want := stores*perStore + 1; n != want || a != want {
		t.Errorf("%d keys, %d create rows; want %d each", n, a, want)
	}
	// Audit ids follow commit order: walking the log newest first never
	// repeats or skips a row.
	seen := 0
	f := keys.AuditFilter{Limit: 7}
	for {
		p, err := ss[1].Audit(local(ctx), f)
		if err != nil {
			t.Fatal(err)
		}
		seen += len(p.Items)
		if p.NextCursor == nil {
			break
		}
		f.Cursor = *p.NextCursor
	}
	var total int
	ss[0].pools.reader.QueryRow("SELECT count(*) FROM audit").Scan(&total)
	if seen != total {
		t.Errorf("audit walk saw %d rows of %d", seen, total)
	}
}

// errors2 returns the first non-nil error.
func errors2(errs []error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// TestPostgresAChangeIsSeenByTheNextVerifyOfAnotherReplica: without a
// cache, a change committed through one Store is what the very next
// verification through another sees. (With one, another replica sees it
// once notified: TestPostgresCachedReplicasHearChanges.)
func TestPostgresAChangeIsSeenByTheNextVerifyOfAnotherReplica(t *testing.T) {
	u := pgDatabase(t)
	a := openPGAt(t, u, Options{VerifyCacheSize: -1})
	b := openPGAt(t, u, Options{VerifyCacheSize: -1})

	changesSeenAcross(t, a, b)
}

// TestPostgresALockHeldPastTheBusyTimeoutIsUnavailable: a writer that
// cannot get keyward's lock within the busy timeout gives up as
// Unavailable; reads and verification go on.
func TestPostgresALockHeldPastTheBusyTimeoutIsUnavailable(t *testing.T) {
	u := pgDatabase(t)
	s := openPGAt(t, u, Options{BusyTimeout: 200 * time.Millisecond})
	k := mustCreate(t, s, "k", "/acme")
	lockedWritesGiveUp(t, s, u, k, holdLock(t, "pgx", u, pgWriteLock))
}

// TestPostgresOrdersAsSQLite: names and resources compare byte by byte
// whatever the database's collation, as on SQLite: here an ICU en-US
// database, which on its own sorts "_x a a_b a-b … aB B z Z9".
func TestPostgresOrdersAsSQLite(t *testing.T) {
	names := []string{"B", "_x", "a", "a-b", "a.b", "a_b", "aB", "ab", "z", "Z9"}
	dbURL := pgDatabase(t) // and pgAdmin is open
	var icu bool
	if err := pgAdmin.QueryRow(`SELECT current_setting('server_version_num')::int >= 150000
		AND EXISTS (SELECT 1 FROM pg_collation WHERE collprovider = 'i')`).Scan(&icu); err != nil {
		t.Fatal(err)
	}
	if icu {
		dbURL = pgDatabaseWith(t, "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8' TEMPLATE template0")
	} else {
		t.Log("no ICU on this server: ordering checked in its default collation only")
	}
	pg := openPGAt(t, dbURL, Options{})
	lite := openTemp(t, Options{})
	walk := func(s *Store, f keys.ListFilter) []string {
		var out []string
		for {
			p, err := s.List(local(ctx), f)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range p.Items {
				out = append(out, k.Name+"@"+string(k.Grants[0].Resource))
			}
			if p.NextCursor == nil {
				return out
			}
			f.Cursor = *p.NextCursor
		}
	}
	for i, n := range names {
		res := []string{"/acme", "/acme/x", "/acme-b", "/acme.b", "/acme/x/y", "/acme/X", "/acmex", "/acme/", "/b", "/acme/x-1"}[i]
		if res == "/acme/" {
			res = "/acme/_"
		}
		for _, s := range []*Store{lite, pg} {
			mustCreate(t, s, n, res)
		}
	}
	for _, f := range []keys.ListFilter{{Limit: 3}, {Limit: 3, Resource: resp("/acme")}, {Resource: resp("/acme/x")}} {
		l, p := walk(lite, f), walk(pg, f)
		if strings.Join(l, " ") != strings.Join(p, " ") {
			t.Errorf("filter %+v:\nsqlite   %v\npostgres %v", f, l, p)
		}
	}
}

func resp(s string) *keys.Resource {
	r := keys.Resource(s)
	return &r
}

// TestPostgresOddInputIsNotAnError: bytes PostgreSQL refuses in text (NUL,
// invalid UTF-8) in a ref or cursor are an unknown key or a bad cursor, as
// on SQLite, never a database error.
func TestPostgresOddInputIsNotAnError(t *testing.T) {
	for name, s := range map[string]*Store{"sqlite": openTemp(t, Options{}), "postgres": openPG(t, Options{})} {
		t.Run(name, func(t *testing.T) {
			mustCreate(t, s, "k", "/acme")
			for _, ref := range []string{"a\x00b", "\xff\xfe", "acme/\x00", "key_\xff"} {
				if _, err := s.Get(local(ctx), ref); keys.ErrorCode(err) != keys.NotFound {
					t.Errorf("get %q: %v", ref, err)
				}
				if _, err := s.Audit(local(ctx), keys.AuditFilter{Key: ref}); keys.ErrorCode(err) != keys.NotFound {
					t.Errorf("audit %q: %v", ref, err)
				}
				if _, err := s.Delete(local(ctx), []string{ref}); keys.ErrorCode(err) != keys.NotFound {
					t.Errorf("delete %q: %v", ref, err)
				}
			}
			for _, c := range []string{"\xff\nkey_0000000000000000", "a\x00\nkey_0000000000000000"} {
				cur := keyCursorOf(c)
				if _, err := s.List(local(ctx), keys.ListFilter{Cursor: cur}); keys.ErrorCode(err) != keys.Invalid {
					t.Errorf("cursor %q: %v", c, err)
				}
			}
			// meta is stored as JSON text: NUL and odd bytes are escaped.
			odd := map[string]string{"nul\x00": "a\x00b", "bytes": "\xff\xfe", "quote'": "\"x\""}
			k, err := s.Create(local(ctx), keys.CreateRequest{Name: "odd", Grants: grants("/acme"), Meta: odd})
			if err != nil {
				t.Fatalf("create with odd meta: %v", err)
			}
			if _, err := s.Update(local(ctx), k.ID, keys.UpdateRequest{Meta: map[string]string{"\x00": "\x00"}}); err != nil {
				t.Fatalf("update with odd meta: %v", err)
			}
			got, err := s.Get(local(ctx), k.ID)
			if err != nil || got.Meta["nul\x00"] != "a\x00b" || got.Meta["\x00"] != "\x00" {
				t.Fatalf("odd meta read back as %q, %v", got.Meta, err)
			}
			if _, err := s.Audit(local(ctx), keys.AuditFilter{Key: k.ID}); err != nil {
				t.Fatalf("audit of odd meta: %v", err)
			}
			if r, err := s.Verify(ctx, keys.VerifyRequest{Secret: "sk_\x00\xff"}); err != nil || r.Code != keys.CodeNotFound {
				t.Errorf("verify junk: %v %v", r, err)
			}
		})
	}
}

func keyCursorOf(raw string) string {
	name, id, _ := strings.Cut(raw, "\n")
	return *keyCursor(&keys.Key{Name: name, ID: id})
}

// TestPostgresDriverIsPgx pins the driver: database/sql over pgx.
func TestPostgresDriverIsPgx(t *testing.T) {
	s := openPG(t, Options{})
	if _, ok := s.pools.reader.Driver().(*stdlib.Driver); !ok {
		t.Fatalf("driver %T", s.pools.reader.Driver())
	}
	var app, lockTimeout string
	if err := s.pools.reader.QueryRow("SELECT current_setting('application_name'), current_setting('lock_timeout')").Scan(&app, &lockTimeout); err != nil {
		t.Fatal(err)
	}
	if app != "keyward" || lockTimeout != "5s" {
		t.Errorf("application_name %q, lock_timeout %q", app, lockTimeout)
	}
}

// pgBench opens a store with one key for a benchmark; benchmarks skip
// without a server even under CI (make bench-short runs without one).
func pgBench(b *testing.B) (*Store, keys.VerifyRequest) {
	if os.Getenv("KEYWARD_TEST_POSTGRES") == "" {
		b.Skip("KEYWARD_TEST_POSTGRES is not set")
	}
	s := openPG(b, Options{})
	k := mustCreate(b, s, "bench", "/acme")
	req := keys.VerifyRequest{Secret: k.Secret}
	if r, err := s.Verify(ctx, req); err != nil || r.Code != keys.CodeValid {
		b.Fatal(r, err)
	}
	return s, req
}

// BenchmarkPostgresVerify: one verification, one query, no cache.
func BenchmarkPostgresVerify(b *testing.B) {
	s, req := pgBench(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r, err := s.Verify(ctx, req); err != nil || !r.Valid {
			b.Fatal(r, err)
		}
	}
}

func BenchmarkPostgresVerifyParallel(b *testing.B) {
	s, req := pgBench(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if r, err := s.Verify(ctx, req); err != nil || !r.Valid {
				b.Error(r, err)
				return
			}
		}
	})
}

// BenchmarkPostgresCreate: one write transaction under the advisory lock.
// BenchmarkPostgresVerifyRequestContext verifies as the server does: with
// a request's context, which can be cancelled (database/sql and pgx watch
// such a context on every statement; context.Background they do not).
func BenchmarkPostgresVerifyRequestContext(b *testing.B) {
	s, req := pgBench(b)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r, err := s.Verify(rctx, req); err != nil || !r.Valid {
			b.Fatalf("verify: %v %v", r, err)
		}
	}
}

func BenchmarkPostgresCreate(b *testing.B) {
	s, _ := pgBench(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Create(local(ctx), keys.CreateRequest{Name: fmt.Sprintf("c-%d", i), Grants: grants("/acme")}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPostgresLostConnectionsAreUnavailableThenRecover: connections killed
// under the store (a restart, a failover) make calls Unavailable at worst,
// never an internal error, and the pool reconnects.
func TestPostgresLostConnectionsAreUnavailableThenRecover(t *testing.T) {
	u := pgDatabase(t)
	s := openPGAt(t, u, Options{})
	k := mustCreate(t, s, "k", "/acme")
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(parsed.Path, "/")
	root, err := s.Create(local(ctx), keys.CreateRequest{Name: "root", Grants: []keys.Grant{{Resource: "/", Role: keys.Admin}}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Authenticate(ctx, root.Secret)
	if err != nil {
		t.Fatal(err)
	}
	operator := keys.WithPrincipal(ctx, p)
	for round := 0; round < 3; round++ {
		if _, err := pgAdmin.Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name); err != nil {
			t.Fatal(err)
		}
		ok := false
		for i := 0; i < 5 && !ok; i++ {
			r, err := s.Verify(ctx, keys.VerifyRequest{Secret: k.Secret})
			switch {
			case err == nil && r.Code == keys.CodeValid:
				ok = true
			case keys.ErrorCode(err) != keys.Unavailable:
				t.Fatalf("verify after lost connections: %v (%s)", err, keys.ErrorCode(err))
			}
			if _, err := s.List(local(ctx), keys.ListFilter{}); err != nil && keys.ErrorCode(err) != keys.Unavailable {
				t.Fatalf("list after lost connections: %v (%s)", err, keys.ErrorCode(err))
			}
			if _, err := s.Update(local(ctx), k.ID, keys.UpdateRequest{Meta: map[string]string{"round": fmt.Sprint(round, i)}}); err != nil && keys.ErrorCode(err) != keys.Unavailable {
				t.Fatalf("update after lost connections: %v (%s)", err, keys.ErrorCode(err))
			}
			// An operator's call re-reads its key first: that read too.
			if _, err := s.List(operator, keys.ListFilter{}); err != nil && keys.ErrorCode(err) != keys.Unavailable {
				t.Fatalf("an operator's list after lost connections: %v (%s)", err, keys.ErrorCode(err))
			}
		}
		if !ok {
			t.Fatal("the store did not reconnect")
		}
	}
}

func TestPostgresStaleOperatorSecretsActNoMore(t *testing.T) {
	staleSecretsActNoMore(t, openPG(t, Options{}))
}

func TestPostgresQueuedWritersShareOneBusyTimeout(t *testing.T) {
	u := pgDatabase(t)
	s := openPGAt(t, u, Options{BusyTimeout: queueBusy})
	tx := holdLock(t, "pgx", u, pgWriteLock)
	queuedWritersGiveUpInTime(t, s, tx)
}

// Uses waiting for a locked table do not hold Close up: it stops the
// background writer mid-batch and makes one bounded last attempt.
func TestPostgresCloseDoesNotWaitOutPendingUses(t *testing.T) {
	u := pgDatabase(t)
	s, err := Open(ctx, u, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	var secrets []string
	for i := range n {
		secrets = append(secrets, mustCreate(t, s, fmt.Sprintf("k%d", i), "/acme").Secret)
	}
	holdLock(t, "pgx", u, "LOCK TABLE keys IN EXCLUSIVE MODE") // reads go on, writes wait
	for _, sec := range secrets {
		if c := code(t, s, sec); c != keys.CodeValid {
			t.Fatalf("verify under a locked table: %s", c)
		}
	}
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// One pass over the pending uses would take n×100ms = 2s.
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v with %d uses pending", d, n)
	}
}

// Once open, a refused login, a dropped database or a lost connection is
// only "unreachable" to API clients: the role's name and PostgreSQL's
// words are the operator's business (Open tells them at the start).
func TestPostgresRuntimeErrorsAreGeneric(t *testing.T) {
	for _, code := range []string{"28P01", "28000", "3D000", "3F000", "57P01", "08006", "53300"} {
		cause := &pgconn.PgError{Code: code, Message: `password authentication failed for user "kw"`}
		err := postgresErr(cause)
		if keys.ErrorCode(err) != keys.Unavailable || keys.ErrorMessage(err) != unreachableMessage || !errors.Is(err, cause) {
			t.Errorf("SQLSTATE %s: %v, want %q with the cause kept for the log", code, err, unreachableMessage)
		}
	}
	if err := postgresErr(&pgconn.PgError{Code: "42P01", Message: `relation "keys" does not exist`}); keys.ErrorCode(err) != keys.Unavailable {
		t.Errorf("missing tables: %v", err)
	}
}

// Writers queued behind the write lock wait in keyward, not holding pool
// connections: verification and the health check go on meanwhile.
func TestPostgresQueuedWritersLeaveReadersRoom(t *testing.T) {
	u := pgDatabase(t)
	s := openPGAt(t, u, Options{BusyTimeout: 3 * time.Second})
	k := mustCreate(t, s, "k", "/acme")
	tx := holdLock(t, "pgx", u, pgWriteLock)

	var writersDone atomic.Int32
	var wg sync.WaitGroup
	const n = 24 // far more than the pool holds
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer writersDone.Add(1)
			_, _ = s.Create(local(ctx), keys.CreateRequest{Name: fmt.Sprintf("w%d", i), Grants: grants("/acme")})
		}()
	}
	waitQueued(t, u, "TestPostgresQueuedWritersLeaveReadersRoom.func", n)
	if c := code(t, s, k.Secret); c != keys.CodeValid {
		t.Fatalf("verify beside queued writers: %s", c)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("ping beside queued writers: %v", err)
	}
	if d := writersDone.Load(); d != 0 {
		t.Fatalf("verification waited for %d writers to give up", d)
	}
	tx.Rollback()
	wg.Wait()
}

// waitQueued waits until n goroutines started by the function named fn
// are parked (none running or about to run) and a session on the database
// at dbURL waits for a lock: writers queued behind it, in keyward or in
// PostgreSQL. It fails the test if they do not get there: a test that
// goes on without them would test nothing.
func waitQueued(t *testing.T, dbURL, fn string, n int) {
	t.Helper()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var parked, waiting, seen int
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		parked = parkedGoroutines(fn)
		if err := db.QueryRow(`SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
			WHERE d.datname = current_database() AND NOT l.granted`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		// twice in a row: a goroutine caught between two waits is parked
		// at one look and running at the next
		if parked == n && waiting > 0 {
			seen++
		} else {
			seen = 0
		}
		if seen == 2 {
			return
		}
	}
	t.Fatalf("writers never queued: %d of %d parked, %d sessions waiting for a lock", parked, n, waiting)
}

// parkedGoroutines counts the goroutines started by the function named fn
// that are blocked (on a channel, a lock, the network...).
func parkedGoroutines(fn string) int {
	buf := make([]byte, 1<<20)
	for {
		if m := runtime.Stack(buf, true); m < len(buf) {
			buf = buf[:m]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		header, _, _ := strings.Cut(g, "\n")
		_, status, _ := strings.Cut(header, "[")
		status, _, _ = strings.Cut(status, "]")
		status, _, _ = strings.Cut(status, ",")
		if strings.Contains(g, fn) && status != "running" && status != "runnable" && status != "syscall" {
			count++
		}
	}
	return count
}

// Setups PostgreSQL users meet: an extension's views in public are no
// reason to refuse; a role that may not create in public is told how.
func TestPostgresExtensionsAndPrivileges(t *testing.T) {
	u := pgDatabase(t)
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE EXTENSION IF NOT EXISTS pg_buffercache"); err != nil {
		t.Fatalf("create extension (Debian's postgresql package has it): %v", err)
	}
	s, err := Open(ctx, u, Options{})
	if err != nil {
		t.Fatalf("a database with an extension's views: %v", err)
	}
	s.Close()

	// A role without CREATE on public (PostgreSQL 15's default for
	// non-owners; revoked here to be sure on any version).
	other := pgDatabase(t)
	role := fmt.Sprintf("kw_noc_%d", time.Now().UnixNano()%1e9)
	for _, q := range []string{"CREATE ROLE " + role + " LOGIN", "GRANT CONNECT ON DATABASE " + strings.TrimPrefix(mustParseURL(t, other).Path, "/") + " TO " + role} {
		if _, err := pgAdmin.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _, _ = pgAdmin.Exec("DROP OWNED BY " + role); _, _ = pgAdmin.Exec("DROP ROLE " + role) })
	odb, err := sql.Open("pgx", other)
	if err != nil {
		t.Fatal(err)
	}
	defer odb.Close()
	if _, err := odb.Exec("REVOKE CREATE ON SCHEMA public FROM PUBLIC"); err != nil {
		t.Fatal(err)
	}
	asRole := mustParseURL(t, other)
	asRole.User = url.User(role)
	_, err = Open(ctx, asRole.String(), Options{})
	if keys.ErrorCode(err) != keys.Unauthorized || !strings.Contains(keys.ErrorMessage(err), "CREATE SCHEMA keyward AUTHORIZATION") {
		t.Fatalf("a role that may not create in public: %v (%s)", err, keys.ErrorCode(err))
	}
}

func mustParseURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// A read (Options.MustExist) makes no tables in a PostgreSQL database
// without keyward's, as it makes no SQLite file: it is keys.Invalid, and
// the database is left as it was. A database keyward has made is read.
func TestPostgresAReadMakesNoTables(t *testing.T) {
	u := pgDatabase(t)
	_, err := Open(ctx, u, Options{MustExist: true})
	if keys.ErrorCode(err) != keys.Invalid || !strings.Contains(keys.ErrorMessage(err), "no keyward tables") {
		t.Fatalf("a read of an empty database: %v (%s)", err, keys.ErrorCode(err))
	}
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace
		WHERE s.nspname = current_schema()`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("a read made %d objects (%v)", n, err)
	}
	openPGAt(t, u, Options{}).Close()
	s, err := Open(ctx, u, Options{MustExist: true})
	if err != nil {
		t.Fatalf("a read of a keyward database: %v", err)
	}
	s.Close()
}
