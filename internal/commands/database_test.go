package commands

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/iostreams"
)

// Reading commands never create a database file or folder (DESIGN.md),
// nor do changes to keys that must exist: a missing database, or an
// empty file, is exit 2 naming the path, and is left as it was. The
// first create makes it.
func TestReadsNeverCreateADatabase(t *testing.T) {
	c := newCLITest(t)
	reads := []struct{ stdin, line string }{
		{"", "keys list"},
		{"", "keys get k"},
		{"sk_bad", "keys verify"},
		{"", "audit list"},
		{"", "whoami"},
		// Changes to a key that must exist: they never create a database
		// either (an empty one would only answer "not found").
		{"", "keys update k --disable"},
		{"", "keys roll k --yes"},
		{"", "keys delete k --yes"},
		{"", "keys grant k /acme/dev"},
		{"", "keys ungrant k /acme"},
	}
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, db := range []string{filepath.Join(dir, "missing", "keys.db"), filepath.Join(dir, "keys.db"), empty} {
		c.db = db
		for _, tc := range reads {
			r := c.runIn(tc.stdin, tc.line)
			if r.code != ExitUsage || !strings.Contains(r.err, db) || strings.Count(r.err, "\n") != 1 {
				t.Errorf("%s on %s: exit %d, stderr %q", tc.line, filepath.Base(db), r.code, r.err)
			}
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("reads left %v", entries)
	}
	if b, _ := os.ReadFile(empty); len(b) != 0 {
		t.Fatal("a read initialized an empty file")
	}

	// The default database too: not even its folder.
	ios, _, _, errOut := iostreams.Test()
	code := Run(context.Background(), ios, []string{"keys", "list"})
	def := filepath.Join(os.Getenv("XDG_DATA_HOME"), "keyward", "keyward.db")
	if code != ExitUsage || !strings.Contains(errOut.String(), def) {
		t.Errorf("keys list on the default database: exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(os.Getenv("XDG_DATA_HOME")); !os.IsNotExist(err) {
		t.Errorf("a read made the default database's folder: %v", err)
	}

	// A change in a folder that is not there makes nothing (a typo more
	// often than a wish); in one that is, it creates the file (0600);
	// reads then work.
	c.db = filepath.Join(dir, "new", "keys.db")
	if r := c.run("keys create k --resource /acme"); r.code != ExitUsage || !strings.Contains(r.err, "does not exist") {
		t.Errorf("create in a missing folder: exit %d, stderr %q", r.code, r.err)
	}
	if _, err := os.Stat(filepath.Dir(c.db)); !os.IsNotExist(err) {
		t.Errorf("a create made a --db folder: %v", err)
	}
	if err := os.Mkdir(filepath.Dir(c.db), 0o700); err != nil {
		t.Fatal(err)
	}
	c.create("k --resource /acme")
	for path, want := range map[string]os.FileMode{c.db: 0o600, filepath.Dir(c.db): 0o700} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v, want mode %v", path, err, want)
		}
	}
	for _, tc := range reads[:2] {
		if r := c.runIn(tc.stdin, tc.line); r.code != 0 {
			t.Errorf("%s on a database: exit %d, stderr %q", tc.line, r.code, r.err)
		}
	}
}

// Another program's SQLite database, WAL and without a table yet, is not
// keyward's to take: every command refuses it (exit 2, naming it), and
// not a byte of it changes.
func TestAnotherProgramsEmptyWALDatabaseIsUsageError(t *testing.T) {
	c := newCLITest(t)
	c.db = filepath.Join(t.TempDir(), "app.db")
	other, err := sql.Open("sqlite3", c.db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec("PRAGMA journal_mode = WAL"); err != nil {
		t.Fatal(err)
	}
	other.Close()
	before, err := os.ReadFile(c.db)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"keys create k --resource /acme", "keys list"} {
		if r := c.run(line); r.code != ExitUsage || !strings.Contains(r.err, c.db+" is not a keyward database") {
			t.Errorf("%s: exit %d, stderr %q", line, r.code, r.err)
		}
	}
	if after, err := os.ReadFile(c.db); err != nil || !bytes.Equal(before, after) {
		t.Fatalf("the file changed (%v)", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(c.db)); len(entries) != 1 {
		t.Fatalf("files beside it: %v", entries)
	}
}
