package keys

import "context"

// ActAs returns svc acting for p: every call runs with p in its context,
// whatever principal the caller's context carried. It is how direct
// database access acts as the local user, and how tests act as someone.
func ActAs(svc Service, p *Principal) Service {
	return ActAsFunc(svc, func(context.Context) (*Principal, error) { return p, nil })
}

// ActAsFunc is ActAs with the principal found for each call, as a server
// authenticates every request: an error from who is the call's error,
// except for Verify, which needs no principal.
func ActAsFunc(svc Service, who func(ctx context.Context) (*Principal, error)) Service {
	return &actingService{svc: svc, who: who}
}

type actingService struct {
	svc Service
	who func(ctx context.Context) (*Principal, error)
}

func (s *actingService) ctx(ctx context.Context) (context.Context, error) {
	p, err := s.who(ctx)
	if err != nil {
		return ctx, err
	}
	return WithPrincipal(ctx, p), nil
}

func (s *actingService) Create(ctx context.Context, req CreateRequest) (*NewSecretKey, error) {
	ctx, err := s.ctx(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.Create(ctx, req)
}

func (s *actingService) Get(ctx context.Context, ref string) (*Key, error) {
	ctx, err := s.ctx(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.Get(ctx, ref)
}

func (s *actingService) List(ctx context.Context, f ListFilter) (*KeyPage, error) {
	ctx, err := s.ctx(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.List(ctx, f)
}

func (s *actingService) Update(ctx context.Context, ref string, req UpdateRequest) (*Key, error) {
	ctx, err := s.ctx(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.Update(ctx, ref, req)
}

func (s *actingService) Roll(ctx context.Context, ref string, req RollRequest) (*NewSecretKey, error) {
	ctx, err := s.ctx(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.Roll(ctx, ref, req)
}

func (s *actingService) Delete(ctx context.Context, refs []string) ([]*Key, error) {
	ctx, err := s.ctx(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.Delete(ctx, refs)
}

func (s *actingService) Grant(ctx context.Context, ref string, g Grant) (*Key, error) {
	ctx, err := s.ctx(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.Grant(ctx, ref, g)
}

func (s *actingService) Ungrant(ctx context.Context, ref string, r Resource) (*Key, error) {
	ctx, err := s.ctx(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.Ungrant(ctx, ref, r)
}

func (s *actingService) Verify(ctx context.Context, req VerifyRequest) (*VerifyResult, error) {
	if c, err := s.ctx(ctx); err == nil {
		ctx = c
	}
	return s.svc.Verify(ctx, req)
}

func (s *actingService) Audit(ctx context.Context, f AuditFilter) (*AuditPage, error) {
	ctx, err := s.ctx(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.Audit(ctx, f)
}

func (s *actingService) CheckLeaks(ctx context.Context, leaks []Leak) ([]*LeakResult, error) {
	ctx, err := s.ctx(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.CheckLeaks(ctx, leaks)
}

func (s *actingService) ReportLeaks(ctx context.Context, leaks []Leak) ([]*LeakResult, error) {
	ctx, err := s.ctx(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.ReportLeaks(ctx, leaks)
}

func (s *actingService) WhoAmI(ctx context.Context) (*Principal, error) {
	ctx, err := s.ctx(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.WhoAmI(ctx)
}

func (s *actingService) Close() error { return s.svc.Close() }
