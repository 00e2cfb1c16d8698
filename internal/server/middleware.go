package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/api"
	"github.com/keyward/keyward/internal/keys"
)

// requestInfo is what the request log line needs from deeper layers (the
// actor is known only after authentication). It travels in the response
// writer rather than the context: a context value would cost every request
// a context and a request copy.
type requestInfo struct {
	actor string
	// denied is why /v1/auth refused a key with its one 401 for every
	// reason (NOT_FOUND, DISABLED...): the operator's to know, not the
	// caller's.
	denied string
	// verified marks a successful verification (/v1/auth 204, /v1/verify
	// VALID): the one kind of line that may be summed up rather than
	// written (Options.SummaryEvery).
	verified bool
	// route is the index of the route that answered, plus one (0: none),
	// and code a verification's answer: for the metrics.
	route int
	code  keys.VerifyCode
}

// infoOf finds the request's info through whatever wraps the writer.
func infoOf(w http.ResponseWriter) *requestInfo {
	for {
		switch v := w.(type) {
		case *statusWriter:
			return &v.info
		case interface{ Unwrap() http.ResponseWriter }: // none today; cheap insurance
			w = v.Unwrap()
		default:
			return &requestInfo{} // outside logRequests (a test calling a handler)
		}
	}
}

// RequestTimeout bounds a handler's work, well inside the server's write
// timeout: a transaction still waiting then is rolled back and answered
// 503, rather than committed after its client was cut off. A write waits
// at most the store's busy timeout (5s) for its turn, so this is room to
// spare; keyward's client waits longer than this for an answer
// (internal/client's headerTimeout), so it is never the first to give up.
const RequestTimeout = 8 * time.Second

// endpoint turns a route into a handler: the operator key for routes that
// need one, the body limit, and errors written as JSON.
func (s *server) endpoint(i int, rt route) http.Handler {
	limit := bodyLimit(rt)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		infoOf(w).route = i + 1
		if r.Body != http.NoBody { // a GET's (every /v1/auth): nothing to bound, and an allocation saved
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		if rt.auth {
			// Management calls only: they are what may commit a change.
			// (On the verification paths the timer would cost a third of
			// a request, 7µs, for nothing: they change nothing.)
			bounded, cancel := context.WithTimeout(r.Context(), RequestTimeout)
			defer cancel()
			r = r.WithContext(bounded)
			ctx, err := s.authenticate(w, r)
			if err != nil {
				s.refuseAuth(w, r, err)
				return
			}
			r = r.WithContext(ctx)
		}
		if err := rt.handle(s, w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) (string, bool) { return api.Bearer(r) }

// authenticate turns the presented operator key into the request's
// principal. Whether the principal may do what it asks is the backend's
// decision, not this layer's.
func (s *server) authenticate(w http.ResponseWriter, r *http.Request) (context.Context, error) {
	token, ok := bearer(r)
	if !ok {
		return nil, keys.Errorf(keys.Unauthorized, "missing operator key: send Authorization: Bearer <key> (keyward login, or set KEYWARD_TOKEN)")
	}
	p, err := s.b.Authenticate(r.Context(), token)
	if err != nil {
		// Only failures are limited: a valid key is never refused because
		// a client behind the same address (a proxy) keeps guessing.
		if ip := clientIP(r); keys.ErrorCode(err) == keys.Unauthorized && s.limiter != nil {
			if s.limiter.blocked(ip) {
				return nil, keys.Errorf(keys.RateLimited, "too many failed authentications from %s; try again in a minute", ip)
			}
			s.limiter.fail(ip)
		}
		return nil, err
	}
	infoOf(w).actor = p.Actor
	if p.Key != nil && len(p.Key.AllowedIPs) > 0 && !p.Key.AllowedIPs.Allows(s.clientAddr(r)) {
		// An operator key's allow-list holds for management as for
		// verification: a leaked admin key is no use from elsewhere.
		return nil, keys.Errorf(keys.Forbidden, "this operator key may not be used from this address (IP_NOT_ALLOWED): use it from an address in its allow-list")
	}
	return keys.WithPrincipal(r.Context(), p), nil
}

// refuseAuth answers a failed authentication, with the Bearer challenge
// (RFC 6750) when a key was presented and refused.
func (s *server) refuseAuth(w http.ResponseWriter, r *http.Request, err error) {
	if _, presented := bearer(r); presented && keys.ErrorCode(err) == keys.Unauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="keyward", error="invalid_token"`)
	}
	s.writeError(w, r, err)
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// statusWriter remembers what was answered, for the log line and for
// knowing whether a panic can still be answered with a 500; and it makes
// the mux's own answers (no such route, wrong method) JSON like every
// other error. The mux marks those by leaving the request's Pattern empty
// (it sets Pattern on the very request it was given before calling the
// handler), so routing happens once. Redirects (the mux cleaning a path)
// pass.
type statusWriter struct {
	http.ResponseWriter
	r        *http.Request // as given to the mux
	status   int
	bytes    int
	replaced bool // the mux's text body, replaced by the JSON one
	info     requestInfo
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	if w.r.Pattern == "" && !w.replaced {
		switch status {
		case http.StatusNotFound:
			w.replace(status, api.NewError(keys.NoRoute,
				fmt.Sprintf("no such endpoint: %s %s (see /v1/openapi.json)", w.r.Method, redactedPath(w.r.URL.EscapedPath()))))
			return
		case http.StatusMethodNotAllowed:
			w.replace(status, api.NewError(keys.Invalid,
				fmt.Sprintf("method %s is not allowed on %s; allowed: %s", w.r.Method, redactedPath(w.r.URL.EscapedPath()), w.Header().Get("Allow"))))
			return
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

// replace answers the JSON error in place of the mux's text one, whose
// body Write then drops.
func (w *statusWriter) replace(status int, body any) {
	w.replaced = true
	setJSONHeaders(w)
	w.ResponseWriter.WriteHeader(status)
	b, _ := json.Marshal(body)
	n, _ := w.ResponseWriter.Write(append(b, '\n'))
	w.bytes += n
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ServeHTTP writes one structured line per request (or counts it, for a
// successful verification, see SummaryEvery) and turns a panic into a 500.
// Neither bodies nor headers are logged: they carry secrets (verify
// bodies, Authorization); a path or query that looks like a secret is
// redacted too, in case someone pastes one where a name belongs.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := h.s
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, r: r}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic serving request",
				"method", r.Method, "path", redactedURI(r), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if sw.status == 0 {
				writeJSON(sw, http.StatusInternalServerError, api.NewError(keys.Internal, "internal server error; see the server log"))
			}
		}
		took := time.Since(start)
		s.logRequest(r, sw, took)
		if s.metrics != nil {
			s.metrics.observe(&sw.info, sw.status, took)
		}
	}()
	h.mux.ServeHTTP(sw, r)
}

// redactedURI is the request's path and query for the log, with any part
// that holds a keyward secret replaced.
func redactedURI(r *http.Request) string {
	return redactedPathQuery(r.URL.EscapedPath(), r.URL.RawQuery)
}

func redactedPathQuery(path, rawQuery string) string {
	if rawQuery == "" {
		if secretChars(path) < minSecretChars {
			return path
		}
		return redactedPath(path)
	}
	if secretChars(path)+secretChars(rawQuery) < minSecretChars {
		return path + "?" + rawQuery
	}
	return redactedPath(path) + "?" + redactedQuery(rawQuery)
}

// minSecretChars is the fewest characters a secret is made of (p_ and 38
// more). A URL with fewer of them in all cannot hold one, whole or split,
// escaped or not (unescaping never adds any: %5F is three bytes, two of
// them hex digits, for one underscore), and is logged as it came without
// the work of taking it apart.
const minSecretChars = 1 + 1 + 32 + 6

func secretChars(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			n++
		}
	}
	return n
}

func redactedPath(escaped string) string {
	segs := strings.Split(escaped, "/")
	for i, seg := range segs {
		if looksLikeSecret(unescapePath(seg)) {
			segs[i] = "REDACTED"
		}
	}
	out := strings.Join(segs, "/")
	// A secret split by a slash lies in no one segment.
	if looksLikeSecret(unescapePath(out)) {
		return "/REDACTED"
	}
	return out
}

func redactedQuery(raw string) string {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return "(unparsable query)"
	}
	out := raw // as sent: easier to read than re-encoded
	redacted := false
	for k, vs := range q {
		if looksLikeSecret(k) {
			delete(q, k)
			k, redacted = "REDACTED", true
		}
		for i, v := range vs {
			if looksLikeSecret(v) {
				vs[i], redacted = "REDACTED", true
			}
		}
		q[k] = vs
	}
	if redacted {
		out = q.Encode()
	}
	// A secret split by & or = lies in no one name or value.
	if whole, err := url.QueryUnescape(out); err != nil || looksLikeSecret(whole) {
		return "REDACTED"
	}
	return out
}

func unescapePath(s string) string {
	if v, err := url.PathUnescape(s); err == nil {
		return v
	}
	return s
}

// looksLikeSecret reports whether s holds a keyward secret, whole or
// split, by keys.Redact's judgement: the log replaces such a part of a URL
// whole, so that what remains is still a path and a query.
func looksLikeSecret(s string) bool { return keys.Redact(s) != s }
