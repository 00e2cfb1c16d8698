package server

import (
	"context"
	"net/http"

	"github.com/keyward/keyward/internal/api"
	"github.com/keyward/keyward/internal/keys"
)

// reportLeaks is POST /v1/leaks: what a scanning service (or `keyward scan
// --disable`) calls with secrets it found. The backend disables the keys
// still valid that the operator key holds admin over, in one transaction;
// the answer says, per leak, what was done.
func (s *server) reportLeaks(w http.ResponseWriter, r *http.Request) error {
	return s.leaks(w, r, s.b.ReportLeaks)
}

// checkLeaks is POST /v1/leaks/check: the same lookup, changing nothing
// (`keyward scan` against a server).
func (s *server) checkLeaks(w http.ResponseWriter, r *http.Request) error {
	return s.leaks(w, r, s.b.CheckLeaks)
}

func (s *server) leaks(w http.ResponseWriter, r *http.Request, do func(ctx context.Context, leaks []keys.Leak) ([]*keys.LeakResult, error)) error {
	var req api.LeaksRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	items, err := do(r.Context(), req.Leaks)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.LeaksResponse{Items: items})
	return nil
}
