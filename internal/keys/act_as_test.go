package keys

import (
	"context"
	"testing"
)

// whoService answers WhoAmI and Verify with the principal in its context.
type whoService struct{ Service }

func (whoService) WhoAmI(ctx context.Context) (*Principal, error) { return PrincipalFrom(ctx) }

func (whoService) Verify(ctx context.Context, _ VerifyRequest) (*VerifyResult, error) {
	if _, err := PrincipalFrom(ctx); err == nil {
		return &VerifyResult{Code: "WITH_PRINCIPAL"}, nil
	}
	return &VerifyResult{Code: "WITHOUT"}, nil
}

func TestActAsReplacesTheCallersPrincipal(t *testing.T) {
	alice := LocalPrincipal("alice")
	svc := ActAs(whoService{}, alice)
	ctx := WithPrincipal(context.Background(), LocalPrincipal("mallory"))
	for _, ctx := range []context.Context{context.Background(), ctx} {
		if p, err := svc.WhoAmI(ctx); err != nil || p != alice {
			t.Fatalf("WhoAmI = %+v, %v; want alice", p, err)
		}
	}
}

func TestActAsFuncErrors(t *testing.T) {
	svc := ActAsFunc(whoService{}, func(context.Context) (*Principal, error) {
		return nil, Errorf(Unauthorized, "bad secret")
	})
	if _, err := svc.WhoAmI(context.Background()); ErrorCode(err) != Unauthorized {
		t.Fatalf("WhoAmI: %v; want the resolver's error", err)
	}
	// Verify needs no principal: it goes on without one.
	if r, err := svc.Verify(context.Background(), VerifyRequest{}); err != nil || r.Code != "WITHOUT" {
		t.Fatalf("Verify = %+v, %v", r, err)
	}
}
