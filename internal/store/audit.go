package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
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
	// grants judge the row's visibility: those of the key now while it
	// exists, else those it had when deleted (else as of the row).
	grants []keys.Grant
}

// auditColumns selects an audit row for scanAudit: with the key's grants
// now (when it exists) and those it was deleted with (when it was).
func auditColumns(d *dialect) string {
	return `a.id, a.at, a.org, a.actor, a.actor_name, a.action, a.key_id, a.key_name, a.grants, a.details,
		EXISTS (SELECT 1 FROM keys k WHERE k.id = a.key_id),
		(SELECT ` + d.grantAggregate + ` FROM grants g WHERE g.key_id = a.key_id),
		(SELECT d.grants FROM audit d WHERE d.key_id = a.key_id AND d.action = 'delete' ORDER BY d.id DESC LIMIT 1)`
}

func scanAudit(rows *sql.Rows) (*auditRow, error) {
	var (
		a                   auditRow
		at                  int64
		actorName           sql.NullString
		grants, details     string
		live                bool
		current, atDeletion sql.NullString
	)
	if err := rows.Scan(&a.ID, &at, &a.Org, &a.Actor, &actorName, &a.Action, &a.KeyID, &a.KeyName, &grants, &details,
		&live, &current, &atDeletion); err != nil {
		return nil, err
	}
	a.At = fromUnix(at)
	if actorName.Valid {
		a.ActorName = &actorName.String
	}
	switch {
	case live:
		a.grants = parseGrants(current.String)
	case atDeletion.Valid:
		grants = atDeletion.String
		fallthrough
	default:
		if err := json.Unmarshal([]byte(grants), &a.grants); err != nil {
			return nil, err
		}
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

// Audit returns audit rows newest first: those of keys the principal may
// read, a deleted key judged by the grants it had.
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
		if cond, a := visibility(t.p, "a.org", "a.key_id"); cond != "" {
			// (or a row of a key in the organization now: one a root
			// grant took out of it for a while)
			if len(a) > 0 {
				cond = "(" + cond + " OR EXISTS (SELECT 1 FROM keys k WHERE k.id = a.key_id AND k.org = ?))"
				a = append(a, a[0])
			}
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
			rows, err := t.QueryContext(t.ctx, `SELECT `+auditColumns(t.s.d)+` FROM audit a WHERE `+cond+` ORDER BY a.id DESC LIMIT ?`,
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
				if !keys.CanRead(t.p, r.KeyID, r.grants) {
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
// read, or a deleted one (by id, or by name when only one deleted key of
// that name has rows the principal may read).
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
	rows, err := t.QueryContext(t.ctx, `SELECT a.key_id, a.grants FROM audit a
		WHERE `+cond+` AND a.action = 'delete' AND NOT EXISTS (SELECT 1 FROM keys k WHERE k.id = a.key_id)`, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	seen := map[string]bool{}
	var ids []string
	for rows.Next() {
		var id, gs string
		if err := rows.Scan(&id, &gs); err != nil {
			return "", err
		}
		var grants []keys.Grant
		if json.Unmarshal([]byte(gs), &grants) != nil || seen[id] || !keys.CanRead(t.p, id, grants) {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	switch len(ids) {
	case 0:
		return "", notFound(ref)
	case 1:
		return ids[0], nil
	}
	return "", keys.Errorf(keys.Conflict, "name %q matches several deleted keys: %s; use the id", ref, strings.Join(ids, ", "))
}
