package keys

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestParseAllowList(t *testing.T) {
	l, err := ParseAllowList([]string{" 10.0.0.0/8", "192.0.2.7", "::ffff:198.51.100.0/120", "2001:db8::/32", "::ffff:203.0.113.9", "10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(l.Strings(), " "); got != "10.0.0.0/8 192.0.2.7/32 198.51.100.0/24 203.0.113.9/32 2001:db8::/32" {
		t.Errorf("canonical list %s", got)
	}
	for _, bad := range []string{"", "10.1.2.3/8", "10.0.0.0/33", "nonsense", "fe80::1%eth0", "::ffff:10.0.0.0/90", "10.0.0.0/-1"} {
		if _, err := ParseAllowList([]string{bad}); ErrorCode(err) != Invalid {
			t.Errorf("%q: %v, want invalid", bad, err)
		}
	}
	many := make([]string, MaxAllowedIPs+1)
	for i := range many {
		many[i] = netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}).String()
	}
	if _, err := ParseAllowList(many); ErrorCode(err) != Invalid {
		t.Errorf("%d entries: %v", len(many), err)
	}
	if l, err := ParseAllowList(nil); err != nil || l == nil || len(l) != 0 {
		t.Errorf("no entries: %v %v, want an empty list (an update's clear)", l, err)
	}
}

func TestAllowListJSON(t *testing.T) {
	var k Key
	if b, _ := json.Marshal(&k); !strings.Contains(string(b), `"allowed_ips":null`) || !strings.Contains(string(b), `"rate_limit":null`) {
		t.Errorf("no policies: %s", b)
	}
	var req UpdateRequest
	if err := json.Unmarshal([]byte(`{"allowed_ips":[],"rate_limit":""}`), &req); err != nil || req.AllowedIPs == nil || len(*req.AllowedIPs) != 0 || req.RateLimit == nil || !req.RateLimit.IsZero() {
		t.Errorf("clears: %+v %v", req, err)
	}
	if b, _ := json.Marshal(req); string(b) != `{"allowed_ips":[],"rate_limit":""}` {
		t.Errorf("clears as sent: %s", b)
	}
	if err := json.Unmarshal([]byte(`{"allowed_ips":["10.1.2.3/8"]}`), &req); ErrorCode(err) != Invalid {
		t.Errorf("host bits through JSON: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"allowed_ips":"10.0.0.0/8"}`), &req); ErrorCode(err) != Invalid {
		t.Errorf("a string for a list: %v", err)
	}
}

func TestParseRateLimit(t *testing.T) {
	for in, want := range map[string]string{"100/1s": "100/1s", "100/s": "100/1s", "5000/1h": "5000/1h", "5000/60m": "5000/1h", "10/90s": "10/90s", "1/30d": "1/30d", "7/1500ms": "7/1.5s"} {
		r, err := ParseRateLimit(in)
		if err != nil || r.String() != want {
			t.Errorf("%q: %v %v, want %s", in, r, err, want)
		}
	}
	for _, bad := range []string{"100", "/1s", "0/1s", "-1/1s", "+1/1s", "1.5/1s", "10/500ms", "10/31d", "1000000001/1s", "10/", "10/x", "a/1s"} {
		if _, err := ParseRateLimit(bad); ErrorCode(err) != Invalid {
			t.Errorf("%q: %v, want invalid", bad, err)
		}
	}
	if r, err := ParseRateLimit(""); err != nil || !r.IsZero() {
		t.Errorf(`"": %v %v, want none`, r, err)
	}
	r := RateLimit{N: 3, Per: time.Second}
	if r.Interval() != 333_333_334 || r.Share(2).N != 2 || r.Share(3).N != 1 || r.Share(1) != r {
		t.Errorf("interval %v, shares %v %v", r.Interval(), r.Share(2), r.Share(3))
	}
}

// IP_NOT_ALLOWED comes after EXPIRED and before INSUFFICIENT_PERMISSIONS.
func TestEvaluateAllowList(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	l, _ := ParseAllowList([]string{"192.0.2.0/24"})
	k := &Key{ID: "key_x", Name: "x", Type: Secret, Enabled: true, Grants: []Grant{{"/acme", Viewer}}, AllowedIPs: l}
	in, out := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.1")
	admin, globex := Admin, Resource("/globex")
	for _, c := range []struct {
		what string
		ip   netip.Addr
		res  *Resource
		role *Role
		key  func(Key) Key
		want VerifyCode
	}{
		{"inside", in, nil, nil, nil, CodeValid},
		{"outside", out, nil, nil, nil, CodeIPNotAllowed},
		{"not known", netip.Addr{}, nil, nil, nil, CodeIPNotAllowed},
		{"ipv4-mapped inside", netip.MustParseAddr("::ffff:192.0.2.1"), nil, nil, nil, CodeValid},
		{"outside, rights lacking", out, &globex, &admin, nil, CodeIPNotAllowed},
		{"inside, rights lacking", in, &globex, nil, nil, CodeInsufficientPermissions},
		{"outside, disabled", out, nil, nil, func(k Key) Key { k.Enabled = false; return k }, CodeDisabled},
		{"outside, expired", out, nil, nil, func(k Key) Key { e := now.Add(-time.Second); k.ExpiresAt = &e; return k }, CodeExpired},
		{"empty list: anywhere", netip.Addr{}, nil, nil, func(k Key) Key { k.AllowedIPs = AllowList{}; return k }, CodeValid},
	} {
		kk := *k
		if c.key != nil {
			kk = c.key(kk)
		}
		if got := Evaluate(&kk, false, now, c.res, c.role, c.ip); got.Code != c.want {
			t.Errorf("%s: %s, want %s", c.what, got.Code, c.want)
		}
	}
}
