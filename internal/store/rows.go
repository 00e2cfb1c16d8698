package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// keyColumns selects a key row, its grants folded into one JSON array by
// the engine's aggregate.
func (s *Store) keyColumns() string {
	return `k.id, k.name, k.org, k.type, k.start, k.created_at, k.expires_at,
	k.enabled, k.last_used_at, k.meta, k.created_by, k.prev_hash IS NOT NULL, k.prev_expires_at,
	k.secret_used_at IS NOT NULL, k.prev_self_rolled, k.format, k.compromised_at, k.allowed_ips, k.rate_limit,
	(SELECT ` + s.eng.grantsJSON() + ` FROM grants g WHERE g.key_id = k.id),
	(SELECT a.name FROM accounts a WHERE a.id = k.account_id), k.is_default = 1`
}

// row is a key as stored: the key plus what only the store sees.
type row struct {
	keys.Key
	hasPrev    bool
	prevExpiry *time.Time // raw, even once passed
	lastRoll   keys.LastRoll
}

type scanner interface{ Scan(dest ...any) error }

func scanKey(sc scanner, extra ...any) (*row, error) {
	var (
		r                       row
		typ, meta               string
		created                 int64
		expires, lastUsed, prev sql.NullInt64
		compromised             sql.NullInt64
		enabled                 bool
		selfRolled              int
		grants                  sql.NullString
		allowed, limit          sql.NullString
		account                 sql.NullString
	)
	dest := []any{&r.ID, &r.Name, &r.Org, &typ, &r.Start, &created, &expires,
		&enabled, &lastUsed, &meta, &r.CreatedBy, &r.hasPrev, &prev,
		&r.lastRoll.Claimed, &selfRolled, &r.Format, &compromised, &allowed, &limit, &grants, &account, &r.Default}
	err := sc.Scan(append(dest, extra...)...)
	if err != nil {
		return nil, err
	}
	r.Type = keys.KeyType(typ)
	r.CreatedAt = fromUnix(created)
	r.ExpiresAt = fromNull(expires)
	r.Enabled = enabled
	r.LastUsedAt = fromNull(lastUsed)
	r.prevExpiry = fromNull(prev)
	r.CompromisedAt = fromNull(compromised)
	r.lastRoll.BySelf = selfRolled == 1
	if account.Valid {
		r.Account = &account.String
	}
	r.Meta = map[string]string{}
	if meta != "" && meta != "{}" {
		if err := json.Unmarshal([]byte(meta), &r.Meta); err != nil {
			return nil, fmt.Errorf("key %s: bad meta: %w", r.ID, err)
		}
	}
	if r.Grants, err = parseGrants(grants.String); err != nil {
		return nil, fmt.Errorf("key %s: bad grants: %w", r.ID, err)
	}
	if err := scanPolicies(&r.Key, allowed, limit); err != nil {
		return nil, fmt.Errorf("key %s: %w", r.ID, err)
	}
	return &r, nil
}

// scanPolicies reads the policy columns (migrations/0008_policies.sql):
// NULL for none.
func scanPolicies(k *keys.Key, allowed, limit sql.NullString) error {
	if allowed.Valid {
		var l keys.AllowList
		if err := json.Unmarshal([]byte(allowed.String), &l); err != nil {
			return fmt.Errorf("bad allowed_ips: %w", err)
		}
		if len(l) > 0 {
			k.AllowedIPs = l
		}
	}
	if limit.Valid {
		rl, err := keys.ParseRateLimit(limit.String)
		if err != nil {
			return fmt.Errorf("bad rate_limit: %w", err)
		}
		if !rl.IsZero() {
			k.RateLimit = &rl
		}
	}
	return nil
}

// allowedIPsColumn and rateLimitColumn are a key's policies as stored:
// NULL for none.
func allowedIPsColumn(l keys.AllowList) any {
	if len(l) == 0 {
		return nil
	}
	b, _ := json.Marshal(l)
	return string(b)
}

func rateLimitColumn(r *keys.RateLimit) any {
	if r == nil || r.IsZero() {
		return nil
	}
	return r.String()
}

// storedGrant is a grant as the engine's aggregate spells it.
type storedGrant struct {
	Resource string `json:"resource"`
	Role     int    `json:"role"`
}

// parseGrants reads the aggregate's JSON array (empty or NULL for none).
func parseGrants(s string) ([]keys.Grant, error) {
	out := []keys.Grant{}
	if s == "" {
		return out, nil
	}
	if gs, ok := parseGrantsCompact(s); ok {
		keys.SortGrants(gs)
		return gs, nil
	}
	var stored []storedGrant
	if err := json.Unmarshal([]byte(s), &stored); err != nil {
		return nil, err
	}
	for _, g := range stored {
		out = append(out, keys.Grant{Role: keys.Role(g.Role), Resource: keys.Resource(g.Resource)})
	}
	keys.SortGrants(out)
	return out, nil
}

// parseGrantsCompact reads the array as SQLite's aggregate spells it,
// [{"resource":"/a","role":2},...], without encoding/json, which took
// 13 % of a 100,000-key listing; ok is false for any other spelling (a
// PostgreSQL jsonb, an escape), which json.Unmarshal then reads.
func parseGrantsCompact(s string) (out []keys.Grant, ok bool) {
	const open, mid = `{"resource":"`, `","role":`
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' || strings.IndexByte(s, '\\') >= 0 {
		return nil, false
	}
	body := s[1 : len(s)-1]
	out = []keys.Grant{}
	for body != "" {
		if !strings.HasPrefix(body, open) {
			return nil, false
		}
		body = body[len(open):]
		i := strings.Index(body, mid)
		if i < 0 {
			return nil, false
		}
		res := body[:i]
		body = body[i+len(mid):]
		j := strings.IndexByte(body, '}')
		if j < 0 {
			return nil, false
		}
		role, err := strconv.Atoi(body[:j])
		if err != nil || strings.IndexByte(res, '"') >= 0 {
			return nil, false
		}
		out = append(out, keys.Grant{Role: keys.Role(role), Resource: keys.Resource(res)})
		body = body[j+1:]
		if body != "" {
			if body[0] != ',' || len(body) == 1 {
				return nil, false
			}
			body = body[1:]
		}
	}
	return out, true
}

// view is the key as shown at now: previous_expires_at only while the
// previous secret still works.
func (r *row) view(now time.Time) *keys.Key {
	k := r.Key
	k.Grants = append([]keys.Grant(nil), r.Grants...)
	k.Meta = make(map[string]string, len(r.Meta))
	for mk, mv := range r.Meta {
		k.Meta[mk] = mv
	}
	k.AllowedIPs = slices.Clone(r.AllowedIPs)
	if r.RateLimit != nil {
		rl := *r.RateLimit
		k.RateLimit = &rl
	}
	k.PreviousExpiresAt = nil
	if r.hasPrev && r.prevExpiry != nil && now.Before(*r.prevExpiry) && !r.Expired(now) {
		t := *r.prevExpiry
		k.PreviousExpiresAt = &t
	}
	return &k
}

// loadByID reads key id; nil when there is none.
func (t *txn) loadByID(id string) (*row, error) {
	r, err := scanKey(t.queryRow(t.ctx, "SELECT "+t.s.keyColumns()+" FROM keys k WHERE k.id = $1", id))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return r, err
}

// loadMany reads the keys that match c, by name then id.
func (t *txn) loadMany(c conds) ([]*row, error) {
	rows, err := t.query(t.ctx, "SELECT "+t.s.keyColumns()+" FROM keys k WHERE "+c.sql()+" ORDER BY k.name, k.id", c.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*row
	for rows.Next() {
		r, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func toUnix(t time.Time) int64 { return t.Unix() }

// ceilUnix stores t without ending a lifetime early: partial seconds round up.
func ceilUnix(t time.Time) int64 {
	u := t.Unix()
	if t.Nanosecond() > 0 {
		u++
	}
	return u
}

func fromUnix(u int64) time.Time { return time.Unix(u, 0).UTC() }

func fromNull(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromUnix(n.Int64)
	return &t
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ceilUnix(*t)
}

func metaJSON(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// boolInt stores a boolean as the schema's 0 or 1, the same in both
// databases (PostgreSQL will not take a bool for an integer column).
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
