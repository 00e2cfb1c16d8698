package store

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// Rows written before a rule still read: a resource longer than today's
// 255-byte cap, stored by an older keyward in a key's grants and in its
// audit rows (which are never rewritten), must not make get, list or audit
// fail for the whole database.
func legacyLongResourcesStillRead(t *testing.T, s *Store) {
	t.Helper()
	k := mustCreate(t, s, "old", "/acme")
	long := "/acme/" + strings.Repeat("x", 400)
	w := s.on(s.pools.writer)
	if _, err := w.exec(ctx, "UPDATE grants SET resource = $1 WHERE key_id = $2", long, k.ID); err != nil {
		t.Fatal(err)
	}
	gs, _ := json.Marshal([]map[string]string{{"resource": long, "role": "viewer"}})
	if _, err := w.exec(ctx, "UPDATE audit SET grants = $1 WHERE key_id = $2", string(gs), k.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(local(ctx), k.ID); err != nil || len(got.Grants) != 1 || string(got.Grants[0].Resource) != long {
		t.Fatalf("get of a key with a long legacy resource: %v, %v", got, err)
	}
	if _, err := s.List(local(ctx), keys.ListFilter{}); err != nil {
		t.Fatalf("list: %v", err)
	}
	page, err := s.Audit(local(ctx), keys.AuditFilter{})
	if err != nil || len(page.Items) == 0 {
		t.Fatalf("audit with a long legacy resource in a row: %v, %v", page, err)
	}
	if _, err := s.Audit(local(ctx), keys.AuditFilter{Key: k.ID}); err != nil {
		t.Fatalf("audit --key: %v", err)
	}
}

func TestLegacyLongResourcesStillRead(t *testing.T) {
	legacyLongResourcesStillRead(t, openTemp(t, Options{}))
}

func TestPostgresLegacyLongResourcesStillRead(t *testing.T) {
	legacyLongResourcesStillRead(t, openPG(t, Options{}))
}
