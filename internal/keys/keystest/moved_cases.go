package keystest

import (
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// moveKey moves k from its organization to the resource to, as root can:
// a key's grants lie in one organization, so through a root grant. It
// returns how many audit rows the move wrote.
func moveKey(t *testing.T, root keys.Service, k *keys.Key, to string) int {
	t.Helper()
	steps := []func() (*keys.Key, error){
		func() (*keys.Key, error) { return root.Grant(bg, k.ID, g("/", keys.Viewer)) },
		func() (*keys.Key, error) { return root.Grant(bg, k.ID, g(to, keys.Viewer)) },
	}
	for _, gr := range k.Grants {
		steps = append(steps, func() (*keys.Key, error) { return root.Ungrant(bg, k.ID, gr.Resource) })
	}
	steps = append(steps, func() (*keys.Key, error) { return root.Ungrant(bg, k.ID, keys.Root) })
	for _, step := range steps {
		if _, err := step(); err != nil {
			t.Fatalf("moving %s to %s: %v", k.Name, to, err)
		}
	}
	return len(steps)
}

type auditSeen struct {
	actions []string
	orgs    map[string]bool
	actors  map[string]bool
	metaA   bool
}

func seenOf(t *testing.T, svc keys.Service, f keys.AuditFilter, id string) auditSeen {
	t.Helper()
	s := auditSeen{orgs: map[string]bool{}, actors: map[string]bool{}}
	for _, r := range auditAll(t, svc, f) {
		if deref(r.KeyID) != id {
			continue
		}
		s.actions = append(s.actions, r.Action)
		s.orgs[r.Org] = true
		s.actors[r.Actor] = true
		if m, _ := r.Details["meta"].(map[string]any); m["a"] != nil {
			s.metaA = true
		}
	}
	return s
}

// testMovedKey: a key root moves from /acme to /globex belongs to /globex
// from then on — for reads, changes and verification — while its audit
// history stays with the tenant that wrote it: each side sees its own
// rows and the row of the move on its side, nothing of the other's.
func testMovedKey(t *testing.T, w *world) {
	acme, globex, root := w.as(t, w.acmeAdmin.Secret), w.as(t, w.globexAdmin.Secret), w.as(t, w.root.Secret)
	_, err := acme.Update(bg, w.deploy.ID, keys.UpdateRequest{Meta: map[string]string{"a": "acme-only"}})
	ok(t, err)
	moved := moveKey(t, root, get(t, root, w.deploy.ID), "/globex/ci")
	k := get(t, root, w.deploy.ID)
	if k.Org != "/globex" || !grantsEqual(k.Grants, []keys.Grant{g("/globex/ci", keys.Viewer)}) {
		t.Fatalf("moved key: org %s, grants %v", k.Org, k.Grants)
	}
	_, err = globex.Update(bg, w.deploy.ID, keys.UpdateRequest{Meta: map[string]string{"g": "globex-only"}})
	ok(t, err)

	// The old tenant: gone for reads and changes, nothing changes.
	for _, ref := range []string{w.deploy.ID, "deploy", "acme/deploy", "globex/deploy"} {
		_, err := acme.Get(bg, ref)
		wantCode(t, err, keys.NotFound)
	}
	if got := names(listAll(t, acme, keys.ListFilter{}), ids(w.deploy)); len(got) != 0 {
		t.Errorf("acme admin lists the moved key")
	}
	wantChangesRefused(t, acme, w.deploy.ID, keys.NotFound, g("/acme/prod", keys.Viewer), "/globex/ci")
	if k := get(t, root, w.deploy.ID); !k.Enabled || k.Org != "/globex" || k.Meta["a"] != "acme-only" {
		t.Errorf("the old tenant changed the moved key: %s", jsonOf(t, k))
	}
	// The new tenant: its own, for reads and changes.
	get(t, globex, "deploy")
	get(t, globex, "globex/deploy")
	_, err = globex.Grant(bg, w.deploy.ID, g("/globex/ci", keys.Editor))
	ok(t, err)
	// Verification follows the grants now.
	wantVerify(t, w.admin, w.deploy.Secret, "/globex/ci/x", rolePtr(keys.Editor), keys.CodeValid)
	wantVerify(t, w.admin, w.deploy.Secret, "/acme/prod", nil, keys.CodeInsufficientPermissions)

	// Audit: the old tenant keeps its rows (create, its update) and the
	// row that took the key out (grant /), by id and by its old name.
	wantAcme := []string{"grant", "update", "create"}
	for _, f := range []keys.AuditFilter{{}, {Key: w.deploy.ID}, {Key: "acme/deploy"}, {Key: "deploy"}} {
		s := seenOf(t, acme, f, w.deploy.ID)
		if !sameStrings(s.actions, wantAcme) || s.orgs["/globex"] || s.actors[w.globexAdmin.ID] {
			t.Errorf("acme admin's audit %+v of the moved key: %v in %v by %v; want %v", f, s.actions, s.orgs, s.actors, wantAcme)
		}
	}
	// The new tenant sees the row that brought the key in (ungrant /) and
	// its own, nothing from /acme's time: not its actor, not its meta.
	wantGlobex := []string{"grant", "update", "ungrant"}
	for _, f := range []keys.AuditFilter{{}, {Key: w.deploy.ID}, {Key: "deploy"}} {
		s := seenOf(t, globex, f, w.deploy.ID)
		if !sameStrings(s.actions, wantGlobex) || s.orgs["/acme"] || s.actors[w.acmeAdmin.ID] || s.metaA {
			t.Errorf("globex admin's audit %+v of the moved key: %v in %v by %v (acme meta %v); want %v",
				f, s.actions, s.orgs, s.actors, s.metaA, wantGlobex)
		}
	}
	// The key itself reads its rows of the organization it is in now.
	if s := seenOf(t, w.as(t, w.deploy.Secret), keys.AuditFilter{Key: w.deploy.ID}, w.deploy.ID); !sameStrings(s.actions, wantGlobex) {
		t.Errorf("the moved key reads its own rows %v, want %v", s.actions, wantGlobex)
	}
	// Root sees them all: create, update, the move, update, grant.
	if s := seenOf(t, root, keys.AuditFilter{Key: w.deploy.ID}, w.deploy.ID); len(s.actions) != 2+moved+2 {
		t.Errorf("root sees %d rows of the moved key, want %d", len(s.actions), 2+moved+2)
	}

	// Deleted by its new tenant: each side keeps its rows, the delete is
	// the new tenant's.
	_, err = globex.Delete(bg, []string{w.deploy.ID})
	ok(t, err)
	if s := seenOf(t, acme, keys.AuditFilter{Key: w.deploy.ID}, w.deploy.ID); !sameStrings(s.actions, wantAcme) {
		t.Errorf("acme admin's rows of the deleted moved key: %v, want %v", s.actions, wantAcme)
	}
	if s := seenOf(t, globex, keys.AuditFilter{Key: w.deploy.ID}, w.deploy.ID); !sameStrings(s.actions, append([]string{"delete"}, wantGlobex...)) {
		t.Errorf("globex admin's rows of the deleted moved key: %v", s.actions)
	}
	// A key of the old tenant that never moved is untouched by all this.
	if s := seenOf(t, acme, keys.AuditFilter{Key: w.acmeShared.ID}, w.acmeShared.ID); !sameStrings(s.actions, []string{"create"}) {
		t.Errorf("acme admin's rows of an unmoved key: %v", s.actions)
	}
	if s := seenOf(t, globex, keys.AuditFilter{}, w.acmeShared.ID); len(s.actions) != 0 {
		t.Errorf("globex admin sees rows of acme's key: %v", s.actions)
	}
}
