package store

import (
	"fmt"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// BenchmarkListClustered is bench/cli.sh's scale case in Go: 100,000 keys,
// the first fifth by name in an organization of their own (/big), the
// rest half under /half (50 distinct resources) and 1 % also under /rare.
// A walk in name order passes the 20,000 /big keys before /half's first;
// the merge (list_merge.go) does not. Pages 2 and 10 start from a cursor.
//
//	go test -run '^$' -bench ListClustered -benchmem ./internal/store
func BenchmarkListClustered(b *testing.B) {
	const n = 100_000
	s, _ := openFixtureAs(b, fmt.Sprintf("clustered-%d", n), func(s *Store) []string {
		for _, q := range []string{
			fmt.Sprintf(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < %d)
				INSERT INTO keys (id, name, org, type, prefix, start, created_at, enabled, meta, created_by, secret_hash)
				SELECT printf('key_%%016d', i), printf('k%%07d', i),
					CASE WHEN i <= %d THEN '/big' WHEN i %% 2 = 0 THEN '/half' ELSE '/other' END,
					'secret', 'sk', 'sk_x', 0, 1, '{}', 'bench', printf('%%064x', i) FROM c`, n, n/5),
			fmt.Sprintf(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < %d)
				INSERT INTO grants (key_id, resource, role)
				SELECT printf('key_%%016d', i), CASE WHEN i <= %d THEN printf('/big/loc%%d', i %% 10)
					WHEN i %% 2 = 0 THEN printf('/half/svc%%d', i %% 50) ELSE printf('/other/svc%%d', i %% 50) END, 1 FROM c`, n, n/5),
			fmt.Sprintf(`WITH RECURSIVE c(i) AS (SELECT 100 UNION ALL SELECT i + 100 FROM c WHERE i + 100 <= %d)
				INSERT INTO grants (key_id, resource, role) SELECT printf('key_%%016d', i), printf('/rare/svc%%d', i %% 7), 1 FROM c`, n),
			"ANALYZE",
		} {
			if _, err := s.pools.writer.Exec(q); err != nil {
				b.Fatal(err)
			}
		}
		return nil
	})
	p := local(ctx)
	page := func(r string, cursor string) *keys.KeyPage {
		res := keys.Resource(r)
		pg, err := s.List(p, keys.ListFilter{Resource: &res, Cursor: cursor})
		if err != nil || len(pg.Items) != keys.DefaultPageSize || pg.NextCursor == nil {
			b.Fatalf("list %s: %v", r, err)
		}
		return pg
	}
	for _, c := range []struct {
		resource string
		page     int
	}{{"/half", 1}, {"/half", 2}, {"/half", 10}, {"/rare", 1}} {
		b.Run(fmt.Sprintf("%s/page%d", c.resource[1:], c.page), func(b *testing.B) {
			cursor := ""
			for range c.page - 1 {
				cursor = *page(c.resource, cursor).NextCursor
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				page(c.resource, cursor)
			}
		})
	}
}

// BenchmarkListDense is the merge's worst case beside the walk's best:
// 100,000 keys, every other one under /d in 64 distinct resources (a
// merge of as many arms as mergeLimit allows), spread evenly by name, so
// that a walk fills a page within twice its size. Pages of 100 and 1,000
// (--limit 0 reads in pages of 1,000), first and tenth.
//
//	go test -run '^$' -bench ListDense -benchmem ./internal/store
func BenchmarkListDense(b *testing.B) {
	const n = 100_000
	s, _ := openFixtureAs(b, fmt.Sprintf("dense-%d", n), func(s *Store) []string {
		for _, q := range []string{
			fmt.Sprintf(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < %d)
				INSERT INTO keys (id, name, org, type, prefix, start, created_at, enabled, meta, created_by, secret_hash)
				SELECT printf('key_%%016d', i), printf('k%%07d', i), '/', 'secret', 'sk', 'sk_x', 0, 1, '{}', 'bench', printf('%%064x', i) FROM c`, n),
			fmt.Sprintf(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < %d)
				INSERT INTO grants (key_id, resource, role, key_name)
				SELECT printf('key_%%016d', i), CASE WHEN i %% 2 = 0 THEN printf('/d/svc%%d', i / 2 %% 64) ELSE '/other' END, 1, printf('k%%07d', i) FROM c`, n),
			"ANALYZE",
		} {
			if _, err := s.pools.writer.Exec(q); err != nil {
				b.Fatal(err)
			}
		}
		return nil
	})
	p := local(ctx)
	res := keys.Resource("/d")
	page := func(limit int, cursor string) *keys.KeyPage {
		pg, err := s.List(p, keys.ListFilter{Resource: &res, Cursor: cursor, Limit: limit})
		if err != nil || len(pg.Items) != limit || pg.NextCursor == nil {
			b.Fatalf("list: %v", err)
		}
		return pg
	}
	defer func(m int) { mergeLimit = m }(mergeLimit)
	for _, plan := range []struct {
		name  string
		limit int
	}{{"merge", 64}, {"walk", 0}} {
		for _, c := range []struct{ limit, page int }{{100, 1}, {100, 10}, {1000, 1}, {1000, 10}} {
			b.Run(fmt.Sprintf("%s/limit%d/page%d", plan.name, c.limit, c.page), func(b *testing.B) {
				mergeLimit = plan.limit
				cursor := ""
				for range c.page - 1 {
					cursor = *page(c.limit, cursor).NextCursor
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					page(c.limit, cursor)
				}
			})
		}
	}
}
