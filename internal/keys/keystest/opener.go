// Package keystest is the behavioural test suite every keys.Service
// implementation runs: the SQLite store directly, and the HTTP client
// against a server over that store. It uses only the Service interface,
// so both backends are held to the same behaviour.
package keystest

import (
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// Opener gives a suite a fresh, empty backend: admin acts with full rights
// (the store acts as keys.LocalPrincipal, the client uses a root token);
// as(t, secret) acts as the operator key with that secret on the same
// backend; advance(d) moves the backend's clock d forward (a Clock's
// Advance), so that cases about time passing neither sleep nor race it.
// The suites call open from parallel subtests.
type Opener func(t *testing.T) (admin keys.Service, as func(t *testing.T, secret string) keys.Service, advance func(time.Duration))
