package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/keyward/keyward/internal/keys"
)

// Audit cursors are base64url of the last row's id: rows go newest first.
func auditCursor(id int64) *string {
	c := base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10)))
	return &c
}

func parseAuditCursor(c string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if id, err := strconv.ParseInt(string(b), 10, 64); err == nil && id > 0 {
			return id, nil
		}
	}
	return 0, keys.Errorf(keys.Invalid, "invalid cursor: pass next_cursor from the previous page unchanged")
}

type auditRow struct {
	keys.AuditEvent
	// grants are the key's grants as the row recorded them: with its org,
	// they judge who may see the row (keys.CanReadAudit).
	grants []keys.Grant
}

const auditColumns = `a.id, a.at, a.org, a.actor, a.actor_name, a.action, a.key_id, a.key_name, a.grants, a.details`

func scanAudit(rows *sql.Rows) (*auditRow, error) {
	var (
		a               auditRow
		at              int64
		actorName       sql.NullString
		grants, details string
	)
	if err := rows.Scan(&a.ID, &at, &a.Org, &a.Actor, &actorName, &a.Action, &a.KeyID, &a.KeyName, &grants, &details); err != nil {
		return nil, err
	}
	a.At = fromUnix(at)
	if actorName.Valid {
		a.ActorName = &actorName.String
	}
	if err := json.Unmarshal([]byte(grants), &a.grants); err != nil {
		return nil, err
	}
	a.Details = map[string]any{}
	if err := json.Unmarshal([]byte(details), &a.Details); err != nil {
		return nil, err
	}
	if a.Details == nil {
		a.Details = map[string]any{}
	}
	return &a, nil
}

// auditScope narrows the rows a principal may see to those that can pass
// keys.CanReadAudit, so that a tenant's audit does not read every other
// tenant's rows: rows of its organization, of itself, and the grants that
// made a key a root key (a key leaving an organization: its move row).
// CanReadAudit decides on each row.
func auditScope(p *keys.Principal) (string, []any) {
	cond, args := visibility(p, "a.org", "a.key_id")
	if len(args) > 0 {
		cond = "(" + cond + " OR (a.org = '/' AND a.action = 'grant'))"
	}
	return cond, args
}

// Audit returns audit rows newest first: those the principal may read,
// each judged by what it recorded (keys.CanReadAudit), whatever became of
// its key since: moved, narrowed, widened or deleted.
func (s *Store) Audit(ctx context.Context, f keys.AuditFilter) (*keys.AuditPage, error) {
	limit, err := pageSize(f.Limit)
	if err != nil {
		return nil, err
	}
	var before int64
	if f.Cursor != "" {
		if before, err = parseAuditCursor(f.Cursor); err != nil {
			return nil, err
		}
	}
	page := &keys.AuditPage{Items: []*keys.AuditEvent{}}
	err = s.read(ctx, func(t *txn) error {
		var w conds
		add := w.add
		if cond, a := auditScope(t.p); cond != "" {
			add(cond, a...)
		}
		if f.Key != "" {
			id, err := t.auditKey(f.Key)
			if err != nil {
				return err
			}
			add("a.key_id = ?", id)
		}
		if f.Since != nil {
			add("a.at >= ?", f.Since.Unix())
		}
		base, args := w.sql()
		batch := limit + 1
		for {
			cond, a := base, args
			if before > 0 {
				cond += " AND a.id < ?"
				a = append(append([]any(nil), args...), before)
			}
			rows, err := t.QueryContext(t.ctx, `SELECT `+auditColumns+` FROM audit a WHERE `+cond+` ORDER BY a.id DESC LIMIT ?`,
				append(a, batch)...)
			if err != nil {
				return err
			}
			n, more := 0, false
			for rows.Next() {
				r, err := scanAudit(rows)
				if err != nil {
					rows.Close()
					return err
				}
				n++
				before = r.ID
				if !keys.CanReadAudit(t.p, &r.AuditEvent, r.grants) {
					continue
				}
				if len(page.Items) == limit {
					more = true
					break
				}
				ev := r.AuditEvent
				page.Items = append(page.Items, &ev)
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				return err
			}
			if more {
				page.NextCursor = auditCursor(page.Items[len(page.Items)-1].ID)
				return nil
			}
			if n < batch {
				return nil
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// auditKey resolves the key of an audit filter: a key the principal may
// read now, else one it has audit rows of (a deleted key, or one moved or
// widened out of its sight) by id, or by a name (or org/name) those rows
// recorded when only one such key has it.
func (t *txn) auditKey(ref string) (string, error) {
	r, err := t.resolve(ref)
	if err == nil {
		return r.ID, nil
	}
	if keys.ErrorCode(err) != keys.NotFound || !storable(ref) {
		return "", err
	}
	cond, args := "a.key_id = ?", []any{ref}
	if !keys.IsID(ref) {
		if org, name, ok := splitRef(ref); ok {
			cond, args = "a.org = ? AND a.key_name = ?", []any{org, name}
		} else {
			cond, args = "a.key_name = ?", []any{ref}
		}
	}
	if scope, a := auditScope(t.p); scope != "" {
		cond += " AND " + scope
		args = append(args, a...)
	}
	// Distinct, so that a key's many rolls and updates are judged once.
	rows, err := t.QueryContext(t.ctx, `SELECT DISTINCT a.key_id, a.org, a.action, a.grants, a.details FROM audit a
		WHERE `+cond, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	seen := map[string]bool{}
	var ids []string
	for rows.Next() {
		var ev keys.AuditEvent
		var gs, details string
		if err := rows.Scan(&ev.KeyID, &ev.Org, &ev.Action, &gs, &details); err != nil {
			return "", err
		}
		var grants []keys.Grant
		if seen[ev.KeyID] || json.Unmarshal([]byte(gs), &grants) != nil || json.Unmarshal([]byte(details), &ev.Details) != nil ||
			!keys.CanReadAudit(t.p, &ev, grants) {
			continue
		}
		seen[ev.KeyID] = true
		ids = append(ids, ev.KeyID)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	sort.Strings(ids)
	switch len(ids) {
	case 0:
		return "", notFound(ref)
	case 1:
		return ids[0], nil
	}
	return "", keys.Errorf(keys.Conflict, "name %q matches several keys you have audit rows of: %s; use the id", ref, strings.Join(ids, ", "))
}
