package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/server"
)

// A body whose unknown member or bad time is a secret (a scanner's
// mangled request) is refused without the secret in the answer, which
// clients print and CI logs keep.
func TestBadBodyErrorsNeverEchoASecret(t *testing.T) {
	e := newEnv(t, server.Options{})
	leaked := e.local("leaked", "/acme", keys.Viewer)
	for path, body := range map[string]string{
		"/v1/leaks":       `{"leaks":[{"key":"x","source":"a"}],"` + leaked.Secret + `":1}`,
		"/v1/leaks/check": `{"leaks":[{"key":"x","source":"a","` + leaked.Secret + `":1}]}`,
		"/v1/keys":        `{"name":"n","grants":[{"resource":"/acme","role":"viewer"}],"expires_at":"` + leaked.Secret + `"}`,
	} {
		r := e.do("POST", path, e.root, body)
		r.wantError(t, http.StatusBadRequest, keys.Invalid)
		if strings.Contains(string(r.body), leaked.Secret) {
			t.Errorf("%s: a secret in the answer: %s", path, r.body)
		}
	}
}
