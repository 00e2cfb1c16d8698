package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/api"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/server"
)

// POST /v1/leaks as a scanning service calls it: operator keys only, bad
// bodies are the client's, and a reported secret reaches neither the
// answer nor the request log.
func TestLeaksRoute(t *testing.T) {
	e := newEnv(t, server.Options{})
	leaked := e.local("leaked", "/acme", keys.Viewer)
	pub := e.local("web", "/acme", keys.Viewer, func(r *keys.CreateRequest) { r.Type = keys.Public })
	body := map[string]any{"leaks": []map[string]string{{"key": leaked.Secret, "source": "https://paste.example.com/x:4"}}}

	e.do("POST", "/v1/leaks", "", body).wantError(t, http.StatusUnauthorized, keys.Unauthorized)
	e.do("POST", "/v1/leaks", pub.Secret, body).wantError(t, http.StatusForbidden, keys.Forbidden)
	e.do("POST", "/v1/leaks", e.root, `{"leaks":[]}`).wantError(t, http.StatusBadRequest, keys.Invalid)
	e.do("POST", "/v1/leaks", e.root, `{"leaks":[{"key":"x","source":"a","extra":1}]}`).wantError(t, http.StatusBadRequest, keys.Invalid)
	e.do("POST", "/v1/leaks", e.root, map[string]any{"leaks": []map[string]string{{"key": leaked.Secret, "source": "in " + pub.Secret}}}).
		wantError(t, http.StatusBadRequest, keys.Invalid)

	var check api.LeaksResponse
	e.do("POST", "/v1/leaks/check", e.root, body).want(t, http.StatusOK).decode(t, &check)
	if len(check.Items) != 1 || *check.Items[0].Code != keys.CodeValid || check.Items[0].Action != nil {
		t.Fatalf("check: %s", check.Items[0].Start)
	}
	r := e.do("POST", "/v1/leaks", e.root, body).want(t, http.StatusOK)
	var out api.LeaksResponse
	r.decode(t, &out)
	if len(out.Items) != 1 || *out.Items[0].Action != keys.LeakDisabled || *out.Items[0].Code != keys.CodeDisabled {
		t.Fatalf("report: %s", r.body)
	}
	for what, text := range map[string]string{"answer": string(r.body), "log": e.logs.String()} {
		if strings.Contains(text, leaked.Secret) || strings.Contains(text, pub.Secret) {
			t.Errorf("a secret in the %s: %s", what, text)
		}
	}
}
