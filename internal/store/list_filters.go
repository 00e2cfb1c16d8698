package store

import (
	"strconv"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// A listing is read in name order, and each of its filters can be
// answered two ways: row, a condition checked on each key of a walk of
// the name index (cheap when matches are dense: the page fills within a
// few hundred keys), or ids, a subquery on the filter's own index that
// lists the keys it matches, which the database then sorts by name
// (cheap when matches are few). A walk for a filter matching nothing
// reads every key (507 ms on a million for a --resource without a
// match); a sort of half a million matches is as slow the other way.
// So the store counts, on the filter's index and up to driveLimit, how
// many rows each filter matches, and lets the most selective one below
// the limit drive the query; the others are checked on its rows. At or
// above the limit, matches are at least driveLimit/N of the keys, and
// a walk fills a page of 1,000 within 100·N rows at a million keys,
// unless the keys first by name hold none of the matches: so a walked
// --resource is read from grants in name order instead, where the
// engine can (list_merge.go).
var driveLimit = 10000 // a variable only so that tests can force either way

// listFilter is one narrowing of a listing. ids may be nil (no index
// can drive it); exact is false when ids lists a superset of the keys
// row matches, and row must then be checked as well.
type listFilter struct {
	row   func(c *conds) string
	ids   func(c *conds) string
	exact bool
	// resource is --resource's path, on its filter only: a merge of
	// grants' index can answer it in name order (list_merge.go).
	resource keys.Resource
}

// underCond is "col lies at or under r", as a range rather than LIKE (in
// which _ is a wildcard): one range [r, r + "0") — '0' follows '/' in the
// byte order both databases compare in (SQLite's BINARY, PostgreSQL's
// COLLATE "C") — narrowed to r itself and r + "/…". One range, not
// "col = r OR col in [r/, r0)": SQLite answers an OR of two ranges by
// collecting every match of both before a LIMIT applies (30–55 ms to
// count 10,000 of half a million grants, against 1 ms).
func underCond(c *conds, col string, r keys.Resource) string {
	if r == keys.Root {
		return "1 = 1"
	}
	self := c.arg(string(r))
	return "(" + col + " >= " + self + " AND " + col + " < " + c.arg(string(r)+"0") +
		" AND (" + col + " = " + self + " OR " + col + " >= " + c.arg(string(r)+"/") + "))"
}

// scopeFilter narrows a listing to keys.ReadScope: the principal's own key,
// and keys none of whose grants lie outside the resources it reads.
// Nil when the principal reads every key.
func scopeFilter(p *keys.Principal) *listFilter {
	s := p.ReadScope()
	if s.All {
		return nil
	}
	covered := func(c *conds) string {
		if len(s.Under) == 0 {
			return "1 = 0"
		}
		parts := make([]string, len(s.Under))
		for i, u := range s.Under {
			parts[i] = underCond(c, "g.resource", u)
		}
		return "(" + strings.Join(parts, " OR ") + ")"
	}
	return &listFilter{
		row: func(c *conds) string {
			cond := "NOT EXISTS (SELECT 1 FROM grants g WHERE g.key_id = k.id AND NOT " + covered(c) + ")"
			if s.Self != "" {
				cond = "(k.id = " + c.arg(s.Self) + " OR " + cond + ")"
			}
			return cond
		},
		// Keys with a grant it reads, and its own: every key it may read
		// (a key has at least one grant), and some it may not.
		ids: func(c *conds) string {
			q := "SELECT g.key_id FROM grants g WHERE " + covered(c)
			if s.Self != "" {
				q += " UNION ALL SELECT CAST(" + c.arg(s.Self) + " AS TEXT)"
			}
			return q
		},
	}
}

// listFilters are f's filters and the principal's scope. The row forms
// keep their columns off the indexes (+col): a walk in name order must
// stay one, not become a sort of whatever an index range holds.
func listFilters(t *txn, f keys.ListFilter) []listFilter {
	var fs []listFilter
	if s := scopeFilter(t.p); s != nil {
		fs = append(fs, *s)
	}
	if res := f.Resource; res != nil && *res != keys.Root {
		r := *res
		fs = append(fs, listFilter{
			row: func(c *conds) string {
				return "EXISTS (SELECT 1 FROM grants g WHERE g.key_id = k.id AND " + underCond(c, "g.resource", r) + ")"
			},
			ids:      func(c *conds) string { return "SELECT g.key_id FROM grants g WHERE " + underCond(c, "g.resource", r) },
			exact:    true,
			resource: r,
		})
	}
	now := t.now
	if f.Expired {
		fs = append(fs, listFilter{
			row:   func(c *conds) string { return "+k.expires_at <= " + c.arg(now.Unix()) },
			ids:   func(c *conds) string { return "SELECT id FROM keys WHERE expires_at <= " + c.arg(now.Unix()) },
			exact: true,
		})
	}
	if f.ExpiringWithin > 0 {
		from, to := now.Unix(), addSeconds(now, time.Duration(f.ExpiringWithin), 1)
		fs = append(fs, listFilter{
			row: func(c *conds) string {
				return "+k.expires_at > " + c.arg(from) + " AND +k.expires_at <= " + c.arg(to)
			},
			ids: func(c *conds) string {
				return "SELECT id FROM keys WHERE expires_at > " + c.arg(from) + " AND expires_at <= " + c.arg(to)
			},
			exact: true,
		})
	}
	if f.Compromised {
		fs = append(fs, listFilter{
			row:   func(c *conds) string { return "+k.compromised_at IS NOT NULL" },
			ids:   func(c *conds) string { return "SELECT id FROM keys WHERE compromised_at IS NOT NULL" },
			exact: true,
		})
	}
	if f.UnusedFor > 0 {
		// A never-used key counts from its creation: the expression
		// index keys_unused (migration 0003) holds exactly this.
		before := addSeconds(now, time.Duration(f.UnusedFor), -1)
		fs = append(fs, listFilter{
			row: func(c *conds) string { return "+coalesce(k.last_used_at, k.created_at) <= " + c.arg(before) },
			ids: func(c *conds) string {
				return "SELECT id FROM keys WHERE coalesce(last_used_at, created_at) <= " + c.arg(before)
			},
			exact: true,
		})
	}
	if f.Account != "" { // an id: listConds resolved the ref
		id := f.Account
		fs = append(fs, listFilter{
			// || '' keeps the column off its index, as + does for
			// numbers (PostgreSQL has no unary + on text).
			row:   func(c *conds) string { return "k.account_id || '' = " + c.arg(id) },
			ids:   func(c *conds) string { return "SELECT id FROM keys WHERE account_id = " + c.arg(id) },
			exact: true,
		})
	}
	return fs
}

// listConds narrows a listing to the principal's scope and f's filters,
// the most selective filter driving (see driveLimit).
func listConds(t *txn, f keys.ListFilter) (conds, error) {
	p, err := listPlan(t, f, false)
	return p.walk, err
}

// plan is how a listing reads its keys: walk, the conditions of a walk
// in name order (or of a filter's ids driving); and, when --resource
// would be walked and can be merged (list_merge.go), the resources a
// merge reads and base, the conditions left to check on its rows.
type plan struct {
	walk, base conds
	merge      []string
}

// listPlan is listConds' plan, with the merge when mergeable.
func listPlan(t *txn, f keys.ListFilter, mergeable bool) (plan, error) {
	if f.Account != "" {
		a, err := t.resolveAccount(f.Account)
		if err != nil {
			return plan{}, err
		}
		f.Account = a.ID
	}
	fs := listFilters(t, f)
	drive, best := -1, driveLimit
	for i, lf := range fs {
		if lf.ids == nil {
			continue
		}
		var c conds
		q := "SELECT count(*) FROM (" + lf.ids(&c) + " LIMIT " + strconv.Itoa(driveLimit) + ") n"
		var n int
		if err := t.queryRow(t.ctx, q, c.args...).Scan(&n); err != nil {
			return plan{}, err
		}
		if n < best {
			drive, best = i, n
		}
	}
	skip := -1
	var merge []string
	if drive < 0 && mergeable {
		for i, lf := range fs {
			if lf.resource == "" {
				continue
			}
			var err error
			if merge, err = mergeResources(t, lf.resource); err != nil {
				return plan{}, err
			}
			if merge != nil {
				skip = i
			}
		}
	}
	var c conds
	for i, lf := range fs {
		switch {
		case i == skip:
			continue
		case i == drive:
			c.add("k.id IN (" + lf.ids(&c) + ")")
			if lf.exact {
				continue
			}
		}
		c.add(lf.row(&c))
	}
	if skip < 0 {
		return plan{walk: c}, nil
	}
	walk := c.clone()
	walk.add(fs[skip].row(&walk))
	return plan{walk: walk, base: c, merge: merge}, nil
}
