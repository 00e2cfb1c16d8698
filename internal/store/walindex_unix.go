//go:build unix

package store

import (
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// SQLite's WAL-index (the -shm file beside a WAL database) begins with two
// copies of its 48-byte header (wal.c, struct WalIndexHdr: iVersion,
// unused, iChange, isInit, bigEndCksum, szPage, mxFrame, nPage,
// aFrameCksum[2], aSalt[2], aCksum[2]; native byte order). A commit
// becomes visible to readers only when its writer rewrites that header
// (second copy, a barrier, then the first), as part of the commit itself:
// readers find committed frames through it. So a header unchanged since
// last looked at means no commit since, also when the writer was killed
// right after committing: there is no later signal it could have missed
// sending. (A writer killed half-way through the header leaves two
// copies that differ, which we take as a change, as SQLite's readers
// take it as a header to recover.)

const (
	walHdrSize   = 48
	walHdrWords  = walHdrSize / 8
	walIndexSize = 2 * walHdrSize
)

// walHeader is one copy of the header, as words: compared, never decoded
// but for isInit.
type walHeader [walHdrWords]uint64

// initialized reports isInit (byte 12), which SQLite sets once the header
// is valid: read as a byte, whatever the machine's byte order.
func (h *walHeader) initialized() bool { return (*[walHdrSize]byte)(unsafe.Pointer(h))[12] != 0 }

// walIndex is a read-only shared mapping of the start of a -shm file.
type walIndex struct {
	hdr  *[2 * walHdrWords]uint64
	mem  []byte
	file *os.File
	fi   os.FileInfo
}

// acquireWALIndex maps the -shm file beside the database file h, which a
// connection of the caller's has set up (it has read the database), and
// holds it open as long as h. Closing any file descriptor drops every
// POSIX lock the process holds on that file, SQLite's own WAL locks on
// the -shm among them (SQLite keeps its own descriptor open for that
// reason): so a -shm file is opened once per process and closed only
// when no store of the process has the database open any more
// (heldFile.release), after their connections are closed, not even on an
// error path here.
func acquireWALIndex(h *heldFile, path string) (*walIndex, error) {
	if h == nil {
		return nil, fmt.Errorf("%s: the database is not registered", path)
	}
	st, err := os.Stat(path) // by path: no descriptor to close
	if err != nil {
		return nil, err
	}
	if st.Size() < walIndexSize {
		return nil, fmt.Errorf("%s: %d bytes, not a WAL-index yet", path, st.Size())
	}
	storeFiles.Lock()
	defer storeFiles.Unlock()
	// The one mapped earlier, if it is still this file: SQLite deletes
	// the -shm when its last connection closes, and makes a new one.
	for _, w := range h.shm {
		if os.SameFile(w.fi, st) {
			return w, w.usable()
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	w := &walIndex{file: f, fi: st}
	h.shm = append(h.shm, w) // from now on closed only with h
	if fi, err := f.Stat(); err != nil || !os.SameFile(fi, st) {
		return nil, fmt.Errorf("%s: replaced while being opened", path)
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, walIndexSize, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap %s: %w", path, err)
	}
	w.mem = mem
	w.hdr = (*[2 * walHdrWords]uint64)(unsafe.Pointer(&mem[0]))
	return w, nil
}

func (w *walIndex) usable() error {
	if w.hdr == nil {
		return fmt.Errorf("%s: not mapped", w.file.Name())
	}
	return nil
}

// read returns the header and whether it is stable: both copies alike and
// initialized. Atomic loads, as SQLite's readers use a barrier: the words
// come from memory, not from a register.
func (w *walIndex) read() (h walHeader, stable bool) {
	var h2 walHeader
	for i := range h {
		h[i] = atomic.LoadUint64(&w.hdr[i])
	}
	for i := range h2 {
		h2[i] = atomic.LoadUint64(&w.hdr[walHdrWords+i])
	}
	return h, h == h2 && h.initialized()
}

// close unmaps and closes: only from heldFile.release.
func (w *walIndex) close() {
	if w.mem != nil {
		syscall.Munmap(w.mem)
	}
	w.file.Close()
}
