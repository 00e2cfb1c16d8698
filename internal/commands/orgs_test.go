package commands

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// The JSON of orgs create, get and list is a contract: pinned by golden
// files, as the keys' are.
func TestGoldenOrgsJSON(t *testing.T) {
	c := newCLITest(t)
	c.clock = newStepClock(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	g := newGolden(t)
	g.assert(c.ok("orgs create acme -o json"), "orgs_create.json")
	c.create("ci --resource /beta/prod") // beta: made implicitly, no default key
	g.assert(c.ok("orgs get /acme -o json"), "orgs_get.json")
	g.assert(c.ok("orgs list -o json"), "orgs_list.json")
	g.assert(c.ok("orgs delete beta --with-keys --yes -o json"), "orgs_delete.json")
}

func TestOrgsCreate(t *testing.T) {
	c := newCLITest(t)
	secret := strings.TrimSpace(c.ok("orgs create acme --default-type secret --default-role admin -q"))
	if !strings.HasPrefix(secret, "sk_") || strings.Contains(secret, "\n") {
		t.Fatalf("-q printed %q, want the secret alone", secret)
	}
	var k keys.Key
	if err := json.Unmarshal([]byte(c.ok("keys get acme/default -o json")), &k); err != nil || !k.Default || k.Type != keys.Secret {
		t.Fatalf("default key: %+v %v", k, err)
	}
	for line, code := range map[string]int{
		"orgs create acme":  5, // exists
		"orgs create /acme": 5,
		"orgs create globex --default-type public --default-role admin": 2,
		"orgs create globex --default-type root":                        2,
		"orgs create a/b":                                               2,
		"orgs create /":                                                 2,
		"orgs create":                                                   2,
	} {
		if r := c.run(line); r.code != code || strings.Count(r.err, "\n") != 1 {
			t.Errorf("%s: exit %d, want %d; stderr %q", line, r.code, code, r.err)
		}
	}
	// The table shows the org, then the key with its secret, and warns.
	r := c.run("orgs create globex")
	if r.code != 0 || !strings.Contains(r.out, "DEFAULT KEY") || !strings.Contains(r.out, "SECRET       pk_") || !strings.Contains(r.err, "will not be shown again") {
		t.Fatalf("orgs create table: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
}

func TestOrgsGetListDelete(t *testing.T) {
	c := newCLITest(t)
	c.ok("orgs create acme")
	c.create("ci --resource /beta/prod")
	if out := c.ok("orgs get beta"); !strings.Contains(out, "DEFAULT KEY   none") || !strings.Contains(out, "KEYS          1") {
		t.Fatalf("orgs get of an implicit org:\n%s", out)
	}
	out := c.ok("orgs list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") || !strings.Contains(lines[1], "/acme") ||
		!strings.Contains(lines[1], " pk_") || !strings.Contains(lines[2], "/beta") || !strings.Contains(lines[2], "none") {
		t.Fatalf("orgs list:\n%s", out)
	}
	if r := c.run("orgs list --limit 1"); r.code != 0 || !strings.Contains(r.err, "showing first 1 organization;") {
		t.Fatalf("orgs list --limit 1: %d %q", r.code, r.err)
	}
	if r := c.run("orgs get nope"); r.code != 3 {
		t.Fatalf("orgs get nope: exit %d", r.code)
	}
	if r := c.run("orgs delete beta"); r.code != 2 || !strings.Contains(r.err, "--yes") {
		t.Fatalf("delete without --yes off a terminal: exit %d %q", r.code, r.err)
	}
	if r := c.run("orgs delete beta --yes"); r.code != 5 || !strings.Contains(r.err, "--with-keys") {
		t.Fatalf("delete with keys left: exit %d %q", r.code, r.err)
	}
	if out := c.ok("orgs delete beta --with-keys --yes"); out != "deleted organization /beta and its 1 key\n" {
		t.Fatalf("delete said %q", out)
	}
	if r := c.run("keys get ci"); r.code != 3 {
		t.Fatalf("a key deleted with its org: exit %d", r.code)
	}
	if r := c.run("orgs delete nope --yes"); r.code != 3 {
		t.Fatalf("delete nope: exit %d", r.code)
	}
	// Reading never creates a database.
	c2 := newCLITest(t)
	if r := c2.run("orgs list"); r.code != 2 {
		t.Fatalf("orgs list on a missing database: exit %d %q", r.code, r.err)
	}
}

func TestCompleteOrgNames(t *testing.T) {
	c := newCLITest(t)
	c.ok("orgs create acme")
	c.create("ci --resource /beta/prod")
	for _, verb := range []string{"get", "delete"} {
		got, _ := c.complete("orgs", verb, "")
		assertCandidates(t, verb, got, "acme", "beta")
	}
	got, _ := c.complete("orgs", "get", "/a")
	assertCandidates(t, "get /a", got, "/acme")
	got, _ = c.complete("orgs", "get", "acme", "")
	assertCandidates(t, "a second NAME", got)
}

// Over a server the same commands work, and the table still shows the
// default key's start (an org's JSON names the key by id only).
func TestOrgsOverAServer(t *testing.T) {
	r := newRemoteTest(t)
	t.Setenv("KEYWARD_TOKEN", r.root.Secret)
	secret := strings.TrimSpace(r.want(r.kw("", "--server", r.url, "orgs", "create", "acme", "-q"), 0, "orgs create").out)
	out := r.want(r.kw("", "--server", r.url, "orgs", "list"), 0, "orgs list").out
	if !strings.Contains(out, "/acme") || !strings.Contains(out, " "+secret[:7]) {
		t.Fatalf("orgs list over a server shows no start %q:\n%s", secret[:7], out)
	}
	if out := r.want(r.kw("", "--server", r.url, "orgs", "get", "/acme"), 0, "orgs get").out; !strings.Contains(out, "("+secret[:7]+")") {
		t.Fatalf("orgs get over a server:\n%s", out)
	}
	r.want(r.kw("", "--server", r.url, "orgs", "create", "acme"), 5, "orgs create again")
	r.want(r.kw("", "--server", r.url, "orgs", "delete", "acme", "--yes"), 5, "orgs delete with keys")
	r.want(r.kw("", "--server", r.url, "orgs", "delete", "acme", "--yes", "--with-keys"), 0, "orgs delete --with-keys")
	r.want(r.kw("", "--server", r.url, "orgs", "get", "acme"), 3, "orgs get after delete")
}

func TestOrgsDeleteAsksOnTerminal(t *testing.T) {
	c := newCLITest(t)
	c.ok("orgs create acme")
	ctx, svc := c.openStore()
	for _, tc := range []struct {
		answer  string
		deleted bool
	}{{"n\n", false}, {"y\n", true}} {
		ios, in, out, errOut := iostreams.Test()
		ios.SetTTY(true, true)
		in.WriteString(tc.answer)
		cmd := NewCmdOrgDelete(&Factory{IO: ios}, func(o *OrgDeleteOptions) error {
			o.Service = func() (keys.Service, error) { return svc, nil }
			o.Printer = output.New(output.Options{Format: output.JSON})
			return orgDeleteRun(ctx, o)
		})
		cmd.SetArgs([]string{"acme", "--with-keys"})
		err := cmd.Execute()
		if want := "Delete organization /acme and its key? It stops working at once. [y/N] "; errOut.String() != want {
			t.Errorf("prompt = %q, want %q", errOut.String(), want)
		}
		_, getErr := svc.GetOrg(ctx, "acme")
		if gone := keys.ErrorCode(getErr) == keys.NotFound; gone != tc.deleted {
			t.Fatalf("answer %q: deleted = %v, err %v", tc.answer, gone, err)
		}
		if tc.deleted && (err != nil || !strings.Contains(out.String(), `"name": "/acme"`)) {
			t.Fatalf("delete: %v, out %q", err, out)
		}
		if !tc.deleted && ExitCode(err) == 0 {
			t.Fatal("a declined delete must not exit 0")
		}
	}
}

func TestOrgsDeleteRefusesBeforeAsking(t *testing.T) {
	c := newCLITest(t)
	c.ok("orgs create acme")
	ctx, svc := c.openStore()
	ios, in, _, errOut := iostreams.Test()
	ios.SetTTY(true, true)
	in.WriteString("y\n")
	cmd := NewCmdOrgDelete(&Factory{IO: ios}, func(o *OrgDeleteOptions) error {
		o.Service = func() (keys.Service, error) { return svc, nil }
		o.Printer = output.New(output.Options{Format: output.JSON})
		return orgDeleteRun(ctx, o)
	})
	cmd.SetArgs([]string{"acme"})
	err := cmd.Execute()
	if ExitCode(err) != 5 || strings.Contains(errOut.String(), "[y/N]") {
		t.Fatalf("delete of an org with keys: exit %d, asked %q", ExitCode(err), errOut.String())
	}
	// Its only key is its default key: the refusal says so, and why.
	if msg := keys.ErrorMessage(err); !strings.Contains(msg, "its default key key_") || !strings.Contains(msg, "--with-keys") {
		t.Fatalf("refusal: %q", msg)
	}
}
