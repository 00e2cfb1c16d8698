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
