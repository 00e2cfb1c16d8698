package server

import (
	"net/http"

	"github.com/keyward/keyward/internal/keys"
)

// orgRef is the {org} path value: the name with or without its leading
// slash ("acme", or "%2Facme" unescaped to "/acme").
func orgRef(r *http.Request) string { return r.PathValue("org") }

func (s *server) createOrg(w http.ResponseWriter, r *http.Request) error {
	var req keys.OrgCreateRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if err := s.capOrg(&req); err != nil {
		return err
	}
	created, err := s.b.CreateOrg(r.Context(), req)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store") // it holds a secret
	writeJSON(w, http.StatusCreated, created)
	return nil
}

func (s *server) listOrgs(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, "limit", "cursor")
	f := keys.OrgFilter{Limit: q.limit(), Cursor: q.str("cursor")}
	if q.err != nil {
		return q.err
	}
	page, err := s.b.ListOrgs(r.Context(), f)
	if err != nil {
		return err
	}
	if page.Items == nil {
		page.Items = []*keys.Org{}
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *server) getOrg(w http.ResponseWriter, r *http.Request) error {
	o, err := s.b.GetOrg(r.Context(), orgRef(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

// deleteOrg answers 204, or, asked with Prefer: return=representation,
// the organization as it was (its key_count: the keys deleted with it).
func (s *server) deleteOrg(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, "with_keys")
	req := keys.OrgDeleteRequest{WithKeys: q.boolean("with_keys")}
	if q.err != nil {
		return q.err
	}
	o, err := s.b.DeleteOrg(r.Context(), orgRef(r), req)
	if err != nil {
		return err
	}
	writeDeleted(w, r, o)
	return nil
}
