package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/keyward/keyward/internal/keys"
)

// The keyring itself is exercised for real by internal/e2e/keyring_test.go
// (gnome-keyring under dbus-run-session); here go-keyring's in-memory
// provider stands in so that the order of sources can be checked anywhere.

func credentialEnv(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv(TokenEnv, "")
	keyring.MockInit()
	return dir
}

func wantErrCode(t *testing.T, err error, code keys.Code) {
	t.Helper()
	if got := keys.ErrorCode(err); got != code {
		t.Fatalf("error %v has code %q, want %q", err, got, code)
	}
}

func TestTokenOrder(t *testing.T) {
	credentialEnv(t)

	_, _, err := TokenFor("prod", "")
	wantErrCode(t, err, keys.Unauthorized)
	if !strings.Contains(err.Error(), "keyward login") || !strings.Contains(err.Error(), TokenEnv) {
		t.Fatalf("the error should say how to log in: %v", err)
	}

	where, err := StoreToken("prod", "sk_fromkeyring", false)
	if err != nil || where != SourceKeyring {
		t.Fatalf("StoreToken = %q, %v", where, err)
	}
	tok, src, err := TokenFor("prod", "")
	if err != nil || tok != "sk_fromkeyring" || src != SourceKeyring {
		t.Fatalf("Token = %q %q %v", tok, src, err)
	}

	t.Setenv(TokenEnv, "sk_fromenv\n")
	tok, src, err = TokenFor("prod", "")
	if err != nil || tok != "sk_fromenv" || src != "env KEYWARD_TOKEN" {
		t.Fatalf("KEYWARD_TOKEN must win: %q %q %v", tok, src, err)
	}
}

func TestInsecureStorage(t *testing.T) {
	dir := credentialEnv(t)
	if _, err := StoreToken("127.0.0.1:8080", "sk_old", false); err != nil {
		t.Fatal(err)
	}
	where, err := StoreToken("127.0.0.1:8080", "sk_plain", true)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "keyward", "credentials-127.0.0.1_8080")
	if where != want {
		t.Fatalf("stored in %s, want %s", where, want)
	}
	fi, err := os.Stat(where)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("credential file mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := keyring.Get(KeyringService, "127.0.0.1:8080"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("the keyring copy should be gone after an insecure login: %v", err)
	}
	tok, src, err := TokenFor("127.0.0.1:8080", "")
	if err != nil || tok != "sk_plain" || src != want {
		t.Fatalf("Token = %q %q %v", tok, src, err)
	}

	// Logging in again the secure way removes the plaintext copy.
	if _, err := StoreToken("127.0.0.1:8080", "sk_secure", false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(where); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("plaintext copy still there: %v", err)
	}
}

func TestKeyringUnavailable(t *testing.T) {
	credentialEnv(t)
	keyring.MockInitWithError(errors.New("The name org.freedesktop.secrets was not provided by any .service files"))

	_, err := StoreToken("prod", "sk_x", false)
	wantErrCode(t, err, keys.Unavailable)
	for _, want := range []string{TokenEnv, "--insecure-storage"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("login's error should name %s: %v", want, err)
		}
	}

	// A command needing a credential exits 4, not 6, and says what to do.
	_, _, err = TokenFor("prod", "")
	wantErrCode(t, err, keys.Unauthorized)
	if !strings.Contains(err.Error(), "keyward login") {
		t.Fatalf("hint missing: %v", err)
	}

	_, _, err = DeleteToken("prod")
	wantErrCode(t, err, keys.Unavailable)
	// logout's advice is to reach the keyring, not to store the token
	// elsewhere.
	if msg := err.Error(); strings.Contains(msg, "--insecure-storage") || !strings.Contains(msg, "logout again") {
		t.Errorf("logout's keyring error: %v", err)
	}

	// The explicit plaintext choice still works without a keyring.
	if _, err := StoreToken("prod", "sk_plain", true); err != nil {
		t.Fatal(err)
	}
	if tok, _, err := TokenFor("prod", ""); err != nil || tok != "sk_plain" {
		t.Fatalf("Token = %q %v", tok, err)
	}
	// ... and can be logged out of without one.
	removed, kerr, err := DeleteToken("prod")
	if err != nil || !removed || kerr == nil {
		t.Fatalf("DeleteToken = %v, %v, %v", removed, kerr, err)
	}
}

func TestKeyringTimeout(t *testing.T) {
	credentialEnv(t)
	old := keyringTimeout
	keyringTimeout = time.Millisecond
	t.Cleanup(func() { keyringTimeout = old })
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })

	_, err := withKeyring(func() (string, error) { <-block; return "", nil })
	if !errors.Is(err, errKeyringTimeout) {
		t.Fatalf("err = %v, want the timeout", err)
	}
}

func TestDeleteToken(t *testing.T) {
	credentialEnv(t)
	removed, _, err := DeleteToken("prod")
	if err != nil || removed {
		t.Fatalf("nothing stored: removed=%v err=%v", removed, err)
	}
	_, _ = StoreToken("prod", "sk_a", false)
	_, _ = StoreToken("dev", "sk_b", true)
	for _, p := range []string{"prod", "dev"} {
		removed, _, err := DeleteToken(p)
		if err != nil || !removed {
			t.Fatalf("%s: removed=%v err=%v", p, removed, err)
		}
		_, _, err = TokenFor(p, "")
		wantErrCode(t, err, keys.Unauthorized)
	}
}

func TestUpdateTokenIfCurrent(t *testing.T) {
	credentialEnv(t)
	_, _ = StoreToken("prod", "sk_old", false)

	where, err := UpdateTokenIfCurrent("prod", "sk_other", "sk_new")
	if err != nil || where != "" {
		t.Fatalf("another key's roll must not touch the stored token: %q %v", where, err)
	}
	where, err = UpdateTokenIfCurrent("prod", "sk_old", "sk_new")
	if err != nil || where != SourceKeyring {
		t.Fatalf("update = %q %v", where, err)
	}
	if tok, _, _ := TokenFor("prod", ""); tok != "sk_new" {
		t.Fatalf("stored token %q, want the new one", tok)
	}

	_, _ = StoreToken("dev", "sk_old", true)
	where, err = UpdateTokenIfCurrent("dev", "sk_old", "sk_new")
	if err != nil || where != InsecureTokenPath("dev") {
		t.Fatalf("update = %q %v", where, err)
	}
	if tok, _, _ := TokenFor("dev", ""); tok != "sk_new" {
		t.Fatalf("stored token %q, want the new one", tok)
	}
}

func TestProfileForServer(t *testing.T) {
	for in, want := range map[string]string{
		"https://keys.example.com":      "keys.example.com:443",
		"http://127.0.0.1:8080/":        "127.0.0.1:8080",
		"http://[::1]:9000":             "[::1]:9000",
		"https://keys.example.com:8443": "keys.example.com:8443",
		"http://LOCALHOST:18431":        "localhost:18431", // hosts have no case
	} {
		if got := DefaultProfileName(in); got != want {
			t.Errorf("DefaultProfileName(%s) = %s, want %s", in, got, want)
		}
	}
	f := &File{}
	f.SetProfile("prod", Profile{Server: "https://keys.example.com/"})
	f.SetProfile("local", Profile{DB: "/tmp/x.db"})
	if got := ProfileForServer(f, "https://keys.example.com"); got != "prod" {
		t.Errorf("got %s, want the profile naming that server", got)
	}
	for _, same := range []string{"HTTPS://Keys.Example.COM/", "keys.example.com"} {
		if got := ProfileForServer(f, same); got != "prod" {
			t.Errorf("ProfileForServer(%s) = %s, want prod: it names the same server", same, got)
		}
	}
	if got := ProfileForServer(f, "http://keys.example.com"); got == "prod" {
		t.Error("plain HTTP matched an HTTPS profile")
	}
	if got := ProfileForServer(f, "https://other.example.com"); got != "other.example.com:443" {
		t.Errorf("got %s", got)
	}
}

func TestKeyringReason(t *testing.T) {
	for in, want := range map[string]string{
		`exec: "dbus-launch": executable file not found in $PATH`:                 "no D-Bus session",
		"The name org.freedesktop.secrets was not provided by any .service files": "no Secret Service is running",
		"Cannot autolaunch D-Bus without X11 $DISPLAY":                            "no D-Bus session",
		"prompt dismissed": "locked",
		"something\nelse":  "something else",
	} {
		if got := keyringReason(errors.New(in)); !strings.Contains(got, want) {
			t.Errorf("keyringReason(%q) = %q, want it to say %q", in, got, want)
		}
	}
	if got := keyringReason(errKeyringTimeout); got != errKeyringTimeout.Error() {
		t.Errorf("timeout: %q", got)
	}
}
