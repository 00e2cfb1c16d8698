//go:build unix

package config

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// A config path that is a FIFO is an error, never a hang.
func TestConfigFileNotRegular(t *testing.T) {
	path := settingsEnv(t)
	os.MkdirAll(filepath.Dir(path), 0o700)
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skip(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Resolve(flags(t))
		done <- err
	}()
	select {
	case err := <-done:
		if keys.ErrorCode(err) != keys.Invalid {
			t.Fatalf("config file is a FIFO: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("reading a FIFO config file hangs")
	}
}
