package store

import (
	"strings"

	"github.com/keyward/keyward/internal/keys"
)

// A dense --resource R is walked in name order (list_filters.go), and
// the walk probes grants for every key it passes: when the first keys
// by name hold nothing under R (an organization of 200,000 keys named
// before the rest), a million keys' first page cost 3x a hundred
// thousand's. Since migration 0010 grants_resource is (resource,
// key_name, key_id): each distinct resource under R is a run of its keys
// in listing order, and a merge of the runs (SQLite's compound SELECT
// with ORDER BY: "MERGE (UNION)", each arm a co-routine on the index)
// reads R's keys in order, as many as the page needs, wherever they
// lie. UNION also drops a key met in two runs (two grants under R).
//
// The merge has a fixed cost the walk has not: its statement, an arm per
// resource, is prepared for each batch (~0.5 ms for 50 arms, against the
// walk's 0.35 µs per key passed). So List walks first, through the next
// walkWindow pages' worth of keys by name (a window found on the name
// index alone), and the merge reads on only past the window's end: where
// matches are dense the page fills in the window and the merge is never
// prepared (BenchmarkListDense); where they are not, the window costs
// ~0.5 ms more than the merge alone (BenchmarkListClustered).
// mergeLimit caps the arms: the distinct resources are found one index
// seek each, and hundreds of arms would cost more to prepare than most
// walks. PostgreSQL 15 answers such a UNION with every arm's rows,
// hashed or sorted (EXPLAIN ANALYZE: 12,000 rows read for a page of 101
// from three arms), so it keeps the walk.
var mergeLimit = 64 // a variable only so that tests can force the walk

// mergeResources is the distinct resources of grants at or under r, or
// nil when the merge does not apply: PostgreSQL, none, or more than
// mergeLimit. A loose index scan: each step the least resource past the
// last.
func mergeResources(t *txn, r keys.Resource) ([]string, error) {
	if _, ok := t.s.eng.(sqliteEngine); !ok || mergeLimit <= 0 {
		return nil, nil
	}
	var c conds
	first := underCond(&c, "resource", r)
	next := underCond(&c, "resource", r)
	q := "WITH RECURSIVE d(r) AS (SELECT (SELECT min(resource) FROM grants WHERE " + first + ")" +
		" UNION ALL SELECT (SELECT min(resource) FROM grants WHERE resource > d.r AND " + next + ")" +
		" FROM d WHERE d.r IS NOT NULL LIMIT " + c.arg(mergeLimit+1) + ")" +
		" SELECT r FROM d WHERE r IS NOT NULL"
	rows, err := t.query(t.ctx, q, c.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var rs []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		rs = append(rs, s)
	}
	if err := rows.Err(); err != nil || len(rs) == 0 || len(rs) > mergeLimit {
		return nil, err
	}
	return rs, nil
}

// mergeQuery is a batch of at most n keys holding a grant on one of
// resources, after the cursor, that c selects, in (name, id) order. The
// arms carry (name, id) alone, so that the merge compares and keeps
// nothing else; the page's rows are read for the n it keeps, and sorted
// again, n rows. Each arm joins keys, so that c applies there and a
// grant of no key (the sqlite3 CLI with foreign keys off) fills no slot
// of the LIMIT that the join would then drop.
func (s *Store) mergeQuery(base conds, resources []string, after keyAfter, n int) (string, []any) {
	c := base.clone()
	where := c.sql()
	var cursor string
	if after.set {
		cursor = " AND (m.key_name, m.key_id) > (" + c.arg(after.name) + ", " + c.arg(after.id) + ")"
	}
	arms := make([]string, len(resources))
	for i, r := range resources {
		// CROSS JOIN: grants' index drives, so that the arm is in order.
		arms[i] = "SELECT m.key_name, m.key_id FROM grants m CROSS JOIN keys k ON k.id = m.key_id" +
			" WHERE m.resource = " + c.arg(r) + cursor + " AND " + where
	}
	return "SELECT " + s.keyColumns() + " FROM (" + strings.Join(arms, " UNION ") +
		" ORDER BY 1, 2 LIMIT " + c.arg(n) + ") p CROSS JOIN keys k ON k.id = p.key_id ORDER BY p.key_name, p.key_id", c.args
}
