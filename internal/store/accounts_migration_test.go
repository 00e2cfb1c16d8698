package store

import (
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// A database written before service accounts (schema 4) keeps its keys
// and audit rows through 0006, which rebuilds the audit table on SQLite:
// the same rows and ids, ids going on from them, and a key as before.
func TestAccountsMigrationKeepsAnOlderDatabase(t *testing.T) {
	path := olderSQLiteFile(t, 4,
		`INSERT INTO keys (id, name, org, type, prefix, start, created_at, enabled, meta, created_by, secret_hash)
			VALUES ('key_0123456789abcdef', 'old', '/acme', 'secret', 'sk', 'sk_abcd', 1700000000, 1, '{}', 'local:x', 'h')`,
		`INSERT INTO grants (key_id, resource, role) VALUES ('key_0123456789abcdef', '/acme/prod', 2)`,
		`INSERT INTO audit (id, at, org, actor, action, key_id, key_name, grants, details)
			VALUES (41, 1700000000, '/acme', 'local:x', 'create', 'key_0123456789abcdef', 'old', '[{"resource":"/acme/prod","role":"editor"}]', '{}')`)

	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	k, err := s.Get(local(ctx), "old")
	if err != nil || k.Account != nil || len(k.Grants) != 1 {
		t.Fatalf("the old key: %+v, %v", k, err)
	}
	if _, err := s.CreateAccount(local(ctx), keys.CreateAccountRequest{Name: "ci", Grants: []keys.Grant{{Resource: "/acme", Role: keys.Viewer}}}); err != nil {
		t.Fatal(err)
	}
	page, err := s.Audit(local(ctx), keys.AuditFilter{})
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("audit: %+v, %v", page, err)
	}
	acct, old := page.Items[0], page.Items[1]
	if old.ID != 41 || old.Action != "create" || old.KeyID == nil || *old.KeyID != "key_0123456789abcdef" || old.KeyName == nil || *old.KeyName != "old" {
		t.Errorf("the old row: %+v", old)
	}
	if acct.ID != 42 || acct.Action != keys.ActionAccountCreate || acct.KeyID != nil || acct.KeyName != nil {
		t.Errorf("the new row: %+v", acct)
	}
	if rows, err := s.Audit(local(ctx), keys.AuditFilter{Key: "old"}); err != nil || len(rows.Items) != 1 {
		t.Errorf("audit --key old: %+v, %v", rows, err)
	}
}
