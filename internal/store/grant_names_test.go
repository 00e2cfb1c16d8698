package store

import (
	"fmt"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// grants.key_name (migration 0010) is its key's name whoever wrote the
// grant or the name: keyward's create, grant, ungrant, rename and
// account paths, and plain SQL that leaves the column out, gives a wrong
// one, or moves a grant to another key.
func TestGrantKeyNameFollowsItsKey(t *testing.T) {
	grantNamesFollow(t, openTemp(t, Options{}))
}

func TestPostgresGrantKeyNameFollowsItsKey(t *testing.T) {
	pgAdminURL(t)
	grantNamesFollow(t, openPG(t, Options{}))
}

func grantNamesFollow(t *testing.T, s *Store) {
	w := s.on(s.pools.writer)
	check := func(when string) {
		t.Helper()
		rows, err := w.query(ctx, `SELECT g.key_id, g.resource, g.key_name, k.name
			FROM grants g JOIN keys k ON k.id = g.key_id ORDER BY g.key_id, g.resource`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var id, res, got, want string
			if err := rows.Scan(&id, &res, &got, &want); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s: grant %s of %s has key_name %q, want %q", when, res, id, got, want)
			}
			n++
		}
		if err := rows.Err(); err != nil || n == 0 {
			t.Fatalf("%s: %d grants, %v", when, n, err)
		}
	}
	g := func(r string) keys.Grant { return keys.Grant{Resource: keys.Resource(r), Role: keys.Viewer} }
	a, err := s.Create(local(ctx), keys.CreateRequest{Name: "alpha", Grants: []keys.Grant{g("/acme/prod"), g("/acme/dev")}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Create(local(ctx), keys.CreateRequest{Name: "beta", Grants: []keys.Grant{g("/acme")}})
	if err != nil {
		t.Fatal(err)
	}
	check("created")
	name := "gamma"
	if _, err := s.Update(local(ctx), a.ID, keys.UpdateRequest{Name: &name}); err != nil {
		t.Fatal(err)
	}
	check("renamed")
	if _, err := s.Grant(local(ctx), "gamma", g("/acme/qa")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Ungrant(local(ctx), "gamma", "/acme/dev"); err != nil {
		t.Fatal(err)
	}
	check("granted and ungranted")
	if _, err := s.CreateAccount(local(ctx), keys.CreateAccountRequest{Name: "svc", Grants: []keys.Grant{g("/acme/prod")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(local(ctx), keys.CreateRequest{Name: "of-svc", Account: "svc"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GrantAccount(local(ctx), "svc", g("/acme/ops")); err != nil {
		t.Fatal(err)
	}
	check("an account's grants")
	for _, q := range []string{
		fmt.Sprintf("INSERT INTO grants (key_id, resource, role) VALUES ('%s', '/acme/sql', 1)", b.ID),
		fmt.Sprintf("INSERT INTO grants (key_id, resource, role, key_name) VALUES ('%s', '/acme/wrong', 1, 'nobody')", b.ID),
		fmt.Sprintf("UPDATE grants SET key_name = 'stale' WHERE key_id = '%s'", a.ID),
		fmt.Sprintf("UPDATE grants SET key_id = '%s' WHERE key_id = '%s' AND resource = '/acme/qa'", b.ID, a.ID),
		fmt.Sprintf("UPDATE keys SET name = 'delta' WHERE id = '%s'", b.ID),
	} {
		if _, err := w.exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		check(q)
	}
}

// A version 9 database's keys and grants, for migration 0010.
var v9Rows = []string{
	`INSERT INTO keys (id, name, org, type, prefix, start, created_at, meta, created_by, secret_hash)
		VALUES ('key_aaaaaaaaaaaaaaaa', 'old-one', '/acme', 'secret', 'sk', 'sk_x', 0, '{}', 'test', 'h1'),
		('key_bbbbbbbbbbbbbbbb', 'old-two', '/acme', 'secret', 'sk', 'sk_y', 0, '{}', 'test', 'h2')`,
	`INSERT INTO grants (key_id, resource, role) VALUES ('key_aaaaaaaaaaaaaaaa', '/acme/a', 1),
		('key_aaaaaaaaaaaaaaaa', '/acme/b', 2), ('key_bbbbbbbbbbbbbbbb', '/acme/a', 3)`,
}

// Migration 0010 names the grants a version 9 file already holds.
func TestMigrationNamesExistingGrants(t *testing.T) {
	s, err := Open(ctx, olderSQLiteFile(t, 9, v9Rows...), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkGrantNames(t, s)
}

func TestMigrationNamesExistingGrantsPostgres(t *testing.T) {
	checkGrantNames(t, openPGAt(t, olderPostgresDatabase(t, 9, v9Rows...), Options{}))
}

func checkGrantNames(t *testing.T, s *Store) {
	t.Helper()
	rows, err := s.on(s.pools.reader).query(ctx, "SELECT key_id, key_name FROM grants ORDER BY resource, key_name, key_id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		got = append(got, id[4:5]+"="+name)
	}
	if fmt.Sprint(got) != "[a=old-one b=old-two a=old-one]" {
		t.Fatalf("grants after migration 0010: %v", got)
	}
}
