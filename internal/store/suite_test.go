package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/keys/keystest"
)

// openTemp opens a store on a new file in a temporary folder.
func openTemp(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "keyward.db"), opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// local acts as direct database access.
func local(ctx context.Context) context.Context {
	return keys.WithPrincipal(ctx, keys.LocalPrincipal("tester"))
}

// adapter is the suites' view of a store: admin is the local principal,
// as(secret) authenticates the secret on every call, as a server would.
func adapter(s *Store) (keys.Service, func(t *testing.T, secret string) keys.Service) {
	admin := keys.ActAs(s, keys.LocalPrincipal("tester"))
	as := func(t *testing.T, secret string) keys.Service {
		return keys.ActAsFunc(s, func(ctx context.Context) (*keys.Principal, error) {
			return s.Authenticate(ctx, secret)
		})
	}
	return admin, as
}

// suiteOpener opens the suites' backends with open, each on a clock of
// its own.
func suiteOpener(open func(t testing.TB, opts Options) *Store) keystest.Opener {
	return func(t *testing.T) (keys.Service, func(t *testing.T, secret string) keys.Service, func(time.Duration)) {
		c := new(keystest.Clock)
		admin, as := adapter(open(t, Options{Now: c.Now}))
		return admin, as, c.Advance
	}
}

func TestServiceSuite(t *testing.T) {
	keystest.RunServiceSuite(t, suiteOpener(openTemp))
}

func TestAuthzSuite(t *testing.T) {
	keystest.RunAuthzSuite(t, suiteOpener(openTemp))
}
