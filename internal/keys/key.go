package keys

import (
	"sort"
	"time"
)

// KeyType is "secret" (an operator or service credential) or "public"
// (embedded in apps: verifies like any key, never manages anything).
type KeyType string

const (
	Secret KeyType = "secret"
	Public KeyType = "public"
)

// ParseKeyType reads a key type; "" is secret.
func ParseKeyType(s string) (KeyType, error) {
	switch s {
	case "", "secret":
		return Secret, nil
	case "public":
		return Public, nil
	}
	return "", Errorf(Invalid, "invalid key type %q: use secret or public", s)
}

// Grant is a role on a resource.
type Grant struct {
	Resource Resource `json:"resource"`
	Role     Role     `json:"role"`
}

// Key is a named credential as every command and the API show it. It never
// holds a secret; the JSON field names are a contract.
type Key struct {
	ID                string            `json:"id"`
	Name              string            `json:"name"`
	Org               string            `json:"org"`
	Type              KeyType           `json:"type"`
	Start             string            `json:"start"`
	Grants            []Grant           `json:"grants"`
	CreatedAt         time.Time         `json:"created_at"`
	ExpiresAt         *time.Time        `json:"expires_at"`
	PreviousExpiresAt *time.Time        `json:"previous_expires_at"`
	Enabled           bool              `json:"enabled"`
	LastUsedAt        *time.Time        `json:"last_used_at"`
	Meta              map[string]string `json:"meta"`
	CreatedBy         string            `json:"created_by"`
	Format            KeyFormat         `json:"format"`
	// Default: the key is its organization's default key (orgs create).
	Default bool `json:"default"`
	// Account is the name of the service account the key belongs to (and
	// whose grants it holds), nil for a key with grants of its own.
	Account *string `json:"account"`
	// AllowedIPs, when not nil, are the only networks the key verifies
	// from (policy.go).
	AllowedIPs AllowList `json:"allowed_ips"`
	// RateLimit, when set, bounds the key's verifications on a server.
	RateLimit *RateLimit `json:"rate_limit"`
	// CompromisedAt is when the key's secret was last reported leaked
	// (keyward scan --disable, POST /v1/leaks), which disabled it; null
	// for a key never found leaked. Re-enabling the key keeps it.
	CompromisedAt *time.Time `json:"compromised_at"`
}

// NewSecretKey is a key with its secret: the answer of create and roll, the
// only time a secret is ever shown.
type NewSecretKey struct {
	Key
	Secret string `json:"secret"`
}

// Expired reports whether the key's own expiry has passed at now.
func (k *Key) Expired(now time.Time) bool {
	return k.ExpiresAt != nil && !now.Before(*k.ExpiresAt)
}

// HighestRole is the key's highest role on any resource.
func (k *Key) HighestRole() Role {
	return highestRole(k.Grants)
}

func highestRole(grants []Grant) Role {
	best := RoleNone
	for _, g := range grants {
		if g.Role > best {
			best = g.Role
		}
	}
	return best
}

// RoleOn is the highest role the key's grants give on r.
func (k *Key) RoleOn(r Resource) Role {
	return RoleOn(k.Grants, r)
}

// RoleOn is the highest role that grants give on r.
func RoleOn(grants []Grant, r Resource) Role {
	best := RoleNone
	for _, g := range grants {
		if g.Resource.Covers(r) && g.Role > best {
			best = g.Role
		}
	}
	return best
}

// SortGrants orders grants by resource so that output is stable.
func SortGrants(gs []Grant) {
	sort.Slice(gs, func(i, j int) bool { return gs[i].Resource < gs[j].Resource })
}

// OrgOf is the organization of a set of grants, and an error unless they all
// lie in one organization (a grant on "/" makes a root key, org "/", and
// then every grant is allowed).
func OrgOf(grants []Grant) (string, error) {
	if len(grants) == 0 {
		return "", Errorf(Invalid, "a key needs at least one grant (--resource)")
	}
	for _, g := range grants {
		if g.Resource == Root {
			return "/", nil
		}
	}
	org := grants[0].Resource.Org()
	for _, g := range grants[1:] {
		if g.Resource.Org() != org {
			return "", Errorf(Invalid, "all grants of a key must lie in one organization: %s and %s differ", org, g.Resource.Org())
		}
	}
	return org, nil
}

// SetGrant returns grants with r's role set to role (added if r is new).
func SetGrant(grants []Grant, g Grant) []Grant {
	out := make([]Grant, 0, len(grants)+1)
	found := false
	for _, x := range grants {
		if x.Resource == g.Resource {
			x.Role, found = g.Role, true
		}
		out = append(out, x)
	}
	if !found {
		out = append(out, g)
	}
	SortGrants(out)
	return out
}

// RemoveGrant returns grants without r. It is NotFound if r has no grant and
// Conflict if it is the last one: a key always keeps one grant.
func RemoveGrant(grants []Grant, r Resource) ([]Grant, error) {
	out := make([]Grant, 0, len(grants))
	for _, x := range grants {
		if x.Resource != r {
			out = append(out, x)
		}
	}
	if len(out) == len(grants) {
		return nil, Errorf(NotFound, "the key has no grant on %s", r)
	}
	if len(out) == 0 {
		return nil, Errorf(Conflict, "cannot remove the last grant of a key (%s); grant another first or delete the key", r)
	}
	return out, nil
}
