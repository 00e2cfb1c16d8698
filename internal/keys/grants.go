package keys

// MaxGrants bounds the grants of one key: with MaxResourceLen, a key, its
// verification answer and each of its audit rows stay a few kilobytes.
const MaxGrants = 32

// CheckGrants checks the grants a new key of type typ would hold (already
// normalized: one per resource): at most MaxGrants, and at most viewer on
// each for a public key.
func CheckGrants(typ KeyType, grants []Grant) error {
	for _, g := range grants {
		if err := checkPublicRole(typ, g); err != nil {
			return err
		}
	}
	return checkGrantCount(len(grants))
}

// CheckGrant checks a grant given to k, which would then hold after. Only
// the grant given is held to the public rule, so that a public key stored
// with more before the rule can still be brought down to viewer.
func CheckGrant(k *Key, g Grant, after []Grant) error {
	if err := checkPublicRole(k.Type, g); err != nil {
		return err
	}
	if len(after) > len(k.Grants) {
		return checkGrantCount(len(after))
	}
	return nil
}

func checkPublicRole(typ KeyType, g Grant) error {
	if typ == Public && g.Role > Viewer {
		return Errorf(Invalid, "a public key holds at most viewer, not %s on %s: public keys identify apps; use a secret key for more", g.Role, g.Resource)
	}
	return nil
}

func checkGrantCount(n int) error {
	if n > MaxGrants {
		return Errorf(Invalid, "too many grants: a key holds at most %d; grant a resource above several instead", MaxGrants)
	}
	return nil
}

// NormalizeGrants checks the grants of a new key (each resource, a role,
// one organization, at most MaxGrants) and returns them sorted with one
// role per resource: the highest asked for. A role left out is viewer. It
// returns the organization the grants put the key in.
func NormalizeGrants(in []Grant) ([]Grant, string, error) {
	if len(in) == 0 {
		return nil, "", Errorf(Invalid, "a key needs at least one grant (--resource)")
	}
	var out []Grant
	for _, g := range in {
		g, err := g.Normalize()
		if err != nil {
			return nil, "", err
		}
		if g.Role == RoleNone {
			g.Role = Viewer
		}
		if ExactRole(out, g.Resource) >= g.Role {
			continue // a duplicate: the highest role asked for wins
		}
		out = SetGrant(out, g)
		if len(out) > MaxGrants {
			// enough to refuse: the rest is never looked at
			return nil, "", checkGrantCount(len(out))
		}
	}
	org, err := OrgOf(out)
	if err != nil {
		return nil, "", err
	}
	return out, org, nil
}

// Normalize checks one grant as asked for: its resource, and its role if
// one is given. RoleNone stays: what it means (viewer, or the role a grant
// already has) is the caller's.
func (g Grant) Normalize() (Grant, error) {
	res, err := ParseResource(string(g.Resource))
	if err != nil {
		return g, err
	}
	if g.Role != RoleNone {
		if err := g.Role.check(); err != nil {
			return g, err
		}
	}
	return Grant{Resource: res, Role: g.Role}, nil
}

// ExactRole is the role of the grant on exactly r, RoleNone if none.
func ExactRole(gs []Grant, r Resource) Role {
	for _, g := range gs {
		if g.Resource == r {
			return g.Role
		}
	}
	return RoleNone
}
