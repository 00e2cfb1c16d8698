package keys

import "context"

var _ SigningKeys = (*actingService)(nil)

func (s *actingService) signing() (SigningKeys, error) {
	sk, ok := s.svc.(SigningKeys)
	if !ok {
		return nil, Errorf(Invalid, "this backend has no signing keys")
	}
	return sk, nil
}

func (s *actingService) JWKS(ctx context.Context) ([]byte, error) {
	sk, err := s.signing()
	if err != nil {
		return nil, err
	}
	return sk.JWKS(ctx)
}

func (s *actingService) ListSigningKeys(ctx context.Context) ([]*SigningKey, error) {
	sk, err := s.signing()
	if err != nil {
		return nil, err
	}
	if ctx, err = s.ctx(ctx); err != nil {
		return nil, err
	}
	return sk.ListSigningKeys(ctx)
}

func (s *actingService) RotateSigningKey(ctx context.Context) (*SigningKey, error) {
	sk, err := s.signing()
	if err != nil {
		return nil, err
	}
	if ctx, err = s.ctx(ctx); err != nil {
		return nil, err
	}
	return sk.RotateSigningKey(ctx)
}
