package e2e

import (
	"bufio"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/testenv"
)

// keyringSession starts a private D-Bus session with an unlocked
// gnome-keyring (a real Secret Service, as on a desktop) and returns its
// bus address. Everything it started ends with the test.
func keyringSession(t *testing.T, dir string) string {
	t.Helper()
	for _, tool := range []string{"dbus-run-session", "gnome-keyring-daemon", "secret-tool"} {
		testenv.Command(t, "make deps installs gnome-keyring, libsecret-tools and dbus", tool)
	}
	// The shell prints the session's bus address once the keyring is up,
	// then waits; the test talks to that bus from outside. An empty
	// password does not create the login keyring without a prompt, so the
	// throwaway keyring gets a throwaway one.
	script := `echo -n keyward-e2e | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
echo "BUS=$DBUS_SESSION_BUS_ADDRESS"
exec sleep 600`
	cmd := exec.Command("dbus-run-session", "--", "sh", "-c", script)
	cmd.Env = append(isolatedEnv(dir), "XDG_RUNTIME_DIR="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own group, ended as a whole
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("dbus-run-session: %v", err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		_ = cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if bus, ok := strings.CutPrefix(sc.Text(), "BUS="); ok {
				found <- bus
				return
			}
		}
		close(found)
	}()
	select {
	case bus, ok := <-found:
		if !ok || bus == "" {
			t.Fatal("the D-Bus session did not start")
		}
		return bus
	case <-time.After(30 * time.Second):
		t.Fatal("the D-Bus session did not start within 30s")
	}
	return ""
}

// secretLookup asks the Secret Service directly, as a user would with
// secret-tool, what is stored for a profile.
func secretLookup(t *testing.T, env []string, profile string) (string, bool) {
	t.Helper()
	cmd := exec.Command("secret-tool", "lookup", "service", "keyward", "username", profile)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(out)), true
}

// TestKeyringLogin: login stores the operator key in a real Secret Service
// under service "keyward", user = the profile; commands use it through the
// profile; rolling that very key updates the stored secret; logout removes
// it.
func TestKeyringLogin(t *testing.T) {
	t.Parallel()
	bin, env, server, root := remoteServer(t)
	dir := t.TempDir()
	bus := keyringSession(t, dir)
	env = withEnv(env, "DBUS_SESSION_BUS_ADDRESS="+bus)
	u, _ := url.Parse(server)
	profile := u.Host // login's default profile name: host:port

	kwExec(t, bin, env, "sk_00000000000000000000000000000000"+"30OBQY", "login", "--server", server).want(t, 4, "login with an unknown key")
	if _, ok := secretLookup(t, env, profile); ok {
		t.Fatal("a refused key was stored")
	}

	r := kwExec(t, bin, env, root+"\n", "login", "--server", server).want(t, 0, "login")
	if !strings.Contains(r.stderr, "Logged in to "+server+" as root (key_") {
		t.Fatalf("login said %q", r.stderr)
	}
	if got, ok := secretLookup(t, env, profile); !ok || got != root {
		t.Fatalf("the keyring holds %q (found %v), want the root key", short(got), ok)
	}
	if b, err := os.ReadFile(filepath.Join(dirOf(env, "XDG_CONFIG_HOME"), "keyward", "config.yaml")); err != nil ||
		!strings.Contains(string(b), "current_profile: "+profile) || !strings.Contains(string(b), "server: "+server) {
		t.Fatalf("config after login: %s (%v)", b, err)
	}

	// Commands find the server and the key through the current profile.
	var list []e2eKey
	kwExec(t, bin, env, "", "-o", "json", "keys", "list").want(t, 0, "list through the profile").json(t, &list)
	if len(list) != 1 || list[0].Name != "root" {
		t.Fatalf("list = %+v", list)
	}
	var who struct {
		Name   string `json:"name"`
		Source string `json:"source"`
	}
	kwExec(t, bin, env, "", "-o", "json", "whoami").want(t, 0, "whoami").json(t, &who)
	if who.Name != "root" || who.Source != "keyring" {
		t.Fatalf("whoami = %+v", who)
	}

	// Rolling the key one is logged in with, with no grace at all: the
	// keyring must follow, or the next command would be locked out.
	var rolled e2eKey
	r = kwExec(t, bin, env, "", "-o", "json", "keys", "roll", "root", "--grace", "0", "--yes").want(t, 0, "self-roll")
	r.json(t, &rolled)
	if got, _ := secretLookup(t, env, profile); got != rolled.Secret || got == root {
		t.Fatalf("after the roll the keyring holds %q, want the new secret %q", short(got), short(rolled.Secret))
	}
	kwExec(t, bin, env, "", "keys", "list").want(t, 0, "list with the rolled key")

	// Rolling another key leaves the stored credential alone.
	kwExec(t, bin, env, "", "keys", "create", "other", "--resource", "/acme").want(t, 0, "create other")
	kwExec(t, bin, env, "", "keys", "roll", "other", "--yes").want(t, 0, "roll other")
	if got, _ := secretLookup(t, env, profile); got != rolled.Secret {
		t.Fatal("rolling another key changed the stored credential")
	}

	r = kwExec(t, bin, env, "", "logout").want(t, 0, "logout")
	if _, ok := secretLookup(t, env, profile); ok {
		t.Fatal("the keyring item survived logout")
	}
	r = kwExec(t, bin, env, "", "keys", "list").want(t, 4, "list after logout")
	if !strings.Contains(r.stderr, "keyward login") {
		t.Fatalf("no hint after logout: %s", r.stderr)
	}
	kwExec(t, bin, env, "", "logout").want(t, 0, "logout twice")
}

// TestLoginWithoutKeyring: with no Secret Service, login refuses (exit 6)
// and names the ways out; --insecure-storage is the explicit plaintext
// choice; a command whose keyring cannot be read exits 4, not 6.
func TestLoginWithoutKeyring(t *testing.T) {
	t.Parallel()
	bin, env, server, root := remoteServer(t)
	dir := t.TempDir()
	env = withEnv(env, "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(dir, "no-bus"))

	r := kwExec(t, bin, env, root, "login", "--server", server, "--profile", "dev").want(t, 6, "login without a keyring")
	for _, want := range []string{"KEYWARD_TOKEN", "--insecure-storage"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("login's error should name %s: %s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, root) {
		t.Fatal("the error shows the key")
	}
	cfg := filepath.Join(dirOf(env, "XDG_CONFIG_HOME"), "keyward")
	if _, err := os.Stat(filepath.Join(cfg, "credentials-dev")); err == nil {
		t.Fatal("login fell back to plaintext without being asked")
	}

	// A saved profile but an unreadable keyring: exit 4 with the way out.
	if err := os.MkdirAll(cfg, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(cfg, "config.yaml"), "current_profile: dev\nprofiles:\n  dev:\n    server: "+server+"\n")
	r = kwExec(t, bin, env, "", "keys", "list").want(t, 4, "a command with an unreadable keyring")
	if !strings.Contains(r.stderr, "KEYWARD_TOKEN") {
		t.Fatalf("hint missing: %s", r.stderr)
	}

	r = kwExec(t, bin, env, root, "login", "--server", server, "--profile", "dev", "--insecure-storage").want(t, 0, "login --insecure-storage")
	path := filepath.Join(cfg, "credentials-dev")
	if !strings.Contains(r.stderr, path) || !strings.Contains(strings.ToLower(r.stderr), "plain text") {
		t.Fatalf("login --insecure-storage should say where the plaintext is: %s", r.stderr)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credential file: %v %v", fi, err)
	}
	var who struct {
		Name   string `json:"name"`
		Source string `json:"source"`
	}
	kwExec(t, bin, env, "", "-o", "json", "whoami").want(t, 0, "whoami").json(t, &who)
	if who.Name != "root" || who.Source != path {
		t.Fatalf("whoami = %+v", who)
	}
	kwExec(t, bin, env, "", "keys", "list").want(t, 0, "list with the file credential")

	// KEYWARD_TOKEN overrides whatever is stored.
	kwExec(t, bin, withEnv(env, "KEYWARD_TOKEN=nonsense"), "", "keys", "list").want(t, 4, "KEYWARD_TOKEN wins")

	// logout removes the file; with nothing else to remove, an
	// unreachable keyring is exit 6 (it might hold a key).
	kwExec(t, bin, env, "", "logout").want(t, 0, "logout of the file credential")
	if _, err := os.Stat(path); err == nil {
		t.Fatal("logout left the plaintext credential")
	}
	kwExec(t, bin, env, "", "logout").want(t, 6, "logout with only an unreachable keyring")
}

func dirOf(env []string, name string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}

// short shows enough of a secret to tell two apart in a failure message.
func short(s string) string {
	if len(s) > 10 {
		return s[:10] + "…"
	}
	return s
}
