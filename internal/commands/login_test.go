package commands

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/keyward/keyward/internal/config"
	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/server"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/testenv"
)

// The keyring here is go-keyring's in-memory provider; the real Secret
// Service is exercised by internal/e2e/keyring_test.go. Everything else is
// real: a SQLite store served by internal/server on a loopback port.

type remoteTest struct {
	t    *testing.T
	url  string
	host string // login's default profile name
	root *keys.NewSecretKey
}

func newRemoteTest(t *testing.T) *remoteTest {
	t.Helper()
	dir := t.TempDir()
	testenv.Isolate(t, dir)
	keyring.MockInit()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "server.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	root, err := st.Create(keys.WithPrincipal(ctx, keys.LocalPrincipal("tester")), keys.CreateRequest{
		Name: "root", Grants: []keys.Grant{{Resource: keys.Root, Role: keys.Admin}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(st, server.Options{}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return &remoteTest{t: t, url: srv.URL, host: u.Host, root: root}
}

// kw runs a keyward command line in-process with stdin.
func (r *remoteTest) kw(stdin string, args ...string) cliResult {
	r.t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	code := Run(context.Background(), ios, args)
	return cliResult{code: code, out: out.String(), err: errOut.String()}
}

func (r *remoteTest) want(res cliResult, code int, what string) cliResult {
	r.t.Helper()
	if res.code != code {
		r.t.Fatalf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", what, res.code, code, res.out, res.err)
	}
	return res
}

func stored(t *testing.T, profile string) string {
	t.Helper()
	s, err := keyring.Get(config.KeyringService, profile)
	if errors.Is(err, keyring.ErrNotFound) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLoginUseLogout(t *testing.T) {
	r := newRemoteTest(t)
	res := r.want(r.kw(r.root.Secret+"\n", "login", "--server", r.url), 0, "login")
	if !strings.Contains(res.err, "Logged in to "+r.url+" as root ("+r.root.ID+")") {
		t.Fatalf("login said %q", res.err)
	}
	if res.out != "" {
		t.Fatalf("login wrote to stdout: %q", res.out)
	}
	if got := stored(t, r.host); got != r.root.Secret {
		t.Fatalf("keyring holds %q for %s", got, r.host)
	}
	f, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := f.Profile(r.host); !ok || p.Server != r.url || f.CurrentProfile != r.host {
		t.Fatalf("config after login: %+v", f)
	}
	if fi, err := os.Stat(f.Path()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file: %v %v", fi, err)
	}

	// The current profile now leads every command to the server.
	r.want(r.kw("", "keys", "create", "web", "--resource", "/acme/prod"), 0, "create through the profile")
	var who map[string]any
	res = r.want(r.kw("", "whoami", "-o", "json"), 0, "whoami")
	if err := json.Unmarshal([]byte(res.out), &who); err != nil {
		t.Fatal(err)
	}
	if who["name"] != "root" || who["actor"] != r.root.ID || who["source"] != "keyring" || who["server"] != r.url {
		t.Fatalf("whoami = %v", who)
	}
	res = r.want(r.kw("", "whoami"), 0, "whoami table")
	if !strings.Contains(res.out, r.root.ID) || !strings.Contains(res.out, "keyring") {
		t.Fatalf("whoami table:\n%s", res.out)
	}

	res = r.want(r.kw("", "logout"), 0, "logout")
	if !strings.Contains(res.err, "Logged out of "+r.url) {
		t.Fatalf("logout said %q", res.err)
	}
	if stored(t, r.host) != "" {
		t.Fatal("logout left the key in the keyring")
	}
	res = r.want(r.kw("", "keys", "list"), 4, "list after logout")
	if !strings.Contains(res.err, "keyward login --server "+r.url) {
		t.Fatalf("no way out named: %s", res.err)
	}
	res = r.want(r.kw("", "logout"), 0, "logout twice")
	if !strings.Contains(res.err, "nothing to do") {
		t.Fatalf("second logout said %q", res.err)
	}
}

func TestLoginRefusals(t *testing.T) {
	r := newRemoteTest(t)
	unknown := "sk_00000000000000000000000000000000" + "30OBQY"
	r.want(r.kw(unknown, "login", "--server", r.url), 4, "an unknown key")
	r.want(r.kw("sk_typo", "login", "--server", r.url), 4, "not a key")
	r.want(r.kw("", "login", "--server", r.url), 2, "no key on stdin")
	r.want(r.kw(r.root.Secret, "login"), 2, "no server")
	r.want(r.kw("", "login", "--server", r.url, "--token", r.root.Secret), 2, "a token as an argument")
	if stored(t, r.host) != "" {
		t.Fatal("a refused login stored something")
	}
	if f, _ := config.Load(); len(f.Profiles) != 0 {
		t.Fatalf("a refused login saved a profile: %+v", f.Profiles)
	}

	// A public key never acts as an operator.
	r.want(r.kw("", "--server", r.url, "keys", "create", "app", "--type", "public", "--resource", "/acme", "-q"), 4, "create without login")
	t.Setenv("KEYWARD_TOKEN", r.root.Secret)
	pub := strings.TrimSpace(r.want(r.kw("", "--server", r.url, "keys", "create", "app", "--type", "public", "--resource", "/acme", "-q"), 0, "create public").out)
	t.Setenv("KEYWARD_TOKEN", "")
	r.want(r.kw(pub, "login", "--server", r.url), 4, "a public key")
}

func TestLoginProfiles(t *testing.T) {
	r := newRemoteTest(t)
	r.want(r.kw(r.root.Secret, "login", "--server", r.url, "--profile", "dev"), 0, "login --profile dev")
	if stored(t, "dev") != r.root.Secret || stored(t, r.host) != "" {
		t.Fatal("the key is not stored under the named profile")
	}
	// --server alone finds the profile that already names that server.
	r.want(r.kw(r.root.Secret, "login", "--server", r.url), 0, "login again")
	f, _ := config.Load()
	if len(f.Profiles) != 1 || f.CurrentProfile != "dev" {
		t.Fatalf("profiles after a second login: %+v (current %s)", f.Profiles, f.CurrentProfile)
	}
	// login with only the current profile re-logs into it.
	r.want(r.kw(r.root.Secret, "login"), 0, "login to the current profile")
	// --profile selects the profile, and with it the server and key.
	r.want(r.kw("", "--profile", "dev", "keys", "list"), 0, "list --profile dev")
	r.want(r.kw("", "--profile", "dev", "logout"), 0, "logout --profile dev")
	if stored(t, "dev") != "" {
		t.Fatal("logout --profile dev left the key")
	}
}

// A key stored for one server is never sent to another: --server naming a
// different server than the current profile's looks up that server's key.
func TestCredentialStaysWithItsServer(t *testing.T) {
	r := newRemoteTest(t)
	r.want(r.kw(r.root.Secret, "login", "--server", r.url), 0, "login")
	var mu sync.Mutex
	var auths []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		auths = append(auths, req.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer other.Close()
	r.want(r.kw("", "--server", other.URL, "keys", "list"), 4, "list against another server")
	mu.Lock()
	defer mu.Unlock()
	for _, a := range auths {
		if strings.Contains(a, r.root.Secret) {
			t.Fatal("the key of one server was sent to another")
		}
	}
}

func TestLoginWithoutKeyring(t *testing.T) {
	r := newRemoteTest(t)
	keyring.MockInitWithError(errors.New("The name org.freedesktop.secrets was not provided by any .service files"))
	res := r.want(r.kw(r.root.Secret, "login", "--server", r.url), 6, "login without a keyring")
	for _, want := range []string{"KEYWARD_TOKEN", "--insecure-storage"} {
		if !strings.Contains(res.err, want) {
			t.Errorf("error should name %s: %s", want, res.err)
		}
	}
	if f, _ := config.Load(); len(f.Profiles) != 0 {
		t.Fatal("a failed login saved the profile")
	}
	res = r.want(r.kw(r.root.Secret, "login", "--server", r.url, "--insecure-storage"), 0, "login --insecure-storage")
	path := config.InsecureTokenPath(r.host)
	if !strings.Contains(res.err, path) {
		t.Fatalf("login should say where the plaintext key is: %s", res.err)
	}
	r.want(r.kw("", "keys", "list"), 0, "list with the file credential")
	res = r.want(r.kw("", "whoami", "-o", "json"), 0, "whoami")
	if !strings.Contains(res.out, `"source": "`+path+`"`) {
		t.Fatalf("whoami: %s", res.out)
	}
	r.want(r.kw("", "logout"), 0, "logout of the file credential")
	r.want(r.kw("", "logout"), 6, "logout with only an unreachable keyring")
}

func TestSelfRollFollowsIntoKeyring(t *testing.T) {
	r := newRemoteTest(t)
	r.want(r.kw(r.root.Secret, "login", "--server", r.url), 0, "login")
	res := r.want(r.kw("", "keys", "roll", "root", "--grace", "0", "--yes", "-q"), 0, "self-roll")
	secret := strings.TrimSpace(res.out)
	if got := stored(t, r.host); got != secret || got == r.root.Secret {
		t.Fatalf("keyring after self-roll holds the %s secret", map[bool]string{true: "old", false: "wrong"}[got == r.root.Secret])
	}
	r.want(r.kw("", "keys", "list"), 0, "list after the self-roll")

	// Another key's roll leaves the stored credential alone.
	r.want(r.kw("", "keys", "create", "other", "--resource", "/acme"), 0, "create")
	r.want(r.kw("", "keys", "roll", "other", "--yes"), 0, "roll other")
	if stored(t, r.host) != secret {
		t.Fatal("rolling another key changed the stored credential")
	}
}

func TestWhoamiLocal(t *testing.T) {
	c := newCLITest(t)
	c.makeDB()
	// The same fields as on a server, null where they do not apply.
	var who map[string]any
	if err := json.Unmarshal([]byte(c.ok("whoami -o json")), &who); err != nil {
		t.Fatal(err)
	}
	actor, _ := who["actor"].(string)
	if !strings.HasPrefix(actor, "local:") || len(who) != 5 {
		t.Fatalf("whoami under --db = %v", who)
	}
	for _, f := range []string{"name", "key", "server", "source"} {
		if v, ok := who[f]; !ok || v != nil {
			t.Errorf("whoami under --db: %s = %v, want null", f, v)
		}
	}
	if out := c.ok("whoami"); !strings.Contains(out, "local:") {
		t.Fatalf("whoami table: %q", out)
	}
}
