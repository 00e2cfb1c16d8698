package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/server"
)

// A field read from a JSON string (an address, a CIDR list's entry, a
// rate limit) that is sent as another kind is told to be a string: the
// message must not call it an object because its Go type is a struct.
func TestVerifyIPOfTheWrongKindIsToldToBeAString(t *testing.T) {
	e := newEnv(t, server.Options{})
	msg := e.do("POST", "/v1/verify", "", map[string]any{"key": "sk_x", "ip": []string{"192.0.2.1"}}).
		wantError(t, http.StatusBadRequest, keys.Invalid)
	if !strings.Contains(msg, `field "ip" must be a string`) {
		t.Errorf("an array for ip: %q, want it told to be a string", msg)
	}
}
