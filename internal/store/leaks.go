package store

import (
	"context"
	"database/sql"
	"slices"

	"github.com/keyward/keyward/internal/keys"
)

// maxAuditSources bounds the sources one compromise audit row lists: a
// secret committed to a thousand files needs the first few to be found.
const maxAuditSources = 20

// CheckLeaks looks found secrets up by hash in one read transaction. It
// is no verification: it records no use (last_used_at, a new secret's
// first use), so scanning a repository never makes a leaked key look used.
func (s *Store) CheckLeaks(ctx context.Context, leaks []keys.Leak) ([]*keys.LeakResult, error) {
	leaks, err := keys.NormalizeLeaks(leaks)
	if err != nil {
		return nil, err
	}
	var out []*keys.LeakResult
	err = s.read(ctx, func(t *txn) error {
		found, err := t.lookupLeaks(leaks)
		if err != nil {
			return err
		}
		out = make([]*keys.LeakResult, len(leaks))
		for i, f := range found {
			out[i] = f.describe(t, leaks[i].Secret)
		}
		return nil
	})
	return out, err
}

// ReportLeaks disables, in one transaction, every key that a found secret
// still makes valid and that the principal may change, marks it
// compromised and writes one audit row per key with the sources the
// secret was found at.
func (s *Store) ReportLeaks(ctx context.Context, leaks []keys.Leak) ([]*keys.LeakResult, error) {
	leaks, err := keys.NormalizeLeaks(leaks)
	if err != nil {
		return nil, err
	}
	var out []*keys.LeakResult
	err = s.write(ctx, func(t *txn) error {
		found, err := t.lookupLeaks(leaks)
		if err != nil {
			return err
		}
		// Decide per key, in the order keys were first found: a secret
		// found in three files is one compromise with three sources.
		actions := map[string]keys.LeakAction{}
		sources := map[string][]string{}
		var order []*leakFound
		for i, f := range found {
			if f.r == nil {
				continue
			}
			if _, seen := sources[f.r.ID]; !seen {
				order = append(order, f)
				sources[f.r.ID] = []string{}
			}
			if src := leaks[i].Source; src != "" && len(sources[f.r.ID]) < maxAuditSources && !slices.Contains(sources[f.r.ID], src) {
				sources[f.r.ID] = append(sources[f.r.ID], src)
			}
		}
		for _, f := range order {
			if !f.res.Valid || !keys.LeakCompromises(&f.r.Key) {
				actions[f.r.ID] = keys.LeakNone
				continue
			}
			before := f.r.view(t.now)
			after := keys.Compromise(before, t.now)
			if err := keys.CheckChange(t.p, before, after); err != nil {
				if keys.ErrorCode(err) != keys.Forbidden {
					return err
				}
				actions[f.r.ID] = keys.LeakForbidden
				continue
			}
			if err := t.storeCompromise(after); err != nil {
				return err
			}
			details := map[string]any{
				"enabled": change(true, false),
				"sources": sources[f.r.ID],
				// Which of the key's secrets leaked (details.secret
				// names the operator's that acted).
				"leaked_secret": secretWhich(f.prev),
			}
			if err := t.audit(keys.ActionCompromise, after, details); err != nil {
				return err
			}
			actions[f.r.ID] = keys.LeakDisabled
			if f.r, err = t.loadByID(f.r.ID); err != nil {
				return err
			} else if f.r == nil {
				return notFound(after.ID)
			}
		}
		// Every occurrence answers from the row as it is now (read again
		// after a change).
		now := map[string]*row{}
		for _, f := range order {
			now[f.r.ID] = f.r
		}
		out = make([]*keys.LeakResult, len(leaks))
		for i, f := range found {
			a := keys.LeakNone
			if f.r != nil {
				f.r, a = now[f.r.ID], actions[f.r.ID]
				f.res = f.r.evaluateAnywhere(f.prev, t.now)
			}
			out[i] = f.describe(t, leaks[i].Secret)
			out[i].SetAction(a)
		}
		return nil
	})
	return out, err
}

// leakFound is a found secret's key (nil for none), whether it matched
// the key's previous secret, and the key evaluated as verification would.
type leakFound struct {
	r    *row
	prev bool
	res  *keys.VerifyResult
}

func (f *leakFound) describe(t *txn, secret string) *keys.LeakResult {
	if f.r == nil {
		return keys.UnknownLeak(secret)
	}
	return keys.DescribeLeak(t.p, &f.r.Key, secret, f.res)
}

// lookupLeaks finds the key of each well-formed secret by its hash, as
// verification's lookup does, but inside t: no cache, no use recorded.
// A rolled-out secret past its grace finds nothing, as it verifies.
func (t *txn) lookupLeaks(leaks []keys.Leak) ([]*leakFound, error) {
	out := make([]*leakFound, len(leaks))
	for i, l := range leaks {
		out[i] = &leakFound{}
		secret, err := keys.ParseSecret(l.Secret)
		if err != nil {
			continue // malformed: no lookup, as verify
		}
		var current bool
		r, err := scanKey(t.queryRow(t.ctx, t.s.lookupSQL(), keys.HashSecret(secret)), &current)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return nil, err
		}
		res := r.evaluateAnywhere(!current, t.now)
		if res.Code == keys.CodeNotFound {
			continue
		}
		out[i] = &leakFound{r: r, prev: !current, res: res}
	}
	return out, nil
}

// storeCompromise writes a compromised key's enabled and compromised_at.
// The update leaves last_used_at alone, so 0003's triggers tell every
// verification cache (a revision on SQLite, NOTIFY on PostgreSQL).
func (t *txn) storeCompromise(k *keys.Key) error {
	_, err := t.exec(t.ctx, `UPDATE keys SET enabled = $1, compromised_at = $2 WHERE id = $3`,
		boolInt(k.Enabled), nullTime(k.CompromisedAt), k.ID)
	return err
}

func secretWhich(prev bool) string {
	if prev {
		return "previous"
	}
	return "current"
}
