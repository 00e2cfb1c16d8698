//go:build unix

package config

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// TestInsecureStorageFileMustBePrivate: like ssh with a key file, a
// credential file that other users can read or change, or that belongs
// to another user, is refused (exit 4) saying why and what to do.
func TestInsecureStorageFileMustBePrivate(t *testing.T) {
	credentialEnv(t)
	const token = "sk_abcdefghijklmnopqrstuvwxyzABCDEF1rJNtw"
	path, err := StoreToken("prod", token, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o620, 0o602, 0o660} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, _, err := TokenFor("prod", "")
		wantErrCode(t, err, keys.Unauthorized)
		if msg := err.Error(); !strings.Contains(msg, "chmod 600 "+path) || !strings.Contains(msg, "open to other users") || strings.Contains(msg, "abcdefghij") {
			t.Errorf("mode %04o: %q", mode, msg)
		}
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if tok, src, err := TokenFor("prod", ""); err != nil || tok != token || src != path {
		t.Fatalf("a 0600 file: %q %q %v", tok, src, err)
	}

	t.Run("owned by another user", func(t *testing.T) {
		if os.Getuid() != 0 {
			t.Skip("only root can give a file to another user")
		}
		const nobody = 65534
		if err := os.Chown(path, nobody, -1); err != nil {
			t.Fatal(err)
		}
		_, _, err := TokenFor("prod", "")
		wantErrCode(t, err, keys.Unauthorized)
		if !strings.Contains(err.Error(), "belongs to uid 65534") {
			t.Fatalf("%q does not say whose file it is", err)
		}
	})

	t.Run("not a regular file", func(t *testing.T) {
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mkfifo(path, 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, err := TokenFor("prod", "") // must not wait for a writer
		wantErrCode(t, err, keys.Unauthorized)
	})
}
