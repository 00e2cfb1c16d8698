package keystest

import (
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// deref is a nullable field's text, "" for null.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func createAccount(t *testing.T, svc keys.Service, name string, grants ...keys.Grant) *keys.Account {
	t.Helper()
	a, err := svc.CreateAccount(bg, keys.CreateAccountRequest{Name: name, Grants: grants})
	if err != nil {
		t.Fatalf("create account %s: %v", name, err)
	}
	return a
}

func accountKey(t *testing.T, svc keys.Service, name, account string) *keys.NewSecretKey {
	t.Helper()
	return createReq(t, svc, keys.CreateRequest{Name: name, Account: account})
}

// testAccounts is DESIGN.md's service accounts: an identity holding
// grants and owning keys that hold exactly those grants.
func testAccounts(t *testing.T, e env) {
	t.Run("create, get and list", func(t *testing.T) { testAccountCRUD(t, e) })
	t.Run("keys of an account hold its grants", func(t *testing.T) { testAccountKeys(t, e) })
	t.Run("a change to an account reaches every key at once", func(t *testing.T) { testAccountChangeReachesKeys(t, e) })
	t.Run("public keys of an account", func(t *testing.T) { testAccountPublicKeys(t, e) })
	t.Run("delete waits for its keys", func(t *testing.T) { testAccountDelete(t, e) })
	t.Run("audit rows name the account", func(t *testing.T) { testAccountAudit(t, e) })
}

func testAccountCRUD(t *testing.T, e env) {
	a := createAccount(t, e.admin, "ci", g("/acme/prod", keys.Editor), g("/acme/dev", keys.Viewer), g("/acme/dev", keys.Viewer))
	if !keys.IsAccountID(a.ID) || a.Name != "ci" || a.Org != "/acme" || a.KeyCount != 0 || a.CreatedBy == "" || a.CreatedAt.IsZero() ||
		!grantsEqual(a.Grants, []keys.Grant{g("/acme/dev", keys.Viewer), g("/acme/prod", keys.Editor)}) {
		t.Fatalf("created %+v", a)
	}
	for _, ref := range []string{a.ID, "ci", "acme/ci", "/acme/ci"} {
		got, err := e.admin.GetAccount(bg, ref)
		if err != nil || got.ID != a.ID || !grantsEqual(got.Grants, a.Grants) {
			t.Errorf("get account %q = %+v, %v", ref, got, err)
		}
	}
	_, err := e.admin.GetAccount(bg, "nope")
	wantCode(t, err, keys.NotFound)
	// Names are unique within an organization, like keys'.
	_, err = e.admin.CreateAccount(bg, keys.CreateAccountRequest{Name: "ci", Grants: []keys.Grant{g("/acme", keys.Viewer)}})
	wantCode(t, err, keys.Conflict)
	other := createAccount(t, e.admin, "ci", g("/globex", keys.Viewer))
	_, err = e.admin.GetAccount(bg, "ci")
	wantCode(t, err, keys.Conflict) // two organizations: ambiguous
	if got, err := e.admin.GetAccount(bg, "globex/ci"); err != nil || got.ID != other.ID {
		t.Errorf("get globex/ci = %+v, %v", got, err)
	}
	for what, req := range map[string]keys.CreateAccountRequest{
		"no grant":            {Name: "x"},
		"two organizations":   {Name: "x", Grants: []keys.Grant{g("/acme", keys.Viewer), g("/globex", keys.Viewer)}},
		"a bad name":          {Name: "a b", Grants: []keys.Grant{g("/acme", keys.Viewer)}},
		"an id-shaped name":   {Name: "acc_x", Grants: []keys.Grant{g("/acme", keys.Viewer)}},
		"a bad resource":      {Name: "x", Grants: []keys.Grant{g("acme", keys.Viewer)}},
		"a role out of range": {Name: "x", Grants: []keys.Grant{g("/acme", keys.Role(9))}},
	} {
		if _, err := e.admin.CreateAccount(bg, req); keys.ErrorCode(err) != keys.Invalid {
			t.Errorf("create account with %s: %v, want invalid", what, err)
		}
	}
	list := listAccounts(t, e.admin, 0)
	if len(list) != 2 || list[0].Name != "ci" || list[1].Name != "ci" {
		t.Errorf("list = %+v", list)
	}
	// Pages of one walk both accounts named ci (the cursor holds the id
	// as well as the name) and no other.
	paged := listAccounts(t, e.admin, 1)
	if len(paged) != 2 || paged[0].ID != list[0].ID || paged[1].ID != list[1].ID {
		t.Errorf("list by pages of 1 = %+v, want %+v", paged, list)
	}
	for _, bad := range []string{"not a cursor", "Y2kKa2V5X3g"} {
		_, err := e.admin.ListAccounts(bg, keys.AccountFilter{Cursor: bad})
		wantCode(t, err, keys.Invalid)
	}
	_, err = e.admin.ListAccounts(bg, keys.AccountFilter{Limit: 1001})
	wantCode(t, err, keys.Invalid)
}

func listAccounts(t *testing.T, svc keys.Service, limit int) []*keys.Account {
	t.Helper()
	return walk(t, "list accounts", limit, func(cursor string) ([]*keys.Account, *string, error) {
		p, err := svc.ListAccounts(bg, keys.AccountFilter{Limit: limit, Cursor: cursor})
		if err != nil {
			return nil, nil, err
		}
		return p.Items, p.NextCursor, nil
	})
}

func testAccountKeys(t *testing.T, e env) {
	a := createAccount(t, e.admin, "deployer", g("/acme/prod", keys.Editor))
	k1 := accountKey(t, e.admin, "deployer-gh", "deployer")
	k2 := createReq(t, e.admin, keys.CreateRequest{Name: "deployer-gl", Account: "acme/deployer", TTL: dur("1h"), Meta: map[string]string{"ci": "gitlab"}})
	for _, k := range []*keys.Key{&k1.Key, &k2.Key, get(t, e.admin, k1.ID)} {
		if deref(k.Account) != "deployer" || k.Org != "/acme" || !grantsEqual(k.Grants, a.Grants) {
			t.Errorf("key of an account = %+v", k)
		}
	}
	if k2.ExpiresAt == nil || k2.Meta["ci"] != "gitlab" {
		t.Errorf("a key of an account keeps its own expiry and meta: %+v", k2.Key)
	}
	plain := create(t, e.admin, "plain", g("/acme", keys.Viewer))
	if plain.Account != nil || get(t, e.admin, plain.ID).Account != nil {
		t.Error("a key of its own has account null")
	}
	if got, err := e.admin.GetAccount(bg, a.ID); err != nil || got.KeyCount != 2 {
		t.Errorf("key_count = %+v, %v; want 2", got, err)
	}
	// A listing narrowed to the account holds its keys only, by any ref,
	// a page at a time, with the other filters.
	createAccount(t, e.admin, "other", g("/acme/dev", keys.Editor))
	accountKey(t, e.admin, "other-key", "other")
	for _, ref := range []string{"deployer", "acme/deployer", a.ID} {
		for _, limit := range []int{0, 1} {
			got := names(listAll(t, e.admin, keys.ListFilter{Account: ref, Limit: limit}), nil)
			if !sameStrings(got, []string{"deployer-gh", "deployer-gl"}) {
				t.Errorf("list --account %s (limit %d) = %q", ref, limit, got)
			}
		}
	}
	if got := names(listAll(t, e.admin, keys.ListFilter{Account: "deployer", ExpiringWithin: *dur("2h")}), nil); !sameStrings(got, []string{"deployer-gl"}) {
		t.Errorf("list --account deployer --expiring-within 2h = %q", got)
	}
	_, err := e.admin.List(bg, keys.ListFilter{Account: "nope"})
	wantCode(t, err, keys.NotFound)
	// Verification answers with the account's grants and names it.
	r := wantVerify(t, e.admin, k1.Secret, "/acme/prod/x", rolePtr(keys.Editor), keys.CodeValid)
	if deref(r.Account) != "deployer" || deref(r.KeyID) != k1.ID || deref(r.Name) != "deployer-gh" {
		t.Errorf("verify = %+v", r)
	}
	wantVerify(t, e.admin, k1.Secret, "/acme/dev", nil, keys.CodeInsufficientPermissions)
	if r := wantVerify(t, e.admin, plain.Secret, "", nil, keys.CodeValid); r.Account != nil {
		t.Errorf("verify of a key of its own: account %q, want null", *r.Account)
	}
	// Either its own grants or its account's, never both.
	_, err = e.admin.Create(bg, keys.CreateRequest{Name: "both", Account: "deployer", Grants: []keys.Grant{g("/acme/prod", keys.Viewer)}})
	wantCode(t, err, keys.Invalid)
	_, err = e.admin.Create(bg, keys.CreateRequest{Name: "orphan", Account: "nobody"})
	wantCode(t, err, keys.NotFound)
	_, err = e.admin.Create(bg, keys.CreateRequest{Name: "deployer-gh", Account: "deployer"})
	wantCode(t, err, keys.Conflict) // key names stay unique in the organization
	_, err = e.admin.Grant(bg, k1.ID, g("/acme/dev", keys.Viewer))
	wantCode(t, err, keys.Invalid)
	_, err = e.admin.Ungrant(bg, k1.ID, "/acme/prod")
	wantCode(t, err, keys.Invalid)
	// Each key is its own: disabling, rolling or deleting one leaves the other.
	_, err = e.admin.Update(bg, k1.ID, keys.UpdateRequest{Enabled: boolPtr(false)})
	ok(t, err)
	wantVerify(t, e.admin, k1.Secret, "", nil, keys.CodeDisabled)
	wantVerify(t, e.admin, k2.Secret, "", nil, keys.CodeValid)
	rolled, err := e.admin.Roll(bg, k2.ID, keys.RollRequest{Grace: dur("0")})
	ok(t, err)
	if deref(rolled.Account) != "deployer" {
		t.Errorf("rolled key's account = %v", rolled.Account)
	}
	wantVerify(t, e.admin, rolled.Secret, "/acme/prod", nil, keys.CodeValid)
	wantVerify(t, e.admin, k2.Secret, "", nil, keys.CodeNotFound)
	// list shows them with their account
	for _, k := range listAll(t, e.admin, keys.ListFilter{Resource: res("/acme/prod")}) {
		if deref(k.Account) != "deployer" {
			t.Errorf("listed %s with account %v", k.Name, k.Account)
		}
	}
}

func testAccountChangeReachesKeys(t *testing.T, e env) {
	createAccount(t, e.admin, "fleet", g("/acme/prod", keys.Editor))
	k1 := accountKey(t, e.admin, "robot-1", "fleet")
	k2 := accountKey(t, e.admin, "robot-2", "fleet")
	// Warm whatever the backend caches.
	for _, k := range []*keys.NewSecretKey{k1, k2} {
		wantVerify(t, e.admin, k.Secret, "/acme/prod", nil, keys.CodeValid)
		wantVerify(t, e.admin, k.Secret, "/acme/dev", nil, keys.CodeInsufficientPermissions)
	}
	a, err := e.admin.GrantAccount(bg, "fleet", g("/acme/dev", keys.RoleNone))
	ok(t, err)
	if !grantsEqual(a.Grants, []keys.Grant{g("/acme/dev", keys.Viewer), g("/acme/prod", keys.Editor)}) || a.KeyCount != 2 {
		t.Errorf("granted account = %+v", a)
	}
	for _, k := range []*keys.NewSecretKey{k1, k2} {
		wantVerify(t, e.admin, k.Secret, "/acme/dev", nil, keys.CodeValid)
		if got := get(t, e.admin, k.ID); !grantsEqual(got.Grants, a.Grants) {
			t.Errorf("%s grants = %v, want the account's %v", k.Name, got.Grants, a.Grants)
		}
	}
	// A grant already so writes nothing and answers the account.
	again, err := e.admin.GrantAccount(bg, "fleet", g("/acme/dev", keys.RoleNone))
	ok(t, err)
	if !grantsEqual(again.Grants, a.Grants) {
		t.Errorf("re-grant changed the account: %+v", again)
	}
	_, err = e.admin.UngrantAccount(bg, "fleet", "/acme/prod")
	ok(t, err)
	for _, k := range []*keys.NewSecretKey{k1, k2} {
		wantVerify(t, e.admin, k.Secret, "/acme/prod", nil, keys.CodeInsufficientPermissions)
		wantVerify(t, e.admin, k.Secret, "/acme/dev", nil, keys.CodeValid)
	}
	// A key made now holds the account as it is.
	k3 := accountKey(t, e.admin, "robot-3", "fleet")
	if !grantsEqual(k3.Grants, []keys.Grant{g("/acme/dev", keys.Viewer)}) {
		t.Errorf("new key's grants = %v", k3.Grants)
	}
	// Never the last grant; never another organization.
	_, err = e.admin.UngrantAccount(bg, "fleet", "/acme/dev")
	wantCode(t, err, keys.Conflict)
	_, err = e.admin.UngrantAccount(bg, "fleet", "/acme/none")
	wantCode(t, err, keys.NotFound)
	_, err = e.admin.GrantAccount(bg, "fleet", g("/globex", keys.Viewer))
	wantCode(t, err, keys.Invalid)
	_, err = e.admin.GrantAccount(bg, "fleet", g("/", keys.Viewer))
	wantCode(t, err, keys.Invalid)
	_, err = e.admin.GrantAccount(bg, "nobody", g("/acme", keys.Viewer))
	wantCode(t, err, keys.NotFound)
	wantVerify(t, e.admin, k1.Secret, "/globex", nil, keys.CodeInsufficientPermissions)
}

func testAccountPublicKeys(t *testing.T, e env) {
	createAccount(t, e.admin, "apps", g("/acme", keys.Viewer))
	createAccount(t, e.admin, "writers", g("/acme", keys.Editor))
	_, err := e.admin.Create(bg, keys.CreateRequest{Name: "web", Type: keys.Public, Account: "writers"})
	wantCode(t, err, keys.Invalid)
	pub := createReq(t, e.admin, keys.CreateRequest{Name: "web", Type: keys.Public, Account: "apps"})
	if pub.Type != keys.Public || deref(pub.Account) != "apps" {
		t.Errorf("public key of an account = %+v", pub.Key)
	}
	// Granting the account above viewer while it has a public key: refused,
	// and nothing changes.
	_, err = e.admin.GrantAccount(bg, "apps", g("/acme/prod", keys.Editor))
	wantCode(t, err, keys.Invalid)
	_, err = e.admin.GrantAccount(bg, "apps", g("/acme", keys.Admin))
	wantCode(t, err, keys.Invalid)
	wantVerify(t, e.admin, pub.Secret, "/acme/prod", rolePtr(keys.Editor), keys.CodeInsufficientPermissions)
	_, err = e.admin.GrantAccount(bg, "apps", g("/acme/web", keys.Viewer))
	ok(t, err)
	_, err = e.admin.Delete(bg, []string{pub.ID})
	ok(t, err)
	_, err = e.admin.GrantAccount(bg, "apps", g("/acme/prod", keys.Editor))
	ok(t, err)
}

func testAccountDelete(t *testing.T, e env) {
	a := createAccount(t, e.admin, "temp", g("/acme", keys.Viewer))
	k := accountKey(t, e.admin, "temp-1", "temp")
	_, err := e.admin.DeleteAccount(bg, "temp")
	wantCode(t, err, keys.Conflict)
	wantVerify(t, e.admin, k.Secret, "", nil, keys.CodeValid)
	_, err = e.admin.Delete(bg, []string{k.ID})
	ok(t, err)
	gone, err := e.admin.DeleteAccount(bg, "temp")
	ok(t, err)
	if gone.ID != a.ID {
		t.Errorf("deleted %+v, want %s", gone, a.ID)
	}
	_, err = e.admin.GetAccount(bg, a.ID)
	wantCode(t, err, keys.NotFound)
	_, err = e.admin.DeleteAccount(bg, a.ID)
	wantCode(t, err, keys.NotFound)
	_, err = e.admin.Create(bg, keys.CreateRequest{Name: "late", Account: "temp"})
	wantCode(t, err, keys.NotFound)
	// The name is free again.
	createAccount(t, e.admin, "temp", g("/acme", keys.Viewer))
}

func testAccountAudit(t *testing.T, e env) {
	a := createAccount(t, e.admin, "audited", g("/acme", keys.Viewer))
	k := accountKey(t, e.admin, "audited-1", "audited")
	_, err := e.admin.GrantAccount(bg, "audited", g("/acme/prod", keys.Editor))
	ok(t, err)
	_, err = e.admin.Delete(bg, []string{k.ID})
	ok(t, err)
	_, err = e.admin.DeleteAccount(bg, "audited")
	ok(t, err)
	var actions []string
	for _, r := range auditAll(t, e.admin, keys.AuditFilter{}) {
		if r.Details["account_id"] != a.ID && deref(r.KeyID) != k.ID {
			continue // the other cases' rows, on the same backend
		}
		switch r.Action {
		case keys.ActionAccountCreate, keys.ActionAccountUpdate, keys.ActionAccountDelete:
			if r.KeyID != nil || r.KeyName != nil || r.Org != "/acme" || r.Details["account_id"] != a.ID || r.Details["account_name"] != "audited" {
				t.Errorf("account row = %+v", r)
			}
		case keys.ActionCreate:
			if r.Details["account_name"] != "audited" {
				t.Errorf("create row of a key of an account = %+v", r.Details)
			}
		}
		actions = append(actions, r.Action)
	}
	want := []string{"account_delete", "delete", "account_update", "create", "account_create"}
	if !sameStrings(actions, want) {
		t.Errorf("actions = %v, want %v", actions, want)
	}
	// --key still finds the key's own rows.
	if rs := auditAll(t, e.admin, keys.AuditFilter{Key: k.ID}); len(rs) != 2 {
		t.Errorf("audit of the key: %d rows, want create and delete", len(rs))
	}
}
