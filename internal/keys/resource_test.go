package keys

import (
	"strings"
	"testing"
)

func TestParseResource(t *testing.T) {
	for in, want := range map[string]Resource{
		"/": "/", "/acme": "/acme", "/acme/": "/acme", "/acme/prod/robot-1": "/acme/prod/robot-1",
		"/a.b_c-D": "/a.b_c-D", "/" + strings.Repeat("x", 64): Resource("/" + strings.Repeat("x", 64)),
	} {
		if got, err := ParseResource(in); err != nil || got != want {
			t.Errorf("ParseResource(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "acme", "//", "/acme//prod", "/acme/./x", "/acme/..", "/a b", "/acme/prod//", "/ä", "/" + strings.Repeat("x", 65), "/acme/*", "/acme%2f"} {
		if got, err := ParseResource(in); ErrorCode(err) != Invalid {
			t.Errorf("ParseResource(%q) = %q, %v; want invalid", in, got, err)
		}
	}
}

func TestResourceCoversAndOrg(t *testing.T) {
	for _, tc := range []struct {
		a, b Resource
		want bool
	}{
		{"/", "/acme/prod", true}, {"/acme", "/acme", true}, {"/acme", "/acme/prod", true},
		{"/acme", "/acme2", false}, {"/acme/prod", "/acme", false}, {"/acme/prod", "/acme/prod-2", false},
		{"/Acme", "/acme", false},
	} {
		if got := tc.a.Covers(tc.b); got != tc.want {
			t.Errorf("%q.Covers(%q) = %v", tc.a, tc.b, got)
		}
	}
	for r, org := range map[Resource]string{"/": "/", "/acme": "/acme", "/acme/prod/x": "/acme"} {
		if got := r.Org(); got != org {
			t.Errorf("%q.Org() = %q, want %q", r, got, org)
		}
	}
}

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"ci-deploy", "a", "A.b_c-9", strings.Repeat("n", 64), "key-1", "KEY_x"} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("ValidateName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "a/b", "a b", "key_abc", strings.Repeat("n", 65), "ü"} {
		if err := ValidateName(bad); ErrorCode(err) != Invalid {
			t.Errorf("ValidateName(%q) = %v, want invalid", bad, err)
		}
	}
}

func TestRoles(t *testing.T) {
	for in, want := range map[string]Role{"viewer": Viewer, "editor": Editor, "operator": Editor, "admin": Admin, "owner": Admin, "Admin": Admin} {
		if got, err := ParseRole(in); err != nil || got != want {
			t.Errorf("ParseRole(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseRole("root"); ErrorCode(err) != Invalid {
		t.Errorf("ParseRole(root) = %v", err)
	}
	if !(Viewer < Editor && Editor < Admin) {
		t.Error("roles are not ordered viewer < editor < admin")
	}
	var r Role
	if err := r.UnmarshalJSON([]byte(`"owner"`)); err != nil || r != Admin {
		t.Errorf("UnmarshalJSON(owner) = %v, %v", r, err)
	}
	if b, _ := Admin.MarshalJSON(); string(b) != `"admin"` {
		t.Errorf("MarshalJSON(admin) = %s", b)
	}
}

func TestGrantsOrgAndEdits(t *testing.T) {
	if org, err := OrgOf([]Grant{{"/acme/prod", Editor}, {"/acme/dev", Viewer}}); err != nil || org != "/acme" {
		t.Errorf("OrgOf(acme) = %q, %v", org, err)
	}
	if _, err := OrgOf([]Grant{{"/acme", Editor}, {"/globex", Viewer}}); ErrorCode(err) != Invalid {
		t.Errorf("grants in two organizations must be invalid, got %v", err)
	}
	if org, err := OrgOf([]Grant{{"/", Admin}, {"/globex", Viewer}}); err != nil || org != "/" {
		t.Errorf("a root key's org is /, got %q, %v", org, err)
	}
	if _, err := OrgOf(nil); ErrorCode(err) != Invalid {
		t.Errorf("no grants must be invalid, got %v", err)
	}
	gs := SetGrant([]Grant{{"/acme/prod", Viewer}}, Grant{"/acme/dev", Editor})
	gs = SetGrant(gs, Grant{"/acme/prod", Admin})
	if len(gs) != 2 || gs[0] != (Grant{"/acme/dev", Editor}) || gs[1] != (Grant{"/acme/prod", Admin}) {
		t.Errorf("SetGrant = %v", gs)
	}
	gs, err := RemoveGrant(gs, "/acme/dev")
	if err != nil || len(gs) != 1 {
		t.Fatalf("RemoveGrant = %v, %v", gs, err)
	}
	if _, err := RemoveGrant(gs, "/acme/prod"); ErrorCode(err) != Conflict {
		t.Errorf("removing the last grant must conflict, got %v", err)
	}
	if _, err := RemoveGrant(gs, "/acme/none"); ErrorCode(err) != NotFound {
		t.Errorf("removing a missing grant must be not_found, got %v", err)
	}
}
