package keystest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/keyward/keyward/internal/keys"
)

// Organizations, service accounts and JWT keys together (issues 11 and
// 12): an account lies in its organization as a key does, an account's
// JWT key carries its account's grants, and deleting an organization
// with its keys leaves the JWK Set exact.
func integCases() []serviceCase {
	return []serviceCase{
		{"orgs × accounts: an account registers its org; delete takes accounts only --with-keys", testOrgAccounts},
		{"jwt × accounts: a token's grants are the account's; verification follows the account", testJWTAccount},
		{"jwt × orgs: orgs delete --with-keys drops retired signing keys from the JWK Set", testOrgDeleteJWT},
		{"jwt × leaks: a found token is looked up, reported and disabled", testJWTLeaks},
	}
}

func testOrgAccounts(t *testing.T, e env) {
	// An account in an organization never created registers it, as a
	// key does: without a default key.
	a := createAccount(t, e.admin, "ci", g("/newco/prod", keys.Editor))
	o := getOrg(t, e.admin, "newco")
	if o.Name != "/newco" || o.KeyCount != 0 || o.DefaultKeyID != nil {
		t.Fatalf("org of a new account = %+v", o)
	}
	wantStrings(t, "orgs", orgNames(listOrgs(t, e.admin, 0)), "/newco")
	var fields map[string]any
	ok(t, json.Unmarshal([]byte(jsonOf(t, o)), &fields))
	if len(fields) != 4 {
		t.Errorf("org JSON has %d fields, want name, created_at, key_count, default_key_id: %v", len(fields), fields)
	}

	// Refused while the account remains, with or without its keys.
	_, err := e.admin.DeleteOrg(bg, "newco", keys.OrgDeleteRequest{})
	wantCode(t, err, keys.Conflict)
	k := accountKey(t, e.admin, "ci-deploy", "newco/ci")
	plain := create(t, e.admin, "plain", g("/newco", keys.Viewer))
	_, err = e.admin.DeleteOrg(bg, "newco", keys.OrgDeleteRequest{})
	wantCode(t, err, keys.Conflict)
	if got, err := e.admin.GetAccount(bg, a.ID); err != nil || got.KeyCount != 1 {
		t.Fatalf("account after a refused delete: %+v %v", got, err)
	}
	// Another organization's account stays.
	other := createAccount(t, e.admin, "ci", g("/other", keys.Viewer))

	// --with-keys: keys, then accounts, then the org, in one transaction.
	deleted, err := e.admin.DeleteOrg(bg, "/newco", keys.OrgDeleteRequest{WithKeys: true})
	ok(t, err)
	if deleted.KeyCount != 2 {
		t.Errorf("deleted org = %+v", deleted)
	}
	_, err = e.admin.GetAccount(bg, a.ID)
	wantCode(t, err, keys.NotFound)
	_, err = e.admin.GetOrg(bg, "newco")
	wantCode(t, err, keys.NotFound)
	wantVerify(t, e.admin, k.Secret, "/newco/prod", nil, keys.CodeNotFound)
	wantVerify(t, e.admin, plain.Secret, "/newco", nil, keys.CodeNotFound)
	if got, err := e.admin.GetAccount(bg, other.ID); err != nil || got.Org != "/other" {
		t.Fatalf("the other org's account: %+v %v", got, err)
	}
	var accountDeletes, keyDeletes, orgDeletes int
	for _, ev := range auditAll(t, e.admin, keys.AuditFilter{}) {
		switch {
		case ev.Action == keys.ActionAccountDelete && ev.Details["account_id"] == a.ID && ev.Details["with_org"] == "/newco":
			accountDeletes++
		case ev.Action == keys.ActionDelete && ev.Details["with_org"] == "/newco":
			keyDeletes++
		case ev.Action == keys.ActionOrgDelete && ev.Org == "/newco":
			orgDeletes++
			if n, _ := ev.Details["accounts_deleted"].(float64); n != 1 {
				t.Errorf("org_delete details %v", ev.Details)
			}
		}
	}
	if accountDeletes != 1 || keyDeletes != 2 || orgDeletes != 1 {
		t.Errorf("audit: %d account_delete, %d delete, %d org_delete rows; want 1, 2, 1", accountDeletes, keyDeletes, orgDeletes)
	}

	// An organization holding only an account is deleted with it.
	createAccount(t, e.admin, "lonely", g("/solo", keys.Viewer))
	_, err = e.admin.DeleteOrg(bg, "solo", keys.OrgDeleteRequest{})
	if err == nil || !strings.Contains(err.Error(), "service accounts (1)") {
		t.Errorf("delete of an org with an account: %v", err)
	}
	_, err = e.admin.DeleteOrg(bg, "solo", keys.OrgDeleteRequest{WithKeys: true})
	ok(t, err)
	_, err = e.admin.GetAccount(bg, "solo/lonely")
	wantCode(t, err, keys.NotFound)
}

func testJWTAccount(t *testing.T, e env) {
	createAccount(t, e.admin, "svc", g("/acme/prod", keys.Editor), g("/acme/dev", keys.Viewer))
	k := createReq(t, e.admin, keys.CreateRequest{Name: "svc-jwt", Account: "svc", Format: keys.FormatJWT})
	if k.Format != keys.FormatJWT || !keys.IsToken(k.Secret) || k.Account == nil || *k.Account != "svc" {
		t.Fatalf("account JWT key: format %q account %v", k.Format, k.Account)
	}
	claimed := func(token string) string {
		raw, _ := json.Marshal(tokenClaims(t, token)["grants"])
		return string(raw)
	}
	c := tokenClaims(t, k.Secret)
	if c["sub"] != k.ID || c["org"] != "/acme" {
		t.Errorf("claims %v", c)
	}
	if got := claimed(k.Secret); got != `[{"resource":"/acme/dev","role":"viewer"},{"resource":"/acme/prod","role":"editor"}]` {
		t.Errorf("grants claim %s, want the account's", got)
	}
	if set := jwksOf(t, e.admin); offline(t, set, k.Secret) == "" {
		t.Fatal("an account's token does not verify offline")
	}
	res := wantVerify(t, e.admin, k.Secret, "/acme/prod", rolePtr(keys.Editor), keys.CodeValid)
	if res.Account == nil || *res.Account != "svc" {
		t.Errorf("verify names account %v", res.Account)
	}

	// Online, the account's grants now, not the token's at minting.
	_, err := e.admin.GrantAccount(bg, "svc", g("/acme/ops", keys.Admin))
	ok(t, err)
	wantVerify(t, e.admin, k.Secret, "/acme/ops", rolePtr(keys.Admin), keys.CodeValid)
	_, err = e.admin.UngrantAccount(bg, "svc", "/acme/prod")
	ok(t, err)
	wantVerify(t, e.admin, k.Secret, "/acme/prod", rolePtr(keys.Editor), keys.CodeInsufficientPermissions)

	// A roll mints the account's grants as they are now.
	r, err := e.admin.Roll(bg, k.ID, keys.RollRequest{Grace: dur("0")})
	ok(t, err)
	if got := claimed(r.Secret); got != `[{"resource":"/acme/dev","role":"viewer"},{"resource":"/acme/ops","role":"admin"}]` {
		t.Errorf("rolled token's grants claim %s", got)
	}
	wantVerify(t, e.admin, r.Secret, "/acme/ops", rolePtr(keys.Admin), keys.CodeValid)
	wantVerify(t, e.admin, k.Secret, "/acme/dev", nil, keys.CodeNotFound)

	// Keys of the same account in both formats answer alike.
	opaque := accountKey(t, e.admin, "svc-opaque", "svc")
	if opaque.Format != keys.FormatOpaque {
		t.Errorf("opaque account key format %q", opaque.Format)
	}
	wantVerify(t, e.admin, opaque.Secret, "/acme/ops", rolePtr(keys.Admin), keys.CodeValid)
}

func testOrgDeleteJWT(t *testing.T, e env) {
	sk := e.admin.(keys.SigningKeys)
	// An org's secret default key is opaque: --format belongs to keys create.
	created, err := e.admin.CreateOrg(bg, keys.OrgCreateRequest{Name: "jcorp", DefaultType: keys.Secret, DefaultRole: keys.Admin})
	ok(t, err)
	if created.DefaultKey.Format != keys.FormatOpaque || keys.IsToken(created.DefaultKey.Secret) {
		t.Errorf("default key format %q", created.DefaultKey.Format)
	}
	createAccount(t, e.admin, "svc", g("/jcorp/api", keys.Editor))
	first := createJWT(t, e.admin, keys.CreateRequest{Name: "first", Grants: []keys.Grant{g("/jcorp", keys.Viewer)}})
	acct := createReq(t, e.admin, keys.CreateRequest{Name: "acct", Account: "jcorp/svc", Format: keys.FormatJWT})
	oldKid := offline(t, jwksOf(t, e.admin), first.Secret)
	if oldKid == "" || offline(t, jwksOf(t, e.admin), acct.Secret) != oldKid {
		t.Fatal("tokens do not verify offline")
	}
	rotated, err := sk.RotateSigningKey(bg)
	ok(t, err)
	// Another organization's token, signed by the new key, and one of
	// its own signed by the old one keep their keys published.
	keep := createJWT(t, e.admin, keys.CreateRequest{Name: "keep", Grants: []keys.Grant{g("/stays", keys.Viewer)}})
	later := createJWT(t, e.admin, keys.CreateRequest{Name: "later", Grants: []keys.Grant{g("/jcorp", keys.Viewer)}})
	if kids := kidsOf(jwksOf(t, e.admin)); kids != rotated.KID+","+oldKid {
		t.Fatalf("JWK Set before the delete: %s", kids)
	}

	_, err = e.admin.DeleteOrg(bg, "jcorp", keys.OrgDeleteRequest{WithKeys: true})
	ok(t, err)
	// The old key signed only the org's tokens: it leaves the set; the
	// active one stays.
	set := jwksOf(t, e.admin)
	if kids := kidsOf(set); kids != rotated.KID {
		t.Fatalf("JWK Set after orgs delete --with-keys: %s, want only %s", kids, rotated.KID)
	}
	if offline(t, set, keep.Secret) != rotated.KID || offline(t, set, first.Secret) != "" || offline(t, set, later.Secret) == "" {
		t.Errorf("offline after the delete: keep %q first %q", offline(t, set, keep.Secret), offline(t, set, first.Secret))
	}
	for _, s := range []string{first.Secret, acct.Secret, later.Secret} {
		wantVerify(t, e.admin, s, "/jcorp", nil, keys.CodeNotFound)
	}
	wantVerify(t, e.admin, keep.Secret, "/stays", nil, keys.CodeValid)
	list, err := sk.ListSigningKeys(bg)
	ok(t, err)
	if len(list) != 2 || list[0].KID != rotated.KID || list[0].InUse != 1 || list[1].KID != oldKid || list[1].State != keys.SigningDropped || list[1].InUse != 0 {
		t.Errorf("signing keys after the delete: %s", jsonOf(t, list))
	}
}

// kidsOf is the set's kids in its order, joined by commas.
func kidsOf(set jose.JSONWebKeySet) string {
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.KeyID)
	}
	return strings.Join(kids, ",")
}

func testJWTLeaks(t *testing.T, e env) {
	live := createJWT(t, e.admin, keys.CreateRequest{Name: "live", Grants: []keys.Grant{g("/acme/prod", keys.Editor)}})
	gone := createJWT(t, e.admin, keys.CreateRequest{Name: "gone", Grants: []keys.Grant{g("/acme/prod", keys.Viewer)}})
	_, err := e.admin.Delete(bg, []string{gone.ID})
	ok(t, err)
	leaks := []keys.Leak{leak(live.Secret, "app.env:3"), leak(gone.Secret, "old.yaml:1"), leak(live.Secret+"x", "bad:1")}

	out, err := e.admin.CheckLeaks(bg, leaks)
	ok(t, err)
	wantLeak(t, "check live", out[0], live.ID, keys.CodeValid)
	wantLeak(t, "check gone", out[1], "", keys.CodeNotFound)
	wantLeak(t, "check altered", out[2], "", keys.CodeNotFound)
	// A token is shown by its start alone, as its key shows it.
	if out[0].Start != live.Start || out[1].Start != gone.Start {
		t.Errorf("starts %q %q, want %q %q", out[0].Start, out[1].Start, live.Start, gone.Start)
	}
	wantVerify(t, e.admin, live.Secret, "/acme/prod", nil, keys.CodeValid)

	out, err = e.admin.ReportLeaks(bg, leaks)
	ok(t, err)
	wantLeak(t, "report live", out[0], live.ID, keys.CodeDisabled)
	if out[0].Action == nil || *out[0].Action != keys.LeakDisabled || out[0].CompromisedAt == nil {
		t.Errorf("report: %s", jsonOf(t, out[0]))
	}
	wantVerify(t, e.admin, live.Secret, "/acme/prod", nil, keys.CodeDisabled)
	if text := jsonOf(t, auditAll(t, e.admin, keys.AuditFilter{Key: live.ID})); strings.Contains(text, strings.Split(live.Secret, ".")[2]) || !strings.Contains(text, "app.env:3") {
		t.Errorf("compromise audit: %s", text)
	}
}
