package store

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/testenv"
)

// Hostile review of verification's cache (issue 8): changes made behind a
// caching store's back with the sqlite3 program, each right after the
// key's entry was served from the cache; the very next verification must
// see every one that changes its answer.

// sqlite3Bin is the sqlite3 program: a writer that is not keyward. A
// laptop without it skips; CI fails (testenv).
func sqlite3Bin(t *testing.T) string {
	t.Helper()
	return testenv.Command(t, "make deps installs it (Debian's sqlite3)", "sqlite3")
}

// sqlite3Run runs sql on path with the sqlite3 program and returns what it
// printed.
func sqlite3Run(t *testing.T, path, sql string) string {
	t.Helper()
	out, err := exec.Command(sqlite3Bin(t), path, sql).CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3 %q: %v\n%s", sql, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestCacheSeesEveryKindOfChangeBySQLite3(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyward.db")
	clk := newClock()
	s, err := Open(ctx, path, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := newCacheProbe(t, s, "/acme/prod")
	verify, cached := p.verify, p.cached
	now := clk.Now().Unix()
	other, err := keys.NewSecret("sk")
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		name   string
		before keys.VerifyCode
		sql    string // %[1]s the key's id, %[2]d now, %[3]s another secret's hash
		after  keys.VerifyCode
	}{
		{"disabled with last_used_at in one statement", keys.CodeValid,
			"UPDATE keys SET last_used_at = %[2]d, enabled = 0 WHERE id = '%[1]s'", keys.CodeDisabled},
		{"expired", keys.CodeValid, "UPDATE keys SET expires_at = %[2]d - 10 WHERE id = '%[1]s'", keys.CodeExpired},
		{"expired with last_used_at", keys.CodeValid,
			"UPDATE keys SET expires_at = %[2]d - 10, last_used_at = %[2]d + 1 WHERE id = '%[1]s'", keys.CodeExpired},
		{"grant added", keys.CodeInsufficientPermissions,
			"INSERT INTO grants (key_id, resource, role) VALUES ('%[1]s', '/acme', 2)", keys.CodeValid},
		{"grant removed", keys.CodeValid,
			"DELETE FROM grants WHERE key_id = '%[1]s' AND resource = '/acme/prod'", keys.CodeInsufficientPermissions},
		{"grant replaced", keys.CodeInsufficientPermissions,
			"INSERT OR REPLACE INTO grants (key_id, resource, role) VALUES ('%[1]s', '/acme', 3)", keys.CodeValid},
		{"grant upserted", keys.CodeInsufficientPermissions,
			"INSERT INTO grants (key_id, resource, role) VALUES ('%[1]s', '/acme/x', 3) ON CONFLICT DO UPDATE SET role = 3; UPDATE grants SET resource = '/acme' WHERE key_id = '%[1]s' AND resource = '/acme/x'", keys.CodeValid},
		{"deleted, grants cascading", keys.CodeValid,
			"PRAGMA foreign_keys = ON; DELETE FROM keys WHERE id = '%[1]s'", keys.CodeNotFound},
		{"replaced by a row with another secret", keys.CodeValid,
			"INSERT OR REPLACE INTO keys (id, name, org, type, prefix, start, created_at, expires_at, enabled, last_used_at, meta, created_by, secret_hash, prev_hash, prev_expires_at, secret_used_at, prev_self_rolled) SELECT id, name, org, type, prefix, start, created_at, expires_at, enabled, last_used_at, meta, created_by, '%[3]s', prev_hash, prev_expires_at, secret_used_at, prev_self_rolled FROM keys WHERE id = '%[1]s'", keys.CodeNotFound},
		{"after VACUUM, disabled", keys.CodeValid,
			"VACUUM; UPDATE keys SET enabled = 0 WHERE id = '%[1]s'", keys.CodeDisabled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			role := keys.Editor
			if tc.before == keys.CodeInsufficientPermissions {
				role = keys.Viewer
			}
			k, err := s.Create(local(ctx), keys.CreateRequest{Name: fmt.Sprintf("k%d", i),
				Grants: []keys.Grant{{Resource: "/acme/prod", Role: role}}})
			if err != nil {
				t.Fatal(err)
			}
			cached(t, k.Secret, tc.before)
			sqlite3Run(t, path, fmt.Sprintf(tc.sql, k.ID, now, keys.HashSecret(other)))
			if got := verify(t, k.Secret); got != tc.after {
				t.Fatalf("after %q: %s, want %s", tc.sql, got, tc.after)
			}
		})
	}
}

// A secret answered NOT_FOUND (and remembered so) that a key gets right
// after, by keyward or by hand, verifies at once, not after the negative
// window.
func TestUnknownSecretGivenToAKeyIsFoundAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyward.db")
	clk := newClock()
	s, err := Open(ctx, path, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other, err := Open(ctx, path, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	c := cacheOf(t, s)
	k := mustCreate(t, s, "k", "/acme")
	for _, by := range []string{"another store's roll", "sqlite3"} {
		t.Run(by, func(t *testing.T) {
			secret, err := keys.NewSecret("sk")
			if err != nil {
				t.Fatal(err)
			}
			if by == "sqlite3" {
				for i := 0; i < 2; i++ {
					if got := code(t, s, secret); got != keys.CodeNotFound {
						t.Fatal(got)
					}
				}
				if _, out := c.get(c.cur.Load(), keys.HashSecret(secret)); out != unknown {
					t.Fatal("not remembered as unknown")
				}
				sqlite3Run(t, path, fmt.Sprintf("UPDATE keys SET secret_hash = '%s' WHERE id = '%s'", keys.HashSecret(secret), k.ID))
			} else {
				rolled, err := other.Roll(local(ctx), k.ID, keys.RollRequest{Grace: durp(0)})
				if err != nil {
					t.Fatal(err)
				}
				secret = rolled.Secret
				_ = time.Second
			}
			if got := code(t, s, secret); got != keys.CodeValid {
				t.Fatalf("%s", got)
			}
		})
	}
}

// TestCacheSeesAChangeAfterARestore: a backup restored into the live file
// (sqlite3's .restore, through SQLite's locks and WAL, as a restore under a
// running server must be made) brings back the backup's change revision;
// one change after it must not bring the revision back to the value a
// cache last saw with other contents (ABA).
func TestCacheSeesAChangeAfterARestore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keyward.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := cacheOf(t, s)
	k := mustCreate(t, s, "k", "/acme")
	j := mustCreate(t, s, "j", "/acme")
	backup := filepath.Join(dir, "backup.db")
	sqlite3Run(t, path, ".backup '"+backup+"'")
	// One change after the backup, seen by the cache.
	sqlite3Run(t, path, fmt.Sprintf("UPDATE keys SET enabled = 0 WHERE id = '%s'", j.ID))
	for i := 0; i < 2; i++ {
		if got := code(t, s, k.Secret); got != keys.CodeValid {
			t.Fatal(got)
		}
	}
	fills := c.fills.Load()
	if got := code(t, s, k.Secret); got != keys.CodeValid || c.fills.Load() != fills {
		t.Fatal("not cached")
	}
	// The backup restored, then one change, with no verification between.
	sqlite3Run(t, path, ".restore '"+backup+"'")
	sqlite3Run(t, path, fmt.Sprintf("UPDATE keys SET enabled = 0 WHERE id = '%s'", k.ID))
	if got := code(t, s, k.Secret); got != keys.CodeDisabled {
		t.Fatalf("disabled after a restore: %s", got)
	}
}

// TestCacheSurvivesAnotherToolLeavingWAL: another tool switching the file
// to journal_mode=DELETE while a caching store has it open must either
// fail (the store's connections hold it in WAL mode) or leave the cache
// exact: rollback-journal commits never touch the WAL-index header.
func TestCacheSurvivesAnotherToolLeavingWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyward.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	k := mustCreate(t, s, "k", "/acme")
	for i := 0; i < 3; i++ {
		if got := code(t, s, k.Secret); got != keys.CodeValid {
			t.Fatal(got)
		}
	}
	out, _ := exec.Command(sqlite3Bin(t), path, fmt.Sprintf("PRAGMA journal_mode = DELETE; UPDATE keys SET enabled = 0 WHERE id = '%s'", k.ID)).CombinedOutput()
	t.Logf("sqlite3: %s", out)
	mode := sqlite3Run(t, path, "PRAGMA journal_mode")
	var enabled string = sqlite3Run(t, path, fmt.Sprintf("SELECT enabled FROM keys WHERE id = '%s'", k.ID))
	want := keys.CodeValid
	if enabled == "0" {
		want = keys.CodeDisabled
	}
	if got := code(t, s, k.Secret); got != want {
		t.Fatalf("journal_mode %s, enabled %s: %s", mode, enabled, got)
	}
}

// TestPostgresLapsedLeaseRenewedOverAFlushedCache: while a replica's
// lease is lapsed (its listener silent), verification reads the database
// and may see a change whose notification has not arrived; when the
// lease comes back (a late ping answer), the entries cached before the
// lapse must not answer again, or a revoked key would verify after a
// verification that saw it revoked.
func TestPostgresLapsedLeaseRenewedOverAFlushedCache(t *testing.T) {
	c := newVerifyCache(Options{}, time.Now)
	w := &pgWatch{c: c}
	c.watch = w
	w.up.Store(true)
	w.renew()
	if !w.ready() {
		t.Fatal("a fresh lease is not ready")
	}
	r := &row{Key: keys.Key{ID: "key_x"}}
	c.put(c.cur.Load(), "h", newCached(r, false))
	w.until.Store(monoNow() - 1) // the lease lapsed: the listener was silent
	if w.ready() {
		t.Fatal("a lapsed lease is ready")
	}
	w.renew() // the late answer
	if !w.ready() {
		t.Fatal("a renewed lease is not ready")
	}
	if _, out := c.get(c.cur.Load(), "h"); out != miss {
		t.Fatal("an entry cached before the lapse answers after it")
	}
	// A renewal within the lease keeps the cache.
	c.put(c.cur.Load(), "h", newCached(r, false))
	w.until.Store(monoNow() + int64(time.Hour)) // so that no pause of this test's lapses it
	w.renew()
	if _, out := c.get(c.cur.Load(), "h"); out != hit {
		t.Fatal("a renewal within the lease flushed the cache")
	}
}
