package store

import (
	"fmt"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// Migration 0009 rebuilds SQLite's audit table to widen its action CHECK:
// the rows of a file made before it (ids, every column) must come through
// unchanged, and later rows must follow them and may say "compromise".
func TestMigrationKeepsAuditRows(t *testing.T) {
	path := olderSQLiteFile(t, 4,
		`INSERT INTO keys (id, name, org, type, prefix, start, created_at, created_by, secret_hash)
		VALUES ('key_0000000000000001', 'k', '/acme', 'secret', 'sk', 'sk_abcd', 0, 'old', 'h')`,
		`INSERT INTO grants (key_id, resource, role) VALUES ('key_0000000000000001', '/acme', 1)`,
		`INSERT INTO audit (id, at, org, actor, actor_name, action, key_id, key_name, grants, details)
		VALUES (7, 100, '/acme', 'local:old', NULL, 'create', 'key_0000000000000001', 'k', '[{"resource":"/acme","role":"viewer"}]', '{"a":1}')`,
		`INSERT INTO audit (id, at, org, actor, actor_name, action, key_id, key_name, grants, details)
		VALUES (9, 101, '/acme', 'key_0000000000000002', 'op', 'update', 'key_0000000000000001', 'k', '[]', '{}')`)

	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var rows []string
	r, err := s.pools.reader.Query(`SELECT id, at, org, actor, coalesce(actor_name, '<null>'), action, key_id, key_name, grants, details FROM audit ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var id, at int64
		var org, actor, actorName, action, keyID, keyName, grants, details string
		if err := r.Scan(&id, &at, &org, &actor, &actorName, &action, &keyID, &keyName, &grants, &details); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, fmt.Sprintln(id, at, org, actor, actorName, action, keyID, keyName, grants, details))
	}
	r.Close()
	want := []string{
		`7 100 /acme local:old <null> create key_0000000000000001 k [{"resource":"/acme","role":"viewer"}] {"a":1}` + "\n",
		`9 101 /acme key_0000000000000002 op update key_0000000000000001 k [] {}` + "\n",
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Fatalf("audit after the migration:\n%v\nwant\n%v", rows, want)
	}

	// A compromise after the migration: accepted, and numbered after.
	sec, err := keys.NewSecret("sk")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.pools.writer.Exec(`UPDATE keys SET secret_hash = ? WHERE id = 'key_0000000000000001'`, keys.HashSecret(sec)); err != nil {
		t.Fatal(err)
	}
	out, err := s.ReportLeaks(local(ctx), []keys.Leak{{Secret: sec, Source: "a:1"}})
	if err != nil || *out[0].Action != keys.LeakDisabled {
		t.Fatalf("report after the migration: %v", err)
	}
	page, err := s.Audit(local(ctx), keys.AuditFilter{})
	if err != nil || len(page.Items) != 3 || page.Items[0].Action != keys.ActionCompromise || page.Items[0].ID <= 9 {
		t.Fatalf("audit: %v %+v", err, page)
	}
}

// A report disables a key whose entry the verification cache holds (the
// second verification served from it): the very next verification says
// DISABLED. And a look-up leaves the entry alone: it is no change.
func TestReportLeaksThroughAWarmCache(t *testing.T) {
	s := openTemp(t, Options{})
	p := newCacheProbe(t, s, "/acme/prod/robot-1")
	k, err := s.Create(local(ctx), keys.CreateRequest{Name: "k", Grants: []keys.Grant{{Resource: "/acme/prod", Role: keys.Editor}}})
	if err != nil {
		t.Fatal(err)
	}
	p.cached(t, k.Secret, keys.CodeValid)
	if _, err := s.CheckLeaks(local(ctx), []keys.Leak{{Secret: k.Secret, Source: "a:1"}}); err != nil {
		t.Fatal(err)
	}
	p.cached(t, k.Secret, keys.CodeValid) // still served from the cache
	if _, err := s.ReportLeaks(local(ctx), []keys.Leak{{Secret: k.Secret, Source: "a:1"}}); err != nil {
		t.Fatal(err)
	}
	if got := p.verify(t, k.Secret); got != keys.CodeDisabled {
		t.Fatalf("after the report: %s, want DISABLED", got)
	}
}
