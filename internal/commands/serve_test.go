package commands

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/testenv"
)

// serveEnv isolates the test from the user's config and KEYWARD_* settings.
func serveEnv(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	testenv.Isolate(t, dir)
	return dir
}

func TestServeFlags(t *testing.T) {
	serveEnv(t)
	var got *ServeOptions
	f := NewFactory(nil)
	ios, _, _, _ := iostreams.Test()
	f.IO = ios
	cmd := NewCmdServe(f, func(o *ServeOptions) error { got = o; return nil })
	cmd.SetArgs([]string{})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Addr != "127.0.0.1:8080" || got.TLSCert != "" || got.MaxTTL != 0 {
		t.Errorf("defaults: %+v", got)
	}

	for _, args := range [][]string{
		{"serve", "--tls-cert", "c.pem"},
		{"serve", "--tls-key", "k.pem"},
		{"serve", "--addr", "nonsense"},
		{"serve", "--addr", "127.0.0.1:99999"},
		{"serve", "--addr", "127.0.0.1:65536"},
		{"serve", "--addr", "127.0.0.1:-1"},
		{"serve", "--addr", "127.0.0.1:"},
		{"serve", "--addr", "[::1]:99999"},
		{"serve", "--addr", "999.1.1.1:8080"},
		{"serve", "--addr", "bad host:8080"},
		{"serve", "--addr", "[::1:8080"},
		{"serve", "--max-ttl", "0"},
		{"serve", "--max-ttl", "-1d"},
		{"serve", "extra"},
	} {
		ios, _, _, errOut := iostreams.Test()
		if code := Run(context.Background(), ios, args); code != ExitUsage {
			t.Errorf("keyward %v: exit %d, want 2 (stderr %q)", args, code, errOut.String())
		}
	}
	// A usage error is found before anything is done: no database appears.
	if _, err := os.Stat(filepath.Join(os.Getenv("XDG_DATA_HOME"), "keyward")); !os.IsNotExist(err) {
		t.Errorf("a refused serve made its database folder: %v", err)
	}
}

// startServe runs `keyward serve` in-process on a free port and returns its
// base URL and a function that stops it (SIGINT-like) and returns the exit
// code.
func startServe(t *testing.T, stderr *testenv.Buffer, args ...string) (string, func() int) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	ios.ErrOut = stderr
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- Run(ctx, ios, args) }()
	re := regexp.MustCompile(`keyward: serving on (https?://[0-9.]+:[0-9]+)`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			stop := func() int { cancel(); return <-done }
			return m[1], stop
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve exited %d before listening: %s", code, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not print its address: %s", stderr.String())
		}
	}
}

func rootKey(t *testing.T, db string) *keys.NewSecretKey {
	t.Helper()
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	k, err := st.Create(keys.WithPrincipal(context.Background(), keys.LocalPrincipal("test")),
		keys.CreateRequest{Name: "root", Grants: []keys.Grant{{Resource: keys.Root, Role: keys.Admin}}})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestServe(t *testing.T) {
	dir := serveEnv(t)
	db := filepath.Join(dir, "server.db")
	root := rootKey(t, db)
	stderr := &testenv.Buffer{}
	base, stop := startServe(t, stderr, "--db", db, "serve", "--addr", "127.0.0.1:0", "--max-ttl", "30d")

	res, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("healthz: %d", res.StatusCode)
	}

	// --max-ttl reaches the server: a key without expiry gets the cap.
	body := `{"name":"ci","grants":[{"resource":"/acme","role":"viewer"}]}`
	req, _ := http.NewRequest("POST", base+"/v1/keys", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+root.Secret)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var k keys.NewSecretKey
	if err := json.NewDecoder(res.Body).Decode(&k); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	// (created_at is whole seconds, the expiry rounded up to the next one)
	if res.StatusCode != 201 || k.ExpiresAt == nil || k.ExpiresAt.Sub(k.CreatedAt) < 30*keys.Day || k.ExpiresAt.Sub(k.CreatedAt) > 30*keys.Day+time.Second {
		t.Fatalf("create under --max-ttl 30d: %d %+v", res.StatusCode, k)
	}

	if code := stop(); code != 0 {
		t.Fatalf("serve exit %d after shutdown: %s", code, stderr.String())
	}
	logs := stderr.String()
	if !strings.Contains(logs, "path=/v1/keys") || !strings.Contains(logs, "status=201") || !strings.Contains(logs, "actor="+root.ID) {
		t.Errorf("no request log line:\n%s", logs)
	}
	if strings.Contains(logs, root.Secret) || strings.Contains(logs, k.Secret) {
		t.Errorf("a secret is in the log:\n%s", logs)
	}
}

func TestServeTLS(t *testing.T) {
	dir := serveEnv(t)
	db := filepath.Join(dir, "server.db")
	_, certFile, keyFile, pool := testenv.PKI(t, dir)
	stderr := &testenv.Buffer{}
	base, stop := startServe(t, stderr, "--db", db, "serve", "--addr", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile)
	defer stop()
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("serving on %s, want https", base)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res, err := client.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("healthz over TLS: %d", res.StatusCode)
	}

	// A certificate file that is not one is bad input, before listening.
	bad := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	ios, _, _, errOut := iostreams.Test()
	if code := Run(context.Background(), ios, []string{"--db", db, "serve", "--addr", "127.0.0.1:0", "--tls-cert", bad, "--tls-key", keyFile}); code != ExitUsage {
		t.Errorf("bad certificate: exit %d, want 2 (%s)", code, errOut.String())
	}
}

func TestServeRefusesNonDatabase(t *testing.T) {
	dir := serveEnv(t)
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	ios, _, _, errOut := iostreams.Test()
	if code := Run(context.Background(), ios, []string{"--db", notDB, "serve", "--addr", "127.0.0.1:0"}); code != ExitUsage {
		t.Errorf("serve on a non-database: exit %d, want 2 (%s)", code, errOut.String())
	}
}

// TestServeLogHidesDatabaseSettings: the "serving" log line names the
// database, but not a PostgreSQL URL's query (sslpassword and the like).
func TestServeLogHidesDatabaseSettings(t *testing.T) {
	cases := map[string]string{
		"/var/lib/keyward/keys.db": "/var/lib/keyward/keys.db",
		"postgres://kw@db.example/keys?sslmode=verify-full&sslpassword=hunter2": "postgres://kw@db.example/keys",
		"postgresql://db.example:5433/keys?sslpassword=hunter2#x":               "postgresql://db.example:5433/keys",
		"postgres://kw@db.example/keys?SSLPassword=hunter2":                     "postgres://kw@db.example/keys",
		"POSTGRES://kw@db.example/keys?sslpassword=hunter2":                     "postgres://kw@db.example/keys",
		"postgres://kw:hunter2%zz@db.example/keys":                              "postgres://(a URL that does not parse)",
	}
	for in, want := range cases {
		if got := shownDB(in); got != want {
			t.Errorf("shownDB(%q) = %q, want %q", in, got, want)
		}
	}
}
