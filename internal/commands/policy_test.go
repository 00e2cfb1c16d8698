package commands

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

func TestKeyPoliciesOnTheCommandLine(t *testing.T) {
	c := newCLITest(t)
	k := c.create("partner --resource /acme/api --allow-ip 203.0.113.0/24 --allow-ip 192.0.2.7 --allow-ip ::ffff:10.0.0.0/104 --rate-limit 100/s")
	if got := strings.Join(k.AllowedIPs.Strings(), " "); got != "10.0.0.0/8 192.0.2.7/32 203.0.113.0/24" {
		t.Errorf("allowed_ips = %s", got)
	}
	if k.RateLimit == nil || k.RateLimit.String() != "100/1s" {
		t.Errorf("rate_limit = %v, want 100/1s", k.RateLimit)
	}
	// The table shows them.
	if out := c.ok("keys get partner"); !strings.Contains(out, "ALLOWED IPS") || !strings.Contains(out, "203.0.113.0/24") || !strings.Contains(out, "100/1s") {
		t.Errorf("keys get table lacks the policies:\n%s", out)
	}

	// verify --ip: inside, outside, none; exit 7 unless VALID.
	var res keys.VerifyResult
	r := c.runIn(k.Secret, "keys verify --ip 203.0.113.50 -o json")
	if err := json.Unmarshal([]byte(r.out), &res); r.code != 0 || err != nil || res.Code != keys.CodeValid || res.RateLimit == nil || res.RateLimit.String() != "100/1s" {
		t.Fatalf("verify from inside: exit %d, %s", r.code, r.out)
	}
	for _, ip := range []string{"--ip 198.51.100.1", ""} {
		r := c.runIn(k.Secret, "keys verify -o json "+ip)
		if r.code != ExitNotValid || !strings.Contains(r.out, `"IP_NOT_ALLOWED"`) {
			t.Errorf("verify %q: exit %d, %s; want 7 and IP_NOT_ALLOWED", ip, r.code, r.out)
		}
	}
	// --db reports the limit but does not count: far past 100 at once.
	for range 120 {
		if r := c.runIn(k.Secret, "keys verify --ip 203.0.113.50"); r.code != 0 {
			t.Fatalf("verify --db counted against the limit: exit %d %s", r.code, r.out)
		}
	}

	// update replaces; '' and --clear-* remove.
	var u keys.Key
	json.Unmarshal([]byte(c.ok("keys update partner --allow-ip 2001:db8::/32 --rate-limit 5000/1h -o json")), &u)
	if strings.Join(u.AllowedIPs.Strings(), " ") != "2001:db8::/32" || u.RateLimit == nil || u.RateLimit.String() != "5000/1h" {
		t.Fatalf("updated: %+v", u)
	}
	json.Unmarshal([]byte(c.ok("keys update partner --allow-ip '' -o json")), &u)
	if u.AllowedIPs != nil || u.RateLimit == nil {
		t.Fatalf("after --allow-ip '': %+v", u)
	}
	json.Unmarshal([]byte(c.ok("keys update partner --rate-limit '' --allow-ip 10.0.0.1 -o json")), &u)
	if u.RateLimit != nil || len(u.AllowedIPs) != 1 {
		t.Fatalf("after --rate-limit '': %+v", u)
	}
	out := c.ok("keys update partner --clear-allow-ip --clear-rate-limit -o json")
	if !strings.Contains(out, `"allowed_ips": null`) || !strings.Contains(out, `"rate_limit": null`) {
		t.Fatalf("after --clear-*: %s", out)
	}
	if r := c.runIn(k.Secret, "keys verify"); r.code != 0 {
		t.Errorf("verify without an allow-list: exit %d", r.code)
	}
}

func TestKeyPoliciesRefuseBadInput(t *testing.T) {
	c := newCLITest(t)
	c.create("k --resource /acme")
	for _, line := range []string{
		"keys create bad --resource /acme --allow-ip 10.1.2.3/8",
		"keys create bad --resource /acme --allow-ip nonsense",
		"keys create bad --resource /acme --allow-ip 10.0.0.0/33",
		"keys create bad --resource /acme --allow-ip fe80::1%eth0",
		"keys create bad --resource /acme --allow-ip '' --allow-ip 10.0.0.1",
		"keys create bad --resource /acme --rate-limit 100",
		"keys create bad --resource /acme --rate-limit 0/1s",
		"keys create bad --resource /acme --rate-limit -5/1s",
		"keys create bad --resource /acme --rate-limit 10/500ms",
		"keys create bad --resource /acme --rate-limit 10/1y",
		"keys create bad --resource /acme --rate-limit 10/60d",
		"keys create bad --resource /acme --rate-limit 1000000001/1s",
		"keys create bad --resource /acme --clear-rate-limit",
		"keys update k --allow-ip 10.0.0.1 --clear-allow-ip",
		"keys update k --rate-limit 1/s --clear-rate-limit",
		"keys update k --allow-ip 10.1.2.3/8",
		"keys verify --ip 10.0.0",
		"serve --trusted-proxy 10.1.2.3/8",
		"serve --trusted-proxy nonsense",
		"serve --rate-limit-share 0",
	} {
		r := c.runIn("sk_x", line)
		if r.code != ExitUsage || strings.Count(strings.TrimSpace(r.err), "\n") > 20 {
			t.Errorf("%s: exit %d, stderr %q; want 2", line, r.code, r.err)
		}
	}
	if r := c.run("keys get bad"); r.code != ExitNotFound {
		t.Errorf("a refused create made a key: exit %d", r.code)
	}
}
