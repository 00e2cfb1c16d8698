package keystest

import (
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// A public key's secret is meant to be embedded in apps and seen by
// anyone: finding it in a web bundle or a public repository is no leak.
// A report (a scanning service's POST /v1/leaks, scan --disable over a
// build) must not disable it and take the apps down with it.
func testPublicKeyLeaks(t *testing.T, e env) {
	pub := createReq(t, e.admin, keys.CreateRequest{Name: "web", Type: keys.Public, Grants: []keys.Grant{g("/acme", keys.Viewer)}})
	out, err := e.admin.ReportLeaks(bg, []keys.Leak{leak(pub.Secret, "dist/app.js:1")})
	ok(t, err)
	if len(out) != 1 {
		t.Fatalf("%d results for 1 leak", len(out))
	}
	wantLeak(t, "public key", out[0], pub.ID, keys.CodeValid)
	if out[0].Action == nil || *out[0].Action != keys.LeakNone || out[0].CompromisedAt != nil {
		t.Errorf("public key reported: %s, want action none", jsonOf(t, out[0]))
	}
	if k := get(t, e.admin, pub.ID); !k.Enabled || k.CompromisedAt != nil {
		t.Errorf("public key after a report: %s", jsonOf(t, k))
	}
	for _, a := range auditAll(t, e.admin, keys.AuditFilter{Key: pub.ID}) {
		if a.Action == keys.ActionCompromise {
			t.Errorf("a compromise audited for a public key: %s", jsonOf(t, a))
		}
	}
	wantVerify(t, e.admin, pub.Secret, "/acme", nil, keys.CodeValid)
}

// A rolled-out secret still in its grace may read, never act: reporting
// a leak with it disables nothing (forbidden), as any change it tries.
func testPreviousSecretReportsLeaks(t *testing.T, e env) {
	op := create(t, e.admin, "op", g("/acme", keys.Admin))
	victim := create(t, e.admin, "victim", g("/acme/prod", keys.Viewer))
	_, err := e.admin.Roll(bg, op.ID, keys.RollRequest{Grace: dur("1h")})
	ok(t, err)
	out, err := e.as(t, op.Secret).ReportLeaks(bg, []keys.Leak{leak(victim.Secret, "x:1")})
	if err == nil {
		if len(out) != 1 || out[0].Action == nil || *out[0].Action != keys.LeakForbidden {
			t.Errorf("a previous secret reported a leak: %s", jsonOf(t, out))
		}
	} else if keys.ErrorCode(err) != keys.Forbidden {
		t.Errorf("a previous secret reported a leak: %v", err)
	}
	if k := get(t, e.admin, victim.ID); !k.Enabled || k.CompromisedAt != nil {
		t.Errorf("a previous secret disabled a key: %s", jsonOf(t, k))
	}
}
