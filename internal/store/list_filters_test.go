package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path"
	"slices"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// The conditions a listing runs (list_filters.go) select exactly the keys
// that the rules and the filters' definitions select in Go, read from the
// same data: keys.CanRead for each operator (location-scoped, several
// locations, root viewer, public), and --resource, --expired,
// --expiring-within, --unused-for as DESIGN.md defines them; whichever
// filter drives the query (forced both ways with driveLimit), in pages.
func TestListConditionsAgreeWithTheRules(t *testing.T) {
	listAgrees(t, openTemp)
}

func TestPostgresListConditionsAgreeWithTheRules(t *testing.T) {
	pgAdminURL(t)
	listAgrees(t, openPG)
}

func listAgrees(t *testing.T, open func(testing.TB, Options) *Store) {
	now := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	s := open(t, Options{Now: func() time.Time { return now }})
	rng := rand.New(rand.NewPCG(8, 8))
	orgs := map[string][]string{
		"/acme":   {"/acme", "/acme/prod", "/acme/prod/r1", "/acme/prodx", "/acme/prod-1", "/acme/dev", "/acme/dev/r_2"},
		"/globex": {"/globex", "/globex/prod", "/globex/prod/r1"},
	}
	grantsIn := func(org string, n int) []keys.Grant {
		rs := slices.Clone(orgs[org])
		rng.Shuffle(len(rs), func(i, j int) { rs[i], rs[j] = rs[j], rs[i] })
		var gs []keys.Grant
		for _, r := range rs[:n] {
			gs = append(gs, keys.Grant{Resource: keys.Resource(r), Role: keys.Role(1 + rng.IntN(3))})
		}
		return gs
	}
	// Two service accounts in /acme; some /acme keys are theirs.
	for _, a := range []keys.CreateAccountRequest{
		{Name: "acc-a", Grants: []keys.Grant{{Resource: "/acme/prod", Role: keys.Editor}}},
		{Name: "acc-b", Grants: []keys.Grant{{Resource: "/acme/dev/r_2", Role: keys.Viewer}, {Resource: "/acme", Role: keys.Viewer}}},
	} {
		if _, err := s.CreateAccount(local(ctx), a); err != nil {
			t.Fatal(err)
		}
	}
	w := s.on(s.pools.writer)
	for i := range 80 {
		org := "/acme"
		if i%4 == 0 {
			org = "/globex"
		}
		name := fmt.Sprintf("k%02d", i)
		if i%4 == 1 && i > 40 {
			name = fmt.Sprintf("k%02d", i-41) // a name /globex has too
		}
		req := keys.CreateRequest{Name: name, Grants: grantsIn(org, 1+rng.IntN(3))}
		if org == "/acme" && i%5 < 2 {
			req.Grants, req.Account = nil, []string{"acc-a", "acc-b"}[i%5]
		}
		k, err := s.Create(local(ctx), req)
		if err != nil {
			t.Fatal(err)
		}
		// Expiry: none, past, within 3 days, later; use: never, recent, old.
		var exp, used any
		switch i % 4 {
		case 1:
			exp = now.Unix() - 86400*int64(1+i%5)
		case 2:
			exp = now.Unix() + 3600*int64(1+i%60)
		case 3:
			exp = now.Unix() + 86400*int64(10+i)
		}
		switch i % 3 {
		case 1:
			used = now.Unix() - 600
		case 2:
			used = now.Unix() - 86400*int64(5+i%20)
		}
		if _, err := w.exec(ctx, "UPDATE keys SET expires_at = $1, last_used_at = $2, created_at = $3 WHERE id = $4",
			exp, used, now.Unix()-86400*int64(i%30), k.ID); err != nil {
			t.Fatal(err)
		}
	}
	operator := func(name string, typ keys.KeyType, gs ...keys.Grant) *keys.Principal {
		k, err := s.Create(local(ctx), keys.CreateRequest{Name: name, Type: typ, Grants: gs})
		if err != nil {
			t.Fatal(err)
		}
		return keys.KeyPrincipal(&k.Key)
	}
	g := func(r string, role keys.Role) keys.Grant { return keys.Grant{Resource: keys.Resource(r), Role: role} }
	principals := []*keys.Principal{
		keys.LocalPrincipal("tester"),
		operator("op-prod", keys.Secret, g("/acme/prod", keys.Viewer)),
		operator("op-two", keys.Secret, g("/acme/prod", keys.Admin), g("/acme/dev", keys.Viewer)),
		operator("op-acme", keys.Secret, g("/acme", keys.Editor)),
		operator("op-r1", keys.Secret, g("/globex/prod/r1", keys.Viewer)),
		operator("op-root", keys.Secret, g("/", keys.Viewer)),
	}
	all := listAll(t, s, local(ctx), keys.ListFilter{})
	res := func(r string) *keys.Resource { x := keys.Resource(r); return &x }
	filters := []keys.ListFilter{
		{},
		{Resource: res("/acme/prod")},
		{Resource: res("/acme/prod/r1")},
		{Resource: res("/acme/dev/r")},
		{Resource: res("/none")},
		{Expired: true},
		{ExpiringWithin: keys.Duration(3 * 24 * time.Hour)},
		{UnusedFor: keys.Duration(7 * 24 * time.Hour)},
		{Resource: res("/acme"), UnusedFor: keys.Duration(24 * time.Hour)},
		{Resource: res("/acme/prod"), Expired: true},
		{Account: "acc-a"},
		{Account: "acme/acc-b", Resource: res("/acme/dev")},
		{Account: "acc-b", UnusedFor: keys.Duration(7 * 24 * time.Hour)},
	}
	defer func(l int) { driveLimit = l }(driveLimit)
	for _, limit := range []int{0, 1, 3, 1 << 30} {
		driveLimit = limit
		for _, p := range principals {
			for _, f := range filters {
				pctx := keys.WithPrincipal(ctx, p)
				// An account the principal cannot read is not found, as
				// by accounts get.
				if _, err := s.GetAccount(pctx, f.Account); f.Account != "" && keys.ErrorCode(err) == keys.NotFound {
					if _, err := s.List(pctx, f); keys.ErrorCode(err) != keys.NotFound {
						t.Fatalf("%s lists the keys of account %s it cannot read: %v", p.Actor, f.Account, err)
					}
					continue
				}
				var want []string
				for _, k := range all {
					if keys.CanRead(p, k.ID, k.Grants) && matches(k, f, now) {
						want = append(want, k.ID)
					}
				}
				var got []string
				for _, k := range listAll(t, s, pctx, f) {
					got = append(got, k.ID)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("driveLimit %d, %s, filter %+v:\n got %v\nwant %v", limit, p.Actor, f, got, want)
				}
				// The SQL alone, without the store's CanRead check
				// on each row: exact, so a page reads no row it drops.
				if sqlOnly := listSQL(t, s, p, f); !slices.Equal(sqlOnly, want) {
					t.Fatalf("driveLimit %d, %s, filter %+v: the SQL alone selects\n %v\nwant %v", limit, p.Actor, f, sqlOnly, want)
				}
			}
		}
	}
}

// listSQL is the ids the conditions of a listing select, in order.
func listSQL(t *testing.T, s *Store, p *keys.Principal, f keys.ListFilter) []string {
	t.Helper()
	var ids []string
	err := s.read(keys.WithPrincipal(ctx, p), func(tx *txn) error {
		c, err := listConds(tx, f)
		if err != nil {
			return err
		}
		rows, err := tx.query(tx.ctx, "SELECT k.id FROM keys k WHERE "+c.sql()+" ORDER BY k.name, k.id", c.args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// listAll reads every page of a listing, 7 keys a page.
func listAll(t *testing.T, s *Store, ctx context.Context, f keys.ListFilter) []*keys.Key {
	t.Helper()
	var out []*keys.Key
	f.Limit = 7
	for {
		page, err := s.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Items...)
		if page.NextCursor == nil {
			return out
		}
		f.Cursor = *page.NextCursor
	}
}

// matches is f as DESIGN.md defines it, in Go.
func matches(k *keys.Key, f keys.ListFilter, now time.Time) bool {
	if f.Account != "" && (k.Account == nil || path.Base(f.Account) != *k.Account) {
		return false
	}
	if f.Resource != nil {
		under := false
		for _, g := range k.Grants {
			under = under || f.Resource.Covers(g.Resource)
		}
		if !under {
			return false
		}
	}
	if f.Expired && (k.ExpiresAt == nil || k.ExpiresAt.After(now)) {
		return false
	}
	if d := time.Duration(f.ExpiringWithin); d > 0 && (k.ExpiresAt == nil || !k.ExpiresAt.After(now) || k.ExpiresAt.After(now.Add(d))) {
		return false
	}
	if d := time.Duration(f.UnusedFor); d > 0 {
		last := k.CreatedAt
		if k.LastUsedAt != nil {
			last = *k.LastUsedAt
		}
		if last.After(now.Add(-d)) {
			return false
		}
	}
	return true
}
