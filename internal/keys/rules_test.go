package keys

import (
	"net/netip"
	"testing"
	"time"
)

func key(id string, typ KeyType, grants ...Grant) *Key {
	return &Key{ID: id, Name: id, Type: typ, Grants: grants, Enabled: true}
}

func TestRules(t *testing.T) {
	local := LocalPrincipal("alice")
	root := KeyPrincipal(key("root", Secret, Grant{"/", Admin}))
	acmeAdmin := KeyPrincipal(key("acme-admin", Secret, Grant{"/acme", Admin}))
	acmeEditor := KeyPrincipal(key("acme-editor", Secret, Grant{"/acme", Editor}))
	acmeViewer := KeyPrincipal(key("acme-viewer", Secret, Grant{"/acme", Viewer}))
	prodAdmin := KeyPrincipal(key("prod-admin", Secret, Grant{"/acme/prod", Admin}, Grant{"/acme", Viewer}))
	public := KeyPrincipal(key("pub", Public, Grant{"/", Admin}))

	acmeKey := key("k1", Secret, Grant{"/acme/prod", Editor})
	spanning := key("k2", Secret, Grant{"/acme/prod", Viewer}, Grant{"/acme/dev", Viewer})
	globex := key("k3", Secret, Grant{"/globex", Viewer})

	reads := []struct {
		p    *Principal
		k    *Key
		want bool
	}{
		{local, globex, true}, {root, globex, true}, {acmeViewer, acmeKey, true},
		{acmeViewer, globex, false}, {prodAdmin, spanning, true}, {public, acmeKey, false},
		{acmeViewer, acmeViewer.Key, true},
		{KeyPrincipal(key("narrow", Secret, Grant{"/acme/prod", Admin})), spanning, false},
	}
	for _, tc := range reads {
		if got := CanRead(tc.p, tc.k.ID, tc.k.Grants); got != tc.want {
			t.Errorf("CanRead(%s, %s) = %v", tc.p.Actor, tc.k.ID, got)
		}
	}

	changes := []struct {
		p             *Principal
		before, after *Key
		want          Code
	}{
		{local, nil, globex, ""},
		{root, acmeKey, globex, ""},
		{acmeAdmin, nil, acmeKey, ""},
		{acmeAdmin, nil, globex, Forbidden},
		{acmeEditor, nil, acmeKey, Forbidden},
		{acmeViewer, acmeKey, acmeKey, Forbidden},
		{prodAdmin, nil, key("n", Secret, Grant{"/acme/prod/x", Admin}), ""},
		{prodAdmin, nil, spanning, Forbidden},
		{acmeAdmin, nil, key("n", Secret, Grant{"/", Viewer}), Forbidden},
		{public, nil, acmeKey, Forbidden},
		// escalation: acme admin cannot hand out rights it lacks elsewhere
		{prodAdmin, acmeKey, key("k1", Secret, Grant{"/acme/prod", Editor}, Grant{"/acme/dev", Viewer}), Forbidden},
	}
	for i, tc := range changes {
		if got := ErrorCode(CheckChange(tc.p, tc.before, tc.after)); got != tc.want {
			t.Errorf("case %d: CheckChange(%s) = %q, want %q", i, tc.p.Actor, got, tc.want)
		}
	}

	self := acmeViewer.Key
	if err := CheckRoll(acmeViewer, self, false, LastRoll{}); err != nil {
		t.Errorf("a key may roll itself: %v", err)
	}
	if err := CheckRoll(acmeViewer, self, true, LastRoll{}); ErrorCode(err) != Forbidden {
		t.Errorf("a self-roll may not change the expiry: %v", err)
	}
	if err := CheckRoll(acmeAdmin, acmeAdmin.Key, true, LastRoll{}); err != nil {
		t.Errorf("an admin over itself may change its expiry: %v", err)
	}
	if err := CheckRoll(acmeViewer, acmeKey, false, LastRoll{}); ErrorCode(err) != Forbidden {
		t.Errorf("a viewer may not roll another key: %v", err)
	}
	if err := CheckRoll(public, public.Key, false, LastRoll{}); ErrorCode(err) != Forbidden {
		t.Errorf("a public key may not roll itself: %v", err)
	}
	if err := CheckRead(acmeViewer, globex, "k3"); ErrorCode(err) != NotFound {
		t.Errorf("an unreadable key is not_found: %v", err)
	}
}

func TestCanAuthenticate(t *testing.T) {
	now := time.Now()
	past := now.Add(-time.Minute)
	k := key("k", Secret, Grant{"/acme", Admin})
	if err := CanAuthenticate(k, now); err != nil {
		t.Errorf("a valid key authenticates: %v", err)
	}
	if err := CanAuthenticate(key("p", Public, Grant{"/", Admin}), now); ErrorCode(err) != Forbidden {
		t.Errorf("public: %v", err)
	}
	k.Enabled = false
	if err := CanAuthenticate(k, now); ErrorCode(err) != Unauthorized {
		t.Errorf("disabled: %v", err)
	}
	k.Enabled, k.ExpiresAt = true, &past
	if err := CanAuthenticate(k, now); ErrorCode(err) != Unauthorized {
		t.Errorf("expired: %v", err)
	}
}

func TestEvaluate(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	later, earlier := now.Add(time.Hour), now.Add(-time.Second)
	prod := Resource("/acme/prod/robot-1")
	dev := Resource("/acme/dev")
	admin, editor := Admin, Editor
	base := func() *Key {
		return &Key{ID: "key_x", Name: "ci", Org: "/acme", Enabled: true, Grants: []Grant{{"/acme/prod", Editor}}}
	}
	for _, tc := range []struct {
		name     string
		mod      func(*Key)
		previous bool
		res      *Resource
		role     *Role
		want     VerifyCode
	}{
		{"valid", nil, false, nil, nil, CodeValid},
		{"valid under grant", nil, false, &prod, &editor, CodeValid},
		{"outside grant", nil, false, &dev, nil, CodeInsufficientPermissions},
		{"role too low", nil, false, &prod, &admin, CodeInsufficientPermissions},
		{"role too low without resource", nil, false, nil, &admin, CodeInsufficientPermissions},
		{"disabled beats expired", func(k *Key) { k.Enabled = false; k.ExpiresAt = &earlier }, false, &dev, nil, CodeDisabled},
		{"expired beats permissions", func(k *Key) { k.ExpiresAt = &earlier }, false, &dev, nil, CodeExpired},
		{"previous within grace", func(k *Key) { k.PreviousExpiresAt = &later }, true, nil, nil, CodeValid},
		{"previous after grace", func(k *Key) { k.PreviousExpiresAt = &earlier }, true, nil, nil, CodeNotFound},
		{"previous with none left", nil, true, nil, nil, CodeNotFound},
		{"previous of an expired key", func(k *Key) { k.PreviousExpiresAt = &later; k.ExpiresAt = &earlier }, true, nil, nil, CodeNotFound},
		{"previous of a disabled key", func(k *Key) { k.PreviousExpiresAt = &later; k.Enabled = false }, true, nil, nil, CodeDisabled},
	} {
		k := base()
		if tc.mod != nil {
			tc.mod(k)
		}
		r := Evaluate(k, tc.previous, now, tc.res, tc.role, netip.Addr{})
		if r.Code != tc.want || r.Valid != (tc.want == CodeValid) {
			t.Errorf("%s: got %s (valid %v), want %s", tc.name, r.Code, r.Valid, tc.want)
		}
		if r.Code == CodeNotFound && (r.KeyID != nil || r.Name != nil) {
			t.Errorf("%s: a NOT_FOUND result must name no key", tc.name)
		}
	}
}

// A public key stored with more than viewer (before the rule) verifies as
// a viewer, and its answer shows no more.
func TestEvaluateCapsPublicKeys(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	k := &Key{ID: "key_p", Name: "web", Org: "/acme", Type: Public, Enabled: true,
		Grants: []Grant{{"/acme", Admin}, {"/acme/web", Editor}}}
	web := Resource("/acme/web/x")
	for _, tc := range []struct {
		res  *Resource
		role Role
		want VerifyCode
	}{
		{nil, Viewer, CodeValid}, {&web, Viewer, CodeValid},
		{nil, Editor, CodeInsufficientPermissions}, {&web, Editor, CodeInsufficientPermissions},
		{nil, Admin, CodeInsufficientPermissions}, {&web, Admin, CodeInsufficientPermissions},
	} {
		r := Evaluate(k, false, now, tc.res, &tc.role, netip.Addr{})
		if r.Code != tc.want {
			t.Errorf("verify %v as %s: %s, want %s", tc.res, tc.role, r.Code, tc.want)
		}
		for _, g := range r.Grants {
			if g.Role > Viewer {
				t.Errorf("verify answers grant %s %s for a public key", g.Resource, g.Role)
			}
		}
	}
	if k.Grants[0].Role != Admin {
		t.Error("Evaluate changed the key it was given")
	}
}
