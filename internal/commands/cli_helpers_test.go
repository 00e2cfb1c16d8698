package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/testenv"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/")

// cliTest is one isolated keyward: a real SQLite file in a temp dir, HOME
// and XDG folders of its own and no KEYWARD_* from the environment.
type cliTest struct {
	t     *testing.T
	db    string
	clock *stepClock // nil: the machine's
}

// stepClock is a fixed time that each command line of a cliTest moves one
// second on: times in its output are the same on every run, and in order.
type stepClock struct{ unix atomic.Int64 }

func newStepClock(start time.Time) *stepClock {
	c := &stepClock{}
	c.unix.Store(start.Unix())
	return c
}

func (c *stepClock) Now() time.Time { return time.Unix(c.unix.Load(), 0).UTC() }
func (c *stepClock) step()          { c.unix.Add(1) }

func newCLITest(t *testing.T) *cliTest {
	t.Helper()
	dir := t.TempDir()
	testenv.Isolate(t, dir)
	return &cliTest{t: t, db: filepath.Join(dir, "keys.db")}
}

type cliResult struct {
	code     int
	out, err string
}

// runIn executes a keyward command line (split on spaces; ” is an empty
// argument) against the test's database, with stdin.
func (c *cliTest) runIn(stdin string, line string) cliResult {
	c.t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	args := []string{"--db", c.db}
	for _, a := range strings.Fields(line) {
		if a == "''" {
			a = "" // an empty argument, as a shell passes "$UNSET"
		}
		args = append(args, a)
	}
	var code int
	if c.clock == nil {
		code = Run(context.Background(), ios, args)
	} else {
		code = c.runClocked(ios, args)
	}
	return cliResult{code: code, out: out.String(), err: errOut.String()}
}

// runClocked runs a command line on the test's clock, through the
// factory's hooks: its Now, and a Service that opens the database as
// --db would, with the clock (closed when the command is done, as the
// CLI closes its own).
func (c *cliTest) runClocked(ios *iostreams.IOStreams, args []string) int {
	c.clock.step()
	f := NewFactory(ios)
	f.Now = c.clock.Now
	var opened []*store.Store
	f.Service = func() (keys.Service, error) {
		s, err := store.Open(context.Background(), c.db, store.Options{Now: c.clock.Now})
		if err != nil {
			return nil, err
		}
		opened = append(opened, s)
		return keys.ActAs(s, keys.LocalPrincipal(osUser())), nil
	}
	code := RunFactory(context.Background(), f, args)
	for _, s := range opened {
		s.Close()
	}
	return code
}

func (c *cliTest) run(line string) cliResult { c.t.Helper(); return c.runIn("", line) }

// ok runs line and fails the test unless it exits 0.
func (c *cliTest) ok(line string) string {
	c.t.Helper()
	r := c.run(line)
	if r.code != 0 {
		c.t.Fatalf("keyward %s: exit %d, stderr %q", line, r.code, r.err)
	}
	return r.out
}

// usageError runs line and fails the test unless it is a usage error:
// exit 2, one "error: " line on stderr, nothing on stdout.
func (c *cliTest) usageError(line string) {
	c.t.Helper()
	r := c.run(line)
	if r.code != ExitUsage {
		c.t.Errorf("keyward %s: exit %d (want 2), stderr %q", line, r.code, r.err)
		return
	}
	if strings.Count(r.err, "\n") != 1 || !strings.HasPrefix(r.err, "error: ") || strings.Contains(r.err, "goroutine") {
		c.t.Errorf("keyward %s: stderr is not one error line: %q", line, r.err)
	}
	if r.out != "" {
		c.t.Errorf("keyward %s: stdout %q", line, r.out)
	}
}

// create makes a key and returns it with its secret.
func (c *cliTest) create(line string) *keys.NewSecretKey {
	c.t.Helper()
	var k keys.NewSecretKey
	if err := json.Unmarshal([]byte(c.ok("keys create "+line+" -o json")), &k); err != nil {
		c.t.Fatalf("create %s: %v", line, err)
	}
	return &k
}

// openStore opens the test's database directly, as the local principal.
func (c *cliTest) openStore() (context.Context, *store.Store) {
	c.t.Helper()
	s, err := store.Open(context.Background(), c.db, store.Options{})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { s.Close() })
	return keys.WithPrincipal(context.Background(), keys.LocalPrincipal("tester")), s
}

// makeDB creates the test's database, empty, as a first change would:
// reading commands never create one.
func (c *cliTest) makeDB() {
	c.t.Helper()
	s, err := store.Open(context.Background(), c.db, store.Options{})
	if err != nil {
		c.t.Fatal(err)
	}
	s.Close()
}

// golden turns command output into the text of a golden file. What a
// test can pin (times, by a fixed clock; the local user; audit ids) is
// compared as it is. What is random is replaced, after a check of its
// form, by a placeholder numbered on first sight for the whole test: the
// same key's id is the same "<key 1>" in every file, so a golden file
// still says which key a field names.
type golden struct {
	t     *testing.T
	seen  map[string]string // random value → its placeholder
	count map[string]int    // placeholders given per kind
}

func newGolden(t *testing.T) *golden {
	return &golden{t: t, seen: map[string]string{}, count: map[string]int{}}
}

var (
	keyIDForm     = regexp.MustCompile(`^key_[0-9A-Za-z]{16}$`)
	accountIDForm = regexp.MustCompile(`^acc_[0-9A-Za-z]{16}$`)
	secretForm    = regexp.MustCompile(`^[a-z0-9_]{1,20}_[0-9A-Za-z]{38}$`)
	startForm     = regexp.MustCompile(`^[a-z0-9_]{1,20}_[0-9A-Za-z]{4}$`)
)

// placeholder is what the golden file holds for field's value v (a JSON
// string), or "" when v is compared as it is.
func (g *golden) placeholder(field, v string) string {
	g.t.Helper()
	var kind string
	var form *regexp.Regexp
	switch field {
	case "id", "key_id", "account_id", "default_key_id":
		kind, form = "key", keyIDForm
		if strings.HasPrefix(v, accountIDPrefix) {
			kind, form = "account", accountIDForm
		}
	case "secret":
		kind, form = "secret", secretForm
	case "start":
		kind, form = "start", startForm
	case "go_version":
		return g.known(field, v, runtime.Version())
	case "platform":
		return g.known(field, v, runtime.GOOS+"/"+runtime.GOARCH)
	case "commit":
		return "<commit>" // the build's, if it has one
	case "version":
		return g.known(field, v, Version) // 0.0.0-dev+<commit> in a test binary
	case "created_by", "actor":
		if v == "local:"+osUser() {
			return "local:<os user>"
		}
		return ""
	default:
		return ""
	}
	if !form.MatchString(v) {
		g.t.Errorf("%s %q is not of the form %s", field, v, form)
	}
	if p, ok := g.seen[v]; ok {
		return p
	}
	g.count[kind]++
	p := fmt.Sprintf("<%s %d>", kind, g.count[kind])
	g.seen[v] = p
	return p
}

// known is the placeholder of a value that depends on the machine running
// the test: it must be want.
func (g *golden) known(field, v, want string) string {
	g.t.Helper()
	if v != want {
		g.t.Errorf("%s = %q, want %q", field, v, want)
	}
	return "<" + field + ">"
}

// write re-indents one JSON value from dec, keeping the order of fields,
// with every random string replaced by its placeholder.
func (g *golden) write(dec *json.Decoder, buf *bytes.Buffer, field, indent string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		buf.WriteString("{")
		n := 0
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			k := kt.(string)
			if n > 0 {
				buf.WriteString(",")
			}
			n++
			buf.WriteString("\n" + indent + "  " + quote(k) + ": ")
			if err := g.write(dec, buf, k, indent+"  "); err != nil {
				return err
			}
		}
		dec.Token()
		if n > 0 {
			buf.WriteString("\n" + indent)
		}
		buf.WriteString("}")
	case json.Delim('['):
		buf.WriteString("[")
		n := 0
		for dec.More() {
			if n > 0 {
				buf.WriteString(",")
			}
			n++
			buf.WriteString("\n" + indent + "  ")
			if err := g.write(dec, buf, field, indent+"  "); err != nil {
				return err
			}
		}
		dec.Token()
		if n > 0 {
			buf.WriteString("\n" + indent)
		}
		buf.WriteString("]")
	case nil:
		buf.WriteString("null")
	default:
		switch v := tok.(type) {
		case string:
			if p := g.placeholder(field, v); p != "" {
				v = p
			}
			buf.WriteString(quote(v))
		case bool:
			fmt.Fprint(buf, v)
		case json.Number:
			buf.WriteString(v.String())
		case float64:
			fmt.Fprint(buf, v)
		}
	}
	return nil
}

func quote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// assert compares JSON output (one document, or JSON lines for a .jsonl
// name) with testdata/<name> after replacing random values; -update
// rewrites it. JSON lines stay one compact value a line in the file.
func (g *golden) assert(got, name string) {
	t := g.t
	t.Helper()
	lines := strings.HasSuffix(name, ".jsonl")
	if lines {
		for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
			if !json.Valid([]byte(l)) {
				t.Fatalf("%s: a line is not a JSON value of its own: %q", name, l)
			}
		}
	}
	var buf bytes.Buffer
	dec := json.NewDecoder(strings.NewReader(got))
	dec.UseNumber()
	for dec.More() {
		var one bytes.Buffer
		if err := g.write(dec, &one, "", ""); err != nil {
			t.Fatalf("%s: output is not JSON: %v\n%s", name, err, got)
		}
		if lines {
			if err := json.Compact(&buf, one.Bytes()); err != nil {
				t.Fatal(err)
			}
		} else {
			buf.Write(one.Bytes())
		}
		buf.WriteByte('\n')
	}
	path := filepath.Join("..", "..", "testdata", name)
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/commands -run Golden -update)", err)
	}
	if !bytes.Equal(want, buf.Bytes()) {
		t.Errorf("%s differs from the golden file (go test ./internal/commands -run Golden -update):\n--- want\n%s\n--- got\n%s", name, want, buf.Bytes())
	}
}
