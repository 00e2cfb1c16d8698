package keys

// ReadScope is CanRead as data: what a store needs to narrow a listing to
// the keys p may read in its query, instead of reading every key and
// asking CanRead of each (an operator scoped to one location of a large
// organization otherwise reads the whole organization for one page). It
// is derived from the same roleOn as CanRead, and Allows is CanRead
// decided from it; a test holds the two equal.
type ReadScope struct {
	// All: p reads every key (the local principal, or a viewer on /).
	All bool
	// Self is p's own key id, readable whatever its grants; "" for none
	// (the local principal, a public key).
	Self string
	// Under: any other key is readable when each of its grants lies at
	// or under one of these resources (those p holds viewer or more on).
	Under []Resource
}

// ReadScope is the scope of the keys p may read.
func (p *Principal) ReadScope() ReadScope {
	if p.roleOn(Root) >= Viewer {
		return ReadScope{All: true}
	}
	var s ReadScope
	if p.Key.Type == Public {
		return s // roleOn is none everywhere: only a key without grants
	}
	s.Self = p.Key.ID
	for _, g := range p.Key.Grants {
		if g.Role >= Viewer {
			s.Under = append(s.Under, g.Resource)
		}
	}
	return s
}

// Allows reports whether a key with this id and these grants lies in the
// scope: CanRead's answer.
func (s ReadScope) Allows(keyID string, grants []Grant) bool {
	if s.All || (s.Self != "" && keyID == s.Self) {
		return true
	}
	for _, g := range grants {
		covered := false
		for _, u := range s.Under {
			if u.Covers(g.Resource) {
				covered = true
				break
			}
		}
		if !covered {
			return false
		}
	}
	return true
}
