package keystest

import (
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// testAccountsAuthz is the authorization matrix with service accounts:
// an account's keys as operators (they hold what the account holds, and
// lose it the moment the account does) and accounts and their keys as
// targets (changed by who may change a key with their grants).
func testAccountsAuthz(t *testing.T, w *world) {
	t.Run("an account's keys as operators", func(t *testing.T) { testAccountOperators(t, w) })
	t.Run("accounts and their keys as targets", func(t *testing.T) { testAccountTargets(t, w) })
}

func testAccountOperators(t *testing.T, w *world) {
	createAccount(t, w.admin, "ops", g("/acme", keys.Admin))
	opKey := accountKey(t, w.admin, "ops-1", "ops")
	op := w.as(t, opKey.Secret)
	made, err := op.Create(bg, keys.CreateRequest{Name: "made-by-ops", Grants: []keys.Grant{g("/acme/prod", keys.Editor)}})
	ok(t, err)
	if made.CreatedBy != opKey.ID {
		t.Errorf("created_by = %q, want the key that acted", made.CreatedBy)
	}
	// The audit row names the key that acted and its account.
	rows := auditAll(t, w.admin, keys.AuditFilter{Key: made.ID})
	if len(rows) != 1 || rows[0].Actor != opKey.ID || deref(rows[0].ActorName) != "ops-1" || rows[0].Details["account"] != "ops" {
		t.Errorf("audit of a change by an account's key = %+v", rows)
	}
	// An operator of an account may not exceed it, nor leave its scope.
	_, err = op.Create(bg, keys.CreateRequest{Name: "x", Grants: []keys.Grant{g("/globex", keys.Viewer)}})
	wantCode(t, err, keys.Forbidden)
	_, err = op.CreateAccount(bg, keys.CreateAccountRequest{Name: "x", Grants: []keys.Grant{g("/", keys.Viewer)}})
	wantCode(t, err, keys.Forbidden)
	// It manages accounts in its scope.
	sub := createAccount(t, op, "sub", g("/acme/prod", keys.Editor))
	if sub.CreatedBy != opKey.ID {
		t.Errorf("account created_by = %q", sub.CreatedBy)
	}
	// The account narrowed: its key acts with less at once.
	_, err = w.admin.GrantAccount(bg, "ops", g("/acme/dev", keys.Viewer))
	ok(t, err)
	_, err = w.admin.UngrantAccount(bg, "ops", "/acme")
	ok(t, err)
	_, err = op.Create(bg, keys.CreateRequest{Name: "y", Grants: []keys.Grant{g("/acme/dev", keys.Viewer)}})
	wantCode(t, err, keys.Forbidden)
	_, err = op.Get(bg, made.ID)
	wantCode(t, err, keys.NotFound) // /acme/prod is out of its sight now
	// A key of an account may not widen its own account.
	_, err = op.GrantAccount(bg, "ops", g("/acme/dev", keys.Admin))
	if c := keys.ErrorCode(err); c != keys.Forbidden {
		t.Errorf("self-widening: %v, want forbidden", err)
	}
	// Any secret key rolls itself, an account's too.
	rolled, err := op.Roll(bg, opKey.ID, keys.RollRequest{Grace: dur("0")})
	ok(t, err)
	wantVerify(t, w.admin, rolled.Secret, "/acme/dev", nil, keys.CodeValid)
}

func testAccountTargets(t *testing.T, w *world) {
	acmeAcct := createAccount(t, w.admin, "robots", g("/acme/prod", keys.Viewer))
	robot := accountKey(t, w.admin, "robot", "robots")
	createAccount(t, w.admin, "vault", g("/globex/vault", keys.Viewer))

	// Another tenant: not found, whatever it tries.
	globex := w.as(t, w.globexAdmin.Secret)
	for _, ref := range []string{acmeAcct.ID, "robots", "acme/robots"} {
		_, err := globex.GetAccount(bg, ref)
		wantCode(t, err, keys.NotFound)
	}
	if as, err := globex.ListAccounts(bg, keys.AccountFilter{}); err != nil || len(as.Items) != 1 || as.Items[0].Name != "vault" {
		t.Errorf("globex lists %+v, %v", as, err)
	}
	_, err := globex.GrantAccount(bg, "acme/robots", g("/acme/prod", keys.Admin))
	wantCode(t, err, keys.NotFound)
	_, err = globex.DeleteAccount(bg, acmeAcct.ID)
	wantCode(t, err, keys.NotFound)
	_, err = globex.Create(bg, keys.CreateRequest{Name: "spy", Account: acmeAcct.ID})
	wantCode(t, err, keys.NotFound)
	wantChangesRefused(t, globex, robot.ID, keys.NotFound, g("/acme", keys.Admin), "/acme/prod")

	// A viewer reads, but changes nothing.
	viewer := w.as(t, w.acmeViewer.Secret)
	if a, err := viewer.GetAccount(bg, "robots"); err != nil || a.ID != acmeAcct.ID {
		t.Errorf("viewer get account: %+v, %v", a, err)
	}
	_, err = viewer.GrantAccount(bg, "robots", g("/acme/prod", keys.Viewer))
	wantCode(t, err, keys.Forbidden)
	_, err = viewer.UngrantAccount(bg, "robots", "/acme/prod")
	wantCode(t, err, keys.Forbidden)
	_, err = viewer.DeleteAccount(bg, "robots")
	wantCode(t, err, keys.Forbidden)
	_, err = viewer.CreateAccount(bg, keys.CreateAccountRequest{Name: "mine", Grants: []keys.Grant{g("/acme", keys.Viewer)}})
	wantCode(t, err, keys.Forbidden)
	_, err = viewer.Create(bg, keys.CreateRequest{Name: "mine", Account: "robots"})
	wantCode(t, err, keys.Forbidden)

	// An account's audit rows stay with its tenant.
	for _, r := range auditAll(t, globex, keys.AuditFilter{}) {
		if r.Org == "/acme" {
			t.Errorf("globex admin sees an acme row: %s %v", r.Action, r.Details)
		}
	}
	seen := false
	for _, r := range auditAll(t, viewer, keys.AuditFilter{}) {
		seen = seen || (r.Action == keys.ActionAccountCreate && r.Details["account_id"] == acmeAcct.ID)
		if r.Org != "/acme" {
			t.Errorf("acme viewer sees a row of %s", r.Org)
		}
	}
	if !seen {
		t.Error("acme viewer does not see the creation of its account")
	}

	// An editor cannot escalate; a public key manages nothing.
	for _, secret := range []string{w.acmeEditor.Secret, w.public.Secret} {
		svc := w.as(t, secret)
		_, err = svc.GrantAccount(bg, "robots", g("/acme/prod", keys.Editor))
		wantCode(t, err, keys.Forbidden)
		_, err = svc.Create(bg, keys.CreateRequest{Name: "mine", Account: "robots"})
		wantCode(t, err, keys.Forbidden)
	}

	// A narrow admin manages the account within its scope, not above it.
	prod := w.as(t, w.prodAdmin.Secret)
	_, err = prod.GrantAccount(bg, "robots", g("/acme/prod/line-1", keys.Admin))
	ok(t, err)
	_, err = prod.GrantAccount(bg, "robots", g("/acme", keys.Viewer))
	wantCode(t, err, keys.Forbidden)
	k, err := prod.Create(bg, keys.CreateRequest{Name: "robot-2", Account: "robots"})
	ok(t, err)
	wantVerify(t, w.admin, k.Secret, "/acme/prod/line-1", rolePtr(keys.Admin), keys.CodeValid)
	// An account held wider than the operator: readable only if within
	// its sight, changeable never.
	createAccount(t, w.admin, "wide", g("/acme", keys.Editor))
	_, err = prod.GetAccount(bg, "wide")
	wantCode(t, err, keys.NotFound)
	_, err = prod.Create(bg, keys.CreateRequest{Name: "z", Account: "acme/wide"})
	wantCode(t, err, keys.NotFound)
	// The keys of an account are changed as keys with its grants.
	_, err = prod.Update(bg, robot.ID, keys.UpdateRequest{Meta: map[string]string{"line": "1"}})
	ok(t, err)
	_, err = prod.Delete(bg, []string{robot.ID, k.ID})
	ok(t, err)
	_, err = prod.DeleteAccount(bg, "robots")
	ok(t, err)
}
