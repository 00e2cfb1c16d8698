// Package keystest is the behavioural test suite every keys.Service
// implementation runs: the SQLite store directly, and the HTTP client
// against a server over that store. It uses only the Service interface,
// so both backends are held to the same behaviour.
package keystest

import (
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// Opener gives a suite a fresh, empty backend: admin acts with full rights
// (the store acts as keys.LocalPrincipal, the client uses a root token);
// as(t, secret) acts as the operator key with that secret on the same
// backend.
type Opener func(t *testing.T) (admin keys.Service, as func(t *testing.T, secret string) keys.Service)
