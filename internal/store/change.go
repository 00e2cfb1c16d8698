package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// Get returns the key ref names, if the principal may read it.
func (s *Store) Get(ctx context.Context, ref string) (*keys.Key, error) {
	var out *keys.Key
	err := s.read(ctx, func(t *txn) error {
		r, err := t.resolve(ref)
		if err != nil {
			return err
		}
		out = r.view(t.now)
		return nil
	})
	return out, err
}

func change(from, to any) map[string]any { return map[string]any{"from": from, "to": to} }

// Update renames, re-dates, enables or disables a key and merges its meta.
func (s *Store) Update(ctx context.Context, ref string, req keys.UpdateRequest) (*keys.Key, error) {
	n := 0
	for _, set := range []bool{req.TTL != nil, req.ExpiresAt != nil, req.NoExpiry} {
		if set {
			n++
		}
	}
	if n > 1 {
		return nil, keys.Errorf(keys.Invalid, "give at most one of ttl, expires_at and no_expiry")
	}
	if req.Name == nil && n == 0 && req.Enabled == nil && len(req.Meta) == 0 {
		return nil, keys.Errorf(keys.Invalid, "nothing to update: give a name, ttl, expires_at, no_expiry, enabled or meta")
	}
	if req.Name != nil {
		if err := keys.ValidateName(*req.Name); err != nil {
			return nil, err
		}
	}
	if err := validateMeta(req.Meta); err != nil {
		return nil, err
	}
	var out *keys.Key
	err := s.write(ctx, func(t *txn) error {
		r, err := t.resolve(ref)
		if err != nil {
			return err
		}
		before := r.view(t.now)
		after := r.view(t.now)
		details := map[string]any{}
		if req.Name != nil && *req.Name != before.Name {
			after.Name = *req.Name
			details["name"] = change(before.Name, after.Name)
		}
		if n == 1 {
			exp, err := expiry(t.now, req.TTL, req.ExpiresAt) // nil for no_expiry
			if err != nil {
				return err
			}
			if !sameTime(exp, before.ExpiresAt) {
				after.ExpiresAt = exp
				details["expires_at"] = change(before.ExpiresAt, after.ExpiresAt)
			}
		}
		if req.Enabled != nil && *req.Enabled != before.Enabled {
			after.Enabled = *req.Enabled
			details["enabled"] = change(before.Enabled, after.Enabled)
		}
		if len(req.Meta) > 0 {
			metaChanges := map[string]any{}
			for k, v := range req.Meta {
				old, had := after.Meta[k]
				switch {
				case v == "" && had:
					delete(after.Meta, k)
					metaChanges[k] = change(old, nil)
				case v != "" && (!had || old != v):
					after.Meta[k] = v
					if had {
						metaChanges[k] = change(old, v)
					} else {
						metaChanges[k] = change(nil, v)
					}
				}
			}
			if err := validateMeta(after.Meta); err != nil {
				return err
			}
			if len(metaChanges) > 0 {
				details["meta"] = metaChanges
			}
		}
		if err := keys.CheckChange(t.p, before, after); err != nil {
			return err
		}
		// Only once the change is allowed: a conflict would tell a
		// caller without rights which names exist, even unreadable ones.
		if after.Name != before.Name {
			if err := t.nameFree(before.Org, after.Name, before.ID); err != nil {
				return err
			}
		}
		if len(details) == 0 {
			out = before // nothing changed: nothing written
			return nil
		}
		if _, err := t.ExecContext(t.ctx, `UPDATE keys SET name = ?, expires_at = ?, enabled = ?, meta = ?,
			-- a previous secret never outlives the key (the comparison
			-- first: it tells PostgreSQL the parameter's type)
			prev_expires_at = CASE WHEN prev_expires_at > ?2 AND ?2 IS NOT NULL THEN ?2 ELSE prev_expires_at END
			WHERE id = ?`,
			after.Name, nullTime(after.ExpiresAt), boolInt(after.Enabled), metaJSON(after.Meta), after.ID); err != nil {
			return err
		}
		if err := t.audit(keys.ActionUpdate, after, details); err != nil {
			return err
		}
		return t.reload(after.ID, &out)
	})
	return out, err
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// reload reads key id back inside the transaction, as it will be shown.
func (t *txn) reload(id string, out **keys.Key) error {
	r, err := t.s.loadByID(t.ctx, t, id)
	if err != nil {
		return err
	}
	if r == nil {
		return notFound(id)
	}
	*out = r.view(t.now)
	return nil
}

// Roll gives a key a new secret. The old one keeps working for the grace
// period (never past the key's expiry); rolling again ends the older one at
// once, so at most two secrets work. A previous secret may only redo its
// own roll while the secret that roll produced is unclaimed (keys.CheckRoll):
// the redo replaces that secret and leaves the previous one's grace as it
// was, so that a CI job whose answer was lost can recover without cutting
// off the jobs still holding the old secret.
func (s *Store) Roll(ctx context.Context, ref string, req keys.RollRequest) (*keys.NewSecretKey, error) {
	grace := keys.DefaultGrace
	if req.Grace != nil {
		grace = time.Duration(*req.Grace)
		if grace < 0 {
			return nil, keys.Errorf(keys.Invalid, "invalid grace %s: must not be negative", req.Grace)
		}
	}
	if req.TTL != nil && *req.TTL <= 0 {
		return nil, keys.Errorf(keys.Invalid, "invalid ttl: must be greater than zero")
	}
	var out *keys.NewSecretKey
	err := s.write(ctx, func(t *txn) error {
		r, err := t.resolve(ref)
		if err != nil {
			return err
		}
		before := r.view(t.now)
		if err := keys.CheckRoll(t.p, before, req.TTL != nil, r.lastRoll); err != nil {
			return err
		}
		var oldHash, prefix string
		var prevHash sql.NullString
		if err := t.QueryRowContext(t.ctx, "SELECT secret_hash, prefix, prev_hash FROM keys WHERE id = ?", before.ID).Scan(&oldHash, &prefix, &prevHash); err != nil {
			return err
		}
		secret, err := keys.NewSecret(prefix)
		if err != nil {
			return err
		}
		next := rolled{hash: keys.HashSecret(secret), start: keys.SecretStart(secret), expires: before.ExpiresAt}
		details := map[string]any{}
		if req.TTL != nil {
			e, err := keys.ExpiryAfter(t.now.Truncate(time.Second), time.Duration(*req.TTL))
			if err != nil {
				return err
			}
			next.expires = &e
			details["ttl"] = req.TTL.String()
			details["expires_at"] = change(before.ExpiresAt, next.expires)
		}
		if t.p.Previous { // CheckRoll let a previous secret through: a redo
			next.redo(r, prevHash.String, details)
		} else if err := next.grace(t, r, oldHash, grace, details); err != nil {
			return err
		}
		if err := t.storeRoll(before.ID, oldHash, next); err != nil {
			return err
		}
		var k *keys.Key
		if err := t.reload(before.ID, &k); err != nil {
			return err
		}
		if err := t.audit(keys.ActionRoll, k, details); err != nil {
			return err
		}
		out = &keys.NewSecretKey{Key: *k, Secret: secret}
		return nil
	})
	return out, err
}

// rolled is what a roll writes.
type rolled struct {
	hash, start string
	expires     *time.Time
	prevHash    any // the previous secret's hash, nil for none
	prevExpires any // unix seconds, nil for none
	selfRolled  bool
	redoing     bool
}

// grace makes the secret being rolled out (oldHash) the previous one for
// grace, never past the key's expiry; an expired key's secret has stopped
// and stays stopped.
func (n *rolled) grace(t *txn, r *row, oldHash string, grace time.Duration, details map[string]any) error {
	details["grace"] = keys.FormatDuration(grace)
	if grace <= 0 || r.Expired(t.now) {
		return nil
	}
	pe, err := keys.ExpiryAfter(t.now, grace)
	if err != nil {
		return err
	}
	if n.expires != nil && pe.After(*n.expires) {
		pe = *n.expires
	}
	if !pe.After(t.now) {
		return nil
	}
	n.prevHash, n.prevExpires = oldHash, toUnix(pe)
	// Only the key's own roll, made with the secret now rolled out, may be
	// redone by that secret.
	n.selfRolled = !t.p.IsLocal() && t.p.Key.ID == r.ID
	details["previous_expires_at"] = pe
	return nil
}

// redo keeps the previous secret and the end of its grace as the roll
// being redone left them (cut to a new expiry, never extended).
func (n *rolled) redo(r *row, prevHash string, details map[string]any) {
	pe := *r.prevExpiry
	if n.expires != nil && pe.After(*n.expires) {
		pe = *n.expires
	}
	n.prevHash, n.prevExpires, n.selfRolled, n.redoing = prevHash, toUnix(pe), true, true
	details["redo"] = true
	details["previous_expires_at"] = pe
}

// storeRoll writes a roll over the secret oldHash. The new secret is
// unclaimed until its first use. A redo changes the key only while the
// secret it replaces is still unclaimed: on PostgreSQL a first use is
// recorded without keyward's write lock, so the check is in the UPDATE.
func (t *txn) storeRoll(id, oldHash string, n rolled) error {
	cond := ""
	if n.redoing {
		cond = " AND secret_used_at IS NULL"
	}
	res, err := t.ExecContext(t.ctx, `UPDATE keys SET secret_hash = ?, start = ?, expires_at = ?, prev_hash = ?,
		prev_expires_at = ?, prev_self_rolled = ?, secret_used_at = NULL WHERE id = ? AND secret_hash = ?`+cond,
		n.hash, n.start, nullTime(n.expires), n.prevHash, n.prevExpires, boolInt(n.selfRolled), id, oldHash)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return keys.Errorf(keys.Forbidden, "the secret this roll would replace has been used since: only the new secret may roll the key")
	}
	return nil
}

// Grant adds a grant to a key or changes its role.
func (s *Store) Grant(ctx context.Context, ref string, g keys.Grant) (*keys.Key, error) {
	res, err := keys.ParseResource(string(g.Resource))
	if err != nil {
		return nil, err
	}
	if g.Role != keys.RoleNone {
		if _, err := checkRole(g.Role); err != nil {
			return nil, err
		}
	}
	var out *keys.Key
	err = s.write(ctx, func(t *txn) error {
		r, err := t.resolve(ref)
		if err != nil {
			return err
		}
		before := r.view(t.now)
		prev := exactRole(before.Grants, res)
		// No role asked for: a new grant is viewer, an existing one keeps
		// its role (never a silent downgrade).
		role := g.Role
		if role == keys.RoleNone {
			role = max(prev, keys.Viewer)
		}
		if prev == role {
			if err := keys.CheckChange(t.p, before, before); err != nil {
				return err
			}
			out = before // already so: nothing written
			return nil
		}
		after := r.view(t.now)
		after.Grants = keys.SetGrant(before.Grants, keys.Grant{Resource: res, Role: role})
		// Rights first, then the limits: a caller without rights learns
		// nothing about the key's grants.
		if err := keys.CheckChange(t.p, before, after); err != nil {
			return err
		}
		if err := keys.CheckGrant(before, keys.Grant{Resource: res, Role: role}, after.Grants); err != nil {
			return err
		}
		details := map[string]any{"resource": res, "role": role}
		if prev != keys.RoleNone {
			details["previous_role"] = prev
		}
		if err := t.regrant(keys.ActionGrant, before, after, details); err != nil {
			return err
		}
		out = after
		return nil
	})
	return out, err
}

// Ungrant removes a grant from a key, never its last.
func (s *Store) Ungrant(ctx context.Context, ref string, resource keys.Resource) (*keys.Key, error) {
	res, err := keys.ParseResource(string(resource))
	if err != nil {
		return nil, err
	}
	var out *keys.Key
	err = s.write(ctx, func(t *txn) error {
		r, err := t.resolve(ref)
		if err != nil {
			return err
		}
		before := r.view(t.now)
		// May the principal change this key at all? Say so before saying
		// anything about its grants.
		if err := keys.CheckChange(t.p, before, before); err != nil {
			return err
		}
		after := r.view(t.now)
		if after.Grants, err = keys.RemoveGrant(before.Grants, res); err != nil {
			return err
		}
		details := map[string]any{"resource": res, "role": exactRole(before.Grants, res)}
		if err := t.regrant(keys.ActionUngrant, before, after, details); err != nil {
			return err
		}
		out = after
		return nil
	})
	return out, err
}

// regrant stores after's grants (and organization, which moves when a
// root grant comes or goes), after checking the rules.
func (t *txn) regrant(action string, before, after *keys.Key, details map[string]any) error {
	org, err := keys.OrgOf(after.Grants)
	if err != nil {
		return err
	}
	after.Org = org
	if err := keys.CheckChange(t.p, before, after); err != nil {
		return err
	}
	if org != before.Org {
		if err := t.nameFree(org, after.Name, after.ID); err != nil {
			return err
		}
		if _, err := t.ExecContext(t.ctx, "UPDATE keys SET org = ? WHERE id = ?", org, after.ID); err != nil {
			return err
		}
		details["org"] = change(before.Org, org)
	}
	if err := t.putGrants(after.ID, after.Grants); err != nil {
		return err
	}
	return t.audit(action, after, details)
}

// Delete resolves every ref first and deletes all of them or none. The
// audit rows stay.
func (s *Store) Delete(ctx context.Context, refs []string) ([]*keys.Key, error) {
	if len(refs) == 0 {
		return nil, keys.Errorf(keys.Invalid, "no key to delete")
	}
	var out []*keys.Key
	err := s.write(ctx, func(t *txn) error {
		seen := map[string]bool{}
		var doomed []*keys.Key
		for _, ref := range refs {
			r, err := t.resolve(ref)
			if err != nil {
				return err
			}
			if !seen[r.ID] {
				seen[r.ID] = true
				doomed = append(doomed, r.view(t.now))
			}
		}
		for _, k := range doomed {
			if err := keys.CheckChange(t.p, k, nil); err != nil {
				return err
			}
		}
		for _, k := range doomed {
			if _, err := t.ExecContext(t.ctx, "DELETE FROM keys WHERE id = ?", k.ID); err != nil {
				return err
			}
			if err := t.audit(keys.ActionDelete, k, map[string]any{"grants": k.Grants}); err != nil {
				return err
			}
		}
		out = doomed
		return nil
	})
	return out, err
}
