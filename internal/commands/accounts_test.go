package commands

import (
	"strings"
	"testing"
	"time"
)

// The JSON of accounts, of a key of an account and of its verification
// are a contract too.
func TestGoldenAccountsJSON(t *testing.T) {
	c := newCLITest(t)
	c.clock = newStepClock(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	g := newGolden(t)
	g.assert(c.ok("accounts create deployer --resource /acme/prod --role editor -o json"), "accounts_create.json")
	created := c.run("keys create deployer-gh --account deployer --ttl 30d -o json")
	if created.code != 0 {
		t.Fatalf("create: %d %s", created.code, created.err)
	}
	g.assert(created.out, "account_key.json")
	secret := c.create("deployer-gl --account acme/deployer").Secret
	c.ok("accounts create readers --resource /acme --resource /acme/docs")
	g.assert(c.ok("accounts get deployer -o json"), "accounts_get.json")
	g.assert(c.ok("accounts list -o json"), "accounts_list.json")
	g.assert(c.ok("accounts grant deployer /acme/dev -o json"), "accounts_grant.json")
	v := c.runIn(secret, "keys verify --resource /acme/dev -o json")
	if v.code != 0 {
		t.Fatalf("verify: exit %d %s", v.code, v.err)
	}
	g.assert(v.out, "account_verify.json")
	c.ok("keys delete deployer-gh deployer-gl --yes")
	g.assert(c.ok("accounts delete deployer --yes -o json"), "accounts_delete.json")
}

func TestAccountsUsageErrors(t *testing.T) {
	c := newCLITest(t)
	c.ok("accounts create ci --resource /acme")
	for _, line := range []string{
		"accounts create",
		"accounts create a --resource acme",
		"accounts create a --resource /acme --role god",
		"accounts create a --resource /acme --resource /globex",
		"accounts create acc_x --resource /acme",
		"accounts get",
		"accounts list extra",
		"accounts list --limit -1",
		"accounts delete ci",
		"accounts grant ci",
		"accounts grant ci /acme --role boss",
		"accounts ungrant ci",
		"accounts nope",
		// A key holds its account's grants or its own, never both.
		"keys create k --account ci --resource /acme",
		"keys create k --account ci --role editor",
		"keys create k --account ''",
	} {
		c.usageError(line)
	}
}

// accounts list pages as keys list does: --limit (default 100, 0 for all)
// and a line on stderr when more exist than were shown.
func TestAccountsListLimit(t *testing.T) {
	c := newCLITest(t)
	for _, name := range []string{"b", "a", "c"} {
		c.ok("accounts create " + name + " --resource /acme")
	}
	r := c.run("accounts list --limit 2 -o jsonl")
	if r.code != 0 || strings.Count(r.out, "\n") != 2 || !strings.Contains(r.out, `"name":"a"`) ||
		!strings.Contains(r.out, `"name":"b"`) || r.err != "showing first 2 service accounts; use --limit 0 for all\n" {
		t.Fatalf("accounts list --limit 2: %d %q %q", r.code, r.out, r.err)
	}
	if r := c.run("accounts list --limit 0 -o jsonl"); r.code != 0 || strings.Count(r.out, "\n") != 3 || r.err != "" {
		t.Fatalf("accounts list --limit 0: %d %q %q", r.code, r.out, r.err)
	}
	if r := c.run("accounts list --limit 3 -o jsonl"); r.code != 0 || strings.Count(r.out, "\n") != 3 || r.err != "" {
		t.Fatalf("accounts list --limit 3: %d %q %q", r.code, r.out, r.err)
	}
}

// keys list --account keeps the account's keys; an unknown account is
// exit 3, not an empty list.
func TestKeysListAccount(t *testing.T) {
	c := newCLITest(t)
	c.ok("accounts create deployer --resource /acme/prod")
	c.ok("keys create gh --account deployer -q")
	c.ok("keys create gl --account acme/deployer -q")
	c.create("plain --resource /acme/prod")
	out := c.ok("keys list --account deployer -o jsonl")
	if strings.Count(out, "\n") != 2 || !strings.Contains(out, `"name":"gh"`) || !strings.Contains(out, `"name":"gl"`) {
		t.Fatalf("keys list --account deployer:\n%s", out)
	}
	if r := c.run("keys list --account nope"); r.code != 3 || !strings.Contains(r.err, `service account "nope" not found`) {
		t.Fatalf("keys list --account nope: %d %q", r.code, r.err)
	}
}

func TestAccountsRulesAsExitCodes(t *testing.T) {
	c := newCLITest(t)
	c.ok("accounts create writers --resource /acme/prod --role editor")
	c.ok("accounts create apps --resource /acme/web")
	c.create("w1 --account writers")
	c.create("web --account apps --type public")
	for _, tc := range []struct {
		line, says string
		code       int
	}{
		{"accounts create writers --resource /acme", "already exists", 5},
		{"accounts get nope", "not found", 3},
		{"keys create x --account nope", "not found", 3},
		{"accounts delete writers --yes", "still has 1 key", 5},
		{"accounts ungrant writers /acme/prod", "last grant", 5},
		{"accounts grant writers /globex", "stay", 2},
		{"keys grant w1 /acme/dev", "accounts grant", 2},
		{"keys ungrant w1 /acme/prod", "accounts grant", 2},
		{"keys create p --account writers --type public", "at most viewer", 2},
		{"accounts grant apps /acme/web --role editor", "public key", 2},
	} {
		r := c.run(tc.line)
		if r.code != tc.code || !strings.Contains(r.err, tc.says) {
			t.Errorf("keyward %s: exit %d, stderr %q; want exit %d saying %q", tc.line, r.code, r.err, tc.code, tc.says)
		}
	}
	// The table shows a key's account, and the account its keys.
	if out := c.ok("keys get w1"); !strings.Contains(out, "ACCOUNT") || !strings.Contains(out, "writers") {
		t.Errorf("keys get of an account's key:\n%s", out)
	}
	if out := c.ok("accounts list"); !strings.Contains(out, "writers") || !strings.Contains(out, "KEYS") {
		t.Errorf("accounts list:\n%s", out)
	}
	if r := c.run("accounts delete apps --yes"); r.code != 5 {
		t.Errorf("delete of an account with a public key: exit %d", r.code)
	}
	c.ok("keys delete web --yes")
	if out := c.ok("accounts delete apps --yes"); !strings.HasPrefix(out, "deleted service account apps (acc_") {
		t.Errorf("accounts delete said %q", out)
	}
}

func TestCompleteAccountNames(t *testing.T) {
	c := newCLITest(t)
	c.ok("accounts create deployer --resource /acme/prod --role editor --resource /acme/dev")
	c.ok("accounts create ci --resource /acme")
	c.ok("accounts create ci --resource /other")
	for _, verb := range []string{"get", "delete", "grant", "ungrant"} {
		got, dir := c.complete("accounts", verb, "")
		assertCandidates(t, verb, got, "deployer", "acme/ci", "other/ci")
		if dir != ":4" {
			t.Errorf("%s: directive %s, want :4", verb, dir)
		}
	}
	got, _ := c.complete("accounts", "get", "acme/")
	assertCandidates(t, "get acme/", got, "acme/ci", "acme/deployer")
	got, _ = c.complete("keys", "create", "k", "--account", "d")
	assertCandidates(t, "keys create --account d", got, "deployer")
	got, _ = c.complete("accounts", "ungrant", "deployer", "")
	assertCandidates(t, "ungrant deployer", got, "/acme/dev", "/acme/prod")
	got, _ = c.complete("accounts", "get", "acc_")
	if len(got) != 3 {
		t.Errorf("get acc_: candidates %q, want the three ids", got)
	}
}
