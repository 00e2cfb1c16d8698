package keystest

import (
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

func testAudit(t *testing.T, e env) {
	start := time.Now().Add(-time.Second)
	k := create(t, e.admin, "audited", g("/acme/prod", keys.Viewer))
	other := create(t, e.admin, "bystander", g("/acme", keys.Viewer))
	_, err := e.admin.Update(bg, k.ID, keys.UpdateRequest{Name: strPtr("audited2"), Meta: map[string]string{"a": "b"}})
	ok(t, err)
	_, err = e.admin.Roll(bg, k.ID, keys.RollRequest{Grace: dur("1h")})
	ok(t, err)
	_, err = e.admin.Grant(bg, k.ID, g("/acme/dev", keys.Editor))
	ok(t, err)
	_, err = e.admin.Ungrant(bg, k.ID, "/acme/dev")
	ok(t, err)
	_, err = e.admin.Delete(bg, []string{k.ID})
	ok(t, err)

	// The deleted key's rows stay, newest first, found by its id.
	rows := auditAll(t, e.admin, keys.AuditFilter{Key: k.ID})
	var actions []string
	for _, r := range rows {
		actions = append(actions, r.Action)
		if deref(r.KeyID) != k.ID || r.Actor == "" || r.Org != "/acme" || r.Details == nil {
			t.Errorf("row %s", jsonOf(t, r))
		}
		if r.At.Before(start.Truncate(time.Second)) || r.At.After(time.Now().Add(time.Second)) || r.At.Location() != time.UTC {
			t.Errorf("row at %v, want now in UTC", r.At)
		}
	}
	want := []string{"delete", "ungrant", "grant", "roll", "update", "create"}
	if !sameStrings(actions, want) {
		t.Fatalf("actions = %v, want %v", actions, want)
	}
	for i := 1; i < len(rows); i++ {
		if rows[i].ID >= rows[i-1].ID {
			t.Errorf("rows not newest first: ids %d then %d", rows[i-1].ID, rows[i].ID)
		}
	}
	if deref(rows[0].KeyName) != "audited2" || deref(rows[len(rows)-1].KeyName) != "audited" {
		t.Errorf("key names %q … %q: each row keeps the name of its time", deref(rows[0].KeyName), deref(rows[len(rows)-1].KeyName))
	}
	if rows[5].Details["grants"] == nil {
		t.Errorf("create details %v lack the grants", rows[5].Details)
	}
	if rows[3].Details["grace"] != "1h" {
		t.Errorf("roll details %v lack grace 1h", rows[3].Details)
	}
	if rows[2].Details["resource"] != "/acme/dev" || rows[2].Details["role"] != "editor" {
		t.Errorf("grant details %v", rows[2].Details)
	}

	// By name while the key lives; a missing key is NotFound.
	if rs := auditAll(t, e.admin, keys.AuditFilter{Key: "bystander"}); len(rs) != 1 || deref(rs[0].KeyID) != other.ID || rs[0].Action != "create" {
		t.Errorf("audit of bystander = %s", jsonOf(t, rs))
	}
	_, err = e.admin.Audit(bg, keys.AuditFilter{Key: "no-such-key"})
	wantCode(t, err, keys.NotFound)

	// Paging walks every row once.
	all := auditAll(t, e.admin, keys.AuditFilter{})
	paged := auditAll(t, e.admin, keys.AuditFilter{Limit: 2})
	if len(all) != len(paged) || len(all) < 7 {
		t.Errorf("all %d rows, paged %d", len(all), len(paged))
	}
	seen := map[int64]bool{}
	for _, r := range paged {
		if seen[r.ID] {
			t.Errorf("row %d twice", r.ID)
		}
		seen[r.ID] = true
	}
	future := time.Now().Add(time.Hour)
	if rs := auditAll(t, e.admin, keys.AuditFilter{Since: &future}); len(rs) != 0 {
		t.Errorf("since the future: %d rows", len(rs))
	}
	if rs := auditAll(t, e.admin, keys.AuditFilter{Since: &start, Key: k.ID}); len(rs) != 6 {
		t.Errorf("since the start: %d rows, want 6", len(rs))
	}
	_, err = e.admin.Audit(bg, keys.AuditFilter{Limit: 1001})
	wantCode(t, err, keys.Invalid)
}

func testNoSecretLeaks(t *testing.T, e env) {
	a := createReq(t, e.admin, keys.CreateRequest{Name: "leaky", Grants: []keys.Grant{g("/acme", keys.Admin)}, Meta: map[string]string{"x": "y"}})
	p := createReq(t, e.admin, keys.CreateRequest{Name: "pub", Type: keys.Public, Grants: []keys.Grant{g("/acme", keys.Viewer)}})
	r, err := e.admin.Roll(bg, a.ID, keys.RollRequest{})
	ok(t, err)
	r2, err := e.admin.Roll(bg, p.ID, keys.RollRequest{Grace: dur("0")})
	ok(t, err)
	secrets := []string{a.Secret, p.Secret, r.Secret, r2.Secret}

	_, err = e.admin.Update(bg, a.ID, keys.UpdateRequest{Enabled: boolPtr(false)})
	ok(t, err)
	got := get(t, e.admin, a.ID)
	noSecret(t, "get", jsonOf(t, got), secrets...)
	noSecret(t, "list", jsonOf(t, listAll(t, e.admin, keys.ListFilter{})), secrets...)
	noSecret(t, "verify", jsonOf(t, verify(t, e.admin, r.Secret, "", nil)), secrets...)
	_, err = e.admin.Delete(bg, []string{p.ID})
	ok(t, err)
	noSecret(t, "audit", jsonOf(t, auditAll(t, e.admin, keys.AuditFilter{})), secrets...)
	// An error never repeats a presented secret either.
	_, err = e.as(t, flipLast(r.Secret)).Get(bg, a.ID)
	if err == nil {
		t.Fatal("a bad operator secret was accepted")
	}
	noSecret(t, "error", err.Error(), flipLast(r.Secret))

	// Nor is a secret kept where every reader (and the audit log) sees it:
	// in meta, a name or a resource.
	for what, try := range map[string]func() error{
		"meta value": func() error {
			_, err := e.admin.Update(bg, a.ID, keys.UpdateRequest{Meta: map[string]string{"token": r.Secret}})
			return err
		},
		"meta key": func() error {
			_, err := e.admin.Create(bg, keys.CreateRequest{Name: "m", Grants: []keys.Grant{g("/acme", keys.Viewer)}, Meta: map[string]string{"t=" + r.Secret: "x"}})
			return err
		},
		"name": func() error {
			_, err := e.admin.Update(bg, a.ID, keys.UpdateRequest{Name: &r.Secret})
			return err
		},
		"resource": func() error {
			_, err := e.admin.Grant(bg, a.ID, keys.Grant{Resource: keys.Resource("/acme/" + r.Secret), Role: keys.Viewer})
			return err
		},
	} {
		err := try()
		if keys.ErrorCode(err) != keys.Invalid {
			t.Errorf("a secret as %s: %v, want invalid", what, err)
		} else {
			noSecret(t, what+" error", err.Error(), r.Secret)
		}
	}
	noSecret(t, "audit", jsonOf(t, auditAll(t, e.admin, keys.AuditFilter{})), r.Secret)
}
