package store

import (
	"context"
	"slices"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// Update renames, re-dates, enables or disables a key and merges its meta.
func (s *Store) Update(ctx context.Context, ref string, req keys.UpdateRequest) (*keys.Key, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	var out *keys.Key
	err := s.write(ctx, func(t *txn) error {
		r, err := t.resolve(ref)
		if err != nil {
			return err
		}
		before := r.view(t.now)
		after, details, err := applyUpdate(t.now, before, r.view(t.now), req)
		if err != nil {
			return err
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
		if err := t.storeUpdate(after); err != nil {
			return err
		}
		if err := t.audit(keys.ActionUpdate, after, details); err != nil {
			return err
		}
		return t.reload(after.ID, &out)
	})
	return out, err
}

// applyUpdate makes after (a copy of before) what req asks for, and says
// what changed, for the audit row: nothing, when details is empty.
func applyUpdate(now time.Time, before, after *keys.Key, req keys.UpdateRequest) (*keys.Key, map[string]any, error) {
	details := map[string]any{}
	if req.Name != nil && *req.Name != before.Name {
		after.Name = *req.Name
		details["name"] = change(before.Name, after.Name)
	}
	if req.SetsExpiry() {
		exp, err := keys.Expiry(now, req.TTL, req.ExpiresAt) // nil for no_expiry
		if err != nil {
			return nil, nil, err
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
	applyPolicies(before, after, req, details)
	if len(req.Meta) > 0 {
		changes := mergeMeta(after.Meta, req.Meta)
		if err := keys.ValidateMeta(after.Meta); err != nil {
			return nil, nil, err
		}
		if len(changes) > 0 {
			details["meta"] = changes
		}
	}
	return after, details, nil
}

// mergeMeta merges req into meta (an empty value removes its entry) and
// returns what changed, entry by entry.
func mergeMeta(meta, req map[string]string) map[string]any {
	changes := map[string]any{}
	for k, v := range req {
		old, had := meta[k]
		switch {
		case v == "" && had:
			delete(meta, k)
			changes[k] = change(old, nil)
		case v != "" && (!had || old != v):
			meta[k] = v
			if had {
				changes[k] = change(old, v)
			} else {
				changes[k] = change(nil, v)
			}
		}
	}
	return changes
}

// storeUpdate writes the updated columns of k.
func (t *txn) storeUpdate(k *keys.Key) error {
	_, err := t.exec(t.ctx, `UPDATE keys SET name = $1, expires_at = $2, enabled = $3, meta = $4,
		-- a previous secret never outlives the key (the comparison
		-- first: it tells PostgreSQL the parameter's type)
		prev_expires_at = CASE WHEN prev_expires_at > $2 AND $2 IS NOT NULL THEN $2 ELSE prev_expires_at END,
		allowed_ips = $6, rate_limit = $7
		WHERE id = $5`,
		k.Name, nullTime(k.ExpiresAt), boolInt(k.Enabled), metaJSON(k.Meta), k.ID,
		allowedIPsColumn(k.AllowedIPs), rateLimitColumn(k.RateLimit))
	return err
}

func change(from, to any) map[string]any { return map[string]any{"from": from, "to": to} }

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// applyPolicies makes after's allow-list and rate limit what req asks
// for (an empty list or the zero limit: none), noting changes in details.
func applyPolicies(before, after *keys.Key, req keys.UpdateRequest, details map[string]any) {
	if req.AllowedIPs != nil {
		l, _ := keys.CanonicalAllowList(*req.AllowedIPs) // checked by Validate
		if len(l) == 0 {
			l = nil
		}
		if !slices.Equal(l, before.AllowedIPs) {
			after.AllowedIPs = l
			details["allowed_ips"] = change(before.AllowedIPs.Strings(), l.Strings())
		}
	}
	if req.RateLimit != nil {
		var rl *keys.RateLimit
		if !req.RateLimit.IsZero() {
			v := *req.RateLimit
			rl = &v
		}
		if rateLimitColumn(rl) != rateLimitColumn(before.RateLimit) {
			after.RateLimit = rl
			details["rate_limit"] = change(rateLimitColumn(before.RateLimit), rateLimitColumn(rl))
		}
	}
}
