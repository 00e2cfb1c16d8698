package keystest

import (
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

func testVerify(t *testing.T, e env) {
	k := createReq(t, e.admin, keys.CreateRequest{Name: "gw", Grants: []keys.Grant{g("/acme/prod", keys.Editor)}, TTL: dur("30d")})

	r := wantVerify(t, e.admin, k.Secret, "/acme/prod/robot-1", nil, keys.CodeValid)
	if r.KeyID == nil || *r.KeyID != k.ID || r.Name == nil || *r.Name != "gw" || r.Org == nil || *r.Org != "/acme" ||
		!grantsEqual(r.Grants, k.Grants) || r.ExpiresAt == nil || !r.ExpiresAt.Equal(*k.ExpiresAt) {
		t.Errorf("verify result = %s", jsonOf(t, r))
	}
	wantVerify(t, e.admin, k.Secret, "", nil, keys.CodeValid)
	wantVerify(t, e.admin, k.Secret, "/acme/prod", rolePtr(keys.Editor), keys.CodeValid)
	wantVerify(t, e.admin, k.Secret, "/acme/prod", rolePtr(keys.Viewer), keys.CodeValid)
	wantVerify(t, e.admin, k.Secret, "/acme/prod", rolePtr(keys.Admin), keys.CodeInsufficientPermissions)
	wantVerify(t, e.admin, k.Secret, "/acme", nil, keys.CodeInsufficientPermissions) // above the grant
	wantVerify(t, e.admin, k.Secret, "/acme/production", nil, keys.CodeInsufficientPermissions)
	wantVerify(t, e.admin, k.Secret, "/globex", nil, keys.CodeInsufficientPermissions)
	// Without a resource the role is checked against the highest grant.
	wantVerify(t, e.admin, k.Secret, "", rolePtr(keys.Editor), keys.CodeValid)
	r = wantVerify(t, e.admin, k.Secret, "", rolePtr(keys.Admin), keys.CodeInsufficientPermissions)
	if r.KeyID == nil || *r.KeyID != k.ID {
		t.Errorf("INSUFFICIENT_PERMISSIONS should still name the key: %s", jsonOf(t, r))
	}

	// Trailing whitespace and newlines are ignored; nothing else is.
	for _, s := range []string{k.Secret + "\n", k.Secret + "\r\n", k.Secret + " \t\n"} {
		wantVerify(t, e.admin, s, "", nil, keys.CodeValid)
	}
	for name, s := range map[string]string{
		"empty":          "",
		"garbage":        "hello",
		"leading space":  " " + k.Secret,
		"checksum wrong": flipLast(k.Secret),
		"body changed":   flipAt(k.Secret, len("sk_")+3),
		"other prefix":   "pk" + k.Secret[2:],
		"well-formed but unknown": func() string {
			body := "sk_" + strings.Repeat("Q", 32)
			return body + keys.Checksum(body)
		}(),
	} {
		r := verify(t, e.admin, s, "", nil)
		if r.Code != keys.CodeNotFound || r.Valid || r.KeyID != nil || r.Name != nil || r.Org != nil || r.ExpiresAt != nil || len(r.Grants) != 0 {
			t.Errorf("%s: verify = %s, want NOT_FOUND and nothing about any key", name, jsonOf(t, r))
		}
	}

	// Public keys verify like any key.
	pub := createReq(t, e.admin, keys.CreateRequest{Name: "web", Type: keys.Public, Grants: []keys.Grant{g("/acme/web", keys.Viewer)}})
	wantVerify(t, e.admin, pub.Secret, "/acme/web/page", nil, keys.CodeValid)
	wantVerify(t, e.admin, pub.Secret, "/acme/web", rolePtr(keys.Editor), keys.CodeInsufficientPermissions)

	// Precedence: DISABLED before INSUFFICIENT_PERMISSIONS.
	_, err := e.admin.Update(bg, k.ID, keys.UpdateRequest{Enabled: boolPtr(false)})
	ok(t, err)
	wantVerify(t, e.admin, k.Secret, "/globex", rolePtr(keys.Admin), keys.CodeDisabled)
	wantVerify(t, e.admin, k.Secret, "/acme/prod", nil, keys.CodeDisabled)

	// A bad resource is the request's fault, not a NOT_FOUND.
	_, err = e.admin.Verify(bg, keys.VerifyRequest{Secret: pub.Secret, Resource: res("acme")})
	wantCode(t, err, keys.Invalid)
}

// flipLast changes a secret's last character: the checksum no longer
// matches.
func flipLast(s string) string { return flipAt(s, len(s)-1) }

func flipAt(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

func testLastUsed(t *testing.T, e env) {
	k := create(t, e.admin, "used", g("/acme", keys.Viewer))
	never := create(t, e.admin, "never", g("/acme", keys.Viewer))
	before := time.Now().Add(-time.Second).Truncate(time.Second)
	wantVerify(t, e.admin, k.Secret, "/acme", nil, keys.CodeValid)
	got := get(t, e.admin, k.ID)
	if got.LastUsedAt == nil || got.LastUsedAt.Before(before) || got.LastUsedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("last_used_at = %v after a verification, want now", got.LastUsedAt)
	}
	if get(t, e.admin, never.ID).LastUsedAt != nil {
		t.Error("an unused key has a last_used_at")
	}
	// A used key is not unused; a never-used one counts from creation.
	unused := names(listAll(t, e.admin, keys.ListFilter{UnusedFor: keys.Duration(time.Hour)}), ids(k, never))
	if len(unused) != 0 {
		t.Errorf("unused for 1h = %v, want none", unused)
	}
}

func testTimePasses(t *testing.T, e env) {
	// Lifetimes of an hour, then the backend's clock moves two hours on:
	// nothing runs out before it is checked, however slow the machine.
	acme := []keys.Grant{g("/acme", keys.Editor)}
	expiring := createReq(t, e.admin, keys.CreateRequest{Name: "expiring", Grants: acme, TTL: dur("1h")})
	disabled := createReq(t, e.admin, keys.CreateRequest{Name: "disabled", Grants: acme, TTL: dur("1h")})
	_, err := e.admin.Update(bg, disabled.ID, keys.UpdateRequest{Enabled: boolPtr(false)})
	ok(t, err)
	graced := create(t, e.admin, "graced", acme...)
	rolled, err := e.admin.Roll(bg, graced.ID, keys.RollRequest{Grace: dur("1h")})
	ok(t, err)
	capped := createReq(t, e.admin, keys.CreateRequest{Name: "capped", Grants: acme, TTL: dur("1h")})
	cappedNew, err := e.admin.Roll(bg, capped.ID, keys.RollRequest{Grace: dur("1d")})
	ok(t, err)
	lasting := create(t, e.admin, "lasting", acme...)
	revived := createReq(t, e.admin, keys.CreateRequest{Name: "revived", Grants: acme, TTL: dur("1h")})

	// Before: everything works as it should.
	wantVerify(t, e.admin, expiring.Secret, "/acme", nil, keys.CodeValid)
	wantVerify(t, e.admin, graced.Secret, "/acme", nil, keys.CodeValid)
	wantVerify(t, e.admin, capped.Secret, "/acme", nil, keys.CodeValid)
	wantVerify(t, e.admin, revived.Secret, "/acme", nil, keys.CodeValid)

	for _, end := range []*time.Time{expiring.ExpiresAt, disabled.ExpiresAt, rolled.PreviousExpiresAt, cappedNew.ExpiresAt, cappedNew.PreviousExpiresAt, revived.ExpiresAt} {
		if end == nil {
			t.Fatal("an expiry or grace came back null")
		}
		if !near(*end, time.Now().Add(time.Hour), time.Minute) {
			t.Fatalf("an hour's lifetime ends at %v, not in an hour", *end)
		}
	}
	e.advance(2 * time.Hour)

	wantVerify(t, e.admin, expiring.Secret, "/acme", nil, keys.CodeExpired)
	wantVerify(t, e.admin, expiring.Secret, "/globex", rolePtr(keys.Admin), keys.CodeExpired) // before INSUFFICIENT_PERMISSIONS
	wantVerify(t, e.admin, disabled.Secret, "/acme", nil, keys.CodeDisabled)                  // DISABLED before EXPIRED
	wantVerify(t, e.admin, graced.Secret, "/acme", nil, keys.CodeNotFound)                    // grace over
	wantVerify(t, e.admin, rolled.Secret, "/acme", nil, keys.CodeValid)
	wantVerify(t, e.admin, capped.Secret, "/acme", nil, keys.CodeNotFound) // a previous secret ends with its key
	wantVerify(t, e.admin, cappedNew.Secret, "/acme", nil, keys.CodeExpired)
	wantVerify(t, e.admin, lasting.Secret, "/acme", nil, keys.CodeValid)

	if k := get(t, e.admin, graced.ID); k.PreviousExpiresAt != nil {
		t.Errorf("previous_expires_at = %v once the grace is over, want null", k.PreviousExpiresAt)
	}
	if k := get(t, e.admin, capped.ID); k.PreviousExpiresAt != nil {
		t.Errorf("previous_expires_at = %v once the key expired, want null", k.PreviousExpiresAt)
	}

	expired := names(listAll(t, e.admin, keys.ListFilter{Expired: true}), ids(expiring, disabled, graced, capped, lasting))
	if !sameStrings(expired, []string{"capped", "disabled", "expiring"}) {
		t.Errorf("expired = %v", expired)
	}
	soon := names(listAll(t, e.admin, keys.ListFilter{ExpiringWithin: keys.Duration(keys.Day)}), ids(expiring, disabled, graced, capped, lasting))
	if len(soon) != 0 {
		t.Errorf("expiring within 1d = %v: expired keys are not expiring", soon)
	}
	// Rolling an expired key with a new ttl does not revive its old secret:
	// it stopped working with its key, and a grace only prolongs a working one.
	renewed, err := e.admin.Roll(bg, revived.ID, keys.RollRequest{TTL: dur("1h")})
	ok(t, err)
	wantVerify(t, e.admin, renewed.Secret, "/acme", nil, keys.CodeValid)
	wantVerify(t, e.admin, revived.Secret, "/acme", nil, keys.CodeNotFound)
	if renewed.PreviousExpiresAt != nil {
		t.Errorf("previous_expires_at = %v after rolling an expired key, want null", renewed.PreviousExpiresAt)
	}

	// A renewed key works again.
	_, err = e.admin.Update(bg, expiring.ID, keys.UpdateRequest{TTL: dur("1h")})
	ok(t, err)
	wantVerify(t, e.admin, expiring.Secret, "/acme", nil, keys.CodeValid)
}
