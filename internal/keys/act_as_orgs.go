package keys

import "context"

func (s *actingService) CreateOrg(ctx context.Context, req OrgCreateRequest) (*OrgCreated, error) {
	ctx, err := s.ctx(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.CreateOrg(ctx, req)
}

func (s *actingService) GetOrg(ctx context.Context, name string) (*Org, error) {
	ctx, err := s.ctx(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.GetOrg(ctx, name)
}

func (s *actingService) ListOrgs(ctx context.Context, f OrgFilter) (*OrgPage, error) {
	ctx, err := s.ctx(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.ListOrgs(ctx, f)
}

func (s *actingService) DeleteOrg(ctx context.Context, name string, req OrgDeleteRequest) (*Org, error) {
	ctx, err := s.ctx(ctx)
	if err != nil {
		return nil, err
	}
	return s.svc.DeleteOrg(ctx, name, req)
}
