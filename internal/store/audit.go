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
	var err error
	if a.grants, err = auditGrants(grants); err != nil {
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
// CanReadAudit decides on each row. It returns "" for no narrowing.
//
// Within that, a row can pass only as the principal's own, or when one
// of the grants it recorded lies at or under a resource the principal
// reads (keys.ReadScope): holdsAllOf needs them all there, and the grants
// just before a grant or ungrant row include one of the row's own. So the
// rows of a location-scoped operator's organization are narrowed in SQL
// too, by a match on the recorded JSON ([{"resource":"/acme/prod",...}],
// as tx.go's audit writes it), instead of all read and dropped in Go.
func auditScope(p *keys.Principal, c *conds) string {
	n := len(c.args)
	cond := visibility(p, c, "a.org", "a.key_id")
	if len(c.args) == n {
		return cond
	}
	cond = "(" + cond + " OR (a.org = '/' AND a.action = 'grant'))"
	scope := p.ReadScope()
	if scope.All {
		return cond
	}
	any := []string{"a.key_id = " + c.arg(scope.Self)}
	for _, u := range scope.Under {
		at := `%"resource":"` + likeEscape(string(u))
		any = append(any, "a.grants LIKE "+c.arg(at+`"%`)+` ESCAPE '\'`, "a.grants LIKE "+c.arg(at+`/%`)+` ESCAPE '\'`)
	}
	return cond + " AND (" + strings.Join(any, " OR ") + ")"
}

// likeEscape makes s match itself in a LIKE pattern with ESCAPE '\'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Audit returns audit rows newest first: those the principal may read,
// each judged by what it recorded (keys.CanReadAudit), whatever became of
// its key since: moved, narrowed, widened or deleted.
func (s *Store) Audit(ctx context.Context, f keys.AuditFilter) (*keys.AuditPage, error) {
	f, err := f.Normalize()
	if err != nil {
		return nil, err
	}
	var before int64 // the cursor: the last row read; 0 for none
	if f.Cursor != "" {
		if before, err = parseAuditCursor(f.Cursor); err != nil {
			return nil, err
		}
	}
	page := &keys.AuditPage{Items: []*keys.AuditEvent{}}
	err = s.read(ctx, func(t *txn) error {
		base, err := t.auditConds(f)
		if err != nil {
			return err
		}
		rows, more, err := pager[*auditRow]{
			limit: f.Limit,
			query: func(n int) (string, []any) {
				c := base.clone()
				if before > 0 {
					c.add("a.id < " + c.arg(before))
				}
				return `SELECT ` + auditColumns + ` FROM audit a WHERE ` + c.sql() + ` ORDER BY a.id DESC LIMIT ` + c.arg(n), c.args
			},
			scan: scanAudit,
			seen: func(r *auditRow) { before = r.ID },
			keep: func(r *auditRow) bool { return keys.CanReadAudit(t.p, &r.AuditEvent, r.grants) },
		}.read(t)
		if err != nil {
			return err
		}
		for _, r := range rows {
			ev := r.AuditEvent
			page.Items = append(page.Items, &ev)
		}
		if more {
			page.NextCursor = auditCursor(page.Items[len(page.Items)-1].ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// auditConds narrows an audit read to the principal's scope and f's
// filters.
func (t *txn) auditConds(f keys.AuditFilter) (conds, error) {
	var c conds
	if cond := auditScope(t.p, &c); cond != "" {
		c.add(cond)
	}
	if f.Key != "" {
		id, err := t.auditKey(f.Key)
		if err != nil {
			return c, err
		}
		c.add("a.key_id = " + c.arg(id))
	}
	if f.Since != nil {
		c.add("a.at >= " + c.arg(f.Since.Unix()))
	}
	return c, nil
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
	var c conds
	if keys.IsID(ref) {
		c.add("a.key_id = " + c.arg(ref))
	} else {
		c.addName(ref, "a.org", "a.key_name")
	}
	if scope := auditScope(t.p, &c); scope != "" {
		c.add(scope)
	}
	// Distinct, so that a key's many rolls and updates are judged once.
	rows, err := t.query(t.ctx, `SELECT DISTINCT a.key_id, a.org, a.action, a.grants, a.details FROM audit a
		WHERE `+c.sql(), c.args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	seen := map[string]bool{}
	var ids []string
	for rows.Next() {
		var ev keys.AuditEvent
		var gs, details string
		// (key_id is never null here: the conditions match a key's id or name)
		if err := rows.Scan(&ev.KeyID, &ev.Org, &ev.Action, &gs, &details); err != nil {
			return "", err
		}
		if ev.KeyID == nil {
			continue // a row about no key (an account's)
		}
		id := *ev.KeyID
		grants, err := auditGrants(gs)
		if seen[id] || err != nil || json.Unmarshal([]byte(details), &ev.Details) != nil ||
			!keys.CanReadAudit(t.p, &ev, grants) {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
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

// auditGrants reads an audit row's grants as they were written, without
// judging their resources by today's rules: a row written before a rule
// (such as the 255-byte cap on a resource) must still read, since audit
// rows are never rewritten.
func auditGrants(s string) ([]keys.Grant, error) {
	var stored []struct {
		Resource string    `json:"resource"`
		Role     keys.Role `json:"role"`
	}
	if err := json.Unmarshal([]byte(s), &stored); err != nil {
		return nil, err
	}
	out := make([]keys.Grant, len(stored))
	for i, g := range stored {
		out[i] = keys.Grant{Resource: keys.Resource(g.Resource), Role: g.Role}
	}
	return out, nil
}
