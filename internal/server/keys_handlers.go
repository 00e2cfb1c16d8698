package server

import (
	"net/http"

	"github.com/keyward/keyward/internal/api"
	"github.com/keyward/keyward/internal/keys"
)

// ref is the {key} path value: an id, a name, or org/name. The mux matches
// the escaped path segment by segment and unescapes values, so
// "acme%2Fci-deploy" arrives as "acme/ci-deploy" and "%2Froot" as "/root".
func ref(r *http.Request) string { return r.PathValue("key") }

func (s *server) createKey(w http.ResponseWriter, r *http.Request) error {
	var req keys.CreateRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if err := s.capJWT(&req); err != nil {
		return err
	}
	if err := s.capCreate(&req); err != nil {
		return err
	}
	k, err := s.b.Create(r.Context(), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, k)
	return nil
}

func (s *server) listKeys(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, "resource", "expired", "expiring_within", "unused_for", "compromised", "account", "limit", "cursor")
	f := keys.ListFilter{
		Resource:       q.resource("resource"),
		Expired:        q.boolean("expired"),
		ExpiringWithin: q.duration("expiring_within"),
		UnusedFor:      q.duration("unused_for"),
		Compromised:    q.boolean("compromised"),
		Account:        q.str("account"),
		Limit:          q.limit(),
		Cursor:         q.str("cursor"),
	}
	if q.err != nil {
		return q.err
	}
	page, err := s.b.List(r.Context(), f)
	if err != nil {
		return err
	}
	if page.Items == nil {
		page.Items = []*keys.Key{}
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *server) getKey(w http.ResponseWriter, r *http.Request) error {
	k, err := s.b.Get(r.Context(), ref(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, k)
	return nil
}

func (s *server) updateKey(w http.ResponseWriter, r *http.Request) error {
	var req keys.UpdateRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if err := s.capJWTUpdate(r, &req); err != nil {
		return err
	}
	if err := s.capUpdate(&req); err != nil {
		return err
	}
	k, err := s.b.Update(r.Context(), ref(r), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, k)
	return nil
}

func (s *server) rollKey(w http.ResponseWriter, r *http.Request) error {
	var req keys.RollRequest
	if err := decodeBody(r, &req, true); err != nil {
		return err
	}
	if err := s.capJWTRoll(r, &req); err != nil {
		return err
	}
	if err := s.capRoll(&req); err != nil {
		return err
	}
	k, err := s.b.Roll(r.Context(), ref(r), req)
	if err != nil {
		return err
	}
	if p, _ := keys.PrincipalFrom(r.Context()); p != nil && p.Key != nil && p.Key.ID == k.ID {
		// The caller's own secret was replaced: said here, because after a
		// roll with grace 0 the caller cannot ask who it was.
		w.Header().Set(api.HeaderSelf, "true")
	}
	writeJSON(w, http.StatusOK, k)
	return nil
}

func (s *server) deleteKey(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.b.Delete(r.Context(), []string{ref(r)}); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteKeys is the bulk delete: every key of the request goes in the
// backend's one transaction, or none does. A POST, not a DELETE with a
// body: a DELETE's body has no defined meaning (RFC 9110) and proxies may
// drop it.
func (s *server) deleteKeys(w http.ResponseWriter, r *http.Request) error {
	var req api.DeleteRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if err := api.CheckDeleteCount(len(req.Keys)); err != nil {
		return err
	}
	deleted, err := s.b.Delete(r.Context(), req.Keys)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.DeleteResponse{Items: deleted})
	return nil
}

func (s *server) grantKey(w http.ResponseWriter, r *http.Request) error {
	var g keys.Grant
	if err := decodeBody(r, &g, false); err != nil {
		return err
	}
	// No role: the backend keeps an existing grant's role, viewer for a
	// new one.
	k, err := s.b.Grant(r.Context(), ref(r), g)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, k)
	return nil
}

func (s *server) ungrantKey(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, "resource")
	res := q.resource("resource")
	if q.err != nil {
		return q.err
	}
	if res == nil {
		return keys.Errorf(keys.Invalid, "query parameter resource is required (DELETE /v1/keys/{key}/grants?resource=/acme/prod)")
	}
	k, err := s.b.Ungrant(r.Context(), ref(r), *res)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, k)
	return nil
}
