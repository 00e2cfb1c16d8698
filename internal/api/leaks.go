package api

import "github.com/keyward/keyward/internal/keys"

// LeaksRequest is the body of POST /v1/leaks (report: disable what is
// still valid) and POST /v1/leaks/check (look up only): found secrets
// and where each was found, at most keys.MaxLeaks.
type LeaksRequest struct {
	Leaks []keys.Leak `json:"leaks"`
}

// LeaksResponse answers a LeaksRequest (200): one result per leak, in the
// order sent. An object, as list pages are, so that it can grow fields.
type LeaksResponse struct {
	Items []*keys.LeakResult `json:"items"`
}
