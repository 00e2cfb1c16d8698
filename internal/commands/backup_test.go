package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBackupCommand(t *testing.T) {
	c := newCLITest(t)
	k := c.create("k --resource /acme")
	dest := filepath.Join(t.TempDir(), "backup.db")
	if r := c.run("backup " + dest); r.code != 0 || r.out != "" || r.err != "" {
		t.Fatalf("backup: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
	fi, err := os.Stat(dest)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", fi, err)
	}
	// The copy is a keyward database on its own: --db BACKUP restores.
	live := c.db
	c.db = dest
	if out := c.ok("keys get " + k.ID); !strings.Contains(out, "k") {
		t.Errorf("key not in the backup: %q", out)
	}
	c.db = live

	for _, tc := range []struct {
		line string
		code int
		says string
	}{
		{"backup " + dest, ExitConflict, "--force"},
		{"backup " + dest + " -o json", ExitConflict, `"code":"conflict"`},
		{"backup", ExitUsage, "missing PATH"},
		{"--db postgres://kw@127.0.0.1:1/kw backup " + dest + ".pg", ExitUsage, "pg_dump"},
		{"--server https://127.0.0.1:1 backup " + dest + ".srv", ExitUsage, "--db"},
		{"--db " + dest + ".missing backup " + dest + ".x", ExitUsage, dest + ".missing"},
	} {
		r := c.run(tc.line)
		if r.code != tc.code || !strings.Contains(r.err, tc.says) || strings.Count(r.err, "\n") != 1 {
			t.Errorf("keyward %s: exit %d, stderr %q; want exit %d saying %q", tc.line, r.code, r.err, tc.code, tc.says)
		}
	}
	for _, p := range []string{dest + ".pg", dest + ".srv", dest + ".x", dest + ".missing"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s was made: %v", p, err)
		}
	}
	c.create("second --resource /acme")
	if r := c.run("backup --force " + dest); r.code != 0 {
		t.Fatalf("backup --force: exit %d, stderr %q", r.code, r.err)
	}
	c.db = dest
	c.ok("keys get second")
}
