package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/store"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/")

// cliTest is one isolated keyward: a real SQLite file in a temp dir, HOME
// and XDG folders of its own and no KEYWARD_* from the environment.
type cliTest struct {
	t  *testing.T
	db string
}

func newCLITest(t *testing.T) *cliTest {
	t.Helper()
	dir := t.TempDir()
	isolateEnv(t, dir)
	return &cliTest{t: t, db: filepath.Join(dir, "keys.db")}
}

// isolateEnv points HOME and XDG at dir and clears KEYWARD_* and NO_COLOR.
func isolateEnv(t *testing.T, dir string) {
	t.Helper()
	t.Setenv("HOME", filepath.Join(dir, "home"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "KEYWARD_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
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
	code := Run(context.Background(), ios, args)
	return cliResult{code: code, out: out.String(), err: errOut.String()}
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

// maskedFields are replaced in golden files: they differ on every run.
// Audit details belong to the store and are not part of the pinned shape.
var maskedFields = map[string]bool{
	"id": true, "key_id": true, "secret": true, "start": true, "created_at": true, "expires_at": true,
	"previous_expires_at": true, "last_used_at": true, "at": true, "created_by": true, "actor": true,
	"commit": true, "go_version": true, "platform": true, "details": true, "message": true,
}

// maskJSON re-indents one JSON value from dec, keeping the order of
// fields, with every non-null masked field replaced by "<name>".
func maskJSON(dec *json.Decoder, buf *bytes.Buffer, indent string) error {
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
			if maskedFields[k] {
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return err
				}
				if string(raw) == "null" {
					buf.WriteString("null")
				} else {
					buf.WriteString(quote("<" + k + ">"))
				}
				continue
			}
			if err := maskJSON(dec, buf, indent+"  "); err != nil {
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
			if err := maskJSON(dec, buf, indent+"  "); err != nil {
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

// assertGolden compares JSON output (one document, or JSON lines) with
// testdata/<name> after masking; -update rewrites it.
func assertGolden(t *testing.T, got, name string) {
	t.Helper()
	var buf bytes.Buffer
	dec := json.NewDecoder(strings.NewReader(got))
	dec.UseNumber()
	for dec.More() {
		if err := maskJSON(dec, &buf, ""); err != nil {
			t.Fatalf("%s: output is not JSON: %v\n%s", name, err, got)
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
