package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// querier is what reads need: a *sql.Tx or a *sql.DB.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// keyColumnsFor selects a key row with its grants folded into one string
// by the dialect's aggregate: "<role digit><resource>" joined by ",",
// which no resource contains.
func keyColumnsFor(aggregate string) string {
	return `k.id, k.name, k.org, k.type, k.start, k.created_at, k.expires_at,
	k.enabled, k.last_used_at, k.meta, k.created_by, k.prev_hash IS NOT NULL, k.prev_expires_at,
	k.secret_used_at IS NOT NULL, k.prev_self_rolled,
	(SELECT ` + aggregate + ` FROM grants g WHERE g.key_id = k.id)`
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
		enabled                 bool
		selfRolled              int
		grants                  sql.NullString
	)
	dest := []any{&r.ID, &r.Name, &r.Org, &typ, &r.Start, &created, &expires,
		&enabled, &lastUsed, &meta, &r.CreatedBy, &r.hasPrev, &prev,
		&r.lastRoll.Claimed, &selfRolled, &grants}
	if err := sc.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	r.Type = keys.KeyType(typ)
	r.CreatedAt = fromUnix(created)
	r.ExpiresAt = fromNull(expires)
	r.Enabled = enabled
	r.LastUsedAt = fromNull(lastUsed)
	r.prevExpiry = fromNull(prev)
	r.lastRoll.BySelf = selfRolled == 1
	r.Meta = map[string]string{}
	if meta != "" && meta != "{}" {
		if err := json.Unmarshal([]byte(meta), &r.Meta); err != nil {
			return nil, fmt.Errorf("key %s: bad meta: %w", r.ID, err)
		}
	}
	r.Grants = parseGrants(grants.String)
	return &r, nil
}

func parseGrants(s string) []keys.Grant {
	out := []keys.Grant{}
	if s == "" {
		return out
	}
	for _, part := range strings.Split(s, ",") {
		if len(part) < 2 {
			continue
		}
		out = append(out, keys.Grant{Role: keys.Role(part[0] - '0'), Resource: keys.Resource(part[1:])})
	}
	keys.SortGrants(out)
	return out
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
	k.PreviousExpiresAt = nil
	if r.hasPrev && r.prevExpiry != nil && now.Before(*r.prevExpiry) && !r.Expired(now) {
		t := *r.prevExpiry
		k.PreviousExpiresAt = &t
	}
	return &k
}

func (s *Store) loadByID(ctx context.Context, q querier, id string) (*row, error) {
	r, err := scanKey(q.QueryRowContext(ctx, "SELECT "+s.d.keyColumns+" FROM keys k WHERE k.id = ?", id))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, dbErr(err)
	}
	return r, nil
}

func (s *Store) loadMany(ctx context.Context, q querier, where string, args ...any) ([]*row, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+s.d.keyColumns+" FROM keys k WHERE "+where+" ORDER BY k.name, k.id", args...)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	var out []*row
	for rows.Next() {
		r, err := scanKey(rows)
		if err != nil {
			return nil, dbErr(err)
		}
		out = append(out, r)
	}
	return out, dbErr(rows.Err())
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
