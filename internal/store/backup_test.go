package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// A backup taken while another store keeps creating keys in the same file
// holds every key whose create returned before the backup began, and is a
// consistent moment: the keys of one sequential writer up to some point,
// with no gap.
func TestBackupUnderWriteLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "live.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	writer, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()

	var mu sync.Mutex
	var created []string // ids, in the order their creates returned
	stop := make(chan struct{})
	warm := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			k, err := writer.Create(local(ctx), keys.CreateRequest{Name: fmt.Sprintf("load-%05d", i), Grants: grants("/acme")})
			if err != nil {
				done <- err
				return
			}
			mu.Lock()
			created = append(created, k.ID)
			mu.Unlock()
			if i == 50 {
				close(warm)
			}
		}
	}()
	select {
	case <-warm:
	case err := <-done:
		t.Fatalf("writer: %v", err)
	}
	mu.Lock()
	before := append([]string(nil), created...)
	mu.Unlock()
	dest := filepath.Join(dir, "backup.db")
	berr := s.Backup(ctx, dest, BackupOptions{})
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("writer: %v", err)
	}
	if berr != nil {
		t.Fatalf("backup: %v", berr)
	}
	fi, err := os.Stat(dest)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v, want 0600", fi.Mode().Perm())
	}

	b, err := Open(ctx, dest, Options{MustExist: true})
	if err != nil {
		t.Fatalf("open backup: %v", err)
	}
	defer b.Close()
	var ok string
	if err := b.pools.reader.QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check: %q %v", ok, err)
	}
	have := map[string]bool{}
	rows, err := b.pools.reader.Query("SELECT id FROM keys")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		have[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, id := range before {
		if !have[id] {
			t.Errorf("key %s, created before the backup began, is not in it", id)
		}
	}
	// One writer creates in order: a consistent copy holds a prefix of them.
	mu.Lock()
	all := created
	mu.Unlock()
	n := 0
	for n < len(all) && have[all[n]] {
		n++
	}
	for _, id := range all[n:] {
		if have[id] {
			t.Errorf("backup holds %s but not an earlier key %s: not one moment", id, all[n])
		}
	}
	if len(have) != n {
		t.Errorf("backup holds %d keys, want the first %d created", len(have), n)
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, ".backup.db.*")); len(matches) != 0 {
		t.Errorf("temporary files left behind: %v", matches)
	}
}

func TestBackupNeverOverwritesWithoutForce(t *testing.T) {
	s := openTemp(t, Options{})
	k := mustCreate(t, s, "first", "/acme")
	dest := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(dest, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := s.Backup(ctx, dest, BackupOptions{})
	if keys.ErrorCode(err) != keys.Conflict || !strings.Contains(keys.ErrorMessage(err), "--force") {
		t.Fatalf("backup over a file: %v (%s), want a conflict naming --force", err, keys.ErrorCode(err))
	}
	if got, _ := os.ReadFile(dest); string(got) != "precious" {
		t.Fatalf("the existing file changed: %q", got)
	}
	if err := s.Backup(ctx, dest, BackupOptions{Force: true}); err != nil {
		t.Fatalf("backup --force: %v", err)
	}
	b, err := Open(ctx, dest, Options{MustExist: true})
	if err != nil {
		t.Fatalf("open backup: %v", err)
	}
	defer b.Close()
	if _, err := b.Get(local(ctx), k.ID); err != nil {
		t.Fatalf("key in the replaced backup: %v", err)
	}
	fi, _ := os.Stat(dest)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("replaced backup mode %v, want 0600", fi.Mode().Perm())
	}
	if matches, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), ".backup.db.*")); len(matches) != 0 {
		t.Errorf("temporary files left behind: %v", matches)
	}
}

func TestBackupRefusesBadDestinations(t *testing.T) {
	s := openTemp(t, Options{})
	dir := t.TempDir()
	for name, dest := range map[string]string{
		"missing folder": filepath.Join(dir, "nope", "b.db"),
		"a folder":       dir,
		"itself":         s.path,
	} {
		err := s.Backup(ctx, dest, BackupOptions{Force: true})
		if keys.ErrorCode(err) != keys.Invalid || strings.Contains(keys.ErrorMessage(err), "\n") {
			t.Errorf("%s: %v (%s), want one line, invalid", name, err, keys.ErrorCode(err))
		}
	}
}

func TestBackupOfPostgresSaysPgDump(t *testing.T) {
	s := openPG(t, Options{})
	err := s.Backup(ctx, filepath.Join(t.TempDir(), "b.db"), BackupOptions{})
	if keys.ErrorCode(err) != keys.Invalid || !strings.Contains(keys.ErrorMessage(err), "pg_dump") {
		t.Fatalf("backup of PostgreSQL: %v (%s), want invalid naming pg_dump", err, keys.ErrorCode(err))
	}
}

// A backup must never land on the live database or its companion files,
// whatever name reaches them: --force renamed the copy over the -wal (which
// SQLite then deleted at close, the backup gone and exit 0) or, through a
// symbolic link to the database's folder, over the live file itself, under
// a server whose -wal frames belong to the old file's pages.
func TestBackupRefusesTheDatabaseUnderAnyName(t *testing.T) {
	s := openTemp(t, Options{})
	mustCreate(t, s, "first", "/acme")
	dir := filepath.Dir(s.path)
	base := filepath.Base(s.path)
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard.db")
	if err := os.Link(s.path, hard); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(s.path)
	if err != nil {
		t.Fatal(err)
	}
	for name, dest := range map[string]string{
		"through a folder link": filepath.Join(link, base),
		"a hard link":           hard,
		"the -wal":              s.path + "-wal",
		"the -shm":              s.path + "-shm",
		"the -journal":          s.path + "-journal",
		"the -wal, linked":      filepath.Join(link, base+"-wal"),
	} {
		err := s.Backup(ctx, dest, BackupOptions{Force: true})
		if keys.ErrorCode(err) != keys.Invalid || !strings.Contains(keys.ErrorMessage(err), "database") {
			t.Errorf("%s: %v (%s), want invalid naming the database", name, err, keys.ErrorCode(err))
		}
	}
	if after, _ := os.ReadFile(s.path); string(after) != string(before) {
		t.Errorf("the live database file was replaced")
	}
	if _, err := s.Get(local(ctx), "first"); err != nil {
		t.Errorf("the database after the attempts: %v", err)
	}
}

// A backup stopped part way (Ctrl-C, SIGTERM: a cancelled context) leaves
// nothing in the destination's folder: neither the partial copy nor the
// rollback journal SQLite keeps beside it while VACUUM INTO writes. The
// context is cancelled once the copy has started to grow; a backup that
// finished first proves nothing and is retried on a bigger database.
func TestBackupCancelledLeavesNothing(t *testing.T) {
	s := openTemp(t, Options{})
	if _, err := s.pools.writer.ExecContext(ctx, "CREATE TABLE pad(b BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 20000) INSERT INTO pad SELECT randomblob(4096) FROM n"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		for cctx.Err() == nil {
			if m, _ := filepath.Glob(filepath.Join(dir, ".b.db.*.tmp")); len(m) > 0 {
				if fi, err := os.Stat(m[0]); err == nil && fi.Size() > 0 {
					cancel()
					return
				}
			}
			runtime.Gosched()
		}
	}()
	if err := s.Backup(cctx, filepath.Join(dir, "b.db"), BackupOptions{}); err == nil {
		t.Skip("the backup finished before it could be cancelled")
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		var names []string
		for _, e := range left {
			names = append(names, e.Name())
		}
		t.Fatalf("left behind: %v", names)
	}
}
