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
