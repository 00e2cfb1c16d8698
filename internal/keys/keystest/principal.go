// Package keystest is the behavioural test suite every keys.Service
// implementation runs: the SQLite store directly, and the HTTP client
// against a server over that store. It uses only the Service interface,
// so both backends are held to the same behaviour.
package keystest

import (
	"context"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// Opener gives a suite a fresh, empty backend: admin acts with full rights
// (the store acts as keys.LocalPrincipal, the client uses a root token);
// as(t, secret) acts as the operator key with that secret on the same
// backend.
type Opener func(t *testing.T) (admin keys.Service, as func(t *testing.T, secret string) keys.Service)

// WithPrincipal is keys.ActAsFunc for a p that returns the context to
// call with. New code uses keys.ActAs or keys.ActAsFunc directly.
func WithPrincipal(svc keys.Service, p func(ctx context.Context) (context.Context, error)) keys.Service {
	return keys.ActAsFunc(svc, func(ctx context.Context) (*keys.Principal, error) {
		ctx, err := p(ctx)
		if err != nil {
			return nil, err
		}
		return keys.PrincipalFrom(ctx)
	})
}
