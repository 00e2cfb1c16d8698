package keys

import (
	"fmt"
	"strings"
	"testing"
)

func TestResourceLength(t *testing.T) {
	seg := strings.Repeat("s", 62)
	at := "/" + seg + "/" + seg + "/" + seg + "/" + seg // 4*63 = 252 bytes
	at += "/ab"                                         // 255
	if len(at) != MaxResourceLen {
		t.Fatalf("fixture is %d bytes", len(at))
	}
	if r, err := ParseResource(at); err != nil || string(r) != at {
		t.Errorf("a %d-byte resource: %q, %v", len(at), r, err)
	}
	if r, err := ParseResource(at + "/"); err != nil || string(r) != at {
		t.Errorf("a %d-byte resource with a trailing slash: %q, %v", len(at), r, err)
	}
	for _, in := range []string{at + "c", at + "/c", "/" + strings.Repeat("a/", 30000) + "a"} {
		_, err := ParseResource(in)
		if ErrorCode(err) != Invalid {
			t.Fatalf("a %d-byte resource: %v, want invalid", len(in), err)
		}
		msg := ErrorMessage(err)
		if len(msg) > 160 || strings.Contains(msg, "\n") || !strings.Contains(msg, "255") {
			t.Errorf("message for a %d-byte resource: %q (%d bytes); want one short line naming the limit", len(in), msg, len(msg))
		}
	}
}

// Messages about a bad resource quote at most a short prefix of it,
// whatever the fault.
func TestResourceMessagesAreBounded(t *testing.T) {
	long := strings.Repeat("x", 100000)
	for _, in := range []string{long, "/" + long, "/acme/" + long, "/a b" + long, "/acme/../" + long} {
		_, err := ParseResource(in)
		if ErrorCode(err) != Invalid {
			t.Fatalf("ParseResource(%.20q…) = %v, want invalid", in, err)
		}
		if msg := ErrorMessage(err); len(msg) > 160 {
			t.Errorf("message of %d bytes: %.200s", len(msg), msg)
		}
	}
	// A short input is quoted whole.
	if _, err := ParseResource("acme"); !strings.Contains(ErrorMessage(err), `"acme"`) {
		t.Errorf("message %q should quote the input", ErrorMessage(err))
	}
	// A secret is never quoted, even at the start of a resource.
	s := "sk_00000000000000000000000000000000" + "30OBQY"
	if _, err := ParseResource(s); ErrorCode(err) != Invalid || strings.Contains(ErrorMessage(err), s[:20]) {
		t.Errorf("a secret as a resource: %v", err)
	}
}

func grantsN(n int, role Role) []Grant {
	gs := make([]Grant, n)
	for i := range gs {
		gs[i] = Grant{Resource: Resource(fmt.Sprintf("/acme/r%d", i)), Role: role}
	}
	return gs
}

func TestCheckGrants(t *testing.T) {
	if err := CheckGrants(Secret, grantsN(MaxGrants, Admin)); err != nil {
		t.Errorf("%d grants: %v", MaxGrants, err)
	}
	err := CheckGrants(Secret, grantsN(MaxGrants+1, Viewer))
	if ErrorCode(err) != Invalid || !strings.Contains(ErrorMessage(err), "32") {
		t.Errorf("%d grants: %v, want invalid naming the limit", MaxGrants+1, err)
	}
	if err := CheckGrants(Public, grantsN(3, Viewer)); err != nil {
		t.Errorf("a public viewer: %v", err)
	}
	for _, r := range []Role{Editor, Admin} {
		gs := append(grantsN(2, Viewer), Grant{"/acme/web", r})
		err := CheckGrants(Public, gs)
		if ErrorCode(err) != Invalid || !strings.Contains(ErrorMessage(err), "at most viewer") {
			t.Errorf("a public %s: %v, want invalid saying at most viewer", r, err)
		}
	}
}

func TestCheckGrant(t *testing.T) {
	pub := key("pub", Public, grantsN(2, Viewer)...)
	if err := CheckGrant(pub, Grant{"/acme/x", Viewer}, SetGrant(pub.Grants, Grant{"/acme/x", Viewer})); err != nil {
		t.Errorf("viewer to a public key: %v", err)
	}
	for _, r := range []Role{Editor, Admin} {
		g := Grant{"/acme/x", r}
		if err := CheckGrant(pub, g, SetGrant(pub.Grants, g)); ErrorCode(err) != Invalid {
			t.Errorf("%s to a public key: %v, want invalid", r, err)
		}
	}
	// A public key stored with more before the rule can be brought down.
	legacy := key("legacy", Public, Grant{"/acme", Admin}, Grant{"/acme/web", Admin})
	down := Grant{"/acme", Viewer}
	if err := CheckGrant(legacy, down, SetGrant(legacy.Grants, down)); err != nil {
		t.Errorf("lowering a legacy public key's grant: %v", err)
	}
	full := key("full", Secret, grantsN(MaxGrants, Viewer)...)
	more := Grant{"/acme/one-more", Viewer}
	if err := CheckGrant(full, more, SetGrant(full.Grants, more)); ErrorCode(err) != Invalid {
		t.Errorf("a grant beyond %d: %v, want invalid", MaxGrants, err)
	}
	change := Grant{"/acme/r0", Admin}
	if err := CheckGrant(full, change, SetGrant(full.Grants, change)); err != nil {
		t.Errorf("changing a role of a full key: %v", err)
	}
}
