package commands

import (
	"strings"
	"testing"
	"time"
)

// The JSON field names are a contract (DESIGN.md); these golden files pin
// them, and every value but the random ones (ids, secrets, starts), which
// are numbered (see golden). The clock is fixed.
func TestGoldenJSON(t *testing.T) {
	c := newCLITest(t)
	c.clock = newStepClock(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	g := newGolden(t)
	created := c.run("keys create ci-deploy --resource /acme/prod --role editor --ttl 30d --meta team=platform -o json")
	if created.code != 0 {
		t.Fatalf("create: %d %s", created.code, created.err)
	}
	g.assert(created.out, "create.json")
	secret := c.create("web --resource /acme/web --type public").Secret
	_ = secret

	g.assert(c.ok("keys get ci-deploy -o json"), "get.json")
	g.assert(c.ok("keys list -o json"), "list.json")
	g.assert(c.ok("keys list -o jsonl"), "list.jsonl")
	g.assert(c.ok("keys update ci-deploy --disable --meta team= -o json"), "update.json")
	c.ok("keys update ci-deploy --enable")
	rolled := c.ok("keys roll ci-deploy --grace 1h --yes -o json")
	g.assert(rolled, "roll.json")
	newSecret := c.create("ops --resource /acme --role admin").Secret

	v := c.runIn(newSecret, "keys verify --resource /acme/prod -o json")
	if v.code != 0 {
		t.Fatalf("verify: exit %d %s", v.code, v.err)
	}
	g.assert(v.out, "verify.json")
	v = c.runIn(newSecret, "keys verify --resource /globex -o json")
	if v.code != 7 {
		t.Fatalf("verify outside: exit %d", v.code)
	}
	g.assert(v.out, "verify_insufficient.json")
	v = c.runIn("sk_00000000000000000000000000000000"+"30OBQY", "keys verify -o json")
	if v.code != 7 {
		t.Fatalf("verify unknown: exit %d", v.code)
	}
	g.assert(v.out, "verify_not_found.json")

	g.assert(c.ok("keys grant ci-deploy /acme/dev --role viewer -o json"), "grant.json")
	g.assert(c.ok("keys delete ops web --yes -o json"), "delete.json")
	g.assert(c.ok("audit list -o json"), "audit.json")

	e := c.run("keys get nope -o json")
	if e.code != 3 || e.out != "" || strings.Count(e.err, "\n") != 1 {
		t.Fatalf("get nope: exit %d, out %q, err %q", e.code, e.out, e.err)
	}
	g.assert(e.err, "error.json")
	g.assert(c.ok("version -o json"), "version.json")
}
