package commands

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/testenv"
)

// complete runs `keyward __complete argv...` (what the shell scripts run)
// and returns the candidates (descriptions cut off), the directive line and
// stderr. The last element of argv is the word being completed.
func complete(t *testing.T, argv ...string) (cands []string, directive string, stderr string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	code := Run(context.Background(), ios, append([]string{"__complete"}, argv...))
	if code != 0 {
		t.Fatalf("__complete %q: exit %d, stderr %q", argv, code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	directive = lines[len(lines)-1]
	for _, l := range lines[:len(lines)-1] {
		name, _, _ := strings.Cut(l, "\t")
		cands = append(cands, name)
	}
	return cands, directive, errOut.String()
}

// completeDB is complete against the test's database (--db after
// __complete, as a shell passes it).
func (c *cliTest) complete(argv ...string) ([]string, string) {
	c.t.Helper()
	cands, directive, _ := complete(c.t, append([]string{"--db", c.db}, argv...)...)
	return cands, directive
}

func assertCandidates(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("%s: candidates %q, want %q", what, got, want)
	}
}

// completeKeysFixture: alpha and beta in /acme, two keys named ci (acme,
// other), a root key, and a disabled one.
func completeKeysFixture(t *testing.T) *cliTest {
	c := newCLITest(t)
	c.create("alpha --resource /acme/prod --resource /acme/dev")
	c.create("beta --resource /acme --role admin")
	c.create("ci --resource /acme/prod/robot-1")
	c.create("ci --resource /other/x")
	c.create("boss --resource / --role admin")
	c.create("off --resource /other")
	c.ok("keys update off --disable")
	return c
}

func TestCompleteKeyNames(t *testing.T) {
	c := completeKeysFixture(t)
	for _, verb := range []string{"get", "update", "roll", "delete", "grant", "ungrant"} {
		got, dir := c.complete("keys", verb, "")
		assertCandidates(t, verb, got, "alpha", "beta", "acme/ci", "other/ci", "boss", "off")
		if dir != ":4" { // ShellCompDirectiveNoFileComp
			t.Errorf("%s: directive %s, want :4", verb, dir)
		}
	}
	got, _ := c.complete("keys", "get", "b")
	assertCandidates(t, "get b", got, "beta", "boss")
	got, _ = c.complete("keys", "get", "zz")
	assertCandidates(t, "get zz", got)
	// what is typed is org/name: every key as org/name
	got, _ = c.complete("keys", "get", "acme/")
	assertCandidates(t, "get acme/", got, "acme/alpha", "acme/beta", "acme/ci")
	got, _ = c.complete("keys", "get", "/")
	assertCandidates(t, "get /", got, "/boss")
	// an id
	id := strings.TrimSpace(c.ok("keys get alpha -o json"))
	id = id[strings.Index(id, `"key_`)+1:]
	id = id[:strings.Index(id, `"`)]
	got, _ = c.complete("keys", "get", "key_")
	if !slices.Contains(got, id) || len(got) != 6 {
		t.Errorf("get key_: candidates %q, want the six ids including %s", got, id)
	}
	got, _ = c.complete("keys", "get", id)
	assertCandidates(t, "get "+id, got, id)
}

func TestCompleteDescriptions(t *testing.T) {
	c := completeKeysFixture(t)
	ios, _, out, _ := iostreams.Test()
	Run(context.Background(), ios, []string{"__complete", "--db", c.db, "keys", "get", "o"})
	want := "off\t/other, disabled\n:4\n"
	if out.String() != want {
		t.Fatalf("stdout %q, want %q", out, want)
	}
}

func TestCompleteOnlyAsManyKeysAsTaken(t *testing.T) {
	c := completeKeysFixture(t)
	for _, argv := range [][]string{
		{"keys", "get", "alpha", ""},
		{"keys", "roll", "alpha", "b"},
		{"keys", "update", "alpha", ""},
		{"keys", "grant", "alpha", "/acme", ""},
	} {
		got, dir := c.complete(argv...)
		assertCandidates(t, strings.Join(argv, " "), got)
		if dir != ":4" {
			t.Errorf("%q: directive %s, want :4", argv, dir)
		}
	}
	// delete takes many, each once
	got, _ := c.complete("keys", "delete", "alpha", "acme/ci", "")
	assertCandidates(t, "delete alpha acme/ci", got, "beta", "other/ci", "boss", "off")
	got, _ = c.complete("keys", "rm", "alpha", "b")
	assertCandidates(t, "rm alpha b", got, "beta", "boss")
}

func TestCompleteResources(t *testing.T) {
	c := completeKeysFixture(t)
	all := []string{"/", "/acme", "/acme/dev", "/acme/prod", "/acme/prod/robot-1", "/other", "/other/x"}
	got, _ := c.complete("keys", "grant", "alpha", "")
	assertCandidates(t, "grant alpha", got, all...)
	got, _ = c.complete("keys", "grant", "alpha", "/acme/p")
	assertCandidates(t, "grant alpha /acme/p", got, "/acme/prod", "/acme/prod/robot-1")
	got, _ = c.complete("keys", "ungrant", "alpha", "")
	assertCandidates(t, "ungrant alpha", got, "/acme/dev", "/acme/prod")
	got, _ = c.complete("keys", "ungrant", "nope", "")
	assertCandidates(t, "ungrant nope", got)
	for _, argv := range [][]string{
		{"keys", "list", "--resource", ""},
		{"keys", "create", "x", "--resource", ""},
		{"keys", "verify", "--resource", ""},
		{"keys", "create", "x", "--resource="},
	} {
		got, dir := c.complete(argv...)
		if strings.HasSuffix(argv[len(argv)-1], "=") {
			// cobra answers --flag=<value> with the whole word
			for i := range got {
				got[i] = strings.TrimPrefix(got[i], "--resource=")
			}
		}
		assertCandidates(t, strings.Join(argv, " "), got, all...)
		if dir != ":4" {
			t.Errorf("%q: directive %s", argv, dir)
		}
	}
}

func TestCompleteFlagValues(t *testing.T) {
	c := completeKeysFixture(t)
	for _, tc := range []struct {
		argv []string
		want []string
	}{
		{[]string{"-o", ""}, []string{"table", "wide", "json", "jsonl"}},
		{[]string{"keys", "list", "--output", ""}, []string{"table", "wide", "json", "jsonl"}},
		{[]string{"keys", "create", "x", "--role", ""}, []string{"viewer", "editor", "admin"}},
		{[]string{"keys", "grant", "alpha", "/acme", "--role", ""}, []string{"viewer", "editor", "admin"}},
		{[]string{"keys", "verify", "--role", ""}, []string{"viewer", "editor", "admin"}},
		{[]string{"keys", "create", "x", "--type", ""}, []string{"secret", "public"}},
		{[]string{"keys", "roll", "alpha", "--grace", ""}, nil},
		{[]string{"keys", "roll", "alpha", "--ttl", ""}, nil},
		{[]string{"keys", "create", "x", "--ttl", ""}, nil},
		{[]string{"keys", "update", "alpha", "--expires-at", ""}, nil},
		{[]string{"keys", "list", "--expiring-within", ""}, nil},
		{[]string{"audit", "list", "--since", ""}, nil},
		{[]string{"--server", ""}, nil},
		{[]string{"audit", "list", "--key", "a"}, []string{"alpha"}},
	} {
		got, dir := c.complete(tc.argv...)
		assertCandidates(t, strings.Join(tc.argv, " "), got, tc.want...)
		if dir != ":4" {
			t.Errorf("%q: directive %s, want :4 (no files)", tc.argv, dir)
		}
	}
}

// The database comes from wherever a command would take it: KEYWARD_DB,
// or a profile of the config file.
func TestCompleteUsesTheConfiguredDatabase(t *testing.T) {
	c := completeKeysFixture(t)
	t.Setenv("KEYWARD_DB", c.db)
	got, _, _ := complete(t, "keys", "get", "al")
	assertCandidates(t, "KEYWARD_DB", got, "alpha")
	os.Unsetenv("KEYWARD_DB")

	cfg := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "keyward", "config.yaml")
	os.MkdirAll(filepath.Dir(cfg), 0o700)
	if err := os.WriteFile(cfg, []byte("current_profile: work\nprofiles:\n  work:\n    db: "+c.db+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, _, _ = complete(t, "keys", "get", "al")
	assertCandidates(t, "current profile", got, "alpha")
	got, _, _ = complete(t, "--profile", "work", "keys", "get", "al")
	assertCandidates(t, "--profile", got, "alpha")
}

// Completion never creates a database, never prints to the terminal,
// and gives up quickly on a server that does not answer.
func TestCompleteIsQuietAndHarmless(t *testing.T) {
	dir := t.TempDir()
	testenv.Isolate(t, dir)

	missing := filepath.Join(dir, "nope", "keys.db")
	got, dirv, _ := complete(t, "--db", missing, "keys", "get", "")
	assertCandidates(t, "missing db", got)
	if dirv != ":4" {
		t.Errorf("missing db: directive %s", dirv)
	}
	if _, err := os.Stat(filepath.Dir(missing)); !os.IsNotExist(err) {
		t.Errorf("completion created %s", filepath.Dir(missing))
	}
	// the default database is not created either
	got, _, _ = complete(t, "keys", "get", "")
	assertCandidates(t, "default db", got)
	if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
		t.Errorf("completion created the default database's folder")
	}

	// nor initializes an empty file
	empty := filepath.Join(dir, "empty.db")
	os.WriteFile(empty, nil, 0o600)
	got, _, _ = complete(t, "--db", empty, "keys", "get", "")
	assertCandidates(t, "empty file", got)
	if b, err := os.ReadFile(empty); err != nil || len(b) != 0 {
		t.Errorf("completion wrote to an empty file (%d bytes, %v)", len(b), err)
	}

	notDB := filepath.Join(dir, "not-a-db")
	os.WriteFile(notDB, []byte("hello"), 0o600)
	got, _, stderr := complete(t, "--db", notDB, "keys", "get", "")
	assertCandidates(t, "not a database", got)
	if strings.Contains(stderr, "rror") {
		t.Errorf("stderr %q", stderr)
	}

	// a server, but no credential: no candidates, and no prompt (stdin
	// is not read)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":{"code":"UNAUTHORIZED","message":"no"}}`, http.StatusUnauthorized)
	}))
	defer srv.Close()
	got, _, _ = complete(t, "--server", srv.URL, "keys", "get", "")
	assertCandidates(t, "server without credential", got)

	// a server that never answers: the completion gives up in time
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(hang)
	t.Setenv("KEYWARD_TOKEN", "sk_00000000000000000000000000000000"+"30OBQY")
	start := time.Now()
	got, _, _ = complete(t, "--server", slow.URL, "keys", "get", "")
	assertCandidates(t, "slow server", got)
	if d := time.Since(start); d > completeTimeout+2*time.Second {
		t.Errorf("completion against a silent server took %s", d)
	}
}

// A name keys of several organizations share is no KEY: typed in part it
// is offered bare and without a space (the shell completes the word to
// it), typed in full as each key's org/name, marked for keyward's bash
// and zsh scripts, which would otherwise drop them as not starting with
// the word.
func TestCompleteSharedName(t *testing.T) {
	c := completeKeysFixture(t)
	c.create("cid --resource /acme")
	for _, tc := range []struct {
		word      string
		want      []string
		directive string
	}{
		{"c", []string{"ci", "cid"}, ":6"}, // NoFileComp|NoSpace
		{"ci", []string{"acme/ci", "other/ci", "cid"}, ":1028"},
		{"cid", []string{"cid"}, ":4"},
		{"", []string{"alpha", "beta", "acme/ci", "other/ci", "boss", "off", "cid"}, ":4"},
		{"other/", []string{"other/ci", "other/off"}, ":4"},
	} {
		got, dir := c.complete("keys", "get", tc.word)
		assertCandidates(t, "get "+tc.word, got, tc.want...)
		if dir != tc.directive {
			t.Errorf("get %q: directive %s, want %s", tc.word, dir, tc.directive)
		}
	}
	// the bare name says where its keys are
	ios, _, out, _ := iostreams.Test()
	Run(context.Background(), ios, []string{"__complete", "--db", c.db, "keys", "get", "c"})
	if !strings.Contains(out.String(), "ci\t2 keys: /acme, /other\n") {
		t.Errorf("stdout %q, want ci described as 2 keys: /acme, /other", out)
	}
	// a key already given is not offered again, but its name stays shared
	got, dir := c.complete("keys", "delete", "acme/ci", "ci")
	assertCandidates(t, "delete acme/ci ci", got, "other/ci", "cid")
	if dir != ":1028" {
		t.Errorf("delete acme/ci ci: directive %s", dir)
	}
}

// keyward's bash and zsh scripts are cobra's with the patches for
// directiveQualified applied once; fish and powershell are cobra's.
func TestWriteCompletionPatches(t *testing.T) {
	for _, shell := range Shells {
		var b strings.Builder
		if err := WriteCompletion(testRoot(), shell, &b); err != nil {
			t.Fatalf("%s: %v", shell, err)
		}
		for _, p := range scriptPatches[shell] {
			if strings.Count(b.String(), p.new) != 1 {
				t.Errorf("%s: patch %q not applied once", shell, p.old)
			}
		}
		if want := shell == "bash" || shell == "zsh"; want != strings.Contains(b.String(), "1024") {
			t.Errorf("%s: script mentions directiveQualified (1024): %v, want %v", shell, !want, want)
		}
	}
	if err := WriteCompletion(testRoot(), "tcsh", io.Discard); err == nil {
		t.Error("tcsh: no error")
	}
}

func testRoot() *cobra.Command {
	ios, _, _, _ := iostreams.Test()
	return NewCmdRoot(&Factory{IO: ios})
}
