package client_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/keyward/keyward/internal/client"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/server"
	"github.com/keyward/keyward/internal/store"

	"net/http/httptest"
)

// keys list --resource over HTTP pages as the store does where the store
// merges grants' index (enough matches not to drive, few enough distinct
// resources to merge: store/list_merge.go), and as plain SQL orders the
// keys: 12,000 keys in 20 resources under /big, after 3,000 keys first by
// name with nothing under it.
func TestMergedListingOverHTTP(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keys.db")
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	local := keys.WithPrincipal(ctx, keys.LocalPrincipal("test"))
	root, err := st.Create(local, keys.CreateRequest{Name: "suite-root", Grants: []keys.Grant{{Resource: keys.Root, Role: keys.Admin}}})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 15000)
			INSERT INTO keys (id, name, org, type, prefix, start, created_at, meta, created_by, secret_hash)
			SELECT printf('key_%016d', i), CASE WHEN i <= 3000 THEN printf('a%05d', i) ELSE printf('m%05d', (i * 7919) % 15000) END,
				CASE WHEN i <= 3000 THEN '/other' ELSE '/big' END, 'secret', 'sk', 'sk_x', 0, '{}', 'test', printf('%064x', i) FROM c`,
		`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 15000)
			INSERT INTO grants (key_id, resource, role)
			SELECT printf('key_%016d', i), CASE WHEN i <= 3000 THEN '/other' ELSE printf('/big/s%d', i % 20) END, 1 FROM c`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	rows, err := db.Query(`SELECT name, id FROM keys k WHERE EXISTS (SELECT 1 FROM grants g WHERE g.key_id = k.id AND g.resource LIKE '/big/%') ORDER BY name, id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name, id string
		if err := rows.Scan(&name, &id); err != nil {
			t.Fatal(err)
		}
		want = append(want, name+"/"+id)
	}
	rows.Close()
	srv := httptest.NewServer(server.New(st, server.Options{}))
	t.Cleanup(srv.Close)
	remote, err := client.New(client.Options{BaseURL: srv.URL, Token: root.Secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { remote.Close() })
	r := keys.Resource("/big")
	for _, limit := range []int{1000, 777} {
		direct, cursorsDirect := listAll(t, keys.WithPrincipal(ctx, keys.LocalPrincipal("test")), st, r, limit)
		overHTTP, cursorsHTTP := listAll(t, ctx, remote, r, limit)
		if !slices.Equal(direct, want) || !slices.Equal(overHTTP, want) || !slices.Equal(cursorsDirect, cursorsHTTP) {
			t.Fatalf("limit %d: %d keys direct, %d over HTTP, %d by SQL; cursors %v and %v",
				limit, len(direct), len(overHTTP), len(want), cursorsDirect, cursorsHTTP)
		}
	}
	// A few pages of 1 from a cursor the store gave.
	page, err := remote.List(ctx, keys.ListFilter{Resource: &r, Limit: 1, Cursor: fmt.Sprint(*nextCursor(t, st, r))})
	if err != nil || len(page.Items) != 1 || page.Items[0].Name+"/"+page.Items[0].ID != want[1] {
		t.Fatalf("page of 1 after the first: %+v, %v; want %s", page, err, want[1])
	}
}

func nextCursor(t *testing.T, st *store.Store, r keys.Resource) *string {
	t.Helper()
	page, err := st.List(keys.WithPrincipal(context.Background(), keys.LocalPrincipal("test")), keys.ListFilter{Resource: &r, Limit: 1})
	if err != nil || page.NextCursor == nil {
		t.Fatalf("first page of 1: %v", err)
	}
	return page.NextCursor
}

func listAll(t *testing.T, ctx context.Context, s keys.Service, r keys.Resource, limit int) (ids, cursors []string) {
	t.Helper()
	f := keys.ListFilter{Resource: &r, Limit: limit}
	for {
		page, err := s.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range page.Items {
			ids = append(ids, k.Name+"/"+k.ID)
		}
		if page.NextCursor == nil {
			return ids, cursors
		}
		cursors = append(cursors, *page.NextCursor)
		f.Cursor = *page.NextCursor
	}
}
