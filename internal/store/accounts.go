package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// Service accounts. An account's grants live in account_grants; each of
// its keys holds a copy in grants, rewritten in the same transaction as
// every change to the account (syncAccountKeys). Everything that reads a
// key's grants — verification and its cache, listing, visibility, the
// rules — thus sees an account's change at once, unchanged.

const accountColumns = `a.id, a.name, a.org, a.created_at, a.created_by,
	(SELECT count(*) FROM keys k WHERE k.account_id = a.id)`

// accountSelect reads accounts, their grants through the engine's
// aggregate as a key's are read.
func (s *Store) accountSelect() string {
	return "SELECT " + accountColumns + `,
	(SELECT ` + s.eng.grantsJSON() + ` FROM account_grants g WHERE g.account_id = a.id) FROM accounts a`
}

func scanAccount(sc scanner) (*keys.Account, error) {
	var (
		a       keys.Account
		created int64
		grants  sql.NullString
	)
	if err := sc.Scan(&a.ID, &a.Name, &a.Org, &created, &a.CreatedBy, &a.KeyCount, &grants); err != nil {
		return nil, err
	}
	a.CreatedAt = fromUnix(created)
	var err error
	if a.Grants, err = parseGrants(grants.String); err != nil {
		return nil, fmt.Errorf("account %s: bad grants: %w", a.ID, err)
	}
	return &a, nil
}

func (t *txn) loadAccounts(c conds) ([]*keys.Account, error) {
	rows, err := t.query(t.ctx, t.s.accountSelect()+" WHERE "+c.sql()+" ORDER BY a.name, a.id", c.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*keys.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// accountNotFound quotes ref with any secret in it redacted: a secret
// pasted where an account was meant must not come back in the answer (or
// in whatever logs it on the way).
func accountNotFound(ref string) error {
	return keys.Errorf(keys.NotFound, "service account %q not found", keys.Redact(ref))
}

// resolveAccount finds the account ref names among those t's principal
// may read, as resolve does for keys: an id, "org/name", or a bare name
// (a Conflict when visible accounts of several organizations share it).
func (t *txn) resolveAccount(ref string) (*keys.Account, error) {
	if !storable(ref) {
		return nil, accountNotFound(ref)
	}
	var c conds
	if keys.IsAccountID(ref) {
		c.add("a.id = " + c.arg(ref))
	} else {
		c.addName(ref, "a.org", "a.name")
	}
	cands, err := t.loadAccounts(c)
	if err != nil {
		return nil, err
	}
	var visible []*keys.Account
	for _, a := range cands {
		if keys.CanReadAccount(t.p, a) {
			visible = append(visible, a)
		}
	}
	switch len(visible) {
	case 0:
		return nil, accountNotFound(ref)
	case 1:
		return visible[0], nil
	}
	var ids []string
	for _, a := range visible {
		ids = append(ids, a.ID+" in "+a.Org)
	}
	return nil, keys.Errorf(keys.Conflict, "account name %q is ambiguous: %s; use ORG/NAME or the id", ref, strings.Join(ids, ", "))
}

// CreateAccount makes a service account with its grants.
func (s *Store) CreateAccount(ctx context.Context, req keys.CreateAccountRequest) (*keys.Account, error) {
	req, org, err := req.Normalize()
	if err != nil {
		return nil, err
	}
	var out *keys.Account
	err = s.write(ctx, func(t *txn) error {
		// Scope before name, as for keys.
		a := &keys.Account{ID: keys.NewAccountID(), Name: req.Name, Org: org, Grants: req.Grants,
			CreatedAt: t.now.Truncate(time.Second), CreatedBy: t.p.Actor}
		if err := keys.CheckAccountChange(t.p, nil, a); err != nil {
			return err
		}
		var id string
		switch err := t.queryRow(t.ctx, "SELECT id FROM accounts WHERE org = $1 AND name = $2", org, req.Name).Scan(&id); {
		case err == nil:
			return keys.Errorf(keys.Conflict, "a service account named %q already exists in %s", req.Name, org)
		case err != sql.ErrNoRows:
			return err
		}
		if _, err := t.exec(t.ctx, "INSERT INTO accounts (id, name, org, created_at, created_by) VALUES ($1, $2, $3, $4, $5)",
			a.ID, a.Name, a.Org, toUnix(a.CreatedAt), a.CreatedBy); err != nil {
			return err
		}
		if err := t.putAccountGrants(a.ID, a.Grants); err != nil {
			return err
		}
		// An account lies in its organization as a key does: one never
		// created is registered by it, so orgs list shows it and orgs
		// delete knows what it holds.
		if err := t.ensureOrg(org); err != nil {
			return err
		}
		out = a
		return t.auditAccount(keys.ActionAccountCreate, a, map[string]any{"grants": a.Grants})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetAccount returns the account ref names, if the principal may read it.
func (s *Store) GetAccount(ctx context.Context, ref string) (*keys.Account, error) {
	var out *keys.Account
	err := s.read(ctx, func(t *txn) (err error) {
		out, err = t.resolveAccount(ref)
		return err
	})
	return out, err
}

// ListAccounts returns one page of the accounts the principal may read,
// by name then id.
func (s *Store) ListAccounts(ctx context.Context, f keys.AccountFilter) (*keys.AccountPage, error) {
	f, err := f.Normalize()
	if err != nil {
		return nil, err
	}
	var afterName, afterID string
	if f.Cursor != "" {
		if afterName, afterID, err = parseNameIDCursor(f.Cursor, keys.IsAccountID); err != nil {
			return nil, err
		}
	}
	page := &keys.AccountPage{Items: []*keys.Account{}}
	err = s.read(ctx, func(t *txn) error {
		var base conds
		if cond := visibility(t.p, &base, "a.org", "a.id"); cond != "" {
			base.add(cond)
		}
		items, more, err := pager[*keys.Account]{
			limit: f.Limit,
			query: func(n int) (string, []any) {
				c := base.clone()
				if afterID != "" {
					c.add("(a.name, a.id) > (" + c.arg(afterName) + ", " + c.arg(afterID) + ")")
				}
				return t.s.accountSelect() + " WHERE " + c.sql() + " ORDER BY a.name, a.id LIMIT " + c.arg(n), c.args
			},
			scan: func(rows *sql.Rows) (*keys.Account, error) {
				a, err := scanAccount(rows)
				if err == nil && !advances(afterID != "", afterName, afterID, a.Name, a.ID) {
					return nil, notTextName("service account", a.ID)
				}
				return a, err
			},
			seen: func(a *keys.Account) { afterName, afterID = a.Name, a.ID },
			keep: func(a *keys.Account) bool { return keys.CanReadAccount(t.p, a) },
		}.read(t)
		if err != nil {
			return err
		}
		page.Items = append(page.Items, items...)
		if more {
			page.NextCursor = nameIDCursor(items[len(items)-1].Name, items[len(items)-1].ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// DeleteAccount deletes an account that no key belongs to any more.
func (s *Store) DeleteAccount(ctx context.Context, ref string) (*keys.Account, error) {
	var out *keys.Account
	err := s.write(ctx, func(t *txn) error {
		a, err := t.resolveAccount(ref)
		if err != nil {
			return err
		}
		if err := keys.CheckAccountChange(t.p, a, nil); err != nil {
			return err
		}
		if a.KeyCount > 0 {
			return keys.Errorf(keys.Conflict, "service account %s still has %d key(s): delete them first (keyward keys list shows them with their account)", a.Name, a.KeyCount)
		}
		if _, err := t.exec(t.ctx, "DELETE FROM accounts WHERE id = $1", a.ID); err != nil {
			return err
		}
		out = a
		return t.auditAccount(keys.ActionAccountDelete, a, map[string]any{"grants": a.Grants})
	})
	return out, err
}

// GrantAccount adds a grant to an account, or changes its role; every key
// of the account holds it from the same commit on.
func (s *Store) GrantAccount(ctx context.Context, ref string, g keys.Grant) (*keys.Account, error) {
	g, err := g.Normalize()
	if err != nil {
		return nil, err
	}
	return s.changeAccount(ctx, ref, func(t *txn, before *keys.Account) (*keys.Account, map[string]any, error) {
		prev := keys.ExactRole(before.Grants, g.Resource)
		role := g.Role
		if role == keys.RoleNone {
			role = max(prev, keys.Viewer) // as for keys: never a silent downgrade
		}
		if prev == role {
			return before, nil, keys.CheckAccountChange(t.p, before, before) // already so: nothing written
		}
		after := *before
		after.Grants = keys.SetGrant(before.Grants, keys.Grant{Resource: g.Resource, Role: role})
		details := map[string]any{"resource": g.Resource, "role": role}
		if prev != keys.RoleNone {
			details["previous_role"] = prev
		}
		return &after, details, nil
	})
}

// UngrantAccount removes a grant from an account, never its last.
func (s *Store) UngrantAccount(ctx context.Context, ref string, resource keys.Resource) (*keys.Account, error) {
	res, err := keys.ParseResource(string(resource))
	if err != nil {
		return nil, err
	}
	return s.changeAccount(ctx, ref, func(t *txn, before *keys.Account) (*keys.Account, map[string]any, error) {
		// Rights first: a caller without them learns nothing of the grants.
		if err := keys.CheckAccountChange(t.p, before, before); err != nil {
			return nil, nil, err
		}
		grants, err := keys.RemoveAccountGrant(before.Grants, res)
		if err != nil {
			return nil, nil, err
		}
		after := *before
		after.Grants = grants
		return &after, map[string]any{"resource": res, "role": keys.ExactRole(before.Grants, res)}, nil
	})
}

// changeAccount runs change on the account ref names in one write
// transaction, then, unless change left it as it was (nil details),
// checks the rules on before and after, stores the grants, rewrites
// those of the account's keys and writes the audit row.
func (s *Store) changeAccount(ctx context.Context, ref string, change func(t *txn, before *keys.Account) (*keys.Account, map[string]any, error)) (*keys.Account, error) {
	var out *keys.Account
	err := s.write(ctx, func(t *txn) error {
		before, err := t.resolveAccount(ref)
		if err != nil {
			return err
		}
		after, details, err := change(t, before)
		if err != nil || details == nil {
			out = after
			return err
		}
		if err := keys.CheckAccountChange(t.p, before, after); err != nil {
			return err
		}
		var public int
		if err := t.queryRow(t.ctx, "SELECT count(*) FROM keys WHERE account_id = $1 AND type = 'public'", before.ID).Scan(&public); err != nil {
			return err
		}
		if err := keys.CheckAccountGrants(before, after.Grants, public); err != nil {
			return err
		}
		if err := t.putAccountGrants(after.ID, after.Grants); err != nil {
			return err
		}
		if err := t.syncAccountKeys(after.ID, after.Grants); err != nil {
			return err
		}
		details["keys"] = after.KeyCount
		out = after
		return t.auditAccount(keys.ActionAccountUpdate, after, details)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// putAccountGrants replaces the grants of account id.
func (t *txn) putAccountGrants(id string, grants []keys.Grant) error {
	if _, err := t.exec(t.ctx, "DELETE FROM account_grants WHERE account_id = $1", id); err != nil {
		return err
	}
	for _, g := range grants {
		if _, err := t.exec(t.ctx, "INSERT INTO account_grants (account_id, resource, role) VALUES ($1, $2, $3)",
			id, string(g.Resource), int(g.Role)); err != nil {
			return err
		}
	}
	return nil
}

// syncAccountKeys gives every key of account id exactly these grants: a
// statement per grant, however many keys.
func (t *txn) syncAccountKeys(id string, grants []keys.Grant) error {
	if _, err := t.exec(t.ctx, "DELETE FROM grants WHERE key_id IN (SELECT k.id FROM keys k WHERE k.account_id = $1)", id); err != nil {
		return err
	}
	for _, g := range grants {
		if _, err := t.exec(t.ctx, "INSERT INTO grants (key_id, resource, role, key_name) SELECT k.id, $2, $3, k.name FROM keys k WHERE k.account_id = $1",
			id, string(g.Resource), int(g.Role)); err != nil {
			return err
		}
	}
	return nil
}

// auditAccount writes the audit row of a change to account a: no key,
// the account named in details, its grants judging who may read it.
func (t *txn) auditAccount(action string, a *keys.Account, details map[string]any) error {
	details["account_id"] = a.ID
	details["account_name"] = a.Name
	return t.auditRow(action, a.Org, nil, nil, a.Grants, details)
}

// accountForKey resolves the account a new key is to belong to and
// checks that a key of typ may: its grants and organization become the
// key's.
func (t *txn) accountForKey(ref string, typ keys.KeyType) (*keys.Account, error) {
	a, err := t.resolveAccount(ref)
	if err != nil {
		return nil, err
	}
	return a, keys.CheckAccountKey(typ, a)
}

// joinAccount makes key id one of account's keys.
func (t *txn) joinAccount(id string, account *keys.Account) error {
	_, err := t.exec(t.ctx, "UPDATE keys SET account_id = $1 WHERE id = $2", account.ID, id)
	return err
}
