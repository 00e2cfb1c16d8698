package server

import (
	"net/http"

	"github.com/keyward/keyward/internal/keys"
)

// accountRef is the {account} path value: an id, a name, or org/name,
// unescaped by the mux as ref is.
func accountRef(r *http.Request) string { return r.PathValue("account") }

func (s *server) createAccount(w http.ResponseWriter, r *http.Request) error {
	var req keys.CreateAccountRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	a, err := s.b.CreateAccount(r.Context(), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *server) listAccounts(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, "limit", "cursor")
	f := keys.AccountFilter{Limit: q.limit(), Cursor: q.str("cursor")}
	if q.err != nil {
		return q.err
	}
	page, err := s.b.ListAccounts(r.Context(), f)
	if err != nil {
		return err
	}
	if page.Items == nil {
		page.Items = []*keys.Account{}
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *server) getAccount(w http.ResponseWriter, r *http.Request) error {
	a, err := s.b.GetAccount(r.Context(), accountRef(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// deleteAccount answers 204, or, asked with Prefer:
// return=representation, the account deleted.
func (s *server) deleteAccount(w http.ResponseWriter, r *http.Request) error {
	a, err := s.b.DeleteAccount(r.Context(), accountRef(r))
	if err != nil {
		return err
	}
	writeDeleted(w, r, a)
	return nil
}

func (s *server) grantAccount(w http.ResponseWriter, r *http.Request) error {
	var g keys.Grant
	if err := decodeBody(r, &g, false); err != nil {
		return err
	}
	a, err := s.b.GrantAccount(r.Context(), accountRef(r), g)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *server) ungrantAccount(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, "resource")
	res := q.resource("resource")
	if q.err != nil {
		return q.err
	}
	if res == nil {
		return keys.Errorf(keys.Invalid, "query parameter resource is required (DELETE /v1/accounts/{account}/grants?resource=/acme/prod)")
	}
	a, err := s.b.UngrantAccount(r.Context(), accountRef(r), *res)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}
