package store

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// A name another program stored as a BLOB sorts after every text in
// SQLite whatever its bytes, and a cursor is text: after a page ending on
// one, the next page started again from the texts it sorts after by its
// bytes ("a0"), or from itself ("zz"), and a listing paged to the end
// (--limit 0) went round forever. It now stops with an error naming the
// key, for keys and service accounts.
func TestListingStopsAtANameStoredAsBytes(t *testing.T) {
	for _, blob := range []string{"a0", "zz"} {
		t.Run(blob, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "keyward.db")
			s, err := Open(ctx, path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			g := []keys.Grant{{Resource: "/acme/x", Role: keys.Viewer}}
			for i := range 4 {
				if _, err := s.Create(local(ctx), keys.CreateRequest{Name: fmt.Sprintf("k%d", i), Grants: g}); err != nil {
					t.Fatal(err)
				}
				if _, err := s.CreateAccount(local(ctx), keys.CreateAccountRequest{Name: fmt.Sprintf("a%d", i), Grants: g}); err != nil {
					t.Fatal(err)
				}
			}
			cli, err := sql.Open(driverName, "file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			defer cli.Close()
			for _, q := range []string{
				"UPDATE keys SET name = CAST('" + blob + "' AS BLOB) WHERE name = 'k1'",
				"UPDATE keys SET name = CAST('" + blob + "x' AS BLOB) WHERE name = 'k2'",
				"UPDATE accounts SET name = CAST('" + blob + "' AS BLOB) WHERE name = 'a1'",
				"UPDATE accounts SET name = CAST('" + blob + "x' AS BLOB) WHERE name = 'a2'",
			} {
				if _, err := cli.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			check := func(what string, next func(cursor string) ([]string, *string, error)) {
				t.Helper()
				var names []string
				cursor := ""
				for range 20 {
					page, c, err := next(cursor)
					if err != nil {
						if keys.ErrorCode(err) != keys.Invalid || !strings.Contains(keys.ErrorMessage(err), "not text") {
							t.Fatalf("%s: %v", what, err)
						}
						return
					}
					names = append(names, page...)
					if c == nil {
						t.Fatalf("%s: listed %q without meeting the names stored as bytes", what, names)
					}
					cursor = *c
				}
				t.Fatalf("%s: still paging after 20 pages of one: %q", what, names)
			}
			check("keys", func(cursor string) ([]string, *string, error) {
				page, err := s.List(local(ctx), keys.ListFilter{Limit: 1, Cursor: cursor})
				if err != nil {
					return nil, nil, err
				}
				var names []string
				for _, k := range page.Items {
					names = append(names, k.Name)
				}
				return names, page.NextCursor, nil
			})
			check("accounts", func(cursor string) ([]string, *string, error) {
				page, err := s.ListAccounts(local(ctx), keys.AccountFilter{Limit: 1, Cursor: cursor})
				if err != nil {
					return nil, nil, err
				}
				var names []string
				for _, a := range page.Items {
					names = append(names, a.Name)
				}
				return names, page.NextCursor, nil
			})
		})
	}
}
