package keys

import "context"

func (s *actingService) CreateAccount(ctx context.Context, req CreateAccountRequest) (*Account, error) {
	ctx, err := s.ctx(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.CreateAccount(ctx, req)
}

func (s *actingService) GetAccount(ctx context.Context, ref string) (*Account, error) {
	ctx, err := s.ctx(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.GetAccount(ctx, ref)
}

func (s *actingService) ListAccounts(ctx context.Context, f AccountFilter) (*AccountPage, error) {
	ctx, err := s.ctx(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.ListAccounts(ctx, f)
}

func (s *actingService) DeleteAccount(ctx context.Context, ref string) (*Account, error) {
	ctx, err := s.ctx(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.DeleteAccount(ctx, ref)
}

func (s *actingService) GrantAccount(ctx context.Context, ref string, g Grant) (*Account, error) {
	ctx, err := s.ctx(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.GrantAccount(ctx, ref, g)
}

func (s *actingService) UngrantAccount(ctx context.Context, ref string, r Resource) (*Account, error) {
	ctx, err := s.ctx(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.UngrantAccount(ctx, ref, r)
}
