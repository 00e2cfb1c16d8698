//go:build unix

package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

var ctx = context.Background()

// foreignSQLite makes a SQLite file that is not keyward's.
func foreignSQLite(t *testing.T, path string, pragmas ...string) {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range append(pragmas, "CREATE TABLE notes (body TEXT)", "INSERT INTO notes VALUES ('hello')") {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func TestOpenRefusesWhatIsNotKeyward(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]func(path string){
		"text file":   func(p string) { os.WriteFile(p, []byte("just some notes\n"), 0o644) },
		"short file":  func(p string) { os.WriteFile(p, []byte("SQLite format 3"), 0o644) },
		"binary junk": func(p string) { os.WriteFile(p, bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 1024), 0o644) },
		"fake header": func(p string) {
			os.WriteFile(p, append([]byte("SQLite format 3\x00"), bytes.Repeat([]byte{0xff}, 4080)...), 0o644)
		},
		"other sqlite":          func(p string) { foreignSQLite(t, p) },
		"other application id":  func(p string) { foreignSQLite(t, p, "PRAGMA application_id = 1234") },
		"other sqlite, WAL":     func(p string) { foreignSQLite(t, p, "PRAGMA journal_mode = WAL") },
		"empty sqlite database": func(p string) { foreignSQLite(t, p, "PRAGMA user_version = 1"); dropNotes(t, p) },
		// Another program's database, made WAL and nothing else yet: as
		// empty as a keyward file a moment before its first transaction
		// once was, but not keyward's.
		"empty sqlite database, WAL": func(p string) { emptySQLite(t, p, "PRAGMA journal_mode = WAL") },
		"empty sqlite database, rollback": func(p string) {
			emptySQLite(t, p, "PRAGMA user_version = 1", "PRAGMA user_version = 0")
		},
	}
	for name, make := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".db")
			make(path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Open(ctx, path, Options{})
			if err == nil {
				s.Close()
				t.Fatal("opened a file that is not a keyward database")
			}
			if keys.ErrorCode(err) != keys.Invalid || keys.ErrorMessage(err) != path+" is not a keyward database" {
				t.Fatalf("error = %q (%s), want invalid %q", keys.ErrorMessage(err), keys.ErrorCode(err), path+" is not a keyward database")
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Fatal("the refused file was modified")
			}
			for _, suffix := range []string{"-wal", "-shm", "-journal"} {
				if _, err := os.Stat(path + suffix); err == nil {
					t.Errorf("opening left %s behind", suffix)
				}
			}
		})
	}
	t.Run("a FIFO", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "fifo.db")
		if err := syscall.Mkfifo(path, 0o600); err != nil {
			t.Skip(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := Open(ctx, path, Options{})
			done <- err
		}()
		select {
		case err := <-done:
			if keys.ErrorCode(err) != keys.Invalid {
				t.Fatalf("opening a FIFO: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("opening a FIFO hangs")
		}
	})
	t.Run("a folder", func(t *testing.T) {
		_, err := Open(ctx, t.TempDir(), Options{})
		if keys.ErrorCode(err) != keys.Invalid {
			t.Fatalf("opening a folder: %v", err)
		}
	})
	t.Run("postgres URL with a password", func(t *testing.T) {
		_, err := Open(ctx, "postgres://u:secret@localhost/keyward", Options{})
		if keys.ErrorCode(err) != keys.Invalid || !strings.Contains(err.Error(), "PGPASSWORD") {
			t.Fatalf("postgres URL: %v", err)
		}
	})
}

// emptySQLite makes a SQLite database without a table, as a program that
// has set its pragmas and not yet made its schema leaves it.
func emptySQLite(t *testing.T, path string, pragmas ...string) {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range pragmas {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestOpenRefusesAnEmptyWALDatabaseInUse: another program's empty WAL
// database, open in that program (its -wal and -shm beside it), is not
// taken for a keyward file being initialized: refused, and not a byte of
// it changed.
func TestOpenRefusesAnEmptyWALDatabaseInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	other, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetMaxOpenConns(1)
	if _, err := other.Exec("SELECT count(*) FROM sqlite_schema"); err != nil {
		t.Fatal(err)
	}
	before := readAll(t, path) // the file and its -wal
	_, err = Open(ctx, path, Options{BusyTimeout: 200 * time.Millisecond})
	if keys.ErrorCode(err) != keys.Invalid || keys.ErrorMessage(err) != path+" is not a keyward database" {
		t.Fatalf("error = %v (%s), want invalid %q", err, keys.ErrorCode(err), path+" is not a keyward database")
	}
	if !bytes.Equal(before, readAll(t, path)) {
		t.Error("the refused file was modified")
	}
	var n int
	if err := other.QueryRow("SELECT count(*) FROM sqlite_schema").Scan(&n); err != nil || n != 0 {
		t.Fatalf("the other program's database: %d tables, %v", n, err)
	}
}

func dropNotes(t *testing.T, path string) {
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("DROP TABLE notes; VACUUM"); err != nil {
		t.Fatal(err)
	}
}

func TestOpenInitializesAnEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("open an empty file: %v", err)
	}
	defer s.Close()
	if _, err := s.Create(local(ctx), keys.CreateRequest{Name: "k", Grants: []keys.Grant{{Resource: "/a", Role: keys.Viewer}}}); err != nil {
		t.Fatal(err)
	}
}

// TestOpenMustExist: what reading commands open. A missing database is
// bad input naming the path, and nothing is made, neither the file nor
// its folder; an empty file is not initialized either.
func TestOpenMustExist(t *testing.T) {
	dir := t.TempDir()
	for _, missing := range []string{filepath.Join(dir, "no", "such", "keys.db"), filepath.Join(dir, "keys.db")} {
		_, err := Open(ctx, missing, Options{MustExist: true})
		if keys.ErrorCode(err) != keys.Invalid || !strings.Contains(keys.ErrorMessage(err), missing) {
			t.Errorf("%s: %v (%s), want invalid naming the path", missing, err, keys.ErrorCode(err))
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("opening missing databases made %v", entries)
	}

	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, empty, Options{MustExist: true})
	if keys.ErrorCode(err) != keys.Invalid || !strings.Contains(keys.ErrorMessage(err), empty) {
		t.Errorf("an empty file: %v (%s), want invalid naming the path", err, keys.ErrorCode(err))
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 || len(readAll(t, empty)) != 0 {
		t.Fatalf("opening an empty file changed it or left %v", entries)
	}

	// A keyward database opens as ever.
	db := filepath.Join(dir, "keyward.db")
	s, err := Open(ctx, db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	k := mustCreate(t, s, "k", "/acme")
	s.Close()
	s, err = Open(ctx, db, Options{MustExist: true})
	if err != nil {
		t.Fatalf("an existing database: %v", err)
	}
	defer s.Close()
	if _, err := s.Get(local(ctx), k.ID); err != nil {
		t.Fatal(err)
	}
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	// Whatever the umask: here none at all.
	old := syscall.Umask(0)
	defer syscall.Umask(old)

	base := t.TempDir()
	path := filepath.Join(base, "new", "nested", "keyward.db")
	s, err := Open(ctx, path, Options{CreateFolder: true}) // as for the default database
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Create(local(ctx), keys.CreateRequest{Name: "k", Grants: []keys.Grant{{Resource: "/a", Role: keys.Viewer}}}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("stat %s: %v", p, err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s is %v, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
	for _, d := range []string{filepath.Join(base, "new"), filepath.Dir(path)} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o700 {
			t.Errorf("folder %s is %v, want 0700", d, fi.Mode().Perm())
		}
	}
}

func TestReopenIsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyward.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	k, err := s.Create(local(ctx), keys.CreateRequest{Name: "kept", Grants: []keys.Grant{{Resource: "/a", Role: keys.Admin}}})
	if err != nil {
		t.Fatal(err)
	}
	schema := func(s *Store) (int, int64) {
		var n int
		var v int64
		if err := s.pools.reader.QueryRow("SELECT count(*) FROM sqlite_schema").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if err := s.pools.reader.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return n, v
	}
	n1, v1 := schema(s)
	ms, _ := migrations()
	if v1 != int64(len(ms)) {
		t.Fatalf("user_version = %d, want %d", v1, len(ms))
	}
	s.Close()
	for i := 0; i < 3; i++ {
		s, err = Open(ctx, path, Options{})
		if err != nil {
			t.Fatalf("reopen %d: %v", i, err)
		}
		if n, v := schema(s); n != n1 || v != v1 {
			t.Fatalf("reopen changed the schema: %d objects v%d, was %d v%d", n, v, n1, v1)
		}
		if got, err := s.Get(local(ctx), k.ID); err != nil || got.Name != "kept" {
			t.Fatalf("after reopen: %v", err)
		}
		s.Close()
	}
}

func TestOpenRefusesANewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyward.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.pools.writer.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(ctx, path, Options{})
	if keys.ErrorCode(err) != keys.Invalid || !strings.Contains(err.Error(), "upgrade keyward") {
		t.Fatalf("newer schema: %v", err)
	}
}

// TestOpenAcceptsAnUncheckpointedDatabase covers a keyward database whose
// first pages still sit in its write-ahead log (another process has it
// open, or crashed): the header alone does not show it is keyward's.
func TestOpenAcceptsAnUncheckpointedDatabase(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keyward.db")
	a, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	k := mustCreate(t, a, "k", "/acme")
	if b, err := os.ReadFile(path); err == nil && len(b) >= 72 && binary.BigEndian.Uint32(b[68:72]) == applicationID {
		t.Log("the header already holds the application id: the log is not consulted")
	}
	// A copy of the files as they are now, as after a crash.
	crashed := filepath.Join(dir, "crashed.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(crashed+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{path, crashed} {
		s, err := Open(ctx, p, Options{})
		if err != nil {
			t.Fatalf("open %s: %v", filepath.Base(p), err)
		}
		if _, err := s.Get(local(ctx), k.ID); err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
		}
		s.Close()
	}
}

func TestOpenOddPaths(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a dir", "we?ird#name%20&x=1.db")
	s, err := Open(ctx, path, Options{CreateFolder: true})
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, "k", "/acme")
	s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database is not where asked: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "we?ird#name%20&x=1.db") {
			t.Errorf("stray file %q", e.Name())
		}
	}
	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// A URL that is not PostgreSQL is refused, not read as a relative path
// ("sqlite:///x.db" made the folders ./sqlite:/x.db), and its password is
// not repeated.
func TestOpenRefusesOtherURLs(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, u := range []string{"sqlite:///tmp/a.db", "file:/tmp/x.db?mode=ro", "FILE:x.db", "mysql://u:hunter2@host/db", "sqlite3:x.db"} {
		_, err := Open(ctx, u, Options{})
		if keys.ErrorCode(err) != keys.Invalid || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "URL") {
			t.Errorf("Open(%q): %v", u, err)
		}
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Errorf("refused URLs left %v behind", entries)
	}
	// Paths with a colon that are not URLs still open.
	for _, p := range []string{"keys:2026.db", "a:b/c.db"} {
		s, err := Open(ctx, p, Options{CreateFolder: true})
		if err != nil {
			t.Fatalf("Open(%q): %v", p, err)
		}
		s.Close()
	}
}

// TestOpenWhileAnotherOpenInitializes covers two processes opening a new
// file at once. The first may have stamped it and gone no further (or
// been killed there): the second takes it up. Many at once all succeed.
func TestOpenWhileAnotherOpenInitializes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyward.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := stampEmpty(ctx, path, path, time.Second); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("open a file stamped, not yet initialized: %v", err)
	}
	mustCreate(t, s, "k", "/acme")
	s.Close()

	// Many at once, as many processes would.
	for round := 0; round < 5; round++ {
		path := filepath.Join(t.TempDir(), "keyward.db")
		errs := make(chan error, 8)
		for i := 0; i < 8; i++ {
			go func() {
				s, err := Open(ctx, path, Options{})
				if err == nil {
					s.Close()
				}
				errs <- err
			}()
		}
		for i := 0; i < 8; i++ {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: concurrent first opens: %v", round, err)
			}
		}
	}
}

// A new database goes in a folder that exists: a --db in a missing folder
// is a typo far more often than a wish, and nothing is made for it. Only
// the default database's folder is made (CreateFolder).
func TestOpenMakesNoFolderUnlessAsked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "typo")
	_, err := Open(ctx, filepath.Join(dir, "keys.db"), Options{})
	if keys.ErrorCode(err) != keys.Invalid || !strings.Contains(keys.ErrorMessage(err), dir+" does not exist") {
		t.Fatalf("open in a missing folder: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the folder was made: %v", err)
	}
}
