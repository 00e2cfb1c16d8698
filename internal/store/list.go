package store

import (
	"context"
	"encoding/base64"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// conds collects the AND-ed conditions of a listing query and their
// arguments.
type conds struct {
	where []string
	args  []any
}

func (c *conds) add(cond string, args ...any) {
	c.where = append(c.where, cond)
	c.args = append(c.args, args...)
}

// sql is the conditions joined ("1 = 1" for none) and their arguments.
func (c *conds) sql() (string, []any) {
	if len(c.where) == 0 {
		return "1 = 1", nil
	}
	return strings.Join(c.where, " AND "), c.args
}

func pageSize(limit int) (int, error) {
	switch {
	case limit == 0:
		return keys.DefaultPageSize, nil
	case limit < 0 || limit > keys.MaxPageSize:
		return 0, keys.Errorf(keys.Invalid, "invalid limit %d: use 1 to %d", limit, keys.MaxPageSize)
	}
	return limit, nil
}

// Key cursors are base64url of "name\nid": the last key of the page. No
// name or id holds a newline.
func keyCursor(k *keys.Key) *string {
	c := base64.RawURLEncoding.EncodeToString([]byte(k.Name + "\n" + k.ID))
	return &c
}

func parseKeyCursor(c string) (name, id string, err error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		var ok bool
		if name, id, ok = strings.Cut(string(b), "\n"); ok && keys.IsID(id) && storable(name) {
			return name, id, nil
		}
	}
	return "", "", keys.Errorf(keys.Invalid, "invalid cursor: pass next_cursor from the previous page unchanged")
}

// addSeconds is now±d in Unix seconds, d rounded up to a whole second. A
// Duration holds at most ~292 years of seconds: no overflow is possible.
func addSeconds(now time.Time, d time.Duration, sign int64) int64 {
	secs := int64(d / time.Second)
	if d%time.Second != 0 {
		secs++
	}
	return now.Unix() + sign*secs
}

// visibility narrows a query to rows the principal could read, so that a
// tenant's page does not scan every other tenant's keys; CanRead still
// decides. A key outside the root reads only its own organization.
func visibility(p *keys.Principal, orgCol, idCol string) (string, []any) {
	switch {
	case p.IsLocal():
		return "", nil
	case p.Key.Type == keys.Public:
		return "1 = 0", nil
	case p.Key.Org == "/":
		return "", nil
	}
	return "(" + orgCol + " = ? OR " + idCol + " = ?)", []any{p.Key.Org, p.Key.ID}
}

// List returns one page of the keys the principal may read, ordered by
// name then id. It reads in bounded batches, never the whole table.
func (s *Store) List(ctx context.Context, f keys.ListFilter) (*keys.KeyPage, error) {
	limit, err := pageSize(f.Limit)
	if err != nil {
		return nil, err
	}
	var afterName, afterID string
	haveAfter := false
	if f.Cursor != "" {
		if afterName, afterID, err = parseKeyCursor(f.Cursor); err != nil {
			return nil, err
		}
		haveAfter = true
	}
	if f.ExpiringWithin < 0 || f.UnusedFor < 0 {
		return nil, keys.Errorf(keys.Invalid, "invalid duration: must not be negative")
	}
	var res keys.Resource
	if f.Resource != nil {
		if res, err = keys.ParseResource(string(*f.Resource)); err != nil {
			return nil, err
		}
	}

	page := &keys.KeyPage{Items: []*keys.Key{}}
	err = s.read(ctx, func(t *txn) error {
		var w conds
		add := w.add
		if cond, a := visibility(t.p, "k.org", "k.id"); cond != "" {
			add(cond, a...)
		}
		if f.Resource != nil && res != keys.Root {
			// at or under res; a range, not LIKE, in which _ is a wildcard
			add(`EXISTS (SELECT 1 FROM grants g WHERE g.key_id = k.id AND
				(g.resource = ? OR (g.resource >= ? AND g.resource < ?)))`,
				string(res), string(res)+"/", string(res)+"0")
		}
		now := t.now
		if f.Expired {
			add("k.expires_at IS NOT NULL AND k.expires_at <= ?", now.Unix())
		}
		if f.ExpiringWithin > 0 {
			add("k.expires_at > ? AND k.expires_at <= ?", now.Unix(), addSeconds(now, time.Duration(f.ExpiringWithin), 1))
		}
		if f.UnusedFor > 0 {
			add("coalesce(k.last_used_at, k.created_at) <= ?", addSeconds(now, time.Duration(f.UnusedFor), -1))
		}
		base, args := w.sql()
		batch := limit + 1
		for {
			cond, a := base, args
			if haveAfter {
				cond += " AND (k.name, k.id) > (?, ?)"
				a = append(append([]any(nil), args...), afterName, afterID)
			}
			rows, err := t.QueryContext(t.ctx, "SELECT "+t.s.d.keyColumns+" FROM keys k WHERE "+cond+
				" ORDER BY k.name, k.id LIMIT ?", append(a, batch)...)
			if err != nil {
				return err
			}
			n, more := 0, false
			for rows.Next() {
				r, err := scanKey(rows)
				if err != nil {
					rows.Close()
					return err
				}
				n++
				afterName, afterID, haveAfter = r.Name, r.ID, true
				if !keys.CanRead(t.p, r.ID, r.Grants) {
					continue
				}
				if len(page.Items) == limit {
					more = true
					break
				}
				page.Items = append(page.Items, r.view(now))
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				return err
			}
			if more {
				page.NextCursor = keyCursor(page.Items[len(page.Items)-1])
				return nil
			}
			if n < batch {
				return nil
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}
