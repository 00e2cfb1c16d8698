package keys

import (
	"slices"
	"testing"
)

func TestParseOrg(t *testing.T) {
	for in, want := range map[string]string{"acme": "/acme", "/acme": "/acme", "a.b-c_1": "/a.b-c_1"} {
		if got, err := ParseOrg(in); err != nil || got != want {
			t.Errorf("ParseOrg(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "/", "//acme", "acme/prod", "/acme/", "..", ".", "a b", "sk_00000000000000000000000000000000" + "30OBQY"} {
		if _, err := ParseOrg(bad); ErrorCode(err) != Invalid {
			t.Errorf("ParseOrg(%q): %v, want invalid", bad, err)
		}
	}
}

func TestOrgCreateRequestDefaults(t *testing.T) {
	req, key, err := OrgCreateRequest{Name: "acme"}.Normalize()
	if err != nil || req.Name != "/acme" || req.DefaultType != Public || req.DefaultRole != Viewer ||
		key.Name != DefaultKeyName || key.Type != Public || key.Prefix != "pk" || !slices.Equal(key.Grants, []Grant{{"/acme", Viewer}}) {
		t.Fatalf("defaults: %+v %+v %v", req, key, err)
	}
	if _, key, err = (OrgCreateRequest{Name: "acme", DefaultType: Secret, DefaultRole: Admin}).Normalize(); err != nil || key.Prefix != "sk" || key.Grants[0].Role != Admin {
		t.Fatalf("secret admin: %+v %v", key, err)
	}
	for _, bad := range []OrgCreateRequest{
		{Name: "acme", DefaultType: Public, DefaultRole: Admin}, // a public key holds at most viewer
		{Name: "acme", DefaultType: "root"},
		{Name: "acme", DefaultRole: Role(9)},
		{Name: "a/b"},
	} {
		if _, _, err := bad.Normalize(); ErrorCode(err) != Invalid {
			t.Errorf("%+v: %v, want invalid", bad, err)
		}
	}
}

func TestOrgRules(t *testing.T) {
	key := func(typ KeyType, grants ...Grant) *Principal {
		return KeyPrincipal(&Key{ID: "key_x", Name: "x", Type: typ, Grants: grants})
	}
	local := LocalPrincipal("alice")
	rootAdmin := key(Secret, Grant{Root, Admin})
	rootViewer := key(Secret, Grant{Root, Viewer})
	acmeAdmin := key(Secret, Grant{"/acme", Admin})
	acmeViewer := key(Secret, Grant{"/acme", Viewer})
	prodAdmin := key(Secret, Grant{"/acme/prod", Admin})
	public := key(Public, Grant{"/acme", Viewer})
	previous := key(Secret, Grant{Root, Admin})
	previous.Previous = true

	for p, want := range map[*Principal]Code{local: "", rootAdmin: "", rootViewer: Forbidden, acmeAdmin: Forbidden,
		prodAdmin: Forbidden, public: Forbidden, previous: Forbidden} {
		if got := ErrorCode(CheckOrgAdmin(p, "/acme")); got != want {
			t.Errorf("CheckOrgAdmin(%s %v) = %q, want %q", p.Actor, p.Key, got, want)
		}
	}
	for p, want := range map[*Principal]bool{local: true, rootViewer: true, acmeAdmin: true, acmeViewer: true,
		prodAdmin: false, public: false, previous: true} {
		if got := CanReadOrg(p, "/acme"); got != want {
			t.Errorf("CanReadOrg(%v) = %v, want %v", p.Key, got, want)
		}
		// An org's audit rows go as the org does.
		e := &AuditEvent{Org: "/acme", Action: ActionOrgCreate}
		if got := CanReadAudit(p, e, OrgAuditGrants("/acme")); got != want && p.Key != nil && p.Key.Type != Public {
			t.Errorf("CanReadAudit(org row, %v) = %v, want %v", p.Key, got, want)
		}
	}
	for p, want := range map[*Principal]Code{local: "", rootAdmin: "", previous: "", acmeAdmin: "",
		rootViewer: Forbidden, acmeViewer: Forbidden, prodAdmin: NotFound, public: NotFound} {
		if got := ErrorCode(CheckGetOrg(p, "/acme")); got != want {
			t.Errorf("CheckGetOrg(%v) = %q, want %q", p.Key, got, want)
		}
	}
	if CanReadOrg(acmeAdmin, "/globex") {
		t.Error("an admin of /acme reads /globex")
	}
	for p, want := range map[*Principal][]string{acmeViewer: {"/acme"}, prodAdmin: nil, public: nil,
		key(Secret, Grant{"/acme", Viewer}, Grant{"/acme/x", Admin}): {"/acme"}} {
		if all, orgs := ReadableOrgs(p); all || !slices.Equal(orgs, want) {
			t.Errorf("ReadableOrgs(%v) = %v %q, want %q", p.Key, all, orgs, want)
		}
	}
	for _, p := range []*Principal{local, rootViewer, rootAdmin} {
		if all, _ := ReadableOrgs(p); !all {
			t.Errorf("ReadableOrgs(%s) is not all", p.Actor)
		}
	}
}
