package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/fserr"
	"github.com/keyward/keyward/internal/keys"
	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

// applicationID marks a SQLite file as keyward's (PRAGMA application_id,
// bytes 68–71 of the header): "kwrd".
const applicationID = 0x6B777264

const sqliteMagic = "SQLite format 3\x00"

// Open opens (creating if needed) the keyward database at path. A new file
// is created 0600, and its folder 0700 when Open makes it. An existing
// file that is not a keyward database is refused as keys.Invalid and never
// modified; an empty file is initialized. With Options.MustExist nothing
// is created or initialized: a missing or empty file is keys.Invalid. A
// postgres:// or postgresql:// URL opens a PostgreSQL database instead
// (see openPostgres).
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if isPostgresURL(path) {
		return openPostgres(ctx, path, opts)
	}
	if path == "" {
		return nil, keys.Errorf(keys.Invalid, "no database path: set --db or KEYWARD_DB")
	}
	if scheme, ok := urlScheme(path); ok {
		// Read as a path, "sqlite:///x.db" would become the folders
		// ./sqlite:/x.db. Only the scheme is repeated: a URL may hold a
		// password.
		hint := ""
		if l := strings.ToLower(scheme); l == "http" || l == "https" {
			hint = " (for a keyward server, use --server)"
		}
		return nil, keys.Errorf(keys.Invalid, "unsupported database URL (%s:): --db takes a SQLite file path or a postgres:// URL%s", scheme, hint)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, keys.Errorf(keys.Invalid, "invalid database path %q: %v", path, err)
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = DefaultBusyTimeout
	}
	// Processes opening a new file at the same moment can see it between
	// states (SQLite refuses a journal mode change beside another
	// connection at once, without waiting): a locked database is tried
	// again for as long as one is waited for. Even once the file's header
	// says WAL, a connection of this open may still have met the change
	// half-way (1 concurrent first open in ~40 under load failed so).
	deadline := time.Now().Add(busy)
	_, statErr := os.Stat(abs)
	for {
		s, err := openSQLite(ctx, abs, path, busy, opts)
		if err == nil {
			s.created = errors.Is(statErr, fs.ErrNotExist)
			return s, nil
		}
		if keys.ErrorCode(err) != keys.Unavailable || time.Now().After(deadline) {
			return s, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// urlScheme reports whether s is a URL rather than a file path: a scheme
// followed by "//", or SQLite's own "file:" and "sqlite:" forms.
func urlScheme(s string) (string, bool) {
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || scheme == "" || !isSchemeName(scheme) {
		return "", false
	}
	switch strings.ToLower(scheme) {
	case "file", "sqlite", "sqlite3":
		return scheme, true
	}
	return scheme, strings.HasPrefix(rest, "//")
}

func isSchemeName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

// prepareFile makes sure path is a keyward database, or a file that
// Open has just made, or found empty, and stamped as keyward's, without
// modifying anything else. With MustExist it creates nothing, and
// refuses an empty file rather than initialize it; it makes a missing
// folder only with CreateFolder.
func prepareFile(ctx context.Context, abs, shown string, opts Options, busy time.Duration) error {
	mustExist := opts.MustExist
	if mustExist {
		if _, err := os.Stat(abs); errors.Is(err, fs.ErrNotExist) {
			return keys.Errorf(keys.Invalid, "no keyward database at %s: check --db, or create a key first", shown)
		}
	} else {
		created, err := createFile(abs, shown, opts.CreateFolder)
		if err != nil {
			return err
		}
		if created {
			return stampEmpty(ctx, abs, shown, busy)
		}
	}
	empty, err := checkExisting(ctx, abs, shown)
	if err != nil {
		return err
	}
	if err := writableBeside(abs, shown); err != nil {
		return err
	}
	switch {
	case !empty:
		return nil
	case mustExist:
		return keys.Errorf(keys.Invalid, "%s is an empty file, not yet a keyward database: check --db, or create a key first", shown)
	}
	return stampEmpty(ctx, abs, shown, busy)
}

// createFile makes a new, empty 0600 file at abs (and, with mkdir, its
// folder, 0700), unless a file is there already.
func createFile(abs, shown string, mkdir bool) (created bool, err error) {
	dir := filepath.Dir(abs)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if !mkdir {
			// A folder that is not there is a typo far more often than a
			// wish: a new database goes in a folder that exists.
			return false, keys.Errorf(keys.Invalid, "cannot create %s: the folder %s does not exist (check --db, or create the folder first)", shown, dir)
		}
		if err := mkdirPrivate(dir); err != nil {
			return false, keys.Errorf(keys.Invalid, "cannot create the folder for %s: %v", shown, fserr.Cause(err))
		}
	}
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		// Ours: 0600 whatever the umask.
		cerr := f.Chmod(0o600)
		if err := errors.Join(cerr, f.Close()); err != nil {
			return false, fmt.Errorf("create %s: %w", shown, err)
		}
		return true, nil
	}
	switch {
	case errors.Is(err, fs.ErrExist):
		return false, nil
	case errors.Is(err, fs.ErrPermission):
		return false, keys.Errorf(keys.Invalid, "cannot open %s: permission denied", shown)
	}
	return false, keys.Errorf(keys.Invalid, "cannot open %s: %v", shown, fserr.Cause(err))
}

// stampEmpty makes an empty file keyward's before anything else is
// written to it: one transaction, in SQLite's rollback-journal mode,
// writes its first page with keyward's application id (WAL comes after,
// from the writer). So no process ever finds a SQLite file of keyward's
// without the stamp, and a file without it, WAL or not, is refused as
// another program's. Another keyward stamping the same file at once
// waits for the lock and finds it done.
func stampEmpty(ctx context.Context, abs, shown string, busy time.Duration) error {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busy.Milliseconds()))
	q.Set("_txlock", "immediate")
	db, err := sql.Open(driverName, "file:"+(&url.URL{Path: abs}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return fmt.Errorf("open %s: %w", shown, err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return stampErr(shown, err)
	}
	defer tx.Rollback()
	var appID, version, objects int64
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT application_id FROM pragma_application_id),
		(SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_schema)`).Scan(&appID, &version, &objects); err != nil {
		return stampErr(shown, err)
	}
	switch {
	case appID == applicationID:
		return nil // another keyward was first
	case appID != 0 || version != 0 || objects != 0:
		return notKeyward(shown) // written by another program meanwhile
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", applicationID)); err != nil {
		return stampErr(shown, err)
	}
	return stampErr(shown, tx.Commit())
}

// stampErr is a locked database as such (Open tries again), anything
// else a file that did not turn out to be an empty database.
func stampErr(shown string, err error) error {
	if err == nil || keys.ErrorCode(sqliteErr(err)) == keys.Unavailable {
		return sqliteErr(err)
	}
	return notKeyward(shown)
}

// mkdirPrivate creates dir and any missing parents, 0700 whatever the umask.
func mkdirPrivate(dir string) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || filepath.Dir(d) == d {
			break
		}
		missing = append(missing, d)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, d := range missing {
		if err := os.Chmod(d, 0o700); err != nil {
			return err
		}
	}
	return nil
}

func notKeyward(shown string) error {
	return keys.Errorf(keys.Invalid, "%s is not a keyward database", shown)
}

// checkExisting accepts an empty file (to be stamped) or a keyward
// database, reading only: the header first, then, when the header alone
// cannot tell (a database an earlier keyward made, whose first
// transaction is still in its WAL), a read-only SQLite connection.
func checkExisting(ctx context.Context, abs, shown string) (empty bool, err error) {
	held, done := rawAccess(abs) // see openfiles.go
	defer done()
	if held {
		return false, nil
	}
	// Look before opening: opening a FIFO would wait for a writer forever.
	if fi, err := os.Stat(abs); err == nil && !fi.Mode().IsRegular() {
		return false, notKeyward(shown)
	}
	f, err := os.Open(abs)
	if err != nil {
		return false, keys.Errorf(keys.Invalid, "cannot open %s: %v", shown, fserr.Cause(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("stat %s: %w", shown, err)
	}
	if !fi.Mode().IsRegular() {
		return false, notKeyward(shown)
	}
	if fi.Size() == 0 {
		return true, nil
	}
	header := make([]byte, 72)
	if _, err := io.ReadFull(f, header); err != nil {
		return false, notKeyward(shown)
	}
	if !bytes.Equal(header[:16], []byte(sqliteMagic)) {
		return false, notKeyward(shown)
	}
	if binary.BigEndian.Uint32(header[68:72]) == applicationID {
		return false, nil
	}
	// Without a log, the header is the truth. With one, ask SQLite,
	// read-only: an empty WAL database with no stamp anywhere is another
	// program's (keyward stamps a file before it makes it WAL).
	if fi, err := os.Stat(abs + "-wal"); err != nil || fi.Size() == 0 {
		return false, notKeyward(shown)
	}
	ro, err := sql.Open(driverName, "file:"+(&url.URL{Path: abs}).EscapedPath()+"?mode=ro&_busy_timeout=1000")
	if err != nil {
		return false, notKeyward(shown)
	}
	defer ro.Close()
	var appID int64
	if err := ro.QueryRowContext(ctx, "SELECT application_id FROM pragma_application_id").Scan(&appID); err != nil {
		if keys.ErrorCode(sqliteErr(err)) == keys.Unavailable {
			return false, sqliteErr(err)
		}
		return false, notKeyward(shown)
	}
	if appID != applicationID {
		return false, notKeyward(shown)
	}
	return false, nil
}
