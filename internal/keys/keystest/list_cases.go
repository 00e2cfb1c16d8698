package keystest

import (
	"fmt"
	"sort"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

func testListOrderAndCursor(t *testing.T, e env) {
	type nk struct{ name, id string }
	var made []nk
	only := map[string]bool{}
	// Names out of order, some shared across organizations (same name:
	// ordered by id).
	for i, name := range []string{"m", "b", "z", "a", "b", "k", "c-1", "c_1", "C", "a.b", "x", "y", "b", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w"} {
		org := []string{"/acme", "/globex", "/initech"}[i%3]
		if i == 4 {
			org = "/globex2"
		}
		if i == 12 {
			org = "/initech2"
		}
		k := create(t, e.admin, name, g(org, keys.Viewer))
		made = append(made, nk{name, k.ID})
		only[k.ID] = true
	}
	sort.Slice(made, func(i, j int) bool {
		if made[i].name != made[j].name {
			return made[i].name < made[j].name
		}
		return made[i].id < made[j].id
	})
	var want []string
	for _, m := range made {
		want = append(want, m.name+" "+m.id)
	}
	for _, limit := range []int{0, 1, 5, 7, 22, 23, 1000} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			all := listAll(t, e.admin, keys.ListFilter{Limit: limit})
			var got []string
			seen := map[string]bool{}
			for _, k := range all {
				if seen[k.ID] {
					t.Fatalf("key %s listed twice", k.ID)
				}
				seen[k.ID] = true
				if only[k.ID] {
					got = append(got, k.Name+" "+k.ID)
				}
			}
			if !sameStrings(got, want) {
				t.Fatalf("order:\n got %v\nwant %v", got, want)
			}
		})
	}
	// The first page says whether there is more.
	p, err := e.admin.List(bg, keys.ListFilter{Limit: 5})
	ok(t, err)
	if len(p.Items) != 5 || p.NextCursor == nil {
		t.Errorf("first page: %d items, next %v", len(p.Items), p.NextCursor)
	}
	p, err = e.admin.List(bg, keys.ListFilter{})
	ok(t, err)
	if p.NextCursor != nil || len(p.Items) < len(made) {
		t.Errorf("default page: %d items, next %v", len(p.Items), p.NextCursor)
	}
	_, err = e.admin.List(bg, keys.ListFilter{Limit: 1001})
	wantCode(t, err, keys.Invalid)
	_, err = e.admin.List(bg, keys.ListFilter{Limit: -1})
	wantCode(t, err, keys.Invalid)
	_, err = e.admin.List(bg, keys.ListFilter{Cursor: "not a cursor!"})
	wantCode(t, err, keys.Invalid)
}

func testListFilters(t *testing.T, e env) {
	prod := create(t, e.admin, "prod", g("/acme/prod", keys.Viewer))
	robot := create(t, e.admin, "robot", g("/acme/prod/robot-1", keys.Viewer))
	under := create(t, e.admin, "underscore", g("/acme/prod_x", keys.Viewer))      // _ is no wildcard
	longer := create(t, e.admin, "production", g("/acme/production", keys.Viewer)) // a prefix, not a parent
	dev := create(t, e.admin, "dev", g("/acme/dev", keys.Viewer), g("/acme/prod/robot-2", keys.Admin))
	other := create(t, e.admin, "other", g("/globex/prod", keys.Viewer))
	soon := createReq(t, e.admin, keys.CreateRequest{Name: "soon", Grants: []keys.Grant{g("/initech", keys.Viewer)}, TTL: dur("1h")})
	later := createReq(t, e.admin, keys.CreateRequest{Name: "later", Grants: []keys.Grant{g("/initech", keys.Viewer)}, TTL: dur("30d")})
	all := ids(prod, robot, under, longer, dev, other, soon, later)

	for _, c := range []struct {
		f    keys.ListFilter
		want []string
	}{
		{keys.ListFilter{Resource: res("/acme/prod")}, []string{"dev", "prod", "robot"}},
		{keys.ListFilter{Resource: res("/acme/prod/")}, []string{"dev", "prod", "robot"}},
		{keys.ListFilter{Resource: res("/acme/prod/robot-1")}, []string{"robot"}},
		{keys.ListFilter{Resource: res("/acme/prod_x")}, []string{"underscore"}},
		{keys.ListFilter{Resource: res("/acme")}, []string{"dev", "prod", "production", "robot", "underscore"}},
		{keys.ListFilter{Resource: res("/")}, sorted([]string{"dev", "other", "prod", "production", "robot", "underscore", "soon", "later"})},
		{keys.ListFilter{Resource: res("/nobody")}, []string{}},
		{keys.ListFilter{ExpiringWithin: keys.Duration(2 * 3600e9)}, []string{"soon"}},
		{keys.ListFilter{ExpiringWithin: keys.Duration(60 * keys.Day)}, []string{"later", "soon"}},
		{keys.ListFilter{Expired: true}, []string{}},
		{keys.ListFilter{UnusedFor: keys.Duration(keys.Day)}, []string{}}, // all created just now
		{keys.ListFilter{Resource: res("/initech"), ExpiringWithin: keys.Duration(2 * 3600e9)}, []string{"soon"}},
	} {
		got := names(listAll(t, e.admin, c.f), all)
		if !sameStrings(got, c.want) {
			t.Errorf("list %+v = %v, want %v", c.f, got, c.want)
		}
	}
	_, err := e.admin.List(bg, keys.ListFilter{Resource: res("acme")})
	wantCode(t, err, keys.Invalid)
}
