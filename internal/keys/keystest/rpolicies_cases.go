package keystest

import (
	"time"

	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// rpoliciesCases: a key's allow-list holds for each secret it has. A
// rolled-out secret still in its grace is the key's, so a leaked old
// secret is no more use from elsewhere than the new one.
var rpoliciesCases = []serviceCase{
	{"ip allow-lists hold for a rolled-out secret in its grace", testAllowListPreviousSecret},
}

func testAllowListPreviousSecret(t *testing.T, e env) {
	k := createReq(t, e.admin, keys.CreateRequest{Name: "fenced-roll", Grants: []keys.Grant{g("/acme/api", keys.Editor)},
		AllowedIPs: allowList(t, "192.0.2.0/24"), RateLimit: &keys.RateLimit{N: 1000, Per: time.Hour}})
	rolled, err := e.admin.Roll(bg, k.ID, keys.RollRequest{Grace: dur("1h")})
	ok(t, err)
	for _, secret := range []string{k.Secret, rolled.Secret} {
		verifyFrom(t, e.admin, secret, "192.0.2.9", "/acme/api", keys.CodeValid)
		verifyFrom(t, e.admin, secret, "198.51.100.9", "/acme/api", keys.CodeIPNotAllowed)
		verifyFrom(t, e.admin, secret, "", "/acme/api", keys.CodeIPNotAllowed)
	}
	// The roll kept both policies.
	got := get(t, e.admin, k.ID)
	if len(got.AllowedIPs) != 1 || got.RateLimit == nil || got.RateLimit.N != 1000 {
		t.Errorf("after a roll: allowed_ips %v, rate_limit %v; want both kept", got.AllowedIPs, got.RateLimit)
	}
}
