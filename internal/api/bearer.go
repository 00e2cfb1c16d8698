package api

import (
	"net/http"
	"strings"
)

// Bearer returns the token of an "Authorization: Bearer <token>" header:
// the one reading of it, for the server and for services that check keys
// themselves (pkg/keyward), so that both accept and refuse the same.
func Bearer(r *http.Request) (string, bool) {
	if len(r.Header.Values("Authorization")) != 1 {
		return "", false // none, or two: which one is meant cannot be told
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
