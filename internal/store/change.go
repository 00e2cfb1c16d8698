package store

import (
	"context"

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

// reload reads key id back inside the transaction, as it will be shown.
func (t *txn) reload(id string, out **keys.Key) error {
	r, err := t.loadByID(id)
	if err != nil {
		return err
	}
	if r == nil {
		return notFound(id)
	}
	*out = r.view(t.now)
	return nil
}

// Grant adds a grant to a key or changes its role.
func (s *Store) Grant(ctx context.Context, ref string, g keys.Grant) (*keys.Key, error) {
	g, err := g.Normalize()
	if err != nil {
		return nil, err
	}
	res := g.Resource
	return s.changeKey(ctx, ref, func(t *txn, r *row, before *keys.Key) (*keys.Key, error) {
		if err := keys.CheckOwnGrants(t.p, before); err != nil {
			return nil, err
		}
		prev := keys.ExactRole(before.Grants, res)
		// No role asked for: a new grant is viewer, an existing one keeps
		// its role (never a silent downgrade).
		role := g.Role
		if role == keys.RoleNone {
			role = max(prev, keys.Viewer)
		}
		if prev == role {
			// already so: nothing written
			return before, keys.CheckChange(t.p, before, before)
		}
		after := r.view(t.now)
		after.Grants = keys.SetGrant(before.Grants, keys.Grant{Resource: res, Role: role})
		// Rights first, then the limits: a caller without rights learns
		// nothing about the key's grants.
		if err := keys.CheckChange(t.p, before, after); err != nil {
			return nil, err
		}
		if err := keys.CheckGrant(before, keys.Grant{Resource: res, Role: role}, after.Grants); err != nil {
			return nil, err
		}
		details := map[string]any{"resource": res, "role": role}
		if prev != keys.RoleNone {
			details["previous_role"] = prev
		}
		return after, t.regrant(keys.ActionGrant, before, after, details)
	})
}

// Ungrant removes a grant from a key, never its last.
func (s *Store) Ungrant(ctx context.Context, ref string, resource keys.Resource) (*keys.Key, error) {
	res, err := keys.ParseResource(string(resource))
	if err != nil {
		return nil, err
	}
	return s.changeKey(ctx, ref, func(t *txn, r *row, before *keys.Key) (*keys.Key, error) {
		// May the principal change this key at all? Say so before saying
		// anything about its grants.
		if err := keys.CheckOwnGrants(t.p, before); err != nil {
			return nil, err
		}
		after := r.view(t.now)
		grants, err := keys.RemoveGrant(before.Grants, res)
		if err != nil {
			return nil, err
		}
		after.Grants = grants
		details := map[string]any{"resource": res, "role": keys.ExactRole(before.Grants, res)}
		return after, t.regrant(keys.ActionUngrant, before, after, details)
	})
}

// changeKey runs change on the key ref names in one write transaction:
// the key as read in it (r, and before as shown) in, the key it leaves
// out. An error from change rolls everything back.
func (s *Store) changeKey(ctx context.Context, ref string, change func(t *txn, r *row, before *keys.Key) (*keys.Key, error)) (*keys.Key, error) {
	var out *keys.Key
	err := s.write(ctx, func(t *txn) error {
		r, err := t.resolve(ref)
		if err != nil {
			return err
		}
		out, err = change(t, r, r.view(t.now))
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
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
		// (first: the new organization may have a default key already)
		if err := t.keyMoved(after.ID); err != nil {
			return err
		}
		after.Default = false
		if _, err := t.exec(t.ctx, "UPDATE keys SET org = $1 WHERE id = $2", org, after.ID); err != nil {
			return err
		}
		if err := t.ensureOrg(org); err != nil {
			return err
		}
		details["org"] = change(before.Org, org)
	}
	if err := t.putGrants(after.ID, after.Name, after.Grants); err != nil {
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
	write := s.write
	if len(refs) > 1 {
		write = s.writeAlone
	}
	err := write(ctx, func(t *txn) error {
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
			if _, err := t.exec(t.ctx, "DELETE FROM keys WHERE id = $1", k.ID); err != nil {
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
