package keystest

import (
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// A previous secret (one in its grace after a roll) verifies and reads but
// is never an operator credential for a change: otherwise the holder of a
// leaked secret, the reason keys get rolled, could roll the key out from
// under its owner (--grace 0) and keep it.
func testRolledOutCannotChange(t *testing.T, w *world) {
	old := w.acmeAdmin.Secret
	rolled, err := w.admin.Roll(bg, w.acmeAdmin.ID, keys.RollRequest{Grace: dur("1h")})
	ok(t, err)
	o := w.as(t, old)

	// It reads.
	get(t, o, w.acmeAdmin.ID)
	get(t, o, w.deploy.ID)
	listAll(t, o, keys.ListFilter{})
	if p, err := o.WhoAmI(bg); err != nil || p.Key == nil || p.Key.ID != w.acmeAdmin.ID {
		t.Fatalf("whoami with the previous secret = %v, %v", p, err)
	}
	auditAll(t, o, keys.AuditFilter{})

	// It changes nothing, not even its own key.
	_, err = o.Roll(bg, w.acmeAdmin.ID, keys.RollRequest{Grace: dur("0")})
	wantRolledOut(t, err)
	_, err = o.Create(bg, keys.CreateRequest{Name: "mine", Grants: []keys.Grant{g("/acme", keys.Admin)}})
	wantRolledOut(t, err)
	_, err = o.Update(bg, w.acmeAdmin.ID, keys.UpdateRequest{Meta: map[string]string{"owner": "mallory"}})
	wantRolledOut(t, err)
	wantChangesRefused(t, o, w.deploy.ID, keys.Forbidden, g("/acme/dev", keys.Viewer), "/acme/prod")

	// Nothing changed: the new secret acts, the old one still verifies.
	wantVerify(t, w.admin, rolled.Secret, "/acme", nil, keys.CodeValid)
	wantVerify(t, w.admin, old, "/acme", nil, keys.CodeValid)
	if k := get(t, w.admin, w.deploy.ID); !k.Enabled || len(k.Grants) != 1 {
		t.Errorf("deploy changed: %+v", k)
	}
	if _, err := w.admin.Get(bg, "mine"); keys.ErrorCode(err) != keys.NotFound {
		t.Errorf("the previous secret created a key: %v", err)
	}

	// The audit row says which secret acted.
	n := w.as(t, rolled.Secret)
	_, err = n.Update(bg, w.deploy.ID, keys.UpdateRequest{Meta: map[string]string{"team": "web"}})
	ok(t, err)
	rows := auditAll(t, w.admin, keys.AuditFilter{Key: w.deploy.ID, Limit: 1})
	if len(rows) == 0 || rows[0].Details["secret"] != "current" || rows[0].Actor != w.acmeAdmin.ID {
		t.Errorf("audit of a change by the current secret: %+v", rows)
	}
}

func wantRolledOut(t *testing.T, err error) {
	t.Helper()
	wantCode(t, err, keys.Forbidden)
	if msg := keys.ErrorMessage(err); !strings.Contains(msg, "rolled out") {
		t.Errorf("the refusal does not say the secret was rolled out: %q", msg)
	}
}

// A CI job whose self-roll answer was lost still holds only the old
// secret: it may redo its own roll while the new secret is unclaimed, and
// the old secret keeps the grace it was first given.
func testRedoLostRoll(t *testing.T, w *world) {
	ci := create(t, w.admin, "ci", g("/acme/ci", keys.Viewer))
	s1 := w.as(t, ci.Secret)
	lost, err := s1.Roll(bg, "ci", keys.RollRequest{Grace: dur("1h")})
	ok(t, err)
	graceEnd := lost.PreviousExpiresAt
	if graceEnd == nil {
		t.Fatal("a self-roll with a grace left no previous_expires_at")
	}

	redo, err := s1.Roll(bg, "ci", keys.RollRequest{Grace: dur("0")})
	ok(t, err)
	if redo.Secret == lost.Secret || redo.ID != ci.ID {
		t.Fatalf("redo gave %+v", redo.Key)
	}
	if redo.PreviousExpiresAt == nil || !redo.PreviousExpiresAt.Equal(*graceEnd) {
		t.Errorf("redo moved the previous secret's end from %v to %v", graceEnd, redo.PreviousExpiresAt)
	}
	wantVerify(t, w.admin, lost.Secret, "", nil, keys.CodeNotFound) // the unclaimed secret is replaced
	wantVerify(t, w.admin, ci.Secret, "", nil, keys.CodeValid)      // jobs holding the old one go on
	rows := auditAll(t, w.admin, keys.AuditFilter{Key: ci.ID, Limit: 1})
	if len(rows) == 0 {
		t.Fatal("no audit row for the redo")
	}
	if rows[0].Action != keys.ActionRoll || rows[0].Details["secret"] != "previous" || rows[0].Details["redo"] != true {
		t.Errorf("redo's audit row: %+v", rows[0])
	}

	// Once the new secret is used (here: verified), it is claimed: the old
	// secret may not redo again, and the new one stays valid.
	wantVerify(t, w.admin, redo.Secret, "", nil, keys.CodeValid)
	_, err = s1.Roll(bg, "ci", keys.RollRequest{})
	wantCode(t, err, keys.Forbidden)
	wantVerify(t, w.admin, redo.Secret, "", nil, keys.CodeValid)
	wantVerify(t, w.admin, ci.Secret, "", nil, keys.CodeValid)

	// Authenticating with the new secret claims it too.
	s2 := w.as(t, redo.Secret)
	r3, err := s2.Roll(bg, "ci", keys.RollRequest{Grace: dur("1h")})
	ok(t, err)
	get(t, w.as(t, r3.Secret), "ci")
	_, err = s2.Roll(bg, "ci", keys.RollRequest{})
	wantCode(t, err, keys.Forbidden)
	wantVerify(t, w.admin, r3.Secret, "", nil, keys.CodeValid)

	// A roll made by another operator is never redone by the old secret.
	r4, err := w.admin.Roll(bg, "ci", keys.RollRequest{Grace: dur("1h")})
	ok(t, err)
	_, err = w.as(t, r3.Secret).Roll(bg, "ci", keys.RollRequest{})
	wantRolledOut(t, err)
	wantVerify(t, w.admin, r4.Secret, "", nil, keys.CodeValid)
}
