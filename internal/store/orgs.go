package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// orgColumns selects an organization: its key count counted over keys'
// (org, name) index, and its default key (keys_default: at most one).
const orgColumns = `o.name, o.created_at,
	(SELECT count(*) FROM keys c WHERE c.org = o.name), d.id, d.start`

const orgFrom = ` FROM orgs o LEFT JOIN keys d ON d.org = o.name AND d.is_default = 1`

func scanOrg(sc scanner) (*keys.Org, error) {
	var (
		o            keys.Org
		created      int64
		defID, start sql.NullString
	)
	if err := sc.Scan(&o.Name, &created, &o.KeyCount, &defID, &start); err != nil {
		return nil, err
	}
	o.CreatedAt = fromUnix(created)
	if defID.Valid {
		o.DefaultKeyID, o.DefaultKeyStart = &defID.String, start.String
	}
	return &o, nil
}

// loadOrg reads organization name; nil when there is none.
func (t *txn) loadOrg(name string) (*keys.Org, error) {
	o, err := scanOrg(t.queryRow(t.ctx, "SELECT "+orgColumns+orgFrom+" WHERE o.name = $1", name))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return o, err
}

// keyMoved ends key id's being a default key: it has left the
// organization it was made for, which then has none.
func (t *txn) keyMoved(id string) error {
	_, err := t.exec(t.ctx, "UPDATE keys SET is_default = 0 WHERE id = $1 AND is_default = 1", id)
	return err
}

// ensureOrg registers org, if it is not yet, for a key that now lies in
// it: an organization exists from its first key on (`keys create` under
// one never created), without a default key. Root is no organization.
// The key's own audit row records the org, so it writes none of its own.
func (t *txn) ensureOrg(org string) error {
	if org == string(keys.Root) {
		return nil
	}
	_, err := t.exec(t.ctx, `INSERT INTO orgs (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
		org, toUnix(t.now))
	return err
}

// auditOrg writes the audit row of a change to an organization: no key,
// and the organization as its grants (keys.OrgAuditGrants), so that the
// row is read by whoever may read the organization. It goes through
// auditRow so that it records what every row does (details.secret, and
// details.account when an account's key acted).
func (t *txn) auditOrg(action, org string, details map[string]any) error {
	return t.auditRow(action, org, nil, nil, keys.OrgAuditGrants(org), details)
}

// CreateOrg registers an organization and makes its default key in one
// transaction.
func (s *Store) CreateOrg(ctx context.Context, req keys.OrgCreateRequest) (*keys.OrgCreated, error) {
	req, keyReq, err := req.Normalize()
	if err != nil {
		return nil, err
	}
	secret, err := keys.NewSecret(keyReq.Prefix)
	if err != nil {
		return nil, err
	}
	var out *keys.OrgCreated
	err = s.write(ctx, func(t *txn) error {
		// Rights before existence: only a root admin learns whether an
		// organization exists by trying to make it.
		if err := keys.CheckOrgAdmin(t.p, req.Name); err != nil {
			return err
		}
		existing, err := t.loadOrg(req.Name)
		if err != nil {
			return err
		}
		if existing != nil {
			return keys.Errorf(keys.Conflict, "organization %s already exists", req.Name)
		}
		exp, err := keys.Expiry(t.now, keyReq.TTL, nil)
		if err != nil {
			return err
		}
		k := &keys.Key{
			ID: keys.NewID(), Name: keyReq.Name, Org: req.Name, Type: keyReq.Type,
			Start: keys.SecretStart(secret), Grants: keyReq.Grants,
			CreatedAt: t.now.Truncate(time.Second), ExpiresAt: exp, Enabled: true,
			Meta: keyReq.Meta, CreatedBy: t.p.Actor, Default: true, Format: keyReq.Format,
		}
		if err := keys.CheckChange(t.p, nil, k); err != nil {
			return err
		}
		if _, err := t.exec(t.ctx, `INSERT INTO orgs (name, created_at) VALUES ($1, $2)`,
			req.Name, toUnix(k.CreatedAt)); err != nil {
			return err
		}
		if err := t.insertKey(k, keyReq.Prefix, keys.HashSecret(secret)); err != nil {
			return err
		}
		if _, err := t.exec(t.ctx, `UPDATE keys SET is_default = 1 WHERE id = $1`, k.ID); err != nil {
			return err
		}
		if err := t.auditOrg(keys.ActionOrgCreate, req.Name, map[string]any{
			"default_key_id": k.ID, "default_key_type": k.Type, "default_key_role": req.DefaultRole,
		}); err != nil {
			return err
		}
		if err := t.audit(keys.ActionCreate, k, createDetails(k)); err != nil {
			return err
		}
		id := k.ID
		out = &keys.OrgCreated{
			Org:        &keys.Org{Name: req.Name, CreatedAt: k.CreatedAt, KeyCount: 1, DefaultKeyID: &id, DefaultKeyStart: k.Start},
			DefaultKey: &keys.NewSecretKey{Key: *k, Secret: secret},
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetOrg reads one organization the principal is admin of.
func (s *Store) GetOrg(ctx context.Context, name string) (*keys.Org, error) {
	org, err := keys.ParseOrg(name)
	if err != nil {
		return nil, err
	}
	var out *keys.Org
	err = s.read(ctx, func(t *txn) error {
		if err := keys.CheckGetOrg(t.p, org); err != nil {
			return err
		}
		if out, err = t.loadOrg(org); err != nil {
			return err
		}
		if out == nil {
			return keys.Errorf(keys.NotFound, "organization %s not found", org)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Org cursors are base64url of the last name: organizations go by name.
func orgCursor(name string) *string {
	c := base64.RawURLEncoding.EncodeToString([]byte(name))
	return &c
}

func parseOrgCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) < 2 || b[0] != '/' || !storable(string(b)) {
		return "", keys.Errorf(keys.Invalid, "invalid cursor: pass next_cursor from the previous page unchanged")
	}
	return string(b), nil
}

// ListOrgs returns one page of the organizations the principal may read,
// by name.
func (s *Store) ListOrgs(ctx context.Context, f keys.OrgFilter) (*keys.OrgPage, error) {
	f, err := f.Normalize()
	if err != nil {
		return nil, err
	}
	after := ""
	if f.Cursor != "" {
		if after, err = parseOrgCursor(f.Cursor); err != nil {
			return nil, err
		}
	}
	page := &keys.OrgPage{Items: []*keys.Org{}}
	err = s.read(ctx, func(t *txn) error {
		var c conds
		all, readable := keys.ReadableOrgs(t.p)
		if !all {
			if len(readable) == 0 {
				return nil
			}
			in := ""
			for i, o := range readable {
				if i > 0 {
					in += ", "
				}
				in += c.arg(o)
			}
			c.add("o.name IN (" + in + ")")
		}
		if after != "" {
			c.add("o.name > " + c.arg(after))
		}
		rows, err := t.query(t.ctx, "SELECT "+orgColumns+orgFrom+" WHERE "+c.sql()+
			" ORDER BY o.name LIMIT "+c.arg(f.Limit+1), c.args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			o, err := scanOrg(rows)
			if err != nil {
				return err
			}
			if len(page.Items) == f.Limit {
				page.NextCursor = orgCursor(page.Items[len(page.Items)-1].Name)
				break
			}
			page.Items = append(page.Items, o)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// DeleteOrg removes an organization, and with req.WithKeys every key and
// service account in it, in one transaction: an audit row for each key,
// each account and one for the organization.
func (s *Store) DeleteOrg(ctx context.Context, name string, req keys.OrgDeleteRequest) (*keys.Org, error) {
	org, err := keys.ParseOrg(name)
	if err != nil {
		return nil, err
	}
	var out *keys.Org
	write := s.write
	if req.WithKeys {
		write = s.writeAlone
	}
	err = write(ctx, func(t *txn) error {
		if err := keys.CheckOrgAdmin(t.p, org); err != nil {
			return err
		}
		o, err := t.loadOrg(org)
		if err != nil {
			return err
		}
		if o == nil {
			return keys.Errorf(keys.NotFound, "organization %s not found", org)
		}
		var ac conds
		ac.add("a.org = " + ac.arg(org))
		accounts, err := t.loadAccounts(ac)
		if err != nil {
			return err
		}
		if (o.KeyCount > 0 || len(accounts) > 0) && !req.WithKeys {
			return orgNotEmpty(o, len(accounts))
		}
		if req.WithKeys {
			var c conds
			c.add("k.org = " + c.arg(org))
			doomed, err := t.loadMany(c)
			if err != nil {
				return err
			}
			for _, r := range doomed {
				k := r.view(t.now)
				if err := keys.CheckChange(t.p, k, nil); err != nil {
					return err
				}
				if _, err := t.exec(t.ctx, "DELETE FROM keys WHERE id = $1", k.ID); err != nil {
					return err
				}
				if err := t.audit(keys.ActionDelete, k, map[string]any{"grants": k.Grants, "with_org": org}); err != nil {
					return err
				}
			}
		}
		// Its service accounts go with it, once their keys (above) are
		// gone: an account outliving its organization would hold grants
		// in one that no longer exists.
		for _, a := range accounts {
			if err := keys.CheckAccountChange(t.p, a, nil); err != nil {
				return err
			}
			if _, err := t.exec(t.ctx, "DELETE FROM accounts WHERE id = $1", a.ID); err != nil {
				return err
			}
			if err := t.auditAccount(keys.ActionAccountDelete, a, map[string]any{"grants": a.Grants, "with_org": org}); err != nil {
				return err
			}
		}
		if _, err := t.exec(t.ctx, "DELETE FROM orgs WHERE name = $1", org); err != nil {
			return err
		}
		details := map[string]any{"keys_deleted": o.KeyCount}
		if len(accounts) > 0 {
			details["accounts_deleted"] = len(accounts)
		}
		if err := t.auditOrg(keys.ActionOrgDelete, org, details); err != nil {
			return err
		}
		out = o
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// orgNotEmpty refuses to delete an organization that still holds keys or
// service accounts without --with-keys. One that holds only its default
// key is said apart: it looks empty to whoever just made it, but the key
// is a live credential (a public one may sit in a web page), deleted only
// when asked.
func orgNotEmpty(o *keys.Org, naccounts int) error {
	if o.KeyCount == 1 && o.DefaultKeyID != nil && naccounts == 0 {
		return keys.Errorf(keys.Conflict, "organization %s still holds its default key %s, which may be in use: delete it with the organization (--with-keys)", o.Name, *o.DefaultKeyID)
	}
	what := fmt.Sprintf("keys (%d)", o.KeyCount)
	switch {
	case naccounts > 0 && o.KeyCount > 0:
		what += fmt.Sprintf(" and service accounts (%d)", naccounts)
	case naccounts > 0:
		what = fmt.Sprintf("service accounts (%d)", naccounts)
	}
	return keys.Errorf(keys.Conflict, "organization %s still holds %s: delete them first, or delete them with it (--with-keys)", o.Name, what)
}
