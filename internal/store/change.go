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
	var out *keys.Key
	err = s.write(ctx, func(t *txn) error {
		r, err := t.resolve(ref)
		if err != nil {
			return err
		}
		before := r.view(t.now)
		prev := keys.ExactRole(before.Grants, res)
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
		details := map[string]any{"resource": res, "role": keys.ExactRole(before.Grants, res)}
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
		if _, err := t.exec(t.ctx, "UPDATE keys SET org = $1 WHERE id = $2", org, after.ID); err != nil {
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
