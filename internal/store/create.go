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
	req, org, err := req.Normalize()
	if err != nil {
		return nil, err
	}
	var secret string
	if req.Format != keys.FormatJWT { // a token is minted in the transaction: it names the key
		if secret, err = keys.NewSecret(req.Prefix); err != nil {
			return nil, err
		}
	}
	var out *keys.NewSecretKey
	err = s.write(ctx, func(t *txn) error {
		var account *keys.Account
		if req.Account != "" {
			a, err := t.accountForKey(req.Account, req.Type)
			if err != nil {
				return err
			}
			account, req.Grants, org = a, a.Grants, a.Org
		}
		// Scope before name: a create outside one's scope is 403, not a
		// hint that the name exists.
		if err := keys.CheckCreateScope(t.p, req.Grants); err != nil {
			return err
		}
		exp, err := keys.Expiry(t.now, req.TTL, req.ExpiresAt)
		if err != nil {
			return err
		}
		if err := t.nameFree(org, req.Name, ""); err != nil {
			return err
		}
		k := &keys.Key{
			ID: keys.NewID(), Name: req.Name, Org: org, Type: req.Type,
			Start: keys.SecretStart(secret), Grants: req.Grants,
			CreatedAt: t.now.Truncate(time.Second), ExpiresAt: exp, Enabled: true,
			Meta: req.Meta, CreatedBy: t.p.Actor, Format: req.Format,
			AllowedIPs: req.AllowedIPs, RateLimit: req.RateLimit,
		}
		if account != nil {
			k.Account = &account.Name
		}
		if err := keys.CheckChange(t.p, nil, k); err != nil {
			return err
		}
		secret, kid, err := t.createToken(k, secret)
		if err != nil {
			return err
		}
		if err := t.insertKey(k, req.Prefix, keys.HashSecret(secret)); err != nil {
			return err
		}
		if err := t.ensureOrg(org); err != nil {
			return err
		}
		if account != nil {
			if err := t.joinAccount(k.ID, account); err != nil {
				return err
			}
		}
		if err := t.markToken(k, kid); err != nil {
			return err
		}
		if err := t.audit(keys.ActionCreate, k, createDetails(k)); err != nil {
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

// insertKey writes a new key and its grants.
func (t *txn) insertKey(k *keys.Key, prefix, hash string) error {
	if _, err := t.exec(t.ctx, `INSERT INTO keys (id, name, org, type, prefix, start, created_at,
		expires_at, enabled, meta, created_by, secret_hash, allowed_ips, rate_limit)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $11, $12, $13)`,
		k.ID, k.Name, k.Org, string(k.Type), prefix, k.Start, toUnix(k.CreatedAt),
		nullTime(k.ExpiresAt), metaJSON(k.Meta), k.CreatedBy, hash,
		allowedIPsColumn(k.AllowedIPs), rateLimitColumn(k.RateLimit)); err != nil {
		return err
	}
	// A new id has no grants to replace: no DELETE first (putGrants).
	return t.insertGrants(k.ID, k.Name, k.Grants)
}

// createDetails is what the audit row of k's creation records.
func createDetails(k *keys.Key) map[string]any {
	details := map[string]any{"type": k.Type, "grants": k.Grants}
	if k.Format == keys.FormatJWT {
		details["format"] = k.Format
	}
	if k.ExpiresAt != nil {
		details["expires_at"] = k.ExpiresAt
	}
	if len(k.Meta) > 0 {
		details["meta"] = k.Meta
	}
	if k.Account != nil {
		details["account_name"] = *k.Account
	}
	if k.AllowedIPs != nil {
		details["allowed_ips"] = k.AllowedIPs.Strings()
	}
	if k.RateLimit != nil {
		details["rate_limit"] = k.RateLimit.String()
	}
	return details
}

// nameFree is a Conflict when org already has a key named name (other than
// the key self).
func (t *txn) nameFree(org, name, self string) error {
	var id string
	err := t.queryRow(t.ctx, "SELECT id FROM keys WHERE org = $1 AND name = $2 AND id != $3", org, name, self).Scan(&id)
	switch {
	case err == sql.ErrNoRows:
		return nil
	case err != nil:
		return err
	}
	return keys.Errorf(keys.Conflict, "a key named %q already exists in %s", name, org)
}

// putGrants replaces the grants of key id, named name.
func (t *txn) putGrants(id, name string, grants []keys.Grant) error {
	if _, err := t.exec(t.ctx, "DELETE FROM grants WHERE key_id = $1", id); err != nil {
		return err
	}
	return t.insertGrants(id, name, grants)
}

// insertGrants adds grants to key id, named name. The name is the one
// the database's triggers would give the row (migration 0010): passed,
// so that they find it right and write nothing more.
func (t *txn) insertGrants(id, name string, grants []keys.Grant) error {
	for _, g := range grants {
		if _, err := t.exec(t.ctx, "INSERT INTO grants (key_id, resource, role, key_name) VALUES ($1, $2, $3, $4)",
			id, string(g.Resource), int(g.Role), name); err != nil {
			return err
		}
	}
	return nil
}
