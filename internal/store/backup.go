package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/keyward/keyward/internal/fserr"
	"github.com/keyward/keyward/internal/keys"
)

var errPostgresBackup = keys.Errorf(keys.Invalid, "keyward backup copies a SQLite database; for PostgreSQL use pg_dump (pg_dump -Fc -f keyward.dump \"$URL\")")

// BackupOptions tune Backup.
type BackupOptions struct {
	// Force replaces a file already at the destination. Without it an
	// existing file is a conflict, as `gh release download` refuses to
	// clobber without --clobber and `cp -n` keeps what is there: a backup
	// is most often written over last night's by a typo, not by wish.
	Force bool
}

// Backup writes a consistent copy of the SQLite database to dest while
// other connections and processes keep reading and writing it.
//
// VACUUM INTO reads in one transaction, so the copy is the database as of
// one moment (every write committed before it began, none after), and it
// takes no write lock: writers are never held up beyond SQLite's own
// checkpoint contention. The copy is written to a 0600 temporary file in
// dest's folder, synced, and only then put at dest, so a crash or a full
// disk never leaves a half backup under dest's name.
//
// A PostgreSQL store is refused (keys.Invalid): its backups are
// pg_dump's, which knows roles, sequences and consistent snapshots of a
// live server.
func (s *Store) Backup(ctx context.Context, dest string, opts BackupOptions) error {
	if _, ok := s.eng.(sqliteEngine); !ok {
		return errPostgresBackup
	}
	if dest == "" {
		return keys.Errorf(keys.Invalid, "no backup path given")
	}
	abs, err := filepath.Abs(dest)
	if err != nil {
		return keys.Errorf(keys.Invalid, "invalid backup path %q: %v", dest, err)
	}
	if s.isDatabaseFile(abs) {
		return keys.Errorf(keys.Invalid, "cannot back up onto %s: it is the database being backed up, or its -wal, -shm or -journal file; choose another path", dest)
	}
	if err := checkDest(abs, dest, opts.Force); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".*.tmp")
	if err != nil {
		return keys.Errorf(keys.Invalid, "cannot write a backup in %s: %v", filepath.Dir(dest), fserr.Cause(err))
	}
	tmpPath := tmp.Name()
	// CreateTemp made it 0600 and empty, which VACUUM INTO accepts as its
	// target and whose mode it keeps: the copy is never readable by others,
	// whatever the umask.
	tmp.Close()
	done := false
	defer func() {
		if !done {
			os.Remove(tmpPath)
		}
	}()
	// The writer's connection: readers are query-only, which SQLite
	// extends to VACUUM. VACUUM INTO takes only a read transaction on it.
	if _, err := s.pools.writer.ExecContext(ctx, "VACUUM INTO ?", tmpPath); err != nil {
		return s.dbErr(err)
	}
	if err := syncFile(tmpPath); err != nil {
		return keys.Errorf(keys.Unavailable, "cannot sync backup %s: %v", dest, fserr.Cause(err))
	}
	if opts.Force {
		err = os.Rename(tmpPath, abs)
	} else {
		// A link fails when dest appeared since checkDest: nothing that
		// shows up meanwhile is overwritten either.
		err = os.Link(tmpPath, abs)
	}
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return existsErr(dest)
		}
		return keys.Errorf(keys.Invalid, "cannot write backup %s: %v", dest, fserr.Cause(err))
	}
	done = true
	if !opts.Force {
		os.Remove(tmpPath)
	}
	// The new name must survive a power cut too.
	_ = syncFile(filepath.Dir(abs))
	return nil
}

// isDatabaseFile reports whether abs names the live database or a file
// SQLite keeps beside it, under any name: --force renames over its
// target, and a copy renamed over the live file (through a linked folder)
// would meet the old file's -wal frames, or over the -wal be deleted by
// SQLite at close.
func (s *Store) isDatabaseFile(abs string) bool {
	db := resolveDir(s.path)
	dest := resolveDir(abs)
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		if dest == db+suffix {
			return true
		}
	}
	dfi, err := os.Stat(abs)
	if err != nil {
		return false
	}
	sfi, err := os.Stat(s.path)
	return err == nil && os.SameFile(dfi, sfi) // a hard link
}

// resolveDir resolves the symbolic links of path's folder, not of its
// last element (a destination that is a link is refused as not a regular
// file); a folder that cannot be resolved leaves path as it is.
func resolveDir(path string) string {
	dir, err := filepath.EvalSymlinks(filepath.Dir(path))
	if err != nil {
		return path
	}
	return filepath.Join(dir, filepath.Base(path))
}

// checkDest refuses what Backup must not write over, before it spends a
// copy's time: an existing file without force, and anything not a regular
// file even with it.
func checkDest(abs, shown string, force bool) error {
	fi, err := os.Lstat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, err := os.Stat(filepath.Dir(abs)); err != nil {
			return keys.Errorf(keys.Invalid, "cannot write backup %s: %v", shown, fserr.Cause(err))
		}
		return nil
	case err != nil:
		return keys.Errorf(keys.Invalid, "cannot write backup %s: %v", shown, fserr.Cause(err))
	case !fi.Mode().IsRegular():
		return keys.Errorf(keys.Invalid, "cannot write backup %s: it exists and is not a regular file", shown)
	case !force:
		return existsErr(shown)
	}
	return nil
}

func existsErr(shown string) error {
	return keys.Errorf(keys.Conflict, "%s already exists: choose another path, or use --force to replace it", shown)
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// BackupFile opens the keyward database at db (which must exist) and backs
// it up to dest. A PostgreSQL URL is refused before any connection: the
// answer (pg_dump) does not depend on whether the server is up.
func BackupFile(ctx context.Context, db, dest string, opts BackupOptions) error {
	if isPostgresURL(db) {
		return errPostgresBackup
	}
	s, err := Open(ctx, db, Options{MustExist: true})
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Backup(ctx, dest, opts)
}
