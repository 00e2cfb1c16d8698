package keys

import "testing"

func TestCanReadAudit(t *testing.T) {
	local := LocalPrincipal("alice")
	root := KeyPrincipal(key("root", Secret, Grant{"/", Admin}))
	acme := KeyPrincipal(key("acme-admin", Secret, Grant{"/acme", Admin}))
	acme.Key.Org = "/acme"
	other := KeyPrincipal(key("other-admin", Secret, Grant{"/other", Admin}))
	other.Key.Org = "/other"
	prod := KeyPrincipal(key("prod-admin", Secret, Grant{"/acme/prod", Admin}))
	prod.Key.Org = "/acme"
	// k, now in /other: as a principal it reads its own rows of /other.
	self := KeyPrincipal(key("k", Secret, Grant{"/other/x", Viewer}))
	self.Key.Org = "/other"
	public := KeyPrincipal(key("pub", Public, Grant{"/", Viewer}))

	gs := func(rs ...Resource) []Grant {
		var out []Grant
		for _, r := range rs {
			out = append(out, Grant{r, Viewer})
		}
		return out
	}
	type row struct {
		name   string
		ev     AuditEvent
		grants []Grant
		seen   []*Principal
	}
	ev := func(org, action string, details map[string]any) AuditEvent {
		k := "k"
		return AuditEvent{Org: org, Action: action, KeyID: &k, KeyName: &k, Details: details}
	}
	everyone := []*Principal{local, root, acme, other, prod, self, public}
	rows := []row{
		// k moves from /acme to /other the only way it can: through a root grant.
		{"create in /acme", ev("/acme", ActionCreate, nil), gs("/acme/prod"), []*Principal{local, root, acme, prod}},
		{"update in /acme", ev("/acme", ActionUpdate, nil), gs("/acme/prod"), []*Principal{local, root, acme, prod}},
		{"grant / (leaves /acme)", ev("/", ActionGrant, map[string]any{"resource": "/", "role": "viewer"}),
			gs("/", "/acme/prod"), []*Principal{local, root, acme, prod}},
		{"grant /other/x (a root key)", ev("/", ActionGrant, map[string]any{"resource": "/other/x", "role": "viewer"}),
			gs("/", "/acme/prod", "/other/x"), []*Principal{local, root}},
		{"ungrant /acme/prod (a root key)", ev("/", ActionUngrant, map[string]any{"resource": "/acme/prod", "role": "viewer"}),
			gs("/", "/other/x"), []*Principal{local, root}},
		{"ungrant / (arrives in /other)", ev("/other", ActionUngrant, map[string]any{"resource": "/", "role": "viewer"}),
			gs("/other/x"), []*Principal{local, root, other, self}},
		{"roll in /other", ev("/other", ActionRoll, nil), gs("/other/x"), []*Principal{local, root, other, self}},
		{"delete in /other", ev("/other", ActionDelete, nil), gs("/other/x"), []*Principal{local, root, other, self}},
		// Within one organization: widened out of, narrowed into a scope.
		{"widened beyond /acme/prod", ev("/acme", ActionGrant, map[string]any{"resource": "/acme/dev", "role": "viewer"}),
			gs("/acme/dev", "/acme/prod"), []*Principal{local, root, acme, prod}},
		{"a role changed outside /acme/prod", ev("/acme", ActionGrant, map[string]any{"resource": "/acme/dev", "role": "admin", "previous_role": "viewer"}),
			gs("/acme/dev", "/acme/prod"), []*Principal{local, root, acme}},
		{"narrowed into /acme/prod", ev("/acme", ActionUngrant, map[string]any{"resource": "/acme/dev", "role": "viewer"}),
			gs("/acme/prod"), []*Principal{local, root, acme, prod}},
		{"created spanning", ev("/acme", ActionCreate, nil), gs("/acme/dev", "/acme/prod"), []*Principal{local, root, acme}},
		// A row that recorded no grants is judged by nothing: root only.
		{"no grants", ev("/acme", ActionUpdate, nil), nil, []*Principal{local, root}},
		{"odd details", ev("/acme", ActionGrant, map[string]any{"resource": 7}), gs("/acme/dev", "/acme/prod"), []*Principal{local, root, acme}},
	}
	for _, r := range rows {
		want := map[*Principal]bool{}
		for _, p := range r.seen {
			want[p] = true
		}
		for _, p := range everyone {
			if got := CanReadAudit(p, &r.ev, r.grants); got != want[p] {
				t.Errorf("%s: CanReadAudit(%s) = %v", r.name, p.Actor, got)
			}
		}
	}
}
