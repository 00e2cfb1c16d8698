package server

import (
	"context"
	_ "embed"
	"net/http"
	"net/url"
	"strings"
	"time"

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
	var req keys.VerifyRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if req.Resource != nil {
		res, err := keys.ParseResource(string(*req.Resource))
		if err != nil {
			return err
		}
		req.Resource = &res
	}
	res, err := s.b.Verify(r.Context(), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// gatewayAuth is verify for reverse proxies (nginx auth_request, Traefik
// ForwardAuth, Envoy ext_authz): the presented bearer is the key to check,
// and the answer is in the status alone: 204 valid, 401 not a working key,
// 403 a working key without the rights, 503 when the backend cannot decide
// (a gateway must then fail closed, not let the request through).
//
// The resource and role come from the query, or else from the
// X-Keyward-Resource and X-Keyward-Role headers, for gateways that cannot
// put a query on the check (Envoy appends the original path to its prefix,
// but can add headers). Under /v1/auth/<path> the query is the original
// request's, the end user's, so it is ignored: only headers count there.
func (s *server) gatewayAuth(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	if r.URL.Path != "/v1/auth" {
		q = &query{v: url.Values{}}
	}
	for _, name := range []string{"resource", "role"} {
		// Twice in the query is as ambiguous as twice in the headers. Empty
		// is denied too: a gateway configured with an unset variable
		// (resource=$unset) must not turn the check into "any valid key".
		if vs, given := q.v[name]; len(vs) > 1 {
			return keys.Errorf(keys.Forbidden, "query parameter %s was given %d times: which one is meant cannot be told", name, len(vs))
		} else if given {
			if strings.TrimSpace(vs[0]) == "" {
				return keys.Errorf(keys.Forbidden, "query parameter %s is empty: give one or leave it out", name)
			}
			continue
		}
		// Twice means a gateway passed on the caller's own header beside
		// its own: which one was meant cannot be told, so deny.
		switch hs := r.Header.Values("X-Keyward-" + name); {
		case len(hs) > 1:
			return keys.Errorf(keys.Forbidden, "X-Keyward-%s was sent %d times: the gateway must set it once (and drop the caller's)", name, len(hs))
		case len(hs) == 1 && strings.TrimSpace(hs[0]) == "":
			return keys.Errorf(keys.Forbidden, "X-Keyward-%s is empty: set it or leave it out", name)
		case len(hs) == 1:
			q.v.Set(name, hs[0])
		}
	}
	req := keys.VerifyRequest{Resource: q.resource("resource"), Role: q.role("role")}
	if q.err != nil {
		return q.err
	}
	token, ok := bearer(r)
	if !ok {
		return keys.Errorf(keys.Unauthorized, "missing key: send Authorization: Bearer <key>")
	}
	req.Secret = token
	res, err := s.b.Verify(r.Context(), req)
	if err != nil {
		if code := keys.ErrorCode(err); code == keys.Invalid {
			return err
		}
		s.log.WarnContext(r.Context(), "auth: cannot verify", "error", logCause(err))
		return keys.Errorf(keys.Unavailable, "cannot verify the key right now; try again")
	}
	switch res.Code {
	case keys.CodeValid:
		h := w.Header()
		if res.KeyID != nil {
			h.Set("X-Keyward-Key-Id", *res.KeyID)
			infoFrom(r.Context()).actor = *res.KeyID
		}
		if res.Name != nil {
			h.Set("X-Keyward-Key-Name", *res.Name)
		}
		if res.Org != nil {
			h.Set("X-Keyward-Key-Org", *res.Org)
		}
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
		return nil
	case keys.CodeInsufficientPermissions:
		return keys.Errorf(keys.Forbidden, "the key does not have the rights asked for (%s)", res.Code)
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="keyward", error="invalid_token"`)
	return keys.Errorf(keys.Unauthorized, "the key is not valid (%s)", res.Code)
}

func (s *server) healthz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.b.Ping(ctx); err != nil {
		s.log.WarnContext(r.Context(), "health check failed", "error", logCause(err))
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{
			"status": "unavailable",
			"error":  errorDetail{keys.Unavailable, "the database is not reachable"},
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
