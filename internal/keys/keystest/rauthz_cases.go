package keystest

import (
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// testAccountsHostile is a hostile tenant's review of organizations and
// service accounts (rauthz): the paths around the rules that the
// matrices above do not walk.
func testAccountsHostile(t *testing.T, w *world) {
	t.Run("org rows name the account whose key acted", func(t *testing.T) { testOrgRowsNameAccount(t, w) })
	t.Run("a rolled-out secret of an account's key changes no account", func(t *testing.T) { testRolledOutAccountKey(t, w) })
	t.Run("a secret given as a ref is never echoed", func(t *testing.T) { testSecretRefNotEchoed(t, w) })
	t.Run("the row widening an account out of sight is seen", func(t *testing.T) { testAccountWidenedAudit(t, w) })
}

func testOrgRowsNameAccount(t *testing.T, w *world) {
	createAccount(t, w.admin, "platform", g("/", keys.Admin))
	op := w.as(t, accountKey(t, w.admin, "platform-1", "platform").Secret)
	_, err := op.CreateOrg(bg, keys.OrgCreateRequest{Name: "hooli"})
	ok(t, err)
	_, err = op.DeleteOrg(bg, "hooli", keys.OrgDeleteRequest{WithKeys: true})
	ok(t, err)
	n := 0
	for _, r := range auditAll(t, w.admin, keys.AuditFilter{}) {
		if r.Org != "/hooli" {
			continue
		}
		n++
		if r.Details["account"] != "platform" {
			t.Errorf("%s row of /hooli by an account's key: details = %v, want account platform", r.Action, r.Details)
		}
	}
	if n != 4 { // org_create, the default key's create and delete, org_delete
		t.Errorf("%d rows of /hooli, want 4", n)
	}
}

func testRolledOutAccountKey(t *testing.T, w *world) {
	createAccount(t, w.admin, "ops", g("/acme", keys.Admin))
	createAccount(t, w.admin, "apps", g("/acme/prod", keys.Viewer))
	k := accountKey(t, w.admin, "ops-1", "ops")
	_, err := w.admin.Roll(bg, k.ID, keys.RollRequest{Grace: dur("1h")})
	ok(t, err)
	old := w.as(t, k.Secret)
	before := len(auditAll(t, w.admin, keys.AuditFilter{}))
	// It still reads.
	if _, err := old.GetAccount(bg, "apps"); err != nil {
		t.Errorf("a previous secret reads an account: %v", err)
	}
	_, err = old.CreateAccount(bg, keys.CreateAccountRequest{Name: "x", Grants: []keys.Grant{g("/acme", keys.Viewer)}})
	wantCode(t, err, keys.Forbidden)
	_, err = old.GrantAccount(bg, "apps", g("/acme/dev", keys.Viewer))
	wantCode(t, err, keys.Forbidden)
	_, err = old.GrantAccount(bg, "apps", g("/acme/prod", keys.Viewer)) // already so
	wantCode(t, err, keys.Forbidden)
	_, err = old.GrantAccount(bg, "ops", g("/acme", keys.Admin)) // its own, already so
	wantCode(t, err, keys.Forbidden)
	_, err = old.UngrantAccount(bg, "apps", "/acme/prod")
	wantCode(t, err, keys.Forbidden)
	_, err = old.DeleteAccount(bg, "apps")
	wantCode(t, err, keys.Forbidden)
	_, err = old.Create(bg, keys.CreateRequest{Name: "y", Account: "apps"})
	wantCode(t, err, keys.Forbidden)
	if after := len(auditAll(t, w.admin, keys.AuditFilter{})); after != before {
		t.Errorf("a previous secret wrote %d audit rows", after-before)
	}
}

func testSecretRefNotEchoed(t *testing.T, w *world) {
	secret := w.globexSecret.Secret
	acme := w.as(t, w.acmeAdmin.Secret)
	for name, call := range map[string]func() error{
		"get account":        func() error { _, err := acme.GetAccount(bg, secret); return err },
		"get account in org": func() error { _, err := acme.GetAccount(bg, "acme/"+secret); return err },
		"grant account":      func() error { _, err := acme.GrantAccount(bg, secret, g("/acme", keys.Viewer)); return err },
		"delete account":     func() error { _, err := acme.DeleteAccount(bg, secret); return err },
		"create in account": func() error {
			_, err := acme.Create(bg, keys.CreateRequest{Name: "x", Account: secret})
			return err
		},
		"get org":    func() error { _, err := acme.GetOrg(bg, secret); return err },
		"delete org": func() error { _, err := acme.DeleteOrg(bg, secret, keys.OrgDeleteRequest{}); return err },
		"get key":    func() error { _, err := acme.Get(bg, secret); return err },
	} {
		err := call()
		if err == nil {
			t.Errorf("%s with a secret: no error", name)
			continue
		}
		if strings.Contains(err.Error(), secret[3:20]) {
			t.Errorf("%s echoes the secret: %v", name, err)
		}
	}
}

// testAccountWidenedAudit: as for a key (testAuditAsWritten), the row that
// takes an account out of a reader's sight is seen from both sides, so an
// operator whose account vanished from its list can tell why.
func testAccountWidenedAudit(t *testing.T, w *world) {
	a := createAccount(t, w.admin, "line", g("/acme/prod", keys.Viewer))
	prod := w.as(t, w.prodAdmin.Secret)
	if _, err := prod.GetAccount(bg, "line"); err != nil {
		t.Fatalf("prod admin reads the account: %v", err)
	}
	_, err := w.admin.GrantAccount(bg, "line", g("/acme/dev", keys.Viewer))
	ok(t, err)
	_, err = prod.GetAccount(bg, "line")
	wantCode(t, err, keys.NotFound)
	var actions []string
	for _, r := range auditAll(t, prod, keys.AuditFilter{}) {
		if r.Details["account_id"] == a.ID {
			actions = append(actions, r.Action)
		}
	}
	if !sameStrings(actions, []string{keys.ActionAccountUpdate, keys.ActionAccountCreate}) {
		t.Errorf("prod admin sees the account's rows %v, want its creation and the grant that widened it", actions)
	}
	// A role raised in place moves nothing out of sight: judged as written.
	_, err = w.admin.GrantAccount(bg, "line", g("/acme/dev", keys.Editor))
	ok(t, err)
	for _, r := range auditAll(t, w.as(t, w.deploy.Secret), keys.AuditFilter{}) {
		if r.Details["account_id"] == a.ID && r.Details["previous_role"] != nil {
			t.Errorf("a reader of /acme/prod alone sees the role change on /acme/dev: %v", r.Details)
		}
	}
}
