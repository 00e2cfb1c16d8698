package server

import (
	"context"
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
// actor is known only after authentication).
type requestInfo struct {
	actor string
	// denied is why /v1/auth refused a key with its one 401 for every
	// reason (NOT_FOUND, DISABLED...): the operator's to know, not the
	// caller's.
	denied string
}

type requestInfoKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	if i, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return i
	}
	return &requestInfo{}
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
func (s *server) endpoint(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		if rt.auth {
			// Management calls only: they are what may commit a change.
			// (On the verification paths the timer would cost a third of
			// a request, 7µs, for nothing: they change nothing.)
			bounded, cancel := context.WithTimeout(r.Context(), RequestTimeout)
			defer cancel()
			r = r.WithContext(bounded)
			ctx, err := s.authenticate(r)
			if err != nil {
				if _, presented := bearer(r); presented && keys.ErrorCode(err) == keys.Unauthorized {
					w.Header().Set("WWW-Authenticate", `Bearer realm="keyward", error="invalid_token"`)
				}
				s.writeError(w, r, err)
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
func bearer(r *http.Request) (string, bool) {
	if len(r.Header.Values("Authorization")) != 1 {
		return "", false // none, or two: which one is meant cannot be told
	}
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// authenticate turns the presented operator key into the request's
// principal. Whether the principal may do what it asks is the backend's
// decision, not this layer's.
func (s *server) authenticate(r *http.Request) (context.Context, error) {
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
	infoFrom(r.Context()).actor = p.Actor
	return keys.WithPrincipal(r.Context(), p), nil
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// jsonFallbacks makes the mux's own answers (no such route, wrong method)
// JSON like every other error. Redirects (the mux cleaning a path) pass.
func jsonFallbacks(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			w = &fallbackWriter{ResponseWriter: w, r: r}
		}
		mux.ServeHTTP(w, r)
	})
}

type fallbackWriter struct {
	http.ResponseWriter
	r        *http.Request
	replaced bool
}

func (f *fallbackWriter) WriteHeader(status int) {
	var msg string
	switch status {
	case http.StatusNotFound:
		msg = fmt.Sprintf("no such endpoint: %s %s (see /v1/openapi.json)", f.r.Method, f.r.URL.EscapedPath())
		writeJSON(f.ResponseWriter, status, api.NewError(keys.NoRoute, msg))
	case http.StatusMethodNotAllowed:
		msg = fmt.Sprintf("method %s is not allowed on %s; allowed: %s", f.r.Method, f.r.URL.EscapedPath(), f.Header().Get("Allow"))
		writeJSON(f.ResponseWriter, status, api.NewError(keys.Invalid, msg))
	default:
		f.ResponseWriter.WriteHeader(status)
		return
	}
	f.replaced = true
}

func (f *fallbackWriter) Write(b []byte) (int, error) {
	if f.replaced {
		return len(b), nil // the mux's text body, replaced by the JSON one
	}
	return f.ResponseWriter.Write(b)
}

// statusWriter remembers what was answered, for the log line and for
// knowing whether a panic can still be answered with a 500.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests writes one structured line per request and turns a panic into
// a 500. Neither bodies nor headers are logged: they carry secrets (verify
// bodies, Authorization); a path or query that looks like a secret is
// redacted too, in case someone pastes one where a name belongs.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{}
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
		sw := &statusWriter{ResponseWriter: w}
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
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			attrs := []any{
				"method", r.Method,
				"path", redactedURI(r),
				"status", status,
				"duration_ms", float64(time.Since(start).Microseconds()) / 1000,
				"bytes", sw.bytes,
				"remote", clientIP(r),
			}
			if info.actor != "" {
				attrs = append(attrs, "actor", info.actor)
			}
			if info.denied != "" {
				attrs = append(attrs, "denied", info.denied)
			}
			s.log.InfoContext(r.Context(), "request", attrs...)
		}()
		next.ServeHTTP(sw, r)
	})
}

// redactedURI is the request's path and query for the log, with any part
// that holds a keyward secret replaced.
func redactedURI(r *http.Request) string {
	out := redactedPath(r.URL.EscapedPath())
	if r.URL.RawQuery == "" {
		return out
	}
	return out + "?" + redactedQuery(r.URL.RawQuery)
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
