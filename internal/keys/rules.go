package keys

import "time"

// The rules of DESIGN.md's "Who may do what", as pure functions. A store
// calls them inside the transaction that makes the change, on the rows it
// read in that transaction.

// roleOn is the principal's role on r: admin everywhere for the local
// principal, none anywhere for a public key.
func (p *Principal) roleOn(r Resource) Role {
	if p.IsLocal() {
		return Admin
	}
	if p.Key.Type == Public {
		return RoleNone
	}
	return p.Key.RoleOn(r)
}

// isSelf reports whether k is the principal's own (secret) key.
func (p *Principal) isSelf(k *Key) bool {
	return !p.IsLocal() && p.Key.Type != Public && p.Key.ID == k.ID
}

func (p *Principal) holdsOnAll(grants []Grant, min Role) bool {
	for _, g := range grants {
		if p.roleOn(g.Resource) < min {
			return false
		}
	}
	return true
}

// CanRead reports whether p may see a key with these grants (a deleted
// key's audit rows are judged by the grants it had): each grant lies where
// p holds viewer or more. Any secret key may read itself. It is decided by
// ReadScope, which stores also turn into their queries' conditions.
func CanRead(p *Principal, keyID string, grants []Grant) bool {
	return p.ReadScope().Allows(keyID, grants)
}

// CheckRead is CanRead as an error: NotFound, so that a key one may not read
// is indistinguishable from one that does not exist.
func CheckRead(p *Principal, k *Key, ref string) error {
	if !CanRead(p, k.ID, k.Grants) {
		return Errorf(NotFound, "key %q not found", ref)
	}
	return nil
}

// CheckChange decides whether p may change a key from before to after.
// before is nil for a create, after nil for a delete. Both must lie under
// resources where p holds admin, and no grant of after may exceed p's own
// role on its resource. A readable key p may not change is Forbidden.
func CheckChange(p *Principal, before, after *Key) error {
	if p.IsLocal() {
		return nil
	}
	if p.Key.Type == Public {
		return Errorf(Forbidden, "public keys cannot manage keys")
	}
	if p.Previous {
		return p.rolledOut()
	}
	for _, k := range []*Key{before, after} {
		if k == nil {
			continue
		}
		for _, g := range k.Grants {
			if p.roleOn(g.Resource) < Admin {
				return Errorf(Forbidden, "%s is not admin on %s", p.describe(), g.Resource)
			}
		}
	}
	if after != nil {
		for _, g := range after.Grants {
			if g.Role > p.roleOn(g.Resource) {
				return Errorf(Forbidden, "%s cannot grant %s on %s, above its own role", p.describe(), g.Role, g.Resource)
			}
		}
	}
	return nil
}

// LastRoll is what a redo needs to know of a key's last roll.
type LastRoll struct {
	// BySelf: the key made it itself, with the secret that is now its
	// previous one.
	BySelf bool
	// Claimed: the secret it produced has been used (verified or
	// authenticated with) since.
	Claimed bool
}

// Redoable reports whether the previous secret may redo the roll: only its
// own, and only while nobody has shown to hold the secret it produced (an
// answer lost on the way back to the CI job that rolled).
func (l LastRoll) Redoable() bool { return l.BySelf && !l.Claimed }

// CheckRoll decides whether p may roll k: anyone with admin over it, and
// any secret key itself with its current secret as long as it leaves its
// own expiry alone (changesExpiry: the roll sets a new ttl). A previous
// secret may only redo its own roll while last is redoable; never any
// other roll, or a leaked old secret could roll the key out from under
// its holder.
func CheckRoll(p *Principal, k *Key, changesExpiry bool, last LastRoll) error {
	if !p.IsLocal() && p.Previous && (!p.isSelf(k) || !last.Redoable()) {
		if p.isSelf(k) && last.BySelf {
			return Errorf(Forbidden, "this secret of key %s was rolled out and the new secret has been used since: only the new secret may roll the key", p.Key.Name)
		}
		return p.rolledOut()
	}
	if p.isSelf(k) && (!changesExpiry || p.holdsOnAll(k.Grants, Admin)) {
		return nil
	}
	if p.isSelf(k) {
		return Errorf(Forbidden, "a key rolling itself cannot change its own expiry (--ttl); an admin over it can")
	}
	return CheckChange(p, k, k)
}

// CheckCreateScope decides whether p may create keys under r at all; used
// before a name is looked at, so that a create outside one's scope is 403
// and not a name conflict.
func CheckCreateScope(p *Principal, grants []Grant) error {
	return CheckChange(p, nil, &Key{Name: "(new)", Grants: grants})
}

// CanAuthenticate reports why a key may not act as an operator credential
// at now, or nil when it may.
func CanAuthenticate(k *Key, now time.Time) error {
	switch {
	case k.Type == Public:
		return Errorf(Forbidden, "public keys cannot be used as operator credentials")
	case !k.Enabled:
		return Errorf(Unauthorized, "the operator key is disabled")
	case k.Expired(now):
		return Errorf(Unauthorized, "the operator key has expired")
	}
	return nil
}

// rolledOut is the refusal of any change asked with a previous secret.
func (p *Principal) rolledOut() error {
	return Errorf(Forbidden, "this secret of key %s was rolled out: during its grace it may verify and read, but change nothing; use the key's new secret", p.Key.Name)
}

func (p *Principal) describe() string {
	if p.IsLocal() {
		return p.Actor
	}
	return "key " + p.Key.Name
}
