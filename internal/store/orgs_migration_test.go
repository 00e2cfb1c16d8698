package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// v4Rows are what a database of schema version 4 holds before migration
// 0005: keys of two organizations and a root key, and audit rows.
var v4Rows = []string{
	`INSERT INTO keys (id, name, org, type, prefix, start, created_at, created_by, secret_hash)
		VALUES ('key_0000000000000001', 'a', '/acme', 'secret', 'sk', 'sk_abcd', 200, 'old', 'h1')`,
	`INSERT INTO keys (id, name, org, type, prefix, start, created_at, created_by, secret_hash)
		VALUES ('key_0000000000000002', 'b', '/acme', 'secret', 'sk', 'sk_abce', 100, 'old', 'h2')`,
	`INSERT INTO keys (id, name, org, type, prefix, start, created_at, created_by, secret_hash)
		VALUES ('key_0000000000000003', 'c', '/beta', 'secret', 'sk', 'sk_abcf', 300, 'old', 'h3')`,
	`INSERT INTO keys (id, name, org, type, prefix, start, created_at, created_by, secret_hash)
		VALUES ('key_0000000000000004', 'root', '/', 'secret', 'sk', 'sk_abcg', 400, 'old', 'h4')`,
	`INSERT INTO grants (key_id, resource, role) VALUES ('key_0000000000000001', '/acme', 1),
		('key_0000000000000002', '/acme/prod', 1), ('key_0000000000000003', '/beta', 3), ('key_0000000000000004', '/', 3)`,
	`INSERT INTO audit (at, org, actor, action, key_id, key_name, grants) VALUES
		(100, '/acme', 'old', 'create', 'key_0000000000000002', 'b', '[{"resource":"/acme/prod","role":"viewer"}]'),
		(200, '/acme', 'old', 'create', 'key_0000000000000001', 'a', '[{"resource":"/acme","role":"viewer"}]')`,
}

// checkBackfilled: migration 0005 registered every organization keys lay
// in (not root), from its oldest key, without a default key; the audit
// rows are kept, and new rows, about no key, follow them.
func checkBackfilled(t *testing.T, s *Store) {
	t.Helper()
	ctx := keys.WithPrincipal(context.Background(), keys.LocalPrincipal("test"))
	page, err := s.ListOrgs(ctx, keys.OrgFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range page.Items {
		got = append(got, fmt.Sprintf("%s %d %d %v", o.Name, o.CreatedAt.Unix(), o.KeyCount, o.DefaultKeyID))
	}
	if fmt.Sprint(got) != "[/acme 100 2 <nil> /beta 300 1 <nil>]" {
		t.Fatalf("orgs after migration: %q", got)
	}
	if _, err := s.CreateOrg(ctx, keys.OrgCreateRequest{Name: "globex"}); err != nil {
		t.Fatal(err)
	}
	audit, err := s.Audit(ctx, keys.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, e := range audit.Items {
		name := ""
		if e.KeyName != nil {
			name = *e.KeyName
		}
		rows = append(rows, fmt.Sprintf("%d %s %s", e.ID, e.Action, name))
	}
	if fmt.Sprint(rows) != "[4 create default 3 org_create  2 create a 1 create b]" {
		t.Fatalf("audit after migration: %q", rows)
	}
}

func TestMigration5BackfillsOrgsSQLite(t *testing.T) {
	path := olderSQLiteFile(t, 4, v4Rows...)
	s, err := Open(context.Background(), path, Options{Now: func() time.Time { return time.Unix(1000, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkBackfilled(t, s)
}

func TestMigration5BackfillsOrgsPostgres(t *testing.T) {
	u := olderPostgresDatabase(t, 4, v4Rows...)
	checkBackfilled(t, openPGAt(t, u, Options{Now: func() time.Time { return time.Unix(1000, 0) }}))
}
