package store

import (
	"context"
	"database/sql"
	"strings"
	"testing"
)

// Verification's lookup reads two indexes, never the whole table, also
// once ANALYZE has seen nearly every prev_hash NULL (most keys are never
// rolled), which made SQLite's planner drop the prev_hash index of an OR
// and scan every key.
func TestLookupUsesTheHashIndexesAfterAnalyze(t *testing.T) {
	s := openTemp(t, Options{})
	ctx := context.Background()
	if _, err := s.pools.writer.ExecContext(ctx, `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 2000)
		INSERT INTO keys (id, name, org, type, prefix, start, created_at, enabled, meta, created_by, secret_hash)
		SELECT printf('key_%016d', i), printf('k%d', i), '/acme', 'secret', 'sk', 'sk_x', 0, 1, '{}', 'test',
			printf('%064x', i) FROM c`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pools.writer.ExecContext(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	// A connection opened after ANALYZE reads its statistics.
	conn, err := s.pools.writer.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "ANALYZE sqlite_schema"); err != nil {
		t.Fatal(err)
	}
	plan := queryPlan(t, conn, s.eng.rebind(s.lookupSQL()), strings.Repeat("a", 64))
	for _, step := range plan {
		if strings.HasPrefix(step, "SCAN k") || step == "SCAN keys" {
			t.Fatalf("the lookup scans the keys table:\n%s", strings.Join(plan, "\n"))
		}
	}
}

// queryPlan is SQLite's EXPLAIN QUERY PLAN of q, a step a line.
func queryPlan(t *testing.T, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args ...any) []string {
	t.Helper()
	rows, err := q.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}
