package keystest

import (
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

func testUpdate(t *testing.T, e env) {
	k := createReq(t, e.admin, keys.CreateRequest{Name: "svc", Grants: []keys.Grant{g("/acme", keys.Viewer)},
		Meta: map[string]string{"team": "ops", "env": "prod"}})
	create(t, e.admin, "taken", g("/acme", keys.Viewer))
	create(t, e.admin, "elsewhere", g("/globex", keys.Viewer))

	// Rename: the id stays, the old name is gone.
	u, err := e.admin.Update(bg, "svc", keys.UpdateRequest{Name: strPtr("svc2")})
	ok(t, err)
	if u.ID != k.ID || u.Name != "svc2" {
		t.Fatalf("renamed = %s %s", u.ID, u.Name)
	}
	_, err = e.admin.Get(bg, "acme/svc")
	wantCode(t, err, keys.NotFound)
	if get(t, e.admin, "acme/svc2").ID != k.ID {
		t.Fatal("new name does not resolve")
	}
	_, err = e.admin.Update(bg, k.ID, keys.UpdateRequest{Name: strPtr("taken")})
	wantCode(t, err, keys.Conflict)
	_, err = e.admin.Update(bg, k.ID, keys.UpdateRequest{Name: strPtr("elsewhere")}) // another org's name is free
	ok(t, err)
	_, err = e.admin.Update(bg, k.ID, keys.UpdateRequest{Name: strPtr("bad name")})
	wantCode(t, err, keys.Invalid)

	// Meta merges; an empty value removes.
	u, err = e.admin.Update(bg, k.ID, keys.UpdateRequest{Meta: map[string]string{"env": "", "owner": "bob", "team": "sre"}})
	ok(t, err)
	if len(u.Meta) != 2 || u.Meta["owner"] != "bob" || u.Meta["team"] != "sre" {
		t.Errorf("meta = %v, want owner=bob team=sre", u.Meta)
	}
	_, err = e.admin.Update(bg, k.ID, keys.UpdateRequest{Meta: map[string]string{"": "x"}})
	wantCode(t, err, keys.Invalid)

	// Disable, enable.
	u, err = e.admin.Update(bg, k.ID, keys.UpdateRequest{Enabled: boolPtr(false)})
	ok(t, err)
	if u.Enabled {
		t.Error("still enabled")
	}
	wantVerify(t, e.admin, k.Secret, "", nil, keys.CodeDisabled)
	_, err = e.admin.Update(bg, k.ID, keys.UpdateRequest{Enabled: boolPtr(true)})
	ok(t, err)
	wantVerify(t, e.admin, k.Secret, "", nil, keys.CodeValid)

	// Expiry: ttl, an absolute time, none.
	u, err = e.admin.Update(bg, k.ID, keys.UpdateRequest{TTL: dur("7d")})
	ok(t, err)
	if u.ExpiresAt == nil || !near(*u.ExpiresAt, time.Now().Add(7*keys.Day), 3*time.Second) {
		t.Errorf("expires_at = %v, want now + 7d", u.ExpiresAt)
	}
	at := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	u, err = e.admin.Update(bg, k.ID, keys.UpdateRequest{ExpiresAt: &at})
	ok(t, err)
	if u.ExpiresAt == nil || !u.ExpiresAt.Equal(at) {
		t.Errorf("expires_at = %v, want %v", u.ExpiresAt, at)
	}
	u, err = e.admin.Update(bg, k.ID, keys.UpdateRequest{NoExpiry: true})
	ok(t, err)
	if u.ExpiresAt != nil {
		t.Errorf("expires_at = %v after no_expiry", u.ExpiresAt)
	}
	_, err = e.admin.Update(bg, k.ID, keys.UpdateRequest{TTL: dur("1d"), NoExpiry: true})
	wantCode(t, err, keys.Invalid)
	past := time.Now().Add(-time.Minute)
	_, err = e.admin.Update(bg, k.ID, keys.UpdateRequest{ExpiresAt: &past})
	wantCode(t, err, keys.Invalid)
	_, err = e.admin.Update(bg, "no-such-key", keys.UpdateRequest{Enabled: boolPtr(true)})
	wantCode(t, err, keys.NotFound)

	// What Update returns is what Get shows.
	if got := get(t, e.admin, k.ID); got.Name != u.Name || len(got.Meta) != len(u.Meta) || got.Enabled != u.Enabled {
		t.Errorf("get = %+v, update said %+v", got, u)
	}
}

func testRoll(t *testing.T, e env) {
	k := create(t, e.admin, "rotating", g("/acme/prod", keys.Editor))

	// Default grace: both secrets work, the old one for about 12h.
	r1, err := e.admin.Roll(bg, k.ID, keys.RollRequest{})
	ok(t, err)
	if r1.ID != k.ID || r1.Name != k.Name || !grantsEqual(r1.Grants, k.Grants) {
		t.Errorf("roll changed the key: %+v", r1.Key)
	}
	if r1.Secret == k.Secret || r1.Secret == "" || r1.Start != r1.Secret[:len("sk_")+4] {
		t.Errorf("roll: secret %.7s…, start %q", r1.Secret, r1.Start)
	}
	if r1.PreviousExpiresAt == nil || !near(*r1.PreviousExpiresAt, time.Now().Add(keys.DefaultGrace), 3*time.Second) {
		t.Errorf("previous_expires_at = %v, want now + 12h", r1.PreviousExpiresAt)
	}
	wantVerify(t, e.admin, k.Secret, "", nil, keys.CodeValid)
	wantVerify(t, e.admin, r1.Secret, "", nil, keys.CodeValid)
	if got := get(t, e.admin, k.ID); got.Start != r1.Start || got.PreviousExpiresAt == nil {
		t.Errorf("get after roll: start %q, previous_expires_at %v", got.Start, got.PreviousExpiresAt)
	}

	// Rolling again ends the oldest at once: at most two secrets work.
	r2, err := e.admin.Roll(bg, "rotating", keys.RollRequest{Grace: dur("1h")})
	ok(t, err)
	wantVerify(t, e.admin, k.Secret, "", nil, keys.CodeNotFound)
	wantVerify(t, e.admin, r1.Secret, "", nil, keys.CodeValid)
	wantVerify(t, e.admin, r2.Secret, "", nil, keys.CodeValid)
	if r2.PreviousExpiresAt == nil || !near(*r2.PreviousExpiresAt, time.Now().Add(time.Hour), 3*time.Second) {
		t.Errorf("previous_expires_at = %v, want now + 1h", r2.PreviousExpiresAt)
	}

	// Grace 0: the old secret stops at once.
	r3, err := e.admin.Roll(bg, k.ID, keys.RollRequest{Grace: dur("0")})
	ok(t, err)
	wantVerify(t, e.admin, r1.Secret, "", nil, keys.CodeNotFound)
	wantVerify(t, e.admin, r2.Secret, "", nil, keys.CodeNotFound)
	wantVerify(t, e.admin, r3.Secret, "", nil, keys.CodeValid)
	if r3.PreviousExpiresAt != nil {
		t.Errorf("previous_expires_at = %v after grace 0", r3.PreviousExpiresAt)
	}

	// The grace never outlives the key.
	short := createReq(t, e.admin, keys.CreateRequest{Name: "short", Grants: []keys.Grant{g("/acme", keys.Viewer)}, TTL: dur("1h")})
	rs, err := e.admin.Roll(bg, short.ID, keys.RollRequest{Grace: dur("1d")})
	ok(t, err)
	if rs.PreviousExpiresAt == nil || rs.ExpiresAt == nil || !rs.PreviousExpiresAt.Equal(*rs.ExpiresAt) {
		t.Errorf("previous_expires_at %v, expires_at %v: want the grace capped at the expiry", rs.PreviousExpiresAt, rs.ExpiresAt)
	}

	// --ttl sets a new expiry.
	rt, err := e.admin.Roll(bg, short.ID, keys.RollRequest{TTL: dur("30d")})
	ok(t, err)
	if rt.ExpiresAt == nil || !near(*rt.ExpiresAt, time.Now().Add(30*keys.Day), 3*time.Second) {
		t.Errorf("expires_at = %v after roll --ttl 30d", rt.ExpiresAt)
	}
	wantVerify(t, e.admin, rt.Secret, "", nil, keys.CodeValid)

	_, err = e.admin.Roll(bg, "no-such-key", keys.RollRequest{})
	wantCode(t, err, keys.NotFound)
}

func testGrants(t *testing.T, e env) {
	k := create(t, e.admin, "scoped", g("/acme/prod", keys.Viewer))

	u, err := e.admin.Grant(bg, k.ID, g("/acme/dev", keys.Editor))
	ok(t, err)
	if !grantsEqual(u.Grants, []keys.Grant{g("/acme/dev", keys.Editor), g("/acme/prod", keys.Viewer)}) {
		t.Errorf("grants = %v", u.Grants)
	}
	wantVerify(t, e.admin, k.Secret, "/acme/dev/x", rolePtr(keys.Editor), keys.CodeValid)

	// Granting an existing resource changes its role.
	u, err = e.admin.Grant(bg, "scoped", g("/acme/prod", keys.Admin))
	ok(t, err)
	if !grantsEqual(u.Grants, []keys.Grant{g("/acme/dev", keys.Editor), g("/acme/prod", keys.Admin)}) {
		t.Errorf("grants = %v", u.Grants)
	}
	wantVerify(t, e.admin, k.Secret, "/acme/prod", rolePtr(keys.Admin), keys.CodeValid)

	// Without a role: an existing grant keeps its role, a new one is viewer.
	u, err = e.admin.Grant(bg, k.ID, keys.Grant{Resource: "/acme/prod"})
	ok(t, err)
	if !grantsEqual(u.Grants, []keys.Grant{g("/acme/dev", keys.Editor), g("/acme/prod", keys.Admin)}) {
		t.Errorf("a grant without a role changed a role: %v", u.Grants)
	}
	u, err = e.admin.Grant(bg, k.ID, keys.Grant{Resource: "/acme/qa"})
	ok(t, err)
	if !grantsEqual(u.Grants, []keys.Grant{g("/acme/dev", keys.Editor), g("/acme/prod", keys.Admin), g("/acme/qa", keys.Viewer)}) {
		t.Errorf("a new grant without a role: %v", u.Grants)
	}
	_, err = e.admin.Ungrant(bg, k.ID, "/acme/qa")
	ok(t, err)

	// One organization per key.
	_, err = e.admin.Grant(bg, k.ID, g("/globex", keys.Viewer))
	wantCode(t, err, keys.Invalid)
	_, err = e.admin.Grant(bg, k.ID, g("not/a/path", keys.Viewer))
	wantCode(t, err, keys.Invalid)

	u, err = e.admin.Ungrant(bg, k.ID, "/acme/dev")
	ok(t, err)
	if !grantsEqual(u.Grants, []keys.Grant{g("/acme/prod", keys.Admin)}) {
		t.Errorf("grants = %v", u.Grants)
	}
	wantVerify(t, e.admin, k.Secret, "/acme/dev", nil, keys.CodeInsufficientPermissions)

	_, err = e.admin.Ungrant(bg, k.ID, "/acme/prod")
	wantCode(t, err, keys.Conflict) // never the last grant
	_, err = e.admin.Ungrant(bg, k.ID, "/acme/nothing")
	wantCode(t, err, keys.NotFound)
	if got := get(t, e.admin, k.ID); !grantsEqual(got.Grants, []keys.Grant{g("/acme/prod", keys.Admin)}) {
		t.Errorf("grants after refused ungrant = %v", got.Grants)
	}
}

func testDelete(t *testing.T, e env) {
	a := create(t, e.admin, "a", g("/acme", keys.Viewer))
	b := create(t, e.admin, "b", g("/acme", keys.Viewer))
	c := create(t, e.admin, "c", g("/acme", keys.Viewer))

	// One missing ref: nothing is deleted.
	_, err := e.admin.Delete(bg, []string{a.ID, "no-such-key", b.ID})
	wantCode(t, err, keys.NotFound)
	get(t, e.admin, a.ID)
	get(t, e.admin, b.ID)

	gone, err := e.admin.Delete(bg, []string{"a", "acme/b", a.ID})
	ok(t, err)
	if len(gone) != 2 || gone[0].ID != a.ID || gone[1].ID != b.ID {
		t.Fatalf("deleted = %v, want a and b once each", names(gone, nil))
	}
	for _, k := range []*keys.NewSecretKey{a, b} {
		_, err = e.admin.Get(bg, k.ID)
		wantCode(t, err, keys.NotFound)
		wantVerify(t, e.admin, k.Secret, "", nil, keys.CodeNotFound)
	}
	wantVerify(t, e.admin, c.Secret, "", nil, keys.CodeValid)
	_, err = e.admin.Delete(bg, []string{a.ID})
	wantCode(t, err, keys.NotFound)
	// The name is free again.
	create(t, e.admin, "a", g("/acme", keys.Viewer))
}
