package keystest

import (
	"slices"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

func orgNames(os []*keys.Org) []string {
	out := []string{}
	for _, o := range os {
		out = append(out, o.Name)
	}
	return out
}

func listOrgs(t *testing.T, svc keys.Service, limit int) []*keys.Org {
	t.Helper()
	return walk(t, "list orgs", limit, func(cursor string) ([]*keys.Org, *string, error) {
		p, err := svc.ListOrgs(bg, keys.OrgFilter{Limit: limit, Cursor: cursor})
		if err != nil {
			return nil, nil, err
		}
		return p.Items, p.NextCursor, nil
	})
}

func getOrg(t *testing.T, svc keys.Service, name string) *keys.Org {
	t.Helper()
	o, err := svc.GetOrg(bg, name)
	if err != nil {
		t.Fatalf("get org %s: %v", name, err)
	}
	return o
}

func wantStrings(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if len(want) == 0 {
		want = []string{}
	}
	if len(got) != len(want) {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s = %q, want %q", what, got, want)
		}
	}
}

// testOrgs: organizations with their default keys, made explicitly or by
// a key, listed, read and deleted (DESIGN.md's Organization; issue 11).
func testOrgs(t *testing.T, e env) {
	created, err := e.admin.CreateOrg(bg, keys.OrgCreateRequest{Name: "acme"})
	ok(t, err)
	o, dk := created.Org, created.DefaultKey
	if o.Name != "/acme" || o.KeyCount != 1 || o.DefaultKeyID == nil || *o.DefaultKeyID != dk.ID {
		t.Fatalf("created org = %+v, default key %s", o, dk.ID)
	}
	if dk.Name != "default" || dk.Org != "/acme" || dk.Type != keys.Public || !dk.Default || dk.Secret == "" ||
		len(dk.Grants) != 1 || dk.Grants[0] != g("/acme", keys.Viewer) {
		t.Fatalf("default key = %+v", dk)
	}
	wantVerify(t, e.admin, dk.Secret, "/acme/web", nil, keys.CodeValid)
	wantVerify(t, e.admin, dk.Secret, "/acme", rolePtr(keys.Editor), keys.CodeInsufficientPermissions)
	if k := get(t, e.admin, "acme/default"); !k.Default {
		t.Fatalf("get default key: default = false")
	}

	// Existing, by either spelling; bad names and a public admin key.
	_, err = e.admin.CreateOrg(bg, keys.OrgCreateRequest{Name: "/acme"})
	wantCode(t, err, keys.Conflict)
	for _, bad := range []string{"", "/", "a/b", "..", "/acme/prod", "sp ace"} {
		_, err = e.admin.CreateOrg(bg, keys.OrgCreateRequest{Name: bad})
		wantCode(t, err, keys.Invalid)
	}
	_, err = e.admin.CreateOrg(bg, keys.OrgCreateRequest{Name: "globex", DefaultType: keys.Public, DefaultRole: keys.Admin})
	wantCode(t, err, keys.Invalid)
	_, err = e.admin.GetOrg(bg, "globex")
	wantCode(t, err, keys.NotFound) // nothing of the refused create was made

	gx, err := e.admin.CreateOrg(bg, keys.OrgCreateRequest{Name: "/globex", DefaultType: keys.Secret, DefaultRole: keys.Admin})
	ok(t, err)
	if gx.DefaultKey.Type != keys.Secret || gx.DefaultKey.Grants[0] != g("/globex", keys.Admin) {
		t.Fatalf("secret admin default key = %+v", gx.DefaultKey.Key)
	}

	// A key under an organization never created makes it, without a
	// default key; ordinary keys are not default.
	ci := create(t, e.admin, "ci", g("/beta/prod", keys.Editor))
	if ci.Default || get(t, e.admin, ci.ID).Default {
		t.Fatalf("an ordinary key is default")
	}
	beta := getOrg(t, e.admin, "beta")
	if beta.Name != "/beta" || beta.KeyCount != 1 || beta.DefaultKeyID != nil {
		t.Fatalf("implicit org = %+v", beta)
	}
	_, err = e.admin.CreateOrg(bg, keys.OrgCreateRequest{Name: "beta"})
	wantCode(t, err, keys.Conflict)
	wantStrings(t, "orgs", orgNames(listOrgs(t, e.admin, 0)), "/acme", "/beta", "/globex")
	wantStrings(t, "orgs by pages of 1", orgNames(listOrgs(t, e.admin, 1)), "/acme", "/beta", "/globex")
	_, err = e.admin.ListOrgs(bg, keys.OrgFilter{Cursor: "not a cursor"})
	wantCode(t, err, keys.Invalid)

	// Rolling the default key keeps it the default; deleting it leaves
	// the organization without one.
	rolled, err := e.admin.Roll(bg, "globex/default", keys.RollRequest{Grace: dur("0")})
	ok(t, err)
	if !rolled.Default || *getOrg(t, e.admin, "globex").DefaultKeyID != gx.DefaultKey.ID {
		t.Fatalf("rolled default key: default %v", rolled.Default)
	}
	_, err = e.admin.Delete(bg, []string{dk.ID})
	ok(t, err)
	if a := getOrg(t, e.admin, "/acme"); a.DefaultKeyID != nil || a.KeyCount != 0 {
		t.Fatalf("org after its default key was deleted = %+v", a)
	}

	// A default key moved out of its organization (through a root grant)
	// is its default no more, and moved into another organization it
	// does not take that one's default.
	ini, err := e.admin.CreateOrg(bg, keys.OrgCreateRequest{Name: "initech"})
	ok(t, err)
	moved, err := e.admin.Grant(bg, ini.DefaultKey.ID, g("/", keys.Viewer))
	ok(t, err)
	if moved.Org != "/" || moved.Default || getOrg(t, e.admin, "initech").DefaultKeyID != nil {
		t.Fatalf("moved default key = %+v", moved)
	}
	_, err = e.admin.Ungrant(bg, ini.DefaultKey.ID, keys.Resource("/initech"))
	ok(t, err)
	_, err = e.admin.Update(bg, ini.DefaultKey.ID, keys.UpdateRequest{Name: strPtr("initech-web")})
	ok(t, err) // (globex has a key named default)
	_, err = e.admin.Grant(bg, ini.DefaultKey.ID, g("/globex/web", keys.Viewer))
	ok(t, err)
	moved, err = e.admin.Ungrant(bg, ini.DefaultKey.ID, keys.Root)
	ok(t, err)
	if gxOrg := getOrg(t, e.admin, "globex"); moved.Org != "/globex" || moved.Default || *gxOrg.DefaultKeyID != gx.DefaultKey.ID || gxOrg.KeyCount != 2 {
		t.Fatalf("default key moved into /globex = %+v; /globex = %+v", moved, gxOrg)
	}
	_, err = e.admin.DeleteOrg(bg, "initech", keys.OrgDeleteRequest{})
	ok(t, err)

	// Delete: refused while keys remain, unless with them; all or nothing.
	_, err = e.admin.DeleteOrg(bg, "globex", keys.OrgDeleteRequest{})
	wantCode(t, err, keys.Conflict)
	other := create(t, e.admin, "other", g("/globex/x", keys.Viewer))
	root := create(t, e.admin, "wide", g("/", keys.Viewer), g("/globex/x", keys.Admin))
	gone, err := e.admin.DeleteOrg(bg, "/globex", keys.OrgDeleteRequest{WithKeys: true})
	ok(t, err)
	if gone.Name != "/globex" || gone.KeyCount != 3 {
		t.Fatalf("deleted org = %+v", gone)
	}
	for _, id := range []string{gx.DefaultKey.ID, other.ID, ini.DefaultKey.ID} {
		_, err = e.admin.Get(bg, id)
		wantCode(t, err, keys.NotFound)
	}
	wantVerify(t, e.admin, rolled.Secret, "", nil, keys.CodeNotFound)
	get(t, e.admin, root.ID) // a root key with grants under it is not in it
	_, err = e.admin.GetOrg(bg, "globex")
	wantCode(t, err, keys.NotFound)
	_, err = e.admin.DeleteOrg(bg, "globex", keys.OrgDeleteRequest{})
	wantCode(t, err, keys.NotFound)
	gone, err = e.admin.DeleteOrg(bg, "acme", keys.OrgDeleteRequest{})
	ok(t, err)
	if gone.KeyCount != 0 {
		t.Fatalf("deleted empty org = %+v", gone)
	}
	wantStrings(t, "orgs after deletes", orgNames(listOrgs(t, e.admin, 0)), "/beta")

	// The audit log keeps it all: org rows have no key.
	var orgRows []string
	deletes := 0
	for _, ev := range auditAll(t, e.admin, keys.AuditFilter{}) {
		switch ev.Action {
		case keys.ActionOrgCreate, keys.ActionOrgDelete:
			if ev.KeyID != nil || ev.KeyName != nil {
				t.Fatalf("org audit row names a key: %+v", ev)
			}
			orgRows = append(orgRows, ev.Action+" "+ev.Org)
		case keys.ActionDelete:
			if ev.Org == "/globex" {
				deletes++
			}
		}
	}
	wantStrings(t, "org audit rows (newest first)", orgRows,
		"org_delete /acme", "org_delete /globex", "org_delete /initech", "org_create /initech", "org_create /globex", "org_create /acme")
	if deletes != 3 {
		t.Fatalf("delete rows of /globex's keys = %d, want 3", deletes)
	}

	// Made again, it is a new organization with a new default key.
	again, err := e.admin.CreateOrg(bg, keys.OrgCreateRequest{Name: "globex"})
	ok(t, err)
	if again.DefaultKey.ID == gx.DefaultKey.ID || again.Org.KeyCount != 1 {
		t.Fatalf("org made again = %+v", again.Org)
	}
}

// testOrgAuthz: only root admins create and delete organizations; an
// organization is listed to those holding viewer or more on all of it,
// and got by its admins.
func testOrgAuthz(t *testing.T, w *world) {
	root := w.as(t, w.root.Secret)
	made, err := root.CreateOrg(bg, keys.OrgCreateRequest{Name: "initech"})
	ok(t, err)

	acmeAdmin := w.as(t, w.acmeAdmin.Secret)
	_, err = acmeAdmin.CreateOrg(bg, keys.OrgCreateRequest{Name: "hooli"})
	wantCode(t, err, keys.Forbidden)
	_, err = acmeAdmin.DeleteOrg(bg, "acme", keys.OrgDeleteRequest{WithKeys: true})
	wantCode(t, err, keys.Forbidden)
	_, err = w.as(t, w.acmeEditor.Secret).DeleteOrg(bg, "initech", keys.OrgDeleteRequest{})
	wantCode(t, err, keys.Forbidden)
	_, err = w.as(t, w.public.Secret).CreateOrg(bg, keys.OrgCreateRequest{Name: "hooli"})
	wantCode(t, err, keys.Forbidden)
	_, err = w.as(t, w.public.Secret).GetOrg(bg, "acme")
	wantCode(t, err, keys.Forbidden)
	_, err = w.admin.GetOrg(bg, "hooli")
	wantCode(t, err, keys.NotFound) // nothing refused was made

	// Who lists what (viewers of a whole organization), and who gets it
	// (its admins): 404 for one not listed, 403 for one listed only.
	for _, c := range []struct {
		who        *keys.NewSecretKey
		lists, get []string
	}{
		{w.root, []string{"/acme", "/globex", "/initech"}, []string{"/acme", "/globex", "/initech"}},
		{w.acmeAdmin, []string{"/acme"}, []string{"/acme"}},
		{w.acmeEditor, []string{"/acme"}, nil},
		{w.acmeViewer, []string{"/acme"}, nil},
		{w.prodAdmin, nil, nil}, // a location's admin: not the whole organization
		{w.globexAdmin, []string{"/globex"}, []string{"/globex"}},
		{w.deploy, nil, nil},
	} {
		svc := w.as(t, c.who.Secret)
		wantStrings(t, c.who.Name+" lists", orgNames(listOrgs(t, svc, 0)), c.lists...)
		for _, name := range []string{"/acme", "/globex", "/initech"} {
			o, err := svc.GetOrg(bg, name)
			switch {
			case slices.Contains(c.get, name):
				if err != nil || o.Name != name {
					t.Fatalf("%s gets %s: %v", c.who.Name, name, err)
				}
			case slices.Contains(c.lists, name):
				wantCode(t, err, keys.Forbidden)
			default:
				wantCode(t, err, keys.NotFound)
			}
		}
	}
	if o := getOrg(t, acmeAdmin, "acme"); o.KeyCount != 7 || o.DefaultKeyID != nil {
		t.Fatalf("acme as its admin = %+v", o) // the world's seven acme keys, made implicitly
	}

	// An organization's audit rows go with it: its viewers read them,
	// other tenants do not.
	initechViewer := create(t, w.admin, "initech-viewer", g("/initech", keys.Viewer))
	seen := func(svc keys.Service) bool {
		for _, ev := range auditAll(t, svc, keys.AuditFilter{}) {
			if ev.Action == keys.ActionOrgCreate && ev.Org == "/initech" {
				if ev.Actor != w.root.ID || ev.KeyID != nil {
					t.Fatalf("org_create row = %+v", ev)
				}
				return true
			}
		}
		return false
	}
	initechProd := create(t, w.admin, "initech-prod", g("/initech/prod", keys.Admin))
	if !seen(w.as(t, initechViewer.Secret)) || !seen(root) || seen(acmeAdmin) || seen(w.as(t, initechProd.Secret)) {
		t.Fatalf("org_create of /initech seen by its viewer %v, root %v, acme's admin %v, a location's admin %v",
			seen(w.as(t, initechViewer.Secret)), seen(root), seen(acmeAdmin), seen(w.as(t, initechProd.Secret)))
	}

	// A rolled-out root secret reads organizations but changes none.
	_, err = w.admin.Roll(bg, w.root.ID, keys.RollRequest{Grace: dur("1h")})
	ok(t, err)
	old := w.as(t, w.root.Secret)
	getOrg(t, old, "initech")
	_, err = old.CreateOrg(bg, keys.OrgCreateRequest{Name: "hooli"})
	wantCode(t, err, keys.Forbidden)
	_, err = old.DeleteOrg(bg, "initech", keys.OrgDeleteRequest{WithKeys: true})
	wantCode(t, err, keys.Forbidden)

	// Root deletes, with the keys.
	gone, err := w.admin.DeleteOrg(bg, "initech", keys.OrgDeleteRequest{WithKeys: true})
	ok(t, err)
	if gone.KeyCount != 3 || *gone.DefaultKeyID != made.DefaultKey.ID {
		t.Fatalf("deleted = %+v", gone)
	}
}
