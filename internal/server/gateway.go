package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/keyward/keyward/internal/keys"
)

// gatewayAuth is verify for reverse proxies (nginx auth_request, Traefik
// ForwardAuth, Caddy forward_auth, Envoy ext_authz): the presented bearer
// is the key to check, and the answer is in the status alone: 204 valid,
// 401 not a working key, 403 a working key without the rights (or a
// gateway that did not say what to check), 503 when the backend cannot
// decide (a gateway must then fail closed, not let the request through).
func (s *server) gatewayAuth(w http.ResponseWriter, r *http.Request) error {
	req, err := gatewayRequest(r)
	if err != nil {
		return err
	}
	token, ok := bearer(r)
	if !ok {
		return s.authDenied(w, r, "no key presented", nil)
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
		// A service behind the gateway may let a public key (embedded in
		// apps) do less than a secret one.
		h.Set("X-Keyward-Key-Type", string(res.Type))
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
		return nil
	case keys.CodeInsufficientPermissions:
		return keys.Errorf(keys.Forbidden, "the key does not have the rights asked for (%s)", res.Code)
	}
	return s.authDenied(w, r, string(res.Code), res.KeyID)
}

// errAuthDenied is every 401 of /v1/auth, whatever the reason: gateways
// (Caddy, Traefik) hand the answer's body and headers to the caller, who
// must not learn that the key it tried exists but is disabled or expired.
var errAuthDenied = keys.Errorf(keys.Unauthorized, "no valid key: send one as Authorization: Bearer <key>")

// authDenied answers errAuthDenied; the reason, and the key when one was
// found, go to the request's log line instead.
func (s *server) authDenied(w http.ResponseWriter, r *http.Request, reason string, keyID *string) error {
	info := infoFrom(r.Context())
	info.denied = reason
	if keyID != nil {
		info.actor = *keyID
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="keyward"`)
	return errAuthDenied
}

// gatewayRequest is what a gateway asks to check. On /v1/auth itself it
// comes from the query (nginx auth_request, Traefik and Caddy set it in
// the URL they call), or else from the X-Keyward-Resource and
// X-Keyward-Role headers. Under /v1/auth/<path> (Envoy appends the
// original path and query to its prefix) the query is the end user's, so
// only the headers count, and without X-Keyward-Resource the check is
// denied: a gateway that forgot it, or a trailing slash in a proxy_pass,
// must not turn the check into "any valid key". X-Keyward-Resource: /
// asks for any valid key explicitly.
func gatewayRequest(r *http.Request) (keys.VerifyRequest, error) {
	prefixed := r.URL.Path != "/v1/auth"
	var q *query
	if prefixed {
		q = &query{v: url.Values{}}
	} else {
		q = newQuery(r)
		// A misspelt resource or role (Role=admin, a space) would be
		// ignored and the check widened to any valid key: deny it. Other
		// parameters stay ignored (Caddy passes the caller's query on
		// when its uri has none).
		for name := range q.v {
			n := strings.TrimSpace(name)
			if name != "resource" && name != "role" && (strings.EqualFold(n, "resource") || strings.EqualFold(n, "role")) {
				return keys.VerifyRequest{}, keys.Errorf(keys.Forbidden,
					"query parameter %q is not resource or role as written: /v1/auth takes resource and role, in lower case", name)
			}
		}
	}
	for _, name := range []string{"resource", "role"} {
		// Twice in the query is as ambiguous as twice in the headers. Empty
		// is denied too: a gateway configured with an unset variable
		// (resource=$unset) must not turn the check into "any valid key".
		if vs, given := q.v[name]; len(vs) > 1 {
			return keys.VerifyRequest{}, keys.Errorf(keys.Forbidden, "query parameter %s was given %d times: which one is meant cannot be told", name, len(vs))
		} else if given {
			if strings.TrimSpace(vs[0]) == "" {
				return keys.VerifyRequest{}, keys.Errorf(keys.Forbidden, "query parameter %s is empty: give one or leave it out", name)
			}
			continue
		}
		// Twice means a gateway passed on the caller's own header beside
		// its own: which one was meant cannot be told, so deny.
		switch hs := r.Header.Values("X-Keyward-" + name); {
		case len(hs) > 1:
			return keys.VerifyRequest{}, keys.Errorf(keys.Forbidden, "X-Keyward-%s was sent %d times: the gateway must set it once (and drop the caller's)", name, len(hs))
		case len(hs) == 1 && strings.TrimSpace(hs[0]) == "":
			return keys.VerifyRequest{}, keys.Errorf(keys.Forbidden, "X-Keyward-%s is empty: set it or leave it out", name)
		case len(hs) == 1 && name == "resource" && strings.TrimSpace(hs[0]) == "/":
			// Any valid key: no resource, as on /v1/auth without one.
		case len(hs) == 1:
			q.v.Set(name, hs[0])
		case prefixed && name == "resource":
			// The end user's path is not echoed: it can be anything.
			return keys.VerifyRequest{}, keys.Errorf(keys.Forbidden,
				"/v1/auth/… takes the resource only from the X-Keyward-Resource header, and none was sent: have the gateway set it "+
					"(X-Keyward-Resource: /acme/prod, or / for any valid key), or call GET /v1/auth?resource=…&role=…")
		}
	}
	return keys.VerifyRequest{Resource: q.resource("resource"), Role: q.role("role")}, q.err
}
