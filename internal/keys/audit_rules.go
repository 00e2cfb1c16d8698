package keys

// CanReadAudit reports whether p may see an audit row about a key, judged
// by what that row recorded — its org and the key's grants as of the row
// (before a delete, after any other change) — never by the key as it is
// now: history stays with the tenant that wrote it, so a key moved to
// another organization takes none of it along, and a deleted key's rows
// stay readable.
//
// A grant or ungrant row is also judged by the grants just before it,
// which the row determines exactly (its resource, and whether the grant
// existed: previous_role). The row that moves a key out of a reader's
// sight — widened beyond its scope, or into another organization (through
// a root grant: a key's grants lie in one organization) — is thus seen on
// both sides of the move, and says where the key went or came from.
//
// A secret key reads its own rows of the organization it is in now.
func CanReadAudit(p *Principal, e *AuditEvent, grants []Grant) bool {
	switch {
	case p.IsLocal():
		return true
	case p.Key.Type == Public:
		return false
	case p.roleOn(Root) >= Viewer:
		return true
	case e.KeyID != nil && p.Key.ID == *e.KeyID && e.Org == p.Key.Org:
		return true
	}
	if holdsAllOf(p, grants) {
		return true
	}
	before, ok := grantsBefore(e, grants)
	return ok && holdsAllOf(p, before)
}

// holdsAllOf is holdsOnAll(grants, Viewer) for a non-empty set: a row that
// recorded no grants is judged by none.
func holdsAllOf(p *Principal, grants []Grant) bool {
	return len(grants) > 0 && p.holdsOnAll(grants, Viewer)
}

// grantsBefore works out the key's (or account's) grants just before a
// grant or ungrant row from the grants after it and the row's details;
// false when the row is of another action, or the same resources (a role
// changed).
func grantsBefore(e *AuditEvent, after []Grant) ([]Grant, bool) {
	s, _ := e.Details["resource"].(string)
	r := Resource(s)
	if s == "" {
		return nil, false
	}
	switch e.Action {
	case ActionGrant:
		if _, changed := e.Details["previous_role"]; changed {
			return nil, false
		}
		out, err := RemoveGrant(after, r)
		return out, err == nil
	case ActionUngrant:
		// The role removed is irrelevant to reading: any grant needs
		// viewer over its resource.
		return SetGrant(after, Grant{Resource: r, Role: Viewer}), true
	case ActionAccountUpdate:
		// An account's grant or ungrant, told apart by what it left: a
		// grant's resource is among the grants after it. Judged as a key's
		// row is, so that the grant widening an account out of a reader's
		// sight is seen from both sides.
		if _, changed := e.Details["previous_role"]; changed {
			return nil, false
		}
		if ExactRole(after, r) == RoleNone {
			return SetGrant(after, Grant{Resource: r, Role: Viewer}), true
		}
		out, err := RemoveGrant(after, r)
		return out, err == nil
	}
	return nil, false
}
