package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// Create makes a key and returns it with its secret, the only time the
// secret is ever shown; the store keeps its SHA-256.
func (s *Store) Create(ctx context.Context, req keys.CreateRequest) (*keys.NewSecretKey, error) {
	if err := keys.ValidateName(req.Name); err != nil {
		return nil, err
	}
	typ, err := keys.ParseKeyType(string(req.Type))
	if err != nil {
		return nil, err
	}
	prefix := req.Prefix
	if prefix == "" {
		prefix = keys.DefaultPrefix(typ)
	}
	if err := keys.ValidatePrefix(prefix); err != nil {
		return nil, err
	}
	grants, org, err := normalizeGrants(req.Grants)
	if err != nil {
		return nil, err
	}
	if err := keys.CheckGrants(typ, grants); err != nil {
		return nil, err
	}
	if err := validateMeta(req.Meta); err != nil {
		return nil, err
	}
	meta := map[string]string{}
	for k, v := range req.Meta {
		if v != "" { // as in update: an empty value means no entry
			meta[k] = v
		}
	}
	secret, err := keys.NewSecret(prefix)
	if err != nil {
		return nil, err
	}

	var out *keys.NewSecretKey
	err = s.write(ctx, func(t *txn) error {
		// Scope before name: a create outside one's scope is 403, not a
		// hint that the name exists.
		if err := keys.CheckCreateScope(t.p, grants); err != nil {
			return err
		}
		exp, err := expiry(t.now, req.TTL, req.ExpiresAt)
		if err != nil {
			return err
		}
		if err := t.nameFree(org, req.Name, ""); err != nil {
			return err
		}
		k := &keys.Key{
			ID: keys.NewID(), Name: req.Name, Org: org, Type: typ,
			Start: keys.SecretStart(secret), Grants: grants,
			CreatedAt: t.now.Truncate(time.Second), ExpiresAt: exp, Enabled: true,
			Meta: meta, CreatedBy: t.p.Actor,
		}
		if err := keys.CheckChange(t.p, nil, k); err != nil {
			return err
		}
		if _, err := t.ExecContext(t.ctx, `INSERT INTO keys (id, name, org, type, prefix, start, created_at,
			expires_at, enabled, meta, created_by, secret_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
			k.ID, k.Name, k.Org, string(k.Type), prefix, k.Start, toUnix(k.CreatedAt),
			nullTime(k.ExpiresAt), metaJSON(meta), k.CreatedBy, keys.HashSecret(secret)); err != nil {
			return err
		}
		if err := t.putGrants(k.ID, grants); err != nil {
			return err
		}
		details := map[string]any{"type": k.Type, "grants": k.Grants}
		if exp != nil {
			details["expires_at"] = exp
		}
		if len(meta) > 0 {
			details["meta"] = meta
		}
		if err := t.audit(keys.ActionCreate, k, details); err != nil {
			return err
		}
		out = &keys.NewSecretKey{Key: *k, Secret: secret}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// nameFree is a Conflict when org already has a key named name (other than
// the key self).
func (t *txn) nameFree(org, name, self string) error {
	var id string
	err := t.QueryRowContext(t.ctx, "SELECT id FROM keys WHERE org = ? AND name = ? AND id != ?", org, name, self).Scan(&id)
	switch {
	case err == sql.ErrNoRows:
		return nil
	case err != nil:
		return err
	}
	return keys.Errorf(keys.Conflict, "a key named %q already exists in %s", name, org)
}

// putGrants replaces the grants of key id.
func (t *txn) putGrants(id string, grants []keys.Grant) error {
	if _, err := t.ExecContext(t.ctx, "DELETE FROM grants WHERE key_id = ?", id); err != nil {
		return err
	}
	for _, g := range grants {
		if _, err := t.ExecContext(t.ctx, "INSERT INTO grants (key_id, resource, role) VALUES (?, ?, ?)",
			id, string(g.Resource), int(g.Role)); err != nil {
			return err
		}
	}
	return nil
}
