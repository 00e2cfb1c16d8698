package keystest

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// policyCases are issue 13's key policies on every backend: IP
// allow-lists, and the rate limit as a key's field and verify's report.
// Counting against a limit is a server's (internal/server's limiter
// tests): here every key is verified well inside its limit.
var policyCases = []serviceCase{
	{"ip allow-lists", testAllowLists},
	{"ip allow-lists: bad input", testAllowListsInvalid},
	{"rate limits are kept and reported", testRateLimitFields},
}

func allowList(t *testing.T, entries ...string) keys.AllowList {
	t.Helper()
	l, err := keys.ParseAllowList(entries)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func verifyFrom(t *testing.T, svc keys.Service, secret, ip, resource string, want keys.VerifyCode) *keys.VerifyResult {
	t.Helper()
	req := keys.VerifyRequest{Secret: secret}
	if ip != "" {
		req.IP = netip.MustParseAddr(ip)
	}
	if resource != "" {
		req.Resource = res(resource)
	}
	r, err := svc.Verify(bg, req)
	if err != nil {
		t.Fatalf("verify from %q: %v", ip, err)
	}
	if r.Code != want || r.Valid != (want == keys.CodeValid) {
		t.Fatalf("verify from %q (resource %q) = %s (valid %v), want %s", ip, resource, r.Code, r.Valid, want)
	}
	return r
}

func testAllowLists(t *testing.T, e env) {
	k := createReq(t, e.admin, keys.CreateRequest{Name: "partner", Grants: []keys.Grant{g("/acme/api", keys.Editor)},
		AllowedIPs: allowList(t, "2001:db8::/32", "10.0.0.0/8", "192.0.2.7", "::ffff:198.51.100.0/120", "10.0.0.0/8")})
	// Canonical, sorted, unique: what the key shows is what is checked.
	want := "[10.0.0.0/8 192.0.2.7/32 198.51.100.0/24 2001:db8::/32]"
	if got := fmt.Sprint(k.AllowedIPs.Strings()); got != want {
		t.Fatalf("create: allowed_ips = %s, want %s", got, want)
	}
	if got := fmt.Sprint(get(t, e.admin, k.ID).AllowedIPs.Strings()); got != want {
		t.Fatalf("get: allowed_ips = %s, want %s", got, want)
	}

	for _, ip := range []string{"10.1.2.3", "192.0.2.7", "198.51.100.255", "2001:db8::1", "::ffff:10.9.9.9"} {
		verifyFrom(t, e.admin, k.Secret, ip, "/acme/api", keys.CodeValid)
	}
	for _, ip := range []string{"11.0.0.1", "192.0.2.8", "2001:db9::1", "127.0.0.1", "::1"} {
		r := verifyFrom(t, e.admin, k.Secret, ip, "/acme/api", keys.CodeIPNotAllowed)
		if r.KeyID == nil || *r.KeyID != k.ID {
			t.Errorf("IP_NOT_ALLOWED should still name the key: %s", jsonOf(t, r))
		}
	}
	// No address known: refused, not waved through.
	verifyFrom(t, e.admin, k.Secret, "", "/acme/api", keys.CodeIPNotAllowed)
	// Order: IP_NOT_ALLOWED before INSUFFICIENT_PERMISSIONS ...
	verifyFrom(t, e.admin, k.Secret, "11.0.0.1", "/globex", keys.CodeIPNotAllowed)
	verifyFrom(t, e.admin, k.Secret, "10.0.0.1", "/globex", keys.CodeInsufficientPermissions)

	// A key without a list verifies from anywhere, and from nowhere.
	open := create(t, e.admin, "open", g("/acme/api", keys.Viewer))
	if open.AllowedIPs != nil {
		t.Errorf("a key without an allow-list has allowed_ips %v, want null", open.AllowedIPs)
	}
	verifyFrom(t, e.admin, open.Secret, "", "", keys.CodeValid)
	verifyFrom(t, e.admin, open.Secret, "203.0.113.9", "", keys.CodeValid)

	// Update replaces the list; the very next verification sees it.
	l := allowList(t, "203.0.113.0/24")
	u, err := e.admin.Update(bg, k.ID, keys.UpdateRequest{AllowedIPs: &l})
	ok(t, err)
	if got := fmt.Sprint(u.AllowedIPs.Strings()); got != "[203.0.113.0/24]" {
		t.Fatalf("update: allowed_ips = %s", got)
	}
	verifyFrom(t, e.admin, k.Secret, "10.1.2.3", "", keys.CodeIPNotAllowed)
	verifyFrom(t, e.admin, k.Secret, "203.0.113.9", "", keys.CodeValid)
	// ... and after DISABLED.
	_, err = e.admin.Update(bg, k.ID, keys.UpdateRequest{Enabled: boolPtr(false)})
	ok(t, err)
	verifyFrom(t, e.admin, k.Secret, "10.1.2.3", "", keys.CodeDisabled)
	_, err = e.admin.Update(bg, k.ID, keys.UpdateRequest{Enabled: boolPtr(true)})
	ok(t, err)

	// An empty list removes it.
	u, err = e.admin.Update(bg, k.ID, keys.UpdateRequest{AllowedIPs: &keys.AllowList{}})
	ok(t, err)
	if u.AllowedIPs != nil || get(t, e.admin, k.ID).AllowedIPs != nil {
		t.Fatalf("after clearing, allowed_ips = %v, want null", u.AllowedIPs)
	}
	verifyFrom(t, e.admin, k.Secret, "", "", keys.CodeValid)

	// A policy change is audited like any other.
	rows := auditAll(t, e.admin, keys.AuditFilter{Key: k.ID})
	if len(rows) < 2 || rows[len(rows)-1].Details["allowed_ips"] == nil {
		t.Fatalf("create's audit row lacks allowed_ips: %s", jsonOf(t, rows))
	}
	var changes int
	for _, r := range rows {
		if r.Action == keys.ActionUpdate && r.Details["allowed_ips"] != nil {
			changes++
		}
	}
	if changes != 2 {
		t.Errorf("%d update rows record allowed_ips, want 2: %s", changes, jsonOf(t, rows))
	}
	// Updating to the list it has changes nothing.
	_, err = e.admin.Update(bg, open.ID, keys.UpdateRequest{AllowedIPs: &keys.AllowList{}})
	ok(t, err)
	if n := len(auditAll(t, e.admin, keys.AuditFilter{Key: open.ID})); n != 1 {
		t.Errorf("clearing a list the key does not have wrote %d audit rows, want only create's", n)
	}
}

func testAllowListsInvalid(t *testing.T, e env) {
	grants := []keys.Grant{g("/acme", keys.Viewer)}
	for name, l := range map[string]keys.AllowList{
		"host bits set": {netip.MustParsePrefix("10.1.2.3/8")},
		"not a prefix":  {netip.Prefix{}},
		"too many": func() keys.AllowList {
			var l keys.AllowList
			for i := range keys.MaxAllowedIPs + 1 {
				l = append(l, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, byte(i), 0}), 24))
			}
			return l
		}(),
	} {
		_, err := e.admin.Create(bg, keys.CreateRequest{Name: "bad", Grants: grants, AllowedIPs: l})
		if keys.ErrorCode(err) != keys.Invalid {
			t.Errorf("create with allowed_ips %s: %v, want invalid", name, err)
		}
		k := create(t, e.admin, "good-"+strings.ReplaceAll(name, " ", "-"), grants...)
		if _, err := e.admin.Update(bg, k.ID, keys.UpdateRequest{AllowedIPs: &l}); keys.ErrorCode(err) != keys.Invalid {
			t.Errorf("update with allowed_ips %s: %v, want invalid", name, err)
		}
	}
	if ks := listAll(t, e.admin, keys.ListFilter{}); len(ks) != 3+countRoot(ks) {
		t.Errorf("a refused create made a key: %d keys", len(ks))
	}
}

// countRoot is 1 when the backend's own admin key is in ks (the remote
// backend's root key), else 0.
func countRoot(ks []*keys.Key) int {
	n := 0
	for _, k := range ks {
		if k.Org == "/" {
			n++
		}
	}
	return n
}

func testRateLimitFields(t *testing.T, e env) {
	rl := func(s string) *keys.RateLimit {
		r, err := keys.ParseRateLimit(s)
		if err != nil {
			t.Fatal(err)
		}
		return &r
	}
	k := createReq(t, e.admin, keys.CreateRequest{Name: "metered", Grants: []keys.Grant{g("/acme/api", keys.Viewer)}, RateLimit: rl("5000/60m")})
	if k.RateLimit == nil || k.RateLimit.String() != "5000/1h" {
		t.Fatalf("create: rate_limit = %v, want 5000/1h", k.RateLimit)
	}
	if got := get(t, e.admin, k.ID).RateLimit; got == nil || got.String() != "5000/1h" {
		t.Fatalf("get: rate_limit = %v", got)
	}
	// Verify reports the limit (a server also counts; 5000 is far off).
	r := verifyFrom(t, e.admin, k.Secret, "", "/acme/api", keys.CodeValid)
	if r.RateLimit == nil || r.RateLimit.String() != "5000/1h" || r.RetryAfter != nil {
		t.Errorf("verify: %s, want rate_limit 5000/1h and no retry_after", jsonOf(t, r))
	}
	// Reported on refusals too: it is the key's.
	r = verifyFrom(t, e.admin, k.Secret, "", "/globex", keys.CodeInsufficientPermissions)
	if r.RateLimit == nil {
		t.Errorf("INSUFFICIENT_PERMISSIONS: %s, want the rate limit", jsonOf(t, r))
	}

	u, err := e.admin.Update(bg, k.ID, keys.UpdateRequest{RateLimit: rl("100/1s")})
	ok(t, err)
	if u.RateLimit == nil || u.RateLimit.String() != "100/1s" {
		t.Fatalf("update: rate_limit = %v", u.RateLimit)
	}
	if r := verifyFrom(t, e.admin, k.Secret, "", "", keys.CodeValid); r.RateLimit == nil || r.RateLimit.String() != "100/1s" {
		t.Errorf("verify after update: %s", jsonOf(t, r))
	}
	// The zero limit removes it.
	u, err = e.admin.Update(bg, k.ID, keys.UpdateRequest{RateLimit: &keys.RateLimit{}})
	ok(t, err)
	if u.RateLimit != nil || get(t, e.admin, k.ID).RateLimit != nil {
		t.Fatalf("after removing: rate_limit = %v, want null", u.RateLimit)
	}
	if r := verifyFrom(t, e.admin, k.Secret, "", "", keys.CodeValid); r.RateLimit != nil {
		t.Errorf("verify after removing: %s", jsonOf(t, r))
	}

	for name, bad := range map[string]keys.RateLimit{
		"negative":          {N: -1, Per: 1000000000},
		"period too short":  {N: 5, Per: 500000000},
		"period too long":   {N: 5, Per: 2 * keys.Month},
		"count too large":   {N: keys.MaxRateLimitCount + 1, Per: 1000000000},
		"count without per": {N: 5},
	} {
		if _, err := e.admin.Create(bg, keys.CreateRequest{Name: "bad", Grants: []keys.Grant{g("/acme", keys.Viewer)}, RateLimit: &bad}); keys.ErrorCode(err) != keys.Invalid {
			t.Errorf("create with rate limit %s: %v, want invalid", name, err)
		}
		if _, err := e.admin.Update(bg, k.ID, keys.UpdateRequest{RateLimit: &bad}); keys.ErrorCode(err) != keys.Invalid {
			t.Errorf("update with rate limit %s: %v, want invalid", name, err)
		}
	}
}
