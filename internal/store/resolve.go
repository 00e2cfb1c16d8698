package store

import (
	"strings"
	"unicode/utf8"

	"github.com/keyward/keyward/internal/keys"
)

func notFound(ref string) error {
	return keys.Errorf(keys.NotFound, "key %q not found", keys.Redact(ref)) // a secret pasted as a ref never comes back
}

// storable is false for text no key holds and PostgreSQL refuses in a
// query (NUL, invalid UTF-8): such a ref names no key, on any database.
func storable(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// splitRef reads "org/name" ("acme/ci-deploy", "/acme/ci-deploy"; a root
// key is "/name"). ok is false for a bare name or an id.
func splitRef(ref string) (org, name string, ok bool) {
	i := strings.LastIndexByte(ref, '/')
	if i < 0 {
		return "", "", false
	}
	org = "/" + strings.Trim(ref[:i], "/")
	return org, ref[i+1:], true
}

// addName adds the conditions of a ref by name: "org/name" on orgCol and
// nameCol, a bare name on nameCol alone.
func (c *conds) addName(ref, orgCol, nameCol string) {
	if org, name, isPath := splitRef(ref); isPath {
		c.add(orgCol + " = " + c.arg(org))
		c.add(nameCol + " = " + c.arg(name))
		return
	}
	c.add(nameCol + " = " + c.arg(ref))
}

// resolve finds the key ref names among the keys t's principal may read:
// an id, "org/name", or a bare name (a Conflict when visible keys of
// several organizations share it). A key the principal may not read is
// NotFound, like one that does not exist.
func (t *txn) resolve(ref string) (*row, error) {
	if !storable(ref) {
		return nil, notFound(ref)
	}
	var cands []*row
	if keys.IsID(ref) {
		r, err := t.loadByID(ref)
		if err != nil {
			return nil, err
		}
		if r != nil {
			cands = append(cands, r)
		}
	} else {
		var c conds
		c.addName(ref, "k.org", "k.name")
		rs, err := t.loadMany(c)
		if err != nil {
			return nil, err
		}
		cands = rs
	}
	var visible []*row
	for _, r := range cands {
		if keys.CanRead(t.p, r.ID, r.Grants) {
			visible = append(visible, r)
		}
	}
	switch len(visible) {
	case 0:
		return nil, notFound(ref)
	case 1:
		return visible[0], nil
	}
	var ids []string
	for _, r := range visible {
		ids = append(ids, r.ID+" in "+r.Org)
	}
	return nil, keys.Errorf(keys.Conflict, "name %q is ambiguous: %s; use ORG/NAME or the id", ref, strings.Join(ids, ", "))
}
