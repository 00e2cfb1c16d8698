package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// Verification through the client is the server's (keys verify
// --server): it counts against the key's rate limit, and the answer says
// so with when to retry. (Through --db nothing counts: the suites' store
// backend.)
func TestVerifyThroughTheServerCounts(t *testing.T) {
	admin, _, advance := openRemote(t)
	ctx := context.Background()
	k, err := admin.Create(ctx, keys.CreateRequest{Name: "metered", Grants: []keys.Grant{{Resource: "/acme", Role: keys.Viewer}},
		RateLimit: &keys.RateLimit{N: 1, Per: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	verify := func() *keys.VerifyResult {
		t.Helper()
		r, err := admin.Verify(ctx, keys.VerifyRequest{Secret: k.Secret})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := verify(); r.Code != keys.CodeValid {
		t.Fatalf("first: %s", r.Code)
	}
	r := verify()
	if r.Code != keys.CodeRateLimited || r.Valid || r.RetryAfter == nil || *r.RetryAfter != 3600 || r.RateLimit == nil || r.RateLimit.String() != "1/1h" {
		t.Fatalf("second: %+v, want RATE_LIMITED, retry_after 3600, rate_limit 1/1h", r)
	}
	advance(time.Hour)
	if r := verify(); r.Code != keys.CodeValid {
		t.Fatalf("an hour later: %s", r.Code)
	}
}
