package keyward

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/keyward/keyward/internal/api"
	"github.com/keyward/keyward/internal/keys"
)

// MiddlewareOptions say what a request's key must allow.
type MiddlewareOptions struct {
	// Resource is what the key must hold a grant on (or above), e.g.
	// /acme/prod; "/" is the root, which only root keys hold. Empty asks
	// for any valid key.
	Resource string

	// ResourceFunc, when set, gives each request's resource instead of
	// Resource (a machine named in the path, say). An empty answer is
	// denied (403), as /v1/auth/… denies a gateway that sent no resource:
	// a route that forgot to name one must not let any valid key in. "/"
	// is the root, as in Resource: a resource built from the request that
	// collapses to "/" ("/" + an empty tenant) asks for a root key, never
	// for any key. An answer that is not a resource is 400.
	ResourceFunc func(*http.Request) string

	// Role is the least role the key must hold there: viewer (the
	// default), editor or admin.
	Role string

	// ClientIP, when set, gives each request's caller address, checked
	// against the key's IP allow-list ("" for not known: a key with a
	// list is then refused). Without it the connection's peer counts
	// (Request.RemoteAddr): behind a proxy of your own, read its
	// X-Forwarded-For here, trusting only what your proxy appended.
	ClientIP func(*http.Request) string
}

// Middleware returns the middleware (func(http.Handler) http.Handler, as
// routers' Use and handler chains take it) that checks the key each
// request presents as Authorization: Bearer, and answers as keyward's
// GET /v1/auth does for gateways: 401 (with WWW-Authenticate, and a body
// that does not say why) when no working key is presented, 403 when the
// key lacks the rights asked for, 503 when the server cannot decide
// (unless Options.FailOpen). Otherwise it calls the handler it wraps with
// the key in the request's context (FromContext). The error is for
// options that cannot work (an invalid resource or role), so that a
// mistake stops the service at its start, not at its first request.
func (v *Verifier) Middleware(opts MiddlewareOptions) (func(http.Handler) http.Handler, error) {
	q, err := newQuery(opts.Resource, opts.Role)
	if err != nil {
		return nil, err
	}
	return func(next http.Handler) http.Handler { return v.guard(next, q, opts.ResourceFunc, opts.ClientIP) }, nil
}

// peerIP is a request's connection peer, "" when it is not an address.
func peerIP(r *http.Request) string {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().String()
	}
	return ""
}

// guard is next behind the check of q (or of resource's answer per request).
func (v *Verifier) guard(next http.Handler, q query, resource func(*http.Request) string, clientIP func(*http.Request) string) http.Handler {
	if clientIP == nil {
		clientIP = peerIP
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := q.from(clientIP(r))
		if err != nil {
			q, _ = q.from("") // not known: only keys without an allow-list pass
		}
		if resource != nil {
			var status keys.Code
			if q, status = q.forRequest(resource(r)); status != "" {
				if status == keys.Invalid {
					writeError(w, status, "the resource of this request is not a keyward resource")
				} else {
					writeError(w, status, "no resource to check the key against")
				}
				return
			}
		}
		secret, ok := api.Bearer(r)
		if !ok {
			denied(w)
			return
		}
		res, err := v.verify(r.Context(), secret, q)
		if err != nil {
			if r.Context().Err() != nil {
				// The caller left (or its deadline passed): no outage to
				// log, and no one for FailOpen to serve.
				writeError(w, keys.Unavailable, "cannot verify the key right now; try again")
				return
			}
			v.log.WarnContext(r.Context(), "keyward: cannot verify", "method", r.Method, "path", keys.Redact(r.URL.Path), "error", err.Error())
			if v.failOpen && errors.Is(err, ErrUnavailable) {
				next.ServeHTTP(w, r)
				return
			}
			writeError(w, keys.Unavailable, "cannot verify the key right now; try again")
			return
		}
		switch res.Code {
		case CodeValid:
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), resultKey{}, res)))
		case CodeNotFound, CodeDisabled, CodeExpired:
			denied(w)
		case CodeRateLimited:
			// A key over its rate limit is told when to come back, as
			// /v1/auth tells it.
			wait := max(res.retryAfter, 1)
			w.Header().Set(headerCode, string(res.Code))
			w.Header().Set("Retry-After", strconv.FormatInt(wait, 10))
			writeError(w, keys.RateLimited, fmt.Sprintf("the key is over its rate limit (%s); retry after %d s", res.Code, wait))
		case CodeIPNotAllowed:
			w.Header().Set(headerCode, string(res.Code))
			writeError(w, keys.Forbidden, "the key may not be used from this address ("+string(res.Code)+")")
		default:
			// INSUFFICIENT_PERMISSIONS, and any code a newer server adds
			// about a key that exists but may not do this.
			writeError(w, keys.Forbidden, "the key does not have the rights asked for ("+string(res.Code)+")")
		}
	})
}

// forRequest is q asking about a ResourceFunc's answer, or the code to
// refuse the request with.
func (q query) forRequest(resource string) (query, keys.Code) {
	if strings.TrimSpace(resource) == "" {
		return q, keys.Forbidden
	}
	r, err := keys.ParseResource(resource)
	if err != nil {
		return q, keys.Invalid
	}
	q.resource = &r
	q.tag = tag(q.resource, q.role, q.ip)
	return q, ""
}

// FromContext is the key that Middleware let through, with the grants it
// holds. ok is false outside Middleware, and when FailOpen let a request
// through without an answer.
func FromContext(ctx context.Context) (r *Result, ok bool) {
	r, ok = ctx.Value(resultKey{}).(*Result)
	return r, ok
}

type resultKey struct{}

// headerCode names the verification code of a 403 or 429 whose reason a
// caller may act on, as /v1/auth's header of that name does.
const headerCode = "X-Keyward-Code"

// deniedMessage is every 401's, whatever the reason: the caller must not
// learn that the key it tried exists but is disabled or expired.
const deniedMessage = "no valid key: send one as Authorization: Bearer <key>"

func denied(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="keyward"`)
	writeError(w, keys.Unauthorized, deniedMessage)
}

// writeError answers as keyward's server does: its error body, with the
// status internal/api gives the code, in JSON that no cache may keep.
func writeError(w http.ResponseWriter, code keys.Code, msg string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(api.Status(code))
	_ = json.NewEncoder(w).Encode(api.NewError(code, msg)) // a failed write means the client left
}
