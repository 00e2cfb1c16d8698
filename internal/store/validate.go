package store

import (
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// Limits on meta, so that one key cannot bloat every list page.
const (
	maxMetaEntries  = 64
	maxMetaKeyLen   = 128
	maxMetaValueLen = 1024
)

// normalizeGrants validates grants (each resource, a role, one
// organization) and returns them sorted with one role per resource: the
// highest asked for. A role left out is viewer.
func normalizeGrants(in []keys.Grant) ([]keys.Grant, string, error) {
	if len(in) == 0 {
		return nil, "", keys.Errorf(keys.Invalid, "a key needs at least one grant (--resource)")
	}
	var out []keys.Grant
	for _, g := range in {
		r, err := keys.ParseResource(string(g.Resource))
		if err != nil {
			return nil, "", err
		}
		role, err := checkRole(g.Role)
		if err != nil {
			return nil, "", err
		}
		if exactRole(out, r) >= role {
			continue // a duplicate: the highest role asked for wins
		}
		out = keys.SetGrant(out, keys.Grant{Resource: r, Role: role})
		if len(out) > keys.MaxGrants {
			// enough to refuse: the rest is never looked at
			return nil, "", keys.CheckGrants(keys.Secret, out)
		}
	}
	org, err := keys.OrgOf(out)
	if err != nil {
		return nil, "", err
	}
	return out, org, nil
}

// exactRole is the role of the grant on exactly r, RoleNone if none.
func exactRole(gs []keys.Grant, r keys.Resource) keys.Role {
	for _, g := range gs {
		if g.Resource == r {
			return g.Role
		}
	}
	return keys.RoleNone
}

func checkRole(r keys.Role) (keys.Role, error) {
	switch {
	case r == keys.RoleNone:
		return keys.Viewer, nil
	case r >= keys.Viewer && r <= keys.Admin:
		return r, nil
	}
	return 0, keys.Errorf(keys.Invalid, "invalid role: use viewer, editor or admin")
}

func validateMeta(m map[string]string) error {
	if len(m) > maxMetaEntries {
		return keys.Errorf(keys.Invalid, "too many meta entries (%d): at most %d", len(m), maxMetaEntries)
	}
	for k, v := range m {
		if keys.ContainsSecret(k) || keys.ContainsSecret(v) {
			// Meta is shown to every reader and kept in the audit log.
			return keys.Errorf(keys.Invalid, "invalid meta: it holds a keyward secret; secrets are stored only as hashes")
		}
		if k == "" {
			return keys.Errorf(keys.Invalid, "invalid meta: a key must not be empty (use k=v)")
		}
		if len(k) > maxMetaKeyLen || len(v) > maxMetaValueLen {
			return keys.Errorf(keys.Invalid, "meta %q is too long: keys at most %d bytes, values %d", truncate(k, 32), maxMetaKeyLen, maxMetaValueLen)
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// expiry works out an expiry from a ttl or an absolute time (at most one);
// nil, nil means none asked for.
func expiry(now time.Time, ttl *keys.Duration, at *time.Time) (*time.Time, error) {
	switch {
	case ttl != nil && at != nil:
		return nil, keys.Errorf(keys.Invalid, "give a ttl or an expiry time, not both")
	case ttl != nil:
		// From created_at, which is whole seconds: a 30d key shows
		// exactly 30 days between its created_at and expires_at.
		t, err := keys.ExpiryAfter(now.Truncate(time.Second), time.Duration(*ttl))
		if err != nil {
			return nil, err
		}
		return &t, nil
	case at != nil:
		t := at.UTC()
		if !t.After(now) {
			return nil, keys.Errorf(keys.Invalid, "invalid expiry %s: it is in the past", t.Format(time.RFC3339))
		}
		// whole seconds, rounded up: never earlier than asked
		if r := t.Truncate(time.Second); !r.Equal(t) {
			t = r.Add(time.Second)
		}
		if t.Year() > 9999 {
			return nil, keys.Errorf(keys.Invalid, "invalid expiry %s: too far in the future", at.UTC().Format(time.RFC3339Nano))
		}
		return &t, nil
	}
	return nil, nil
}
