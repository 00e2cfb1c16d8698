package commands

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/iostreams"
)

// runOnTerminal runs a command line with stdout a terminal of width
// columns (NO_COLOR, so that lines are measured as shown).
func (c *cliTest) runOnTerminal(width int, line string) cliResult {
	c.t.Helper()
	ios, _, out, errOut := iostreams.Test()
	ios.SetTTY(false, true)
	ios.SetTerminalWidth(width)
	code := Run(context.Background(), ios, append([]string{"--db", c.db}, strings.Fields(line)...))
	return cliResult{code: code, out: out.String(), err: errOut.String()}
}

// keys list fits an 80-column terminal (ids and grants cut with …, a key
// with many grants counted); -o wide and a pipe show everything.
func TestKeysListFitsTerminal(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	c := newCLITest(t)
	c.create("ci-deploy --resource /acme/prod --role editor")
	c.create("web-backend --resource /acme/a --role admin")
	for i := range 7 {
		c.ok(fmt.Sprintf("keys grant web-backend /acme/team-%d --role viewer", i))
	}

	r := c.runOnTerminal(80, "keys list")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	lines := strings.Split(strings.TrimSuffix(r.out, "\n"), "\n")
	if len(lines) != 3 || !strings.Contains(r.out, "key_") || !strings.Contains(r.out, "…   /acme ") || !strings.Contains(r.out, "web-backend   ") {
		t.Fatalf("on an 80-column terminal (ids and grants cut, names whole):\n%s", r.out)
	}
	for _, line := range lines {
		if n := len([]rune(line)); n > 80 {
			t.Errorf("%d columns: %q", n, line)
		}
	}

	r = c.runOnTerminal(200, "keys list")
	if !strings.Contains(r.out, "/acme/a:admin +7") {
		t.Errorf("many grants on a wide terminal:\n%s", r.out)
	}
	for _, line := range []string{"keys list -o wide", "keys list --output=wide"} {
		r = c.runOnTerminal(60, line)
		if r.code != 0 || strings.Contains(r.out, "…") || !strings.Contains(r.out, "/acme/team-6:viewer") {
			t.Errorf("%s: exit %d\n%s%s", line, r.code, r.out, r.err)
		}
	}
	piped := c.ok("keys list")
	if strings.Contains(piped, "…") || !strings.Contains(piped, "/acme/team-6:viewer") {
		t.Errorf("off a terminal:\n%s", piped)
	}
	if wide := c.ok("keys list -o wide"); wide != piped {
		t.Errorf("-o wide off a terminal:\n%s\nwant\n%s", wide, piped)
	}
	if r := c.run("keys list -o wider"); r.code != 2 || !strings.Contains(r.err, "table, wide, json or jsonl") {
		t.Errorf("-o wider: exit %d %q", r.code, r.err)
	}
}
