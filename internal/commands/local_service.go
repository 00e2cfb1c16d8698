package commands

import (
	"context"

	"github.com/keyward/keyward/internal/keys"
)

// localService is the local store as commands hold it: a call whose
// context carries no principal acts as the local OS user, which is what
// direct database access means. Main puts that principal in the root
// context already; this keeps a command driven without Main (a test, a
// program embedding the command tree) from failing as "no credential".
type localService struct {
	keys.Service
	user string
}

func (s *localService) ctx(ctx context.Context) context.Context {
	if _, err := keys.PrincipalFrom(ctx); err != nil {
		return keys.WithPrincipal(ctx, keys.LocalPrincipal(s.user))
	}
	return ctx
}

func (s *localService) Create(ctx context.Context, req keys.CreateRequest) (*keys.NewSecretKey, error) {
	return s.Service.Create(s.ctx(ctx), req)
}
func (s *localService) Get(ctx context.Context, ref string) (*keys.Key, error) {
	return s.Service.Get(s.ctx(ctx), ref)
}
func (s *localService) List(ctx context.Context, f keys.ListFilter) (*keys.KeyPage, error) {
	return s.Service.List(s.ctx(ctx), f)
}
func (s *localService) Update(ctx context.Context, ref string, req keys.UpdateRequest) (*keys.Key, error) {
	return s.Service.Update(s.ctx(ctx), ref, req)
}
func (s *localService) Roll(ctx context.Context, ref string, req keys.RollRequest) (*keys.NewSecretKey, error) {
	return s.Service.Roll(s.ctx(ctx), ref, req)
}
func (s *localService) Delete(ctx context.Context, refs []string) ([]*keys.Key, error) {
	return s.Service.Delete(s.ctx(ctx), refs)
}
func (s *localService) Grant(ctx context.Context, ref string, g keys.Grant) (*keys.Key, error) {
	return s.Service.Grant(s.ctx(ctx), ref, g)
}
func (s *localService) Ungrant(ctx context.Context, ref string, r keys.Resource) (*keys.Key, error) {
	return s.Service.Ungrant(s.ctx(ctx), ref, r)
}
func (s *localService) Verify(ctx context.Context, req keys.VerifyRequest) (*keys.VerifyResult, error) {
	return s.Service.Verify(s.ctx(ctx), req)
}
func (s *localService) Audit(ctx context.Context, f keys.AuditFilter) (*keys.AuditPage, error) {
	return s.Service.Audit(s.ctx(ctx), f)
}
func (s *localService) WhoAmI(ctx context.Context) (*keys.Principal, error) {
	return s.Service.WhoAmI(s.ctx(ctx))
}
