package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/server"
)

// A secret pasted into a wrong URL is not echoed in the answer (which
// proxies and client logs keep), as no other error message echoes one.
func TestNoRouteAndMethodErrorsDoNotEchoASecret(t *testing.T) {
	e := newEnv(t, server.Options{})
	k := e.do("POST", "/v1/keys", e.root, createBody("leak", "/acme", "viewer")).want(t, http.StatusCreated).newSecret(t)
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/v1/nope/" + k.Secret, http.StatusNotFound},
		{"GET", "/v1/" + k.Secret, http.StatusNotFound},
		{"PUT", "/v1/keys/" + k.Secret + "/roll", http.StatusMethodNotAllowed},
	} {
		r := e.do(c.method, c.path, e.root, nil).want(t, c.status)
		if strings.Contains(string(r.body), k.Secret) || strings.Contains(string(r.body), k.Secret[3:]) {
			t.Errorf("%s %s echoes the secret: %s", c.method, "/…", r.body)
		}
	}
}
