package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// A listing read by merging grants' index (list_merge.go) pages exactly
// as the walk of the keys' name index does: every filter with --resource,
// every kind of principal, pages of 1 to 7 after every cursor. The data
// is what makes a merge go wrong if anything does: names clustered (the
// first keys by name hold nothing under /r), keys with two and three
// grants under /r, keys renamed across the others, keys whose grants
// moved into and out of /r, names two organizations share, and grants
// beside /r that a prefix would catch (/rx, /r-1).
func TestMergedListingPagesAsTheWalk(t *testing.T) {
	mergeAgrees(t, openTemp, true)
}

// PostgreSQL keeps the walk; the same listings agree there too.
func TestPostgresMergedListingPagesAsTheWalk(t *testing.T) {
	pgAdminURL(t)
	mergeAgrees(t, openPG, false)
}

func mergeAgrees(t *testing.T, open func(testing.TB, Options) *Store, merges bool) {
	now := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	s := open(t, Options{Now: func() time.Time { return now }})
	g := func(r string, role keys.Role) keys.Grant { return keys.Grant{Resource: keys.Resource(r), Role: role} }
	create := func(name string, gs ...keys.Grant) *keys.Key {
		t.Helper()
		k, err := s.Create(local(ctx), keys.CreateRequest{Name: name, Grants: gs})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		return &k.Key
	}
	for i := range 30 { // first by name, nothing under /r
		create(fmt.Sprintf("a%02d", i), g("/rx/svc", keys.Viewer))
	}
	var made []*keys.Key
	for i := range 60 {
		var gs []keys.Grant
		switch i % 6 {
		case 0:
			gs = []keys.Grant{g(fmt.Sprintf("/r/svc%d", i%5), keys.Editor)}
		case 1: // two and three grants under /r
			gs = []keys.Grant{g("/r/svc1", keys.Viewer), g("/r/svc3/deep", keys.Admin)}
		case 2:
			gs = []keys.Grant{g("/r", keys.Viewer), g("/r/svc2", keys.Editor), g("/r/svc4", keys.Viewer)}
		case 3:
			gs = []keys.Grant{g("/r-1", keys.Viewer)}
		case 4:
			gs = []keys.Grant{g("/r/svc0/x", keys.Viewer), g("/r/svc0", keys.Admin)}
		case 5:
			gs = []keys.Grant{g("/o/svc", keys.Viewer)}
		}
		made = append(made, create(fmt.Sprintf("m%02d", 59-i), gs...))
	}
	// Names another organization's keys have too, under /r by plain SQL.
	w := s.on(s.pools.writer)
	for i := range 10 {
		k := create(fmt.Sprintf("m%02d", i*6), g(fmt.Sprintf("/q/svc%d", i%3), keys.Viewer))
		if _, err := w.exec(ctx, "INSERT INTO grants (key_id, resource, role) VALUES ($1, $2, 1)", k.ID, fmt.Sprintf("/r/svc%d", i%4)); err != nil {
			t.Fatal(err)
		}
	}
	// Renames across the others, grants into and out of /r, a use and an
	// expiry for the other filters.
	for i, k := range made {
		switch i % 7 {
		case 0:
			name := fmt.Sprintf("b%02d", i)
			if i%2 == 0 {
				name = fmt.Sprintf("z%02d", i)
			}
			if _, err := s.Update(local(ctx), k.ID, keys.UpdateRequest{Name: &name}); err != nil {
				t.Fatal(err)
			}
		case 1:
			if k.Org != "/r" {
				break
			}
			if _, err := s.Grant(local(ctx), k.ID, g("/r/svc9", keys.Viewer)); err != nil {
				t.Fatal(err)
			}
		case 2:
			if len(k.Grants) > 1 {
				if _, err := s.Ungrant(local(ctx), k.ID, k.Grants[0].Resource); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Plain SQL, as the sqlite3 CLI would: a grant moved into /r,
		// one added without its key's name.
		switch i % 6 {
		case 3:
			if _, err := w.exec(ctx, "UPDATE grants SET resource = '/r/svc7' WHERE key_id = $1", k.ID); err != nil {
				t.Fatal(err)
			}
		case 5:
			if _, err := w.exec(ctx, "INSERT INTO grants (key_id, resource, role) VALUES ($1, '/r/svc8', 1)", k.ID); err != nil {
				t.Fatal(err)
			}
		}
		exp := now.Unix() + 86400*int64(i%4) - 43200
		if _, err := w.exec(ctx, "UPDATE keys SET expires_at = $1, last_used_at = $2 WHERE id = $3",
			exp, now.Unix()-3600*int64(i%9), k.ID); err != nil {
			t.Fatal(err)
		}
	}
	operator := func(name string, gs ...keys.Grant) *keys.Principal {
		return keys.KeyPrincipal(create(name, gs...))
	}
	principals := []*keys.Principal{
		keys.LocalPrincipal("tester"),
		operator("op-r", g("/r", keys.Viewer)),
		operator("op-svc1", g("/r/svc1", keys.Viewer), g("/r/svc3", keys.Viewer)),
		operator("op-root", g("/", keys.Viewer)),
	}
	res := func(r string) *keys.Resource { x := keys.Resource(r); return &x }
	filters := []keys.ListFilter{
		{Resource: res("/r")},
		{Resource: res("/r/svc1")},
		{Resource: res("/r/svc0")},
		{Resource: res("/r"), Expired: true},
		{Resource: res("/r"), ExpiringWithin: keys.Duration(36 * time.Hour)},
		{Resource: res("/r"), UnusedFor: keys.Duration(4 * time.Hour)},
		{Resource: res("/nothing")},
	}
	defer func(d, m, w int) { driveLimit, mergeLimit, walkWindow = d, m, w }(driveLimit, mergeLimit, walkWindow)
	driveLimit = 0 // every filter "dense": the walk, or the merge
	if merges {
		var used []string
		if err := s.read(local(ctx), func(tx *txn) error {
			var err error
			used, err = mergeResources(tx, "/r")
			return err
		}); err != nil || len(used) < 8 {
			t.Fatalf("the merge is not taken for /r: %v, %v", used, err)
		}
	}
	for _, p := range principals {
		for _, f := range filters {
			for _, limit := range []int{1, 2, 3, 7} {
				pctx := keys.WithPrincipal(ctx, p)
				mergeLimit = 0
				walk := pages(t, s, pctx, f, limit)
				// 3: /r has more resources than that, and is walked
				// again; /r/svc1 and /r/svc0 are merged.
				// The merge alone (walkWindow 0), and after a walk of
				// one or four pages' worth of keys by name, handing over
				// at the window's end wherever that falls.
				for _, m := range []int{64, 3} {
					for _, w := range []int{0, 1, 4} {
						mergeLimit, walkWindow = m, w
						merged := pages(t, s, pctx, f, limit)
						if !slices.Equal(merged, walk) {
							t.Fatalf("%s, %+v, limit %d, mergeLimit %d, walkWindow %d: the merge pages\n %v\nthe walk\n %v", p.Actor, f, limit, m, w, merged, walk)
						}
					}
				}
			}
		}
	}
}

// pages reads every page of a listing of limit keys: ids and cursors.
func pages(t *testing.T, s *Store, ctx context.Context, f keys.ListFilter, limit int) []string {
	t.Helper()
	var out []string
	f.Limit = limit
	for {
		page, err := s.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, k := range page.Items {
			ids = append(ids, k.Name+"/"+k.ID)
		}
		out = append(out, strings.Join(ids, ","))
		if page.NextCursor == nil {
			return out
		}
		out = append(out, *page.NextCursor)
		f.Cursor = *page.NextCursor
	}
}

// The merge is what SQLite runs as one: a merge of the arms, each in its
// index's order, no sort (not of the matches, nor of the page: the
// merge's co-routine is in the page's order).
func TestMergedListingIsAMerge(t *testing.T) {
	s := openTemp(t, Options{})
	var after = keyAfter{name: "k", id: "key_x", set: true}
	var base conds
	base.add("+k.expires_at > " + base.arg(0))
	var resources []string // as many arms as a merge may have
	for i := range mergeLimit {
		resources = append(resources, fmt.Sprintf("/r/svc%02d", i))
	}
	q, args := s.mergeQuery(base, resources, after, 51)
	all := strings.Join(queryPlan(t, s.pools.reader, s.eng.rebind(q), args...), "\n")
	if !strings.Contains(all, "MERGE (UNION)") || strings.Contains(all, "TEMP B-TREE") ||
		strings.Count(all, "USING COVERING INDEX grants_resource (resource=? AND (key_name,key_id)>(?,?))") != mergeLimit {
		t.Fatalf("the merged listing is not a merge of grants_resource's ranges:\n%s", all)
	}
}
