package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/keyward/keyward/internal/api"
	"github.com/keyward/keyward/internal/keys"
)

// gatewayAuth is verify for reverse proxies (nginx auth_request, Traefik
// ForwardAuth, Caddy forward_auth, Envoy ext_authz): the presented bearer
// is the key to check, and the answer is in the status alone: 204 valid,
// 401 not a working key, 403 a working key without the rights (or a
// gateway that did not say what to check), 503 when the backend cannot
// decide (a gateway must then fail closed, not let the request through).
func (s *server) gatewayAuth(w http.ResponseWriter, r *http.Request) error {
	req, limitedStatus, err := gatewayRequest(r)
	if err != nil {
		return err
	}
	token, ok := bearer(r)
	if !ok {
		infoOf(w).code = codeNoKey
		return s.authDenied(w, r, "no key presented", nil)
	}
	req.Secret = token
	req.IP = s.clientAddr(r)
	res, err := s.b.Verify(r.Context(), req)
	if err != nil {
		return s.cannotVerify(r, err)
	}
	s.limit(res)
	info := infoOf(w)
	info.code = res.Code
	switch res.Code {
	case keys.CodeValid:
		h := headerSetter{h: w.Header(), vs: make([]string, 0, 6)}
		if res.KeyID != nil {
			h.set("X-Keyward-Key-Id", *res.KeyID)
			info.actor = *res.KeyID
		}
		if res.Name != nil {
			h.set("X-Keyward-Key-Name", *res.Name)
		}
		if res.Org != nil {
			h.set("X-Keyward-Key-Org", *res.Org)
		}
		if res.Account != nil {
			h.set("X-Keyward-Account", *res.Account)
		}
		// A service behind the gateway may let a public key (embedded in
		// apps) do less than a secret one.
		h.set("X-Keyward-Key-Type", string(res.Type))
		h.set("Cache-Control", "no-store")
		info.verified = true
		w.WriteHeader(http.StatusNoContent)
		return nil
	case keys.CodeInsufficientPermissions:
		return keys.Errorf(keys.Forbidden, "the key does not have the rights asked for (%s)", res.Code)
	case keys.CodeIPNotAllowed:
		if res.KeyID != nil {
			info.actor = *res.KeyID
		}
		w.Header().Set(api.HeaderCode, string(res.Code))
		return keys.Errorf(keys.Forbidden, "the key may not be used from this address (%s)", res.Code)
	case keys.CodeRateLimited:
		if res.KeyID != nil {
			info.actor = *res.KeyID
		}
		h := w.Header()
		h.Set(api.HeaderCode, string(res.Code))
		h.Set("Retry-After", strconv.FormatInt(*res.RetryAfter, 10))
		if limitedStatus == http.StatusForbidden {
			// nginx's auth_request turns a 429 into a 500: the example
			// asks for a 403 and maps it back by X-Keyward-Code.
			return keys.Errorf(keys.Forbidden, "the key is over its rate limit (%s); retry after %d s", res.Code, *res.RetryAfter)
		}
		return keys.Errorf(keys.RateLimited, "the key is over its rate limit (%s); retry after %d s", res.Code, *res.RetryAfter)
	}
	return s.authDenied(w, r, string(res.Code), res.KeyID)
}

// headerSetter sets headers whose names are canonical already from one
// backing array: Header.Set allocates a slice for every value, and these
// are on every request a gateway makes.
type headerSetter struct {
	h  http.Header
	vs []string
}

func (s *headerSetter) set(name, v string) {
	s.vs = append(s.vs, v)
	n := len(s.vs)
	s.h[name] = s.vs[n-1 : n : n]
}

// errAuthDenied is every 401 of /v1/auth, whatever the reason: gateways
// (Caddy, Traefik) hand the answer's body and headers to the caller, who
// must not learn that the key it tried exists but is disabled or expired.
var errAuthDenied = keys.Errorf(keys.Unauthorized, "no valid key: send one as Authorization: Bearer <key>")

// authDenied answers errAuthDenied; the reason, and the key when one was
// found, go to the request's log line instead.
func (s *server) authDenied(w http.ResponseWriter, r *http.Request, reason string, keyID *string) error {
	info := infoOf(w)
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
func gatewayRequest(r *http.Request) (keys.VerifyRequest, int, error) {
	req, err := gatewayVerifyRequest(r)
	if err != nil {
		return req, 0, err
	}
	limited := http.StatusTooManyRequests
	if r.URL.Path == "/v1/auth" && strings.Contains(r.URL.RawQuery, limitedStatusParam) {
		if limited, err = limitedStatus(r.URL.RawQuery); err != nil {
			return req, 0, err
		}
	}
	return req, limited, nil
}

// limitedStatusParam chooses /v1/auth's status for RATE_LIMITED: 429, or
// 403 for nginx, whose auth_request turns any status but 2xx, 401 and
// 403 into a 500 (the answer's X-Keyward-Code and Retry-After tell it
// from a 403 for the rights). Only in /v1/auth's own query: under
// /v1/auth/… the query is the end user's.
const limitedStatusParam = "rate_limited_status"

func limitedStatus(raw string) (int, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return 0, keys.Errorf(keys.Invalid, "invalid query string: %v", err)
	}
	switch vs := q[limitedStatusParam]; {
	case len(vs) == 0:
		return http.StatusTooManyRequests, nil
	case len(vs) > 1:
		return 0, keys.Errorf(keys.Forbidden, "query parameter %s was given %d times: which one is meant cannot be told", limitedStatusParam, len(vs))
	case vs[0] == "429":
		return http.StatusTooManyRequests, nil
	case vs[0] == "403":
		return http.StatusForbidden, nil
	}
	return 0, keys.Errorf(keys.Invalid, "query parameter %s must be 429 or 403", limitedStatusParam)
}

func gatewayVerifyRequest(r *http.Request) (keys.VerifyRequest, error) {
	prefixed := r.URL.Path != "/v1/auth"
	var q gatewayQuery
	if !prefixed {
		// A misspelt resource or role (Role=admin, a space) would be
		// ignored and the check widened to any valid key: deny it. Other
		// parameters stay ignored (Caddy passes the caller's query on
		// when its uri has none).
		if err := q.read(r.URL.RawQuery); err != nil {
			return keys.VerifyRequest{}, err
		}
	}
	for i, name := range gatewayParams {
		p := &q.p[i]
		// Twice in the query is as ambiguous as twice in the headers. Empty
		// is denied too: a gateway configured with an unset variable
		// (resource=$unset) must not turn the check into "any valid key".
		if p.n > 1 {
			return keys.VerifyRequest{}, keys.Errorf(keys.Forbidden, "query parameter %s was given %d times: which one is meant cannot be told", name, p.n)
		} else if p.n == 1 {
			if strings.TrimSpace(p.v) == "" {
				return keys.VerifyRequest{}, keys.Errorf(keys.Forbidden, "query parameter %s is empty: give one or leave it out", name)
			}
			continue
		}
		// Twice means a gateway passed on the caller's own header beside
		// its own: which one was meant cannot be told, so deny.
		switch hs := r.Header[gatewayHeaders[i]]; {
		case len(hs) > 1:
			return keys.VerifyRequest{}, keys.Errorf(keys.Forbidden, "X-Keyward-%s was sent %d times: the gateway must set it once (and drop the caller's)", name, len(hs))
		case len(hs) == 1 && strings.TrimSpace(hs[0]) == "":
			return keys.VerifyRequest{}, keys.Errorf(keys.Forbidden, "X-Keyward-%s is empty: set it or leave it out", name)
		case len(hs) == 1 && name == "resource" && strings.TrimSpace(hs[0]) == "/":
			// Any valid key: no resource, as on /v1/auth without one.
		case len(hs) == 1:
			p.v, p.header = hs[0], true
		case prefixed && name == "resource":
			// The end user's path is not echoed: it can be anything.
			return keys.VerifyRequest{}, keys.Errorf(keys.Forbidden,
				"/v1/auth/… takes the resource only from the X-Keyward-Resource header, and none was sent: have the gateway set it "+
					"(X-Keyward-Resource: /acme/prod, or / for any valid key), or call GET /v1/auth?resource=…&role=…")
		}
	}
	if q.err != nil {
		return keys.VerifyRequest{}, q.err
	}
	var req keys.VerifyRequest
	if q.p[0].v == "" && q.p[1].v == "" {
		return req, nil
	}
	args := &verifyArgs{} // one allocation for both pointers
	if v := q.p[0].v; v != "" {
		res, err := keys.ParseResource(v)
		if err != nil {
			return keys.VerifyRequest{}, keys.Errorf(keys.Invalid, "%s: %s", q.source(0), keys.ErrorMessage(err))
		}
		args.resource, req.Resource = res, &args.resource
	}
	if v := q.p[1].v; v != "" {
		role, err := keys.ParseRole(v)
		if err != nil {
			return keys.VerifyRequest{}, keys.Errorf(keys.Invalid, "%s: %s", q.source(1), keys.ErrorMessage(err))
		}
		args.role, req.Role = role, &args.role
	}
	return req, nil
}

// gatewayParams are what /v1/auth reads, in the order it checks them;
// gatewayHeaders the headers that may carry them, canonical.
var (
	gatewayParams  = [2]string{"resource", "role"}
	gatewayHeaders = [2]string{"X-Keyward-Resource", "X-Keyward-Role"}
)

// gatewayQuery is the resource and role of a /v1/auth query: how often
// each was given and its first value.
type gatewayQuery struct {
	p [2]struct {
		n      int
		v      string
		header bool // v came from gatewayHeaders, not the query
	}
	err error // the query did not parse; answered once nothing denies first
}

// source names where the i-th parameter's value came from, for errors.
func (q *gatewayQuery) source(i int) string {
	if q.p[i].header {
		return gatewayHeaders[i]
	}
	return "query parameter " + gatewayParams[i]
}

// read takes the query apart. A query that needs no unescaping (what
// gateways send: /v1/auth?resource=/acme/prod&role=editor) is read in
// place, without url.ParseQuery's map; any other goes through it, so that
// both read every query alike.
func (q *gatewayQuery) read(raw string) error {
	if strings.ContainsAny(raw, "%+;") {
		return q.readParsed(raw)
	}
	return q.readInPlace(raw)
}

func (q *gatewayQuery) readParsed(raw string) error {
	v, err := url.ParseQuery(raw)
	if err != nil {
		q.err = keys.Errorf(keys.Invalid, "invalid query string: %v", err)
	}
	for name, vs := range v {
		if err := q.add(name, vs[0], len(vs)); err != nil {
			return err
		}
	}
	return nil
}

// readInPlace reads a query holding no escapes, '+' or ';'.
func (q *gatewayQuery) readInPlace(raw string) error {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		name, value, _ := strings.Cut(pair, "=")
		if name == "" {
			continue // as url.ParseQuery skips it
		}
		if err := q.add(name, value, 1); err != nil {
			return err
		}
	}
	return nil
}

func (q *gatewayQuery) add(name, first string, n int) error {
	for i, want := range gatewayParams {
		if name == want {
			if q.p[i].n == 0 {
				q.p[i].v = first
			}
			q.p[i].n += n
			return nil
		}
		if strings.EqualFold(strings.TrimSpace(name), want) {
			return keys.Errorf(keys.Forbidden,
				"query parameter %q is not resource or role as written: /v1/auth takes resource and role, in lower case", name)
		}
	}
	return nil
}

// cannotVerify is the answer of both verification paths when the backend
// fails: bad input stays 400, anything else means keyward cannot decide, so
// 503 ("try again"), never a verdict and never a 500 to page someone for.
func (s *server) cannotVerify(r *http.Request, err error) error {
	if keys.ErrorCode(err) == keys.Invalid {
		return err
	}
	s.log.WarnContext(r.Context(), "cannot verify", "path", redactedURI(r), "error", logCause(err))
	return keys.Errorf(keys.Unavailable, "cannot verify the key right now; try again")
}
