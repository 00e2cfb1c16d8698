package store

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// The sqlite3 CLI runs with foreign keys off unless told: grants can be
// written before their key, outlive a deleted key and be taken up by a
// new one of the same id, or follow no key whose id changed. Whichever
// key a grant ends up with, it carries that key's name, and a merged
// --resource listing pages as the walk, whatever bytes the names hold.
func TestGrantKeyNameFollowsKeysWrittenAfterIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyward.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	g := func(r string) keys.Grant { return keys.Grant{Resource: keys.Resource(r), Role: keys.Viewer} }
	var made []*keys.Key
	for i := range 12 {
		k, err := s.Create(local(ctx), keys.CreateRequest{Name: fmt.Sprintf("k%02d", i), Grants: []keys.Grant{g(fmt.Sprintf("/r/s%d", i%3))}})
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, &k.Key)
	}
	cli, err := sql.Open(driverName, "file:"+path) // foreign keys off, as the sqlite3 CLI
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	cli.SetMaxOpenConns(1)
	key := func(id, name, hash string) string {
		return fmt.Sprintf(`INSERT INTO keys (id, name, org, type, prefix, start, created_at, meta, created_by, secret_hash)
			VALUES ('%s', '%s', '/', 'secret', 'sk', 'sk_x', 0, '{}', 'test', '%s')`, id, name, hash)
	}
	for _, q := range []string{
		"PRAGMA foreign_keys = OFF",
		"PRAGMA recursive_triggers = ON", // REPLACE's delete fires triggers too
		// A grant before its key.
		"INSERT INTO grants (key_id, resource, role) VALUES ('key_early00000000000', '/r/s1', 1)",
		key("key_early00000000000", "k05a", "h-early"),
		// A key deleted and made again, under another name, its grants left.
		fmt.Sprintf("DELETE FROM keys WHERE id = '%s'", made[1].ID),
		key(made[1].ID, "k10a", "h-again"),
		// A key replaced by one of the same id.
		key(made[2].ID, "k08a", "h-replaced") + " ON CONFLICT (id) DO NOTHING",
		fmt.Sprintf("INSERT OR REPLACE INTO keys SELECT * FROM keys WHERE id = '%s'", made[3].ID),
		fmt.Sprintf("UPDATE keys SET name = 'k09a', secret_hash = 'h-r' WHERE id = '%s'", made[3].ID),
		// A key whose id changes onto grants another key left.
		fmt.Sprintf("DELETE FROM keys WHERE id = '%s'", made[4].ID),
		fmt.Sprintf("UPDATE keys SET id = '%s' WHERE id = '%s'", made[4].ID, made[6].ID),
		// Names keyward would refuse, in an order other collations differ on.
		fmt.Sprintf("UPDATE keys SET name = 'Zebra' WHERE id = '%s'", made[7].ID),
		fmt.Sprintf("UPDATE keys SET name = 'élan' WHERE id = '%s'", made[8].ID),
		fmt.Sprintf("UPDATE keys SET name = 'k03 %%_' WHERE id = '%s'", made[9].ID),
	} {
		if _, err := cli.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	rows, err := cli.Query(`SELECT g.key_id, g.resource, g.key_name, k.name FROM grants g JOIN keys k ON k.id = g.key_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, res, got, want string
		if err := rows.Scan(&id, &res, &got, &want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("grant %s of %s has key_name %q, want %q", res, id, got, want)
		}
	}
	rows.Close()
	defer func(d, m int) { driveLimit, mergeLimit = d, m }(driveLimit, mergeLimit)
	driveLimit = 0
	r := keys.Resource("/r")
	for _, limit := range []int{1, 2, 5} {
		mergeLimit = 0
		walk := pages(t, s, local(ctx), keys.ListFilter{Resource: &r}, limit)
		mergeLimit = 64
		if merged := pages(t, s, local(ctx), keys.ListFilter{Resource: &r}, limit); !slices.Equal(merged, walk) {
			t.Errorf("limit %d: the merge pages\n %v\nthe walk\n %v", limit, merged, walk)
		}
	}
}

// Migration 0011 names the grants a version 10 file holds without a
// name: written before their key with foreign keys off, as 0010 let be.
func TestMigrationNamesGrantsWrittenBeforeTheirKey(t *testing.T) {
	rows := []string{"PRAGMA foreign_keys = OFF",
		"INSERT INTO grants (key_id, resource, role) VALUES ('key_aaaaaaaaaaaaaaaa', '/acme/a', 1), ('key_aaaaaaaaaaaaaaaa', '/acme/b', 2), ('key_bbbbbbbbbbbbbbbb', '/acme/a', 3)",
		v9Rows[0]}
	s, err := Open(ctx, olderSQLiteFile(t, 10, rows...), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkGrantNames(t, s)
}

// A cursor is opaque but visible in a URL: one a client made up, or one
// taken before renames and used after (a position between names, of an
// id no key has), starts a merged page where the walk's starts.
func TestMergedListingAfterForgedCursors(t *testing.T) {
	s := openTemp(t, Options{})
	g := func(r string) keys.Grant { return keys.Grant{Resource: keys.Resource(r), Role: keys.Viewer} }
	for i := range 40 {
		rs := []keys.Grant{g(fmt.Sprintf("/half/s%d", i%5))}
		switch i % 6 {
		case 1, 3, 5: // beside /half, not under it
			rs = []keys.Grant{g([]string{"/half2", "/half0/x", "/half.x"}[i%6/2])}
		case 2:
			rs = append(rs, g("/half"), g("/half/s_x"))
		}
		if _, err := s.Create(local(ctx), keys.CreateRequest{Name: fmt.Sprintf("k%02d", i), Grants: rs}); err != nil {
			t.Fatal(err)
		}
	}
	defer func(d, m int) { driveLimit, mergeLimit = d, m }(driveLimit, mergeLimit)
	driveLimit = 0
	r := keys.Resource("/half")
	var found []string
	if err := s.read(local(ctx), func(tx *txn) (err error) { found, err = mergeResources(tx, r); return err }); err != nil ||
		fmt.Sprint(found) != "[/half /half/s0 /half/s1 /half/s2 /half/s3 /half/s4 /half/s_x]" {
		t.Fatalf("the merge reads %v (%v), not /half and what lies under it", found, err)
	}
	var cursors []string
	for _, c := range [][2]string{
		{"", "key_0000000000000000"}, {"k", "key_zzzzzzzzzzzzzzzz"}, {"k07", "key_0000000000000000"},
		{"k07", "key_zzzzzzzzzzzzzzzz"}, {"k07a", "key_0000000000000000"}, {"k39", "key_zzzzzzzzzzzzzzzz"},
		{"zz", "key_0000000000000000"}, {"élan", "key_0000000000000000"}, {"K10", "key_0000000000000000"},
	} {
		cursors = append(cursors, *nameIDCursor(c[0], c[1]))
	}
	for _, cursor := range cursors {
		for _, limit := range []int{1, 3, 1000} {
			f := keys.ListFilter{Resource: &r, Cursor: cursor}
			mergeLimit = 0
			walk := pages(t, s, local(ctx), f, limit)
			mergeLimit = 64
			if merged := pages(t, s, local(ctx), f, limit); !slices.Equal(merged, walk) {
				t.Errorf("cursor %s, limit %d: the merge pages\n %v\nthe walk\n %v", cursor, limit, merged, walk)
			}
		}
	}
}
