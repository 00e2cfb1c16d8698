package keystest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// longResource is a valid-looking resource of n bytes under /acme.
func longResource(n int) string {
	var b strings.Builder
	b.WriteString("/acme")
	for b.Len() < n {
		seg := min(n-b.Len()-1, 60)
		if seg < 1 { // never a trailing slash: pad the last segment instead
			b.WriteString("x")
			continue
		}
		b.WriteString("/" + strings.Repeat("r", seg))
	}
	return b.String()
}

// wantBoundedInvalid fails unless err is invalid with a one-line message
// that names want and does not repeat the huge input.
func wantBoundedInvalid(t *testing.T, err error, input, want string) {
	t.Helper()
	wantCode(t, err, keys.Invalid)
	msg := keys.ErrorMessage(err)
	if len(msg) > 200 || strings.ContainsAny(msg, "\n\r") || !strings.Contains(msg, want) {
		t.Errorf("message %.300q (%d bytes): want one short line saying %q", msg, len(msg), want)
	}
	if len(input) > 100 && strings.Contains(msg, input[:100]) {
		t.Errorf("message repeats the input: %.300q", msg)
	}
}

func grantsUnder(prefix string, n int, role keys.Role) []keys.Grant {
	gs := make([]keys.Grant, n)
	for i := range gs {
		gs[i] = g(fmt.Sprintf("%s/r%02d", prefix, i), role)
	}
	return gs
}

// testBounds: DESIGN.md's "Resource": a whole path is at most 255 bytes,
// and a key holds at most 32 grants.
func testBounds(t *testing.T, e env) {
	at, over, huge := longResource(keys.MaxResourceLen), longResource(keys.MaxResourceLen+1), longResource(20000)
	if len(at) != 255 || len(over) != 256 {
		t.Fatalf("fixtures of %d and %d bytes", len(at), len(over))
	}
	k := create(t, e.admin, "long", g(at, keys.Viewer))
	if string(k.Grants[0].Resource) != at {
		t.Errorf("a 255-byte resource came back as %q", k.Grants[0].Resource)
	}
	for _, r := range []string{over, huge} {
		_, err := e.admin.Create(bg, keys.CreateRequest{Name: "too-long", Grants: []keys.Grant{g(r, keys.Viewer)}})
		wantBoundedInvalid(t, err, r, "255 bytes")
		_, err = e.admin.Grant(bg, k.ID, g(r, keys.Viewer))
		wantBoundedInvalid(t, err, r, "255 bytes")
		_, err = e.admin.Verify(bg, keys.VerifyRequest{Secret: k.Secret, Resource: res(r)})
		wantBoundedInvalid(t, err, r, "255 bytes")
		_, err = e.admin.List(bg, keys.ListFilter{Resource: res(r)})
		wantBoundedInvalid(t, err, r, "255 bytes")
	}
	wantVerify(t, e.admin, k.Secret, at, nil, keys.CodeValid)

	// 32 grants, not 33; a resource asked for twice counts once.
	full := createReq(t, e.admin, keys.CreateRequest{Name: "full", Grants: grantsUnder("/acme/full", keys.MaxGrants, keys.Viewer)})
	_, err := e.admin.Create(bg, keys.CreateRequest{Name: "too-many", Grants: grantsUnder("/acme/many", keys.MaxGrants+1, keys.Viewer)})
	wantBoundedInvalid(t, err, "", "at most 32")
	twice := append(grantsUnder("/acme/twice", keys.MaxGrants, keys.Viewer), grantsUnder("/acme/twice", keys.MaxGrants, keys.Editor)...)
	k2 := createReq(t, e.admin, keys.CreateRequest{Name: "twice", Grants: twice})
	if len(k2.Grants) != keys.MaxGrants || k2.Grants[0].Role != keys.Editor {
		t.Errorf("32 resources asked for twice: %d grants, first %v", len(k2.Grants), k2.Grants[0])
	}
	_, err = e.admin.Grant(bg, full.ID, g("/acme/full/one-more", keys.Viewer))
	wantBoundedInvalid(t, err, "", "at most 32")
	if n := len(get(t, e.admin, full.ID).Grants); n != keys.MaxGrants {
		t.Errorf("a refused grant left %d grants", n)
	}
	// A full key's grants can still change role, or make room.
	_, err = e.admin.Grant(bg, full.ID, g("/acme/full/r00", keys.Editor))
	ok(t, err)
	_, err = e.admin.Ungrant(bg, full.ID, "/acme/full/r01")
	ok(t, err)
	_, err = e.admin.Grant(bg, full.ID, g("/acme/full/one-more", keys.Viewer))
	ok(t, err)

	for _, name := range []string{"too-long", "too-many"} {
		if _, err := e.admin.Get(bg, "acme/"+name); keys.ErrorCode(err) != keys.NotFound {
			t.Errorf("a refused create left %s: %v", name, err)
		}
	}
}

// testPublicAtMostViewer: DESIGN.md's "Secret": public keys hold at most
// viewer, on create and on grant.
func testPublicAtMostViewer(t *testing.T, e env) {
	for _, r := range []keys.Role{keys.Editor, keys.Admin} {
		_, err := e.admin.Create(bg, keys.CreateRequest{Name: "web", Type: keys.Public, Grants: []keys.Grant{g("/acme", r)}})
		wantBoundedInvalid(t, err, "", "at most viewer")
		_, err = e.admin.Create(bg, keys.CreateRequest{Name: "web", Type: keys.Public,
			Grants: []keys.Grant{g("/acme/a", keys.Viewer), g("/acme/b", r)}})
		wantCode(t, err, keys.Invalid)
	}
	if _, err := e.admin.Get(bg, "acme/web"); keys.ErrorCode(err) != keys.NotFound {
		t.Fatalf("a refused public create left a key: %v", err)
	}
	pub := createReq(t, e.admin, keys.CreateRequest{Name: "web", Type: keys.Public, Grants: []keys.Grant{g("/acme/web", keys.Viewer)}})
	if !grantsEqual(pub.Grants, []keys.Grant{g("/acme/web", keys.Viewer)}) {
		t.Errorf("public key grants = %v", pub.Grants)
	}
	for _, r := range []keys.Role{keys.Editor, keys.Admin} {
		_, err := e.admin.Grant(bg, pub.ID, g("/acme/web", r))
		wantBoundedInvalid(t, err, "", "at most viewer")
		_, err = e.admin.Grant(bg, pub.ID, g("/acme/app", r))
		wantBoundedInvalid(t, err, "", "at most viewer")
	}
	_, err := e.admin.Grant(bg, pub.ID, g("/acme/app", keys.Viewer))
	ok(t, err)
	if got := get(t, e.admin, pub.ID); !grantsEqual(got.Grants, []keys.Grant{g("/acme/app", keys.Viewer), g("/acme/web", keys.Viewer)}) {
		t.Errorf("public key grants = %v", got.Grants)
	}
	wantVerify(t, e.admin, pub.Secret, "/acme/web/x", nil, keys.CodeValid)
	wantVerify(t, e.admin, pub.Secret, "/acme/web/x", rolePtr(keys.Editor), keys.CodeInsufficientPermissions)
	// A secret key holds any role.
	create(t, e.admin, "sec", g("/acme", keys.Admin))
}
