package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// Roll gives a key a new secret. The old one keeps working for the grace
// period (never past the key's expiry); rolling again ends the older one at
// once, so at most two secrets work. A previous secret may only redo its
// own roll while the secret that roll produced is unclaimed (keys.CheckRoll):
// the redo replaces that secret and leaves the previous one's grace as it
// was, so that a CI job whose answer was lost can recover without cutting
// off the jobs still holding the old secret.
func (s *Store) Roll(ctx context.Context, ref string, req keys.RollRequest) (*keys.NewSecretKey, error) {
	req, err := req.Normalize()
	if err != nil {
		return nil, err
	}
	var out *keys.NewSecretKey
	err = s.write(ctx, func(t *txn) error {
		r, err := t.resolve(ref)
		if err != nil {
			return err
		}
		before := r.view(t.now)
		if err := keys.CheckRoll(t.p, before, req.TTL != nil, r.lastRoll); err != nil {
			return err
		}
		cur, err := t.secrets(before.ID)
		if err != nil {
			return err
		}
		var secret string
		if before.Format != keys.FormatJWT {
			if secret, err = keys.NewSecret(cur.prefix); err != nil {
				return err
			}
		}
		next, details, err := t.planRoll(r, before, cur, secret, req.TTL, time.Duration(*req.Grace))
		if err != nil {
			return err
		}
		secret, kid, err := t.rollToken(before, &next, secret)
		if err != nil {
			return err
		}
		if err := t.storeRoll(before.ID, cur.hash, next); err != nil {
			return err
		}
		if err := t.markRolledToken(before, kid, next.redoing); err != nil {
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

// keySecrets are a key's secrets as stored (hashes), and its prefix.
type keySecrets struct {
	hash, prefix string
	prevHash     sql.NullString
}

func (t *txn) secrets(id string) (keySecrets, error) {
	var ks keySecrets
	err := t.queryRow(t.ctx, "SELECT secret_hash, prefix, prev_hash FROM keys WHERE id = $1", id).Scan(&ks.hash, &ks.prefix, &ks.prevHash)
	return ks, err
}

// planRoll works out what rolling r (shown as before) to secret writes,
// and the audit row's details: the new expiry if ttl asks for one, then
// the previous secret, a redo's or a new grace.
func (t *txn) planRoll(r *row, before *keys.Key, cur keySecrets, secret string, ttl *keys.Duration, grace time.Duration) (rolled, map[string]any, error) {
	next := rolled{hash: keys.HashSecret(secret), start: keys.SecretStart(secret), expires: before.ExpiresAt}
	details := map[string]any{}
	if ttl != nil {
		e, err := keys.ExpiryAfter(t.now.Truncate(time.Second), time.Duration(*ttl))
		if err != nil {
			return next, nil, err
		}
		next.expires = &e
		details["ttl"] = ttl.String()
		details["expires_at"] = change(before.ExpiresAt, next.expires)
	}
	if t.p.Previous { // CheckRoll let a previous secret through: a redo
		next.redo(r, cur.prevHash.String, details)
	} else if err := next.grace(t, r, cur.hash, grace, details); err != nil {
		return next, nil, err
	}
	return next, details, nil
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
	res, err := t.exec(t.ctx, `UPDATE keys SET secret_hash = $1, start = $2, expires_at = $3, prev_hash = $4,
		prev_expires_at = $5, prev_self_rolled = $6, secret_used_at = NULL WHERE id = $7 AND secret_hash = $8`+cond,
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
