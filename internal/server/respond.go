package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/keyward/keyward/internal/api"
	"github.com/keyward/keyward/internal/keys"
)

// statusClientClosed is what the request log shows for a request whose
// client went away before the answer (nginx's 499).
const statusClientClosed = 499

// setJSONHeaders marks a response as JSON that no cache may keep: key data
// and secrets must not outlive the request in a proxy or browser cache.
func setJSONHeaders(w http.ResponseWriter) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Cache-Control"] = noStore
	h["X-Content-Type-Options"] = noSniff
}

// The values setJSONHeaders gives every JSON answer, shared rather than
// made per answer: a Header's values are replaced (Set) or appended to
// (Add, which copies: len = cap), never written in place, here or in
// net/http.
var (
	jsonContentType = []string{"application/json"}
	noStore         = []string{"no-store"}
	noSniff         = []string{"nosniff"}
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	setJSONHeaders(w)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v) // a failed write means the client left; nothing to do
}

// writeDeleted answers a DELETE: 204, or v with 200 when the client asked
// for it (api.WantsRepresentation).
func writeDeleted(w http.ResponseWriter, r *http.Request, v any) {
	w.Header().Set("Cache-Control", "no-store")
	if !api.WantsRepresentation(r) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set(api.HeaderPreferenceApplied, api.ReturnRepresentation)
	writeJSON(w, http.StatusOK, v)
}

// writeError writes err as {"error":{"code","message"}}. Errors without a
// code are internal: their text may hold details (paths, driver messages)
// that are the server's business, so the client sees a generic message and
// the log keeps the rest.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if keys.ErrorCode(err) == keys.Internal && errors.Is(err, context.DeadlineExceeded) {
		// A wait that ran out (a database that did not answer in time) is
		// "try again", not a fault in the server.
		err = &keys.Error{Code: keys.Unavailable, Message: "the server could not answer in time; try again", Cause: err}
	}
	code := keys.ErrorCode(err)
	msg := keys.ErrorMessage(err)
	if code == keys.Internal && errors.Is(r.Context().Err(), context.Canceled) {
		// The client left (or the server is shutting down) mid-request:
		// the failure is the cancellation, not a fault to page anyone for.
		// 499 is nginx's "client closed request", for the request log only.
		w.WriteHeader(statusClientClosed)
		return
	}
	if code == keys.Unavailable {
		// The client is told "try again"; the operator needs the why.
		s.log.WarnContext(r.Context(), "unavailable", "method", r.Method, "path", redactedURI(r), "error", logCause(err))
	}
	if code == keys.Internal {
		s.log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", redactedURI(r), "error", msg)
		msg = "internal server error; see the server log"
	}
	status := api.Status(code)
	switch status {
	case http.StatusUnauthorized:
		if w.Header().Get("WWW-Authenticate") == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="keyward"`)
		}
	case http.StatusTooManyRequests:
		if w.Header().Get("Retry-After") == "" { // a rate-limited key's is its own
			w.Header().Set("Retry-After", "60")
		}
	}
	writeJSON(w, status, api.NewError(code, msg))
}

// logCause is what the server's log says of an error: its cause when the
// message given to clients leaves it out (a database's own words).
func logCause(err error) string {
	var ke *keys.Error
	if errors.As(err, &ke) && ke.Cause != nil {
		return ke.Message + ": " + strings.Join(strings.Fields(ke.Cause.Error()), " ")
	}
	return keys.ErrorMessage(err)
}
