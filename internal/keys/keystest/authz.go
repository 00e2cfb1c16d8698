package keystest

import (
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// world is the authorization suite's fixture: operator keys at several
// scopes and keys for them to act on, all made by the admin.
type world struct {
	env
	root, acmeAdmin, acmeEditor, acmeViewer, prodAdmin, globexAdmin, public *keys.NewSecretKey
	deploy, acmeShared, globexShared, globexSecret                          *keys.NewSecretKey
}

func newWorld(t *testing.T, e env) *world {
	w := &world{env: e}
	w.root = create(t, e.admin, "root", g("/", keys.Admin))
	w.acmeAdmin = create(t, e.admin, "acme-admin", g("/acme", keys.Admin))
	w.acmeEditor = create(t, e.admin, "acme-editor", g("/acme", keys.Editor))
	w.acmeViewer = create(t, e.admin, "acme-viewer", g("/acme", keys.Viewer))
	w.prodAdmin = create(t, e.admin, "prod-admin", g("/acme/prod", keys.Admin))
	w.globexAdmin = create(t, e.admin, "globex-admin", g("/globex", keys.Admin))
	w.public = createReq(t, e.admin, keys.CreateRequest{Name: "acme-web", Type: keys.Public, Grants: []keys.Grant{g("/acme", keys.Viewer)}})
	w.deploy = create(t, e.admin, "deploy", g("/acme/prod", keys.Viewer))
	w.acmeShared = create(t, e.admin, "shared", g("/acme", keys.Viewer))
	w.globexShared = create(t, e.admin, "shared", g("/globex", keys.Viewer))
	w.globexSecret = create(t, e.admin, "secretive", g("/globex/vault", keys.Viewer))
	return w
}

// RunAuthzSuite runs DESIGN.md's "who may do what" against a backend:
// tenant isolation, viewers cannot change, editors cannot escalate, public
// keys cannot manage, root can do all, self-roll, 404 versus 403.
func RunAuthzSuite(t *testing.T, open Opener) {
	cases := []struct {
		name string
		run  func(t *testing.T, w *world)
	}{
		{"tenants are isolated", testTenantIsolation},
		{"viewers read but cannot change", testViewerCannotChange},
		{"editors and narrow admins cannot escalate", testNoEscalation},
		{"public keys cannot manage", testPublicCannotManage},
		{"root can do all", testRootCanDoAll},
		{"a key rolls itself", testSelfRoll},
		{"a rolled-out secret reads but changes nothing", testRolledOutCannotChange},
		{"a rolled-out secret redoes its own lost roll", testRedoLostRoll},
		{"unreadable is 404, unchangeable is 403", test404Versus403},
		{"audit is scoped and names the actor", testAuditScope},
		{"audit rows are judged as they were written", testAuditAsWritten},
		{"a key moved to another tenant", testMovedKey},
		{"whoami and dead credentials", testWhoAmI},
		{"organizations: root creates and deletes, viewers list, admins get", testOrgAuthz},
		{"service accounts", testAccountsAuthz},
		{"organizations and service accounts, hostile", testAccountsHostile},
		{"leaks: named where readable, disabled where admin", testLeaksAuthz},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			admin, as, advance := open(t)
			c.run(t, newWorld(t, env{admin: admin, as: as, advance: advance}))
		})
	}
}

func testTenantIsolation(t *testing.T, w *world) {
	acme := w.as(t, w.acmeAdmin.Secret)
	for _, ref := range []string{w.globexSecret.ID, "globex/secretive", "secretive", w.globexAdmin.ID} {
		_, err := acme.Get(bg, ref)
		wantCode(t, err, keys.NotFound)
	}
	// The name shared with another tenant resolves to the visible key.
	if k, err := acme.Get(bg, "shared"); err != nil || k.ID != w.acmeShared.ID {
		t.Errorf("get shared = %v, %v; want the acme key", k, err)
	}
	for _, k := range listAll(t, acme, keys.ListFilter{Limit: 3}) {
		if k.Org != "/acme" {
			t.Errorf("acme admin lists %s in %s", k.Name, k.Org)
		}
	}
	if got := names(listAll(t, acme, keys.ListFilter{}), ids(w.deploy, w.acmeShared, w.acmeViewer)); len(got) != 3 {
		t.Errorf("acme admin lists %v, want its organization's keys", got)
	}
	// Changes to another tenant's keys: not found, and nothing changes.
	wantChangesRefused(t, acme, w.globexSecret.ID, keys.NotFound, g("/globex", keys.Admin), "/globex/vault")
	_, err := acme.Audit(bg, keys.AuditFilter{Key: w.globexSecret.ID})
	wantCode(t, err, keys.NotFound)
	wantVerify(t, w.admin, w.globexSecret.Secret, "", nil, keys.CodeValid)
	// Creating in another tenant is forbidden, even with a free name.
	_, err = acme.Create(bg, keys.CreateRequest{Name: "intruder", Grants: []keys.Grant{g("/globex", keys.Viewer)}})
	wantCode(t, err, keys.Forbidden)
	// A taken name outside one's scope is still forbidden, not a conflict.
	_, err = acme.Create(bg, keys.CreateRequest{Name: "secretive", Grants: []keys.Grant{g("/globex", keys.Viewer)}})
	wantCode(t, err, keys.Forbidden)
	// Nor can a key be moved into another tenant.
	_, err = acme.Grant(bg, w.deploy.ID, g("/globex", keys.Viewer))
	if c := keys.ErrorCode(err); c != keys.Forbidden && c != keys.Invalid {
		t.Errorf("granting another organization: %v", err)
	}
}

func testViewerCannotChange(t *testing.T, w *world) {
	v := w.as(t, w.acmeViewer.Secret)
	if k, err := v.Get(bg, w.deploy.ID); err != nil || k.ID != w.deploy.ID {
		t.Fatalf("viewer get: %v", err)
	}
	if len(listAll(t, v, keys.ListFilter{})) == 0 {
		t.Error("viewer lists nothing")
	}
	_, err := v.Create(bg, keys.CreateRequest{Name: "new", Grants: []keys.Grant{g("/acme", keys.Viewer)}})
	wantCode(t, err, keys.Forbidden)
	wantChangesRefused(t, v, w.deploy.ID, keys.Forbidden, g("/acme/prod", keys.Editor), "/acme/prod")
	// Nothing changed.
	if k := get(t, w.admin, w.deploy.ID); !k.Enabled || len(k.Grants) != 1 || k.Grants[0].Role != keys.Viewer {
		t.Errorf("deploy changed: %+v", k)
	}
	wantVerify(t, w.admin, w.deploy.Secret, "", nil, keys.CodeValid)
}

func testNoEscalation(t *testing.T, w *world) {
	ed := w.as(t, w.acmeEditor.Secret)
	_, err := ed.Create(bg, keys.CreateRequest{Name: "new", Grants: []keys.Grant{g("/acme", keys.Viewer)}})
	wantCode(t, err, keys.Forbidden)
	_, err = ed.Grant(bg, w.acmeEditor.ID, g("/acme", keys.Admin))
	wantCode(t, err, keys.Forbidden)
	_, err = ed.Update(bg, w.deploy.ID, keys.UpdateRequest{Name: strPtr("mine")})
	wantCode(t, err, keys.Forbidden)

	prod := w.as(t, w.prodAdmin.Secret)
	made, err := prod.Create(bg, keys.CreateRequest{Name: "robot", Grants: []keys.Grant{g("/acme/prod/robot-1", keys.Admin)}})
	ok(t, err)
	if made.CreatedBy != w.prodAdmin.ID {
		t.Errorf("created_by = %q, want the operator key's id", made.CreatedBy)
	}
	// Nothing above its own role or outside its scope.
	for name, gs := range map[string][]keys.Grant{
		"admin on the organization":  {g("/acme", keys.Admin)},
		"viewer on the organization": {g("/acme", keys.Viewer)},
		"a sibling":                  {g("/acme/dev", keys.Viewer)},
		"root":                       {g("/", keys.Viewer)},
	} {
		_, err := prod.Create(bg, keys.CreateRequest{Name: "x", Grants: gs})
		if keys.ErrorCode(err) != keys.Forbidden {
			t.Errorf("prod admin creating %s: %v, want forbidden", name, err)
		}
	}
	_, err = prod.Grant(bg, w.deploy.ID, g("/acme/dev", keys.Viewer))
	wantCode(t, err, keys.Forbidden)
	_, err = prod.Grant(bg, w.deploy.ID, g("/acme/prod", keys.Admin)) // up to its own role
	ok(t, err)
	_, err = prod.Get(bg, w.acmeShared.ID) // above its scope: unreadable
	wantCode(t, err, keys.NotFound)

	acme := w.as(t, w.acmeAdmin.Secret)
	_, err = acme.Create(bg, keys.CreateRequest{Name: "wannabe-root", Grants: []keys.Grant{g("/", keys.Admin)}})
	wantCode(t, err, keys.Forbidden)
	_, err = acme.Grant(bg, w.deploy.ID, g("/", keys.Viewer))
	wantCode(t, err, keys.Forbidden)
	_, err = acme.Grant(bg, w.deploy.ID, g("/acme", keys.Admin))
	ok(t, err)
}

func testPublicCannotManage(t *testing.T, w *world) {
	pub := w.as(t, w.public.Secret)
	_, err := pub.Get(bg, w.deploy.ID)
	wantCode(t, err, keys.Forbidden)
	_, err = pub.Get(bg, w.public.ID)
	wantCode(t, err, keys.Forbidden)
	_, err = pub.List(bg, keys.ListFilter{})
	wantCode(t, err, keys.Forbidden)
	_, err = pub.Create(bg, keys.CreateRequest{Name: "x", Grants: []keys.Grant{g("/acme", keys.Viewer)}})
	wantCode(t, err, keys.Forbidden)
	_, err = pub.Roll(bg, w.public.ID, keys.RollRequest{})
	wantCode(t, err, keys.Forbidden)
	_, err = pub.Delete(bg, []string{w.deploy.ID})
	wantCode(t, err, keys.Forbidden)
	_, err = pub.Audit(bg, keys.AuditFilter{})
	wantCode(t, err, keys.Forbidden)
	// It still verifies: that is what it is for.
	wantVerify(t, w.admin, w.public.Secret, "/acme/web", nil, keys.CodeValid)
}

func testRootCanDoAll(t *testing.T, w *world) {
	root := w.as(t, w.root.Secret)
	get(t, root, w.globexSecret.ID)
	get(t, root, "acme/shared")
	_, err := root.Get(bg, "shared")
	wantCode(t, err, keys.Conflict) // root sees both tenants' "shared"
	all := names(listAll(t, root, keys.ListFilter{}), ids(w.acmeShared, w.globexShared, w.globexSecret, w.deploy))
	if len(all) != 4 {
		t.Errorf("root lists %v", all)
	}
	created, err := root.Create(bg, keys.CreateRequest{Name: "new-root", Grants: []keys.Grant{g("/", keys.Admin)}})
	ok(t, err)
	_, err = root.Create(bg, keys.CreateRequest{Name: "initech-admin", Grants: []keys.Grant{g("/initech", keys.Admin)}})
	ok(t, err)
	_, err = root.Grant(bg, w.globexSecret.ID, g("/globex", keys.Admin))
	ok(t, err)
	_, err = root.Update(bg, "acme/shared", keys.UpdateRequest{Enabled: boolPtr(false)})
	ok(t, err)
	_, err = root.Roll(bg, w.acmeAdmin.ID, keys.RollRequest{TTL: dur("30d")})
	ok(t, err)
	_, err = root.Delete(bg, []string{w.globexSecret.ID, "globex/shared"})
	ok(t, err)
	orgs := map[string]bool{}
	for _, r := range auditAll(t, root, keys.AuditFilter{}) {
		orgs[r.Org] = true
	}
	if !orgs["/acme"] || !orgs["/globex"] || !orgs["/"] {
		t.Errorf("root's audit covers organizations %v", orgs)
	}
	if created.CreatedBy != w.root.ID {
		t.Errorf("created_by = %q, want %s", created.CreatedBy, w.root.ID)
	}
}

func testSelfRoll(t *testing.T, w *world) {
	v := w.as(t, w.acmeViewer.Secret)
	_, err := v.Roll(bg, w.acmeViewer.ID, keys.RollRequest{TTL: dur("1d")})
	wantCode(t, err, keys.Forbidden) // only an admin over it may change its expiry
	rolled, err := v.Roll(bg, w.acmeViewer.ID, keys.RollRequest{Grace: dur("1h")})
	ok(t, err)
	if rolled.ID != w.acmeViewer.ID || rolled.ExpiresAt != nil {
		t.Errorf("self-roll changed the key: %+v", rolled.Key)
	}
	// Both secrets act during the grace.
	get(t, w.as(t, rolled.Secret), w.acmeViewer.ID)
	get(t, w.as(t, w.acmeViewer.Secret), w.acmeViewer.ID)

	// A key with a narrow grant reads and rolls itself too.
	robot := create(t, w.admin, "robot", g("/acme/prod/robot-1", keys.Viewer))
	rv := w.as(t, robot.Secret)
	get(t, rv, "robot")
	if _, err := rv.Roll(bg, "robot", keys.RollRequest{Grace: dur("0")}); err != nil {
		t.Fatalf("self-roll by a narrow key: %v", err)
	}
	_, err = rv.Get(bg, "robot")
	wantCode(t, err, keys.Unauthorized) // the old secret stopped at once

	// An admin over itself may change its own expiry.
	a := w.as(t, w.acmeAdmin.Secret)
	r2, err := a.Roll(bg, w.acmeAdmin.ID, keys.RollRequest{TTL: dur("30d")})
	ok(t, err)
	if r2.ExpiresAt == nil {
		t.Error("admin self-roll with ttl left no expiry")
	}
}

func test404Versus403(t *testing.T, w *world) {
	// Readable but not changeable: forbidden.
	_, err := w.as(t, w.acmeViewer.Secret).Update(bg, w.acmeAdmin.ID, keys.UpdateRequest{Enabled: boolPtr(false)})
	wantCode(t, err, keys.Forbidden)
	// Renaming onto a taken name is forbidden before it is a conflict: a
	// caller without rights learns no names, not even unreadable ones.
	for _, taken := range []string{"acme-editor", "deploy"} {
		_, err = w.as(t, w.acmeViewer.Secret).Update(bg, w.acmeAdmin.ID, keys.UpdateRequest{Name: &taken})
		wantCode(t, err, keys.Forbidden)
	}
	prodOnly := create(t, w.admin, "prod-only", g("/acme/prod", keys.Editor))
	hidden := "acme-admin" // in /acme, unreadable from /acme/prod
	_, err = w.as(t, prodOnly.Secret).Update(bg, prodOnly.ID, keys.UpdateRequest{Name: &hidden})
	wantCode(t, err, keys.Forbidden)
	_, err = w.as(t, w.acmeAdmin.Secret).Delete(bg, []string{w.root.ID})
	wantCode(t, err, keys.NotFound) // root keys lie above /acme: unreadable
	prod := w.as(t, w.prodAdmin.Secret)
	_, err = prod.Update(bg, w.acmeShared.ID, keys.UpdateRequest{Enabled: boolPtr(false)})
	wantCode(t, err, keys.NotFound)
	// All or nothing, with an unreadable key among them.
	_, err = prod.Delete(bg, []string{w.deploy.ID, w.acmeShared.ID})
	wantCode(t, err, keys.NotFound)
	get(t, w.admin, w.deploy.ID)
	// A key whose grants reach beyond the operator's admin scope.
	wide := create(t, w.admin, "wide", g("/acme/prod", keys.Viewer), g("/acme/dev", keys.Viewer))
	_, err = prod.Get(bg, wide.ID)
	wantCode(t, err, keys.NotFound)
	acmeEd := w.as(t, w.acmeEditor.Secret)
	_, err = acmeEd.Delete(bg, []string{wide.ID})
	wantCode(t, err, keys.Forbidden)
	get(t, w.admin, wide.ID)
}

func testAuditScope(t *testing.T, w *world) {
	acme := w.as(t, w.acmeAdmin.Secret)
	made, err := acme.Create(bg, keys.CreateRequest{Name: "made-by-acme", Grants: []keys.Grant{g("/acme/ci", keys.Editor)}})
	ok(t, err)
	_, err = w.admin.Delete(bg, []string{w.globexSecret.ID})
	ok(t, err)

	rows := auditAll(t, w.admin, keys.AuditFilter{Key: made.ID})
	if len(rows) != 1 || rows[0].Actor != w.acmeAdmin.ID || rows[0].ActorName == nil || *rows[0].ActorName != "acme-admin" {
		t.Fatalf("audit of an operator's create = %s", jsonOf(t, rows))
	}
	for _, r := range auditAll(t, acme, keys.AuditFilter{}) {
		if r.Org != "/acme" {
			t.Errorf("acme admin sees a row of %s: %s", r.Org, jsonOf(t, r))
		}
	}
	for _, r := range auditAll(t, w.as(t, w.globexAdmin.Secret), keys.AuditFilter{}) {
		if r.Org != "/globex" {
			t.Errorf("globex admin sees a row of %s", r.Org)
		}
	}
	// A deleted key's rows are judged by the grants it had.
	if rs := auditAll(t, w.as(t, w.globexAdmin.Secret), keys.AuditFilter{Key: w.globexSecret.ID}); len(rs) != 2 {
		t.Errorf("globex admin sees %d rows of its deleted key, want 2", len(rs))
	}
	_, err = acme.Audit(bg, keys.AuditFilter{Key: w.globexSecret.ID})
	wantCode(t, err, keys.NotFound)
	// A narrow viewer sees only what it may read.
	for _, r := range auditAll(t, w.as(t, w.prodAdmin.Secret), keys.AuditFilter{}) {
		if deref(r.KeyID) != w.prodAdmin.ID && deref(r.KeyID) != w.deploy.ID {
			t.Errorf("prod admin sees the row of %s (%s)", deref(r.KeyName), r.Org)
		}
	}
}

func testWhoAmI(t *testing.T, w *world) {
	p, err := w.as(t, w.acmeAdmin.Secret).WhoAmI(bg)
	ok(t, err)
	if p.Actor != w.acmeAdmin.ID || p.Name != "acme-admin" || p.Key == nil || p.Key.ID != w.acmeAdmin.ID {
		t.Errorf("whoami = %s", jsonOf(t, p))
	}
	if p, err := w.admin.WhoAmI(bg); err != nil || p.Actor == "" {
		t.Errorf("admin whoami = %v, %v", p, err)
	}
	// A disabled, a deleted, a malformed operator key: unauthenticated.
	_, err = w.admin.Update(bg, w.acmeEditor.ID, keys.UpdateRequest{Enabled: boolPtr(false)})
	ok(t, err)
	_, err = w.as(t, w.acmeEditor.Secret).Get(bg, w.deploy.ID)
	wantCode(t, err, keys.Unauthorized)
	_, err = w.admin.Delete(bg, []string{w.acmeViewer.ID})
	ok(t, err)
	_, err = w.as(t, w.acmeViewer.Secret).WhoAmI(bg)
	wantCode(t, err, keys.Unauthorized)
	_, err = w.as(t, "sk_not-a-secret").List(bg, keys.ListFilter{})
	wantCode(t, err, keys.Unauthorized)
	_, err = w.as(t, flipLast(w.acmeAdmin.Secret)).List(bg, keys.ListFilter{})
	wantCode(t, err, keys.Unauthorized)
}

// testAuditAsWritten: each audit row is judged by the grants it recorded
// (DESIGN.md), not by the key's grants now; the row that takes a key out
// of a reader's sight is seen by that reader too.
func testAuditAsWritten(t *testing.T, w *world) {
	prod := w.as(t, w.prodAdmin.Secret)
	rowsOf := func(svc keys.Service, id string) []string {
		var actions []string
		for _, r := range auditAll(t, svc, keys.AuditFilter{}) {
			if deref(r.KeyID) == id {
				actions = append(actions, r.Action)
			}
		}
		return actions
	}
	// Widened beyond the prod admin's scope: unreadable now, but its rows
	// from within the scope stay, up to the widening.
	widened := create(t, w.admin, "widened", g("/acme/prod", keys.Viewer))
	_, err := w.admin.Grant(bg, widened.ID, g("/acme/dev", keys.Viewer))
	ok(t, err)
	_, err = w.admin.Update(bg, widened.ID, keys.UpdateRequest{Meta: map[string]string{"dev": "only"}})
	ok(t, err)
	_, err = prod.Get(bg, widened.ID)
	wantCode(t, err, keys.NotFound)
	if got := rowsOf(prod, widened.ID); !sameStrings(got, []string{"grant", "create"}) {
		t.Errorf("prod admin sees rows %v of the widened key, want [grant create]", got)
	}
	if rs := auditAll(t, prod, keys.AuditFilter{Key: widened.ID}); len(rs) != 2 {
		t.Errorf("audit --key of the widened key, as the prod admin: %d rows, want 2", len(rs))
	}
	// Narrowed into its scope: readable now, and its rows from the
	// narrowing on; the create, spanning /acme/dev, stays out of sight.
	narrowed := create(t, w.admin, "narrowed", g("/acme/prod", keys.Viewer), g("/acme/dev", keys.Viewer))
	_, err = w.admin.Ungrant(bg, narrowed.ID, "/acme/dev")
	ok(t, err)
	_, err = w.admin.Update(bg, narrowed.ID, keys.UpdateRequest{Enabled: boolPtr(false)})
	ok(t, err)
	get(t, prod, narrowed.ID)
	if got := rowsOf(prod, narrowed.ID); !sameStrings(got, []string{"update", "ungrant"}) {
		t.Errorf("prod admin sees rows %v of the narrowed key, want [update ungrant]", got)
	}
	if rs := auditAll(t, prod, keys.AuditFilter{Key: narrowed.ID}); len(rs) != 2 {
		t.Errorf("audit --key of a readable key: %d rows, want 2", len(rs))
	}
	// The organization's admin sees every row of both.
	acme := w.as(t, w.acmeAdmin.Secret)
	if got := rowsOf(acme, widened.ID); len(got) != 3 {
		t.Errorf("acme admin sees rows %v of the widened key", got)
	}
	if got := rowsOf(acme, narrowed.ID); len(got) != 3 {
		t.Errorf("acme admin sees rows %v of the narrowed key", got)
	}
}
