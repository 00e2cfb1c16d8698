//go:build unix

package store

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"

	"github.com/keyward/keyward/internal/keys"
)

// writableBeside checks that SQLite can keep its -wal and -shm files beside
// an existing database: otherwise every command fails with "unable to open
// database file", which reads like a missing file and a passing problem.
func writableBeside(abs, shown string) error {
	const wOK = 2 // access(2)'s W_OK
	err := syscall.Access(filepath.Dir(abs), wOK)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.EROFS):
		return keys.Errorf(keys.Invalid, "cannot use %s: it is on a read-only file system (SQLite writes -wal and -shm files beside it)", shown)
	}
	// A folder that cannot be written in is fine while both files exist.
	if exists(abs+"-wal") && exists(abs+"-shm") {
		return nil
	}
	return keys.Errorf(keys.Invalid, "cannot use %s: its folder is not writable (SQLite writes -wal and -shm files beside it)", shown)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
