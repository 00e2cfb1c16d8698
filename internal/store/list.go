package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// Key cursors are base64url of "name\nid": the last key of the page. No
// name or id holds a newline. Accounts' are alike.
func keyCursor(k *keys.Key) *string { return nameIDCursor(k.Name, k.ID) }

func parseKeyCursor(c string) (name, id string, err error) { return parseNameIDCursor(c, keys.IsID) }

func nameIDCursor(name, id string) *string {
	c := base64.RawURLEncoding.EncodeToString([]byte(name + "\n" + id))
	return &c
}

func parseNameIDCursor(c string, isID func(string) bool) (name, id string, err error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		var ok bool
		if name, id, ok = strings.Cut(string(b), "\n"); ok && isID(id) && storable(name) {
			return name, id, nil
		}
	}
	return "", "", keys.Errorf(keys.Invalid, "invalid cursor: pass next_cursor from the previous page unchanged")
}

// advances reports whether (name, id) lies past the cursor (afterName,
// afterID) in listing order, as Go compares strings: byte by byte, as
// both databases order names. A name stored as a BLOB (another program
// writing the file) sorts after every text in SQLite whatever its bytes,
// so a cursor would never pass it and a listing would page forever.
func advances(set bool, afterName, afterID, name, id string) bool {
	return !set || name > afterName || (name == afterName && id > afterID)
}

// notTextName refuses a listing that met such a name.
func notTextName(what, id string) error {
	return keys.Errorf(keys.Invalid, "%s %s has a name stored as bytes, not text (written by another program than keyward): rename it to list past it", what, id)
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

// visibility narrows an audit query to rows the principal could read, so
// that a tenant's page does not scan every other tenant's rows;
// CanReadAudit still decides. (Listings narrow by keys.ReadScope:
// list_filters.go.) A key outside the root reads only its own organization. It
// returns "" for no narrowing.
func visibility(p *keys.Principal, c *conds, orgCol, idCol string) string {
	switch {
	case p.IsLocal():
		return ""
	case p.Key.Type == keys.Public:
		return "1 = 0"
	case p.Key.Org == "/":
		return ""
	}
	return "(" + orgCol + " = " + c.arg(p.Key.Org) + " OR " + idCol + " = " + c.arg(p.Key.ID) + ")"
}

// keyAfter is a key listing's cursor: the last key read.
type keyAfter struct {
	name, id string
	set      bool
}

// walkWindow is how many pages' worth of keys a listing walks before a
// merge reads on (List); 0 merges at once. A variable for the tests.
var walkWindow = 4

// windowEnd is the n-th key by name after the cursor, unset when fewer
// follow: one walk of the name index, without the grants probes.
func (t *txn) windowEnd(after keyAfter, n int) (keyAfter, error) {
	var c conds
	if after.set {
		c.add("(name, id) > (" + c.arg(after.name) + ", " + c.arg(after.id) + ")")
	}
	q := "SELECT name, id FROM keys WHERE " + c.sql() + " ORDER BY name, id LIMIT 1 OFFSET " + c.arg(n-1)
	var end keyAfter
	err := t.queryRow(t.ctx, q, c.args...).Scan(&end.name, &end.id)
	if errors.Is(err, sql.ErrNoRows) {
		return keyAfter{}, nil
	}
	end.set = err == nil
	return end, err
}

// List returns one page of the keys the principal may read, ordered by
// name then id.
func (s *Store) List(ctx context.Context, f keys.ListFilter) (*keys.KeyPage, error) {
	f, err := f.Normalize()
	if err != nil {
		return nil, err
	}
	var after keyAfter
	if f.Cursor != "" {
		if after.name, after.id, err = parseKeyCursor(f.Cursor); err != nil {
			return nil, err
		}
		after.set = true
	}
	page := &keys.KeyPage{Items: []*keys.Key{}}
	err = s.read(ctx, func(t *txn) error {
		p, err := listPlan(t, f, true)
		if err != nil {
			return err
		}
		// Where a merge can read the page, the walk goes first for the
		// next walkWindow·(limit+1) keys by name, which cost less than
		// the merge's statement when matches there are dense, and the
		// merge reads on past them (list_merge.go). With fewer keys left
		// than that, the window is unset and the walk reads them all.
		var window keyAfter
		merging := p.merge != nil && walkWindow == 0
		if p.merge != nil && walkWindow > 0 {
			if window, err = t.windowEnd(after, walkWindow*(f.Limit+1)); err != nil {
				return err
			}
		}
		rows, more, err := pager[*row]{
			limit: f.Limit,
			query: func(n int) (string, []any) {
				if merging {
					return t.s.mergeQuery(p.base, p.merge, after, n)
				}
				c := p.walk.clone()
				if after.set {
					c.add("(k.name, k.id) > (" + c.arg(after.name) + ", " + c.arg(after.id) + ")")
				}
				if window.set {
					c.add("(k.name, k.id) <= (" + c.arg(window.name) + ", " + c.arg(window.id) + ")")
				}
				return "SELECT " + t.s.keyColumns() + " FROM keys k WHERE " + c.sql() +
					" ORDER BY k.name, k.id LIMIT " + c.arg(n), c.args
			},
			next: func() bool {
				if merging || !window.set {
					return false
				}
				// The walk read every key up to the window's end.
				merging, after = true, window
				return true
			},
			scan: func(rows *sql.Rows) (*row, error) {
				r, err := scanKey(rows)
				if err == nil && !advances(after.set, after.name, after.id, r.Name, r.ID) {
					return nil, notTextName("key", r.ID)
				}
				return r, err
			},
			seen: func(r *row) { after = keyAfter{r.Name, r.ID, true} },
			keep: func(r *row) bool { return keys.CanRead(t.p, r.ID, r.Grants) },
		}.read(t)
		if err != nil {
			return err
		}
		for _, r := range rows {
			page.Items = append(page.Items, r.view(t.now))
		}
		if more {
			page.NextCursor = keyCursor(page.Items[len(page.Items)-1])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}
