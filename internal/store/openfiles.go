package store

import (
	"os"
	"sync"
)

// Closing any file descriptor drops every POSIX lock the process holds on
// that file, SQLite's included (SQLite's own descriptors work around it;
// ours cannot). A store's connections hold a shared lock on the database
// file for as long as they are open in WAL mode; without it, another
// process's sqlite3 or keyward, closing, takes itself for the file's last
// user, checkpoints, and deletes the -wal and -shm files under this
// process's connections, which go on reading the old ones: every later
// change is invisible here (and a write here would be lost). Open's own
// look at a file's header (checkExisting) opens and closes a descriptor:
// it must not do so on a file a store of this process has open. So stores
// register their files here, and that look is skipped for a registered
// file (a store of ours opened it: it is keyward's) and made under the
// same lock as registration.
var storeFiles struct {
	sync.Mutex
	held []*heldFile
}

// heldFile is a database file a store of this process has open.
type heldFile struct {
	fi   os.FileInfo
	refs int         // under storeFiles' lock
	shm  []*walIndex // its -shm files mapped by caches (walindex_unix.go), closed with it
}

// holdFile registers abs for a store about to open connections to it.
func holdFile(abs string) *heldFile {
	fi, err := os.Stat(abs)
	if err != nil {
		return nil
	}
	storeFiles.Lock()
	defer storeFiles.Unlock()
	for _, h := range storeFiles.held {
		if os.SameFile(h.fi, fi) {
			h.refs++
			return h
		}
	}
	h := &heldFile{fi: fi, refs: 1}
	storeFiles.held = append(storeFiles.held, h)
	return h
}

// release unregisters the file once the store's connections are closed.
func (h *heldFile) release() {
	if h == nil {
		return
	}
	storeFiles.Lock()
	defer storeFiles.Unlock()
	if h.refs--; h.refs > 0 {
		return
	}
	for i, o := range storeFiles.held {
		if o == h {
			storeFiles.held = append(storeFiles.held[:i], storeFiles.held[i+1:]...)
			break
		}
	}
	for _, w := range h.shm {
		w.close()
	}
}

// rawAccess is for code that opens and closes abs outside SQLite: held
// reports that a store of this process has the file open (do not touch
// it then); until done is called, no store registers it.
func rawAccess(abs string) (held bool, done func()) {
	storeFiles.Lock()
	if fi, err := os.Stat(abs); err == nil {
		for _, h := range storeFiles.held {
			if os.SameFile(h.fi, fi) {
				return true, storeFiles.Unlock
			}
		}
	}
	return false, storeFiles.Unlock
}
