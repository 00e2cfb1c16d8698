// Package keystest is the behavioural test suite every keys.Service
// implementation runs: the SQLite store directly, and the HTTP client
// against a server over that store. It uses only the Service interface,
// so both backends are held to the same behaviour.
package keystest

import (
	"context"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// Opener gives a suite a fresh, empty backend: admin acts with full rights
// (the store injects keys.LocalPrincipal, the client uses a root token);
// as(t, secret) acts as the operator key with that secret on the same
// backend; advance(d) moves the backend's clock d forward (a Clock's
// Advance), so that cases about time passing neither sleep nor race it.
// The suites call open from parallel subtests.
type Opener func(t *testing.T) (admin keys.Service, as func(t *testing.T, secret string) keys.Service, advance func(time.Duration))

// WithPrincipal wraps svc so that every call first runs p on its context:
// the way a store-side adapter acts as someone. An error from p is the
// call's error (Verify, which needs no principal, ignores it).
func WithPrincipal(svc keys.Service, p func(ctx context.Context) (context.Context, error)) keys.Service {
	return &principalService{svc: svc, p: p}
}

type principalService struct {
	svc keys.Service
	p   func(ctx context.Context) (context.Context, error)
}

func (s *principalService) Create(ctx context.Context, req keys.CreateRequest) (*keys.NewSecretKey, error) {
	ctx, err := s.p(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.Create(ctx, req)
}

func (s *principalService) Get(ctx context.Context, ref string) (*keys.Key, error) {
	ctx, err := s.p(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.Get(ctx, ref)
}

func (s *principalService) List(ctx context.Context, f keys.ListFilter) (*keys.KeyPage, error) {
	ctx, err := s.p(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.List(ctx, f)
}

func (s *principalService) Update(ctx context.Context, ref string, req keys.UpdateRequest) (*keys.Key, error) {
	ctx, err := s.p(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.Update(ctx, ref, req)
}

func (s *principalService) Roll(ctx context.Context, ref string, req keys.RollRequest) (*keys.NewSecretKey, error) {
	ctx, err := s.p(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.Roll(ctx, ref, req)
}

func (s *principalService) Delete(ctx context.Context, refs []string) ([]*keys.Key, error) {
	ctx, err := s.p(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.Delete(ctx, refs)
}

func (s *principalService) Grant(ctx context.Context, ref string, g keys.Grant) (*keys.Key, error) {
	ctx, err := s.p(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.Grant(ctx, ref, g)
}

func (s *principalService) Ungrant(ctx context.Context, ref string, r keys.Resource) (*keys.Key, error) {
	ctx, err := s.p(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.Ungrant(ctx, ref, r)
}

func (s *principalService) Verify(ctx context.Context, req keys.VerifyRequest) (*keys.VerifyResult, error) {
	if c, err := s.p(ctx); err == nil {
		ctx = c
	}
	return s.svc.Verify(ctx, req)
}

func (s *principalService) Audit(ctx context.Context, f keys.AuditFilter) (*keys.AuditPage, error) {
	ctx, err := s.p(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.Audit(ctx, f)
}

func (s *principalService) WhoAmI(ctx context.Context) (*keys.Principal, error) {
	ctx, err := s.p(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.WhoAmI(ctx)
}

func (s *principalService) Close() error { return s.svc.Close() }
