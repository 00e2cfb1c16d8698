package store

import (
	"slices"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// The audit conditions select every row keys.CanReadAudit lets an
// operator read (creates, updates, grants and ungrants that move keys in
// and out of its sight, deletes), and, for an operator scoped to a
// location, none of another location's rows: the SQL narrows, the rule
// decides. On SQLite and PostgreSQL.
func TestAuditScopeNarrowsToTheRule(t *testing.T) {
	auditNarrows(t, openTemp)
}

func TestPostgresAuditScopeNarrowsToTheRule(t *testing.T) {
	pgAdminURL(t)
	auditNarrows(t, openPG)
}

func auditNarrows(t *testing.T, open func(testing.TB, Options) *Store) {
	s := open(t, Options{})
	admin := keys.ActAs(s, keys.LocalPrincipal("tester"))
	g := func(r string, role keys.Role) keys.Grant { return keys.Grant{Resource: keys.Resource(r), Role: role} }
	create := func(name string, gs ...keys.Grant) *keys.NewSecretKey {
		k, err := admin.Create(ctx, keys.CreateRequest{Name: name, Grants: gs})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	for i, r := range []string{"/acme/prod", "/acme/prod/r1", "/acme/dev", "/acme/prod_x", "/acme/a_b", "/acme/aXb", "/globex/prod"} {
		create("k"+string(rune('a'+i)), g(r, keys.Editor))
	}
	moved := create("moved", g("/acme/dev", keys.Viewer))
	if _, err := admin.Grant(ctx, moved.ID, g("/acme/prod/m", keys.Viewer)); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Ungrant(ctx, moved.ID, "/acme/dev"); err != nil {
		t.Fatal(err)
	}
	gone := create("gone", g("/acme/prod", keys.Viewer))
	if _, err := admin.Delete(ctx, []string{gone.ID}); err != nil {
		t.Fatal(err)
	}
	name := "renamed"
	if _, err := admin.Update(ctx, "kc", keys.UpdateRequest{Name: &name}); err != nil {
		t.Fatal(err)
	}
	operator := func(name string, gs ...keys.Grant) *keys.Principal {
		return keys.KeyPrincipal(&create(name, gs...).Key)
	}
	prod := operator("op-prod", g("/acme/prod", keys.Viewer))
	ab := operator("op-ab", g("/acme/a_b", keys.Viewer))
	acme := operator("op-acme", g("/acme", keys.Admin))
	all := auditRows(t, s, keys.LocalPrincipal("tester"), false)
	for _, p := range []*keys.Principal{prod, ab, acme} {
		var want []int64
		for _, r := range all {
			if keys.CanReadAudit(p, &r.AuditEvent, r.grants) {
				want = append(want, r.ID)
			}
		}
		var got []int64
		for _, r := range auditRows(t, s, p, true) {
			got = append(got, r.ID)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s reads rows %v, want %v", p.Actor, got, want)
		}
		var sqlOnly []int64
		for _, r := range auditRows(t, s, p, false) {
			sqlOnly = append(sqlOnly, r.ID)
		}
		for _, id := range want {
			if !slices.Contains(sqlOnly, id) {
				t.Fatalf("%s: the SQL drops row %d, which it may read", p.Actor, id)
			}
		}
		if p != acme && len(sqlOnly) > len(want)+1 {
			t.Errorf("%s: the SQL selects %d rows for %d readable: %v", p.Actor, len(sqlOnly), len(want), sqlOnly)
		}
	}
}

// auditRows reads every audit row p's conditions select, newest first:
// as Audit returns them (judged), or the SQL's selection alone.
func auditRows(t *testing.T, s *Store, p *keys.Principal, judged bool) []*auditRow {
	t.Helper()
	var out []*auditRow
	if judged {
		page, err := s.Audit(keys.WithPrincipal(ctx, p), keys.AuditFilter{Limit: keys.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Items {
			out = append(out, &auditRow{AuditEvent: *e})
		}
		return out
	}
	err := s.read(keys.WithPrincipal(ctx, p), func(tx *txn) error {
		c, err := tx.auditConds(keys.AuditFilter{})
		if err != nil {
			return err
		}
		rows, err := tx.query(tx.ctx, `SELECT `+auditColumns+` FROM audit a WHERE `+c.sql()+` ORDER BY a.id DESC`, c.args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanAudit(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
