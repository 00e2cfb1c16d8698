package server

import (
	"context"
	_ "embed"
	"net/http"
	"time"

	"github.com/keyward/keyward/internal/api"
	"github.com/keyward/keyward/internal/keys"
)

func (s *server) audit(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, "key", "since", "limit", "cursor")
	f := keys.AuditFilter{
		Key:    q.str("key"),
		Since:  q.since("since", s.now()),
		Limit:  q.limit(),
		Cursor: q.str("cursor"),
	}
	if q.err != nil {
		return q.err
	}
	page, err := s.b.Audit(r.Context(), f)
	if err != nil {
		return err
	}
	if page.Items == nil {
		page.Items = []*keys.AuditEvent{}
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// whoami answers the operator key itself, as DESIGN.md's table has it; a
// server's principal is always a key.
func (s *server) whoami(w http.ResponseWriter, r *http.Request) error {
	p, err := s.b.WhoAmI(r.Context())
	if err != nil {
		return err
	}
	if p.Key == nil {
		return keys.Errorf(keys.Unauthorized, "no operator key")
	}
	writeJSON(w, http.StatusOK, p.Key)
	return nil
}

// verify answers for any presented secret without an operator key: a
// service checking its callers' keys needs no rights of its own. The answer
// is always 200; the verdict is the result's code.
func (s *server) verify(w http.ResponseWriter, r *http.Request) error {
	req, err := verifyRequest(r)
	if err != nil {
		return err
	}
	res, err := s.b.Verify(r.Context(), req)
	if err != nil {
		return s.cannotVerify(r, err)
	}
	s.limit(res)
	info := infoOf(w)
	info.verified, info.code = res.Code == keys.CodeValid, res.Code
	writeVerifyResult(w, res)
	return nil
}

func (s *server) healthz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.b.Ping(ctx); err != nil {
		s.log.WarnContext(r.Context(), "health check failed", "error", logCause(err))
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{
			"status": "unavailable",
			"error":  api.ErrorDetail{Code: keys.Unavailable, Message: "the database is not reachable"},
		})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

//go:embed openapi.json
var openapiDoc []byte

// OpenAPI returns the API's OpenAPI 3 document, the authoritative
// description of every route.
func OpenAPI() []byte { return append([]byte(nil), openapiDoc...) }

func (s *server) openapi(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(openapiDoc)
	return nil
}
