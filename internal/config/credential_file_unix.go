//go:build unix

package config

import (
	"os"
	"syscall"

	"github.com/keyward/keyward/internal/keys"
)

// checkPrivate refuses a credential file that other accounts can read or
// change, or that belongs to another account, as ssh refuses such a key
// file: a token others can read is as good as leaked, and one another
// account put there would make commands act as whoever put it.
func checkPrivate(path string, fi os.FileInfo) error {
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return keys.Errorf(keys.Unauthorized, "the credential file %s is open to other users (mode %04o), so keyward will not use it: run 'chmod 600 %s' (and roll the key if someone else may have read it)", path, perm, path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return keys.Errorf(keys.Unauthorized, "the credential file %s belongs to uid %d, not to you (uid %d), so keyward will not use it: remove it and run 'keyward login' again", path, st.Uid, os.Getuid())
	}
	return nil
}
