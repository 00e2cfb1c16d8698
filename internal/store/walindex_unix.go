//go:build unix

package store

import (
	"fmt"
	"os"
	"sync"
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
// is valid.
func (h *walHeader) initialized() bool { return byte(h[1]>>32) != 0 }

// walIndex is a read-only shared mapping of the start of a -shm file,
// shared by the stores of this process on that file.
type walIndex struct {
	hdr   *[2 * walHdrWords]uint64 // nil when the mapping failed
	mem   []byte
	file  *os.File
	key   fileKey
	refs  int        // under walIndexes' lock
	extra []*os.File // closed with file
}

type fileKey struct{ dev, ino uint64 }

// walIndexes holds one mapping per -shm file for the whole process.
// Closing any file descriptor drops every POSIX lock the process holds on
// that file, SQLite's own WAL locks on the -shm among them (SQLite keeps
// its own descriptor open for that reason): so a -shm file is opened at
// most once per process, and its descriptor closed only once no store of
// this process uses that file any more, after their SQLite connections
// are closed. Not even an error path closes it early.
var walIndexes = struct {
	sync.Mutex
	m map[fileKey]*walIndex
}{m: map[fileKey]*walIndex{}}

// acquireWALIndex maps path, a -shm file that SQLite has set up (a
// connection of the caller's has read the database), read-only. Unless w
// is nil, the caller must release it, also when err is not nil.
func acquireWALIndex(path string) (w *walIndex, err error) {
	st, err := os.Stat(path) // by path: no descriptor to close
	if err != nil {
		return nil, err
	}
	if st.Size() < walIndexSize {
		return nil, fmt.Errorf("%s: %d bytes, not a WAL-index yet", path, st.Size())
	}
	key := statKey(st)
	walIndexes.Lock()
	defer walIndexes.Unlock()
	if w := walIndexes.m[key]; w != nil {
		w.refs++
		return w, w.usable()
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err == nil {
		key = statKey(fi) // the file opened, should it have been replaced meanwhile
	}
	if old := walIndexes.m[key]; old != nil {
		// Replaced since the Stat, by a file another store maps: this
		// descriptor stays open as long as that mapping (see walIndexes).
		old.refs++
		old.extra = append(old.extra, f)
		return old, old.usable()
	}
	w = &walIndex{file: f, key: key, refs: 1}
	walIndexes.m[key] = w
	mem, err := syscall.Mmap(int(f.Fd()), 0, walIndexSize, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return w, fmt.Errorf("mmap %s: %w", path, err)
	}
	w.mem = mem
	w.hdr = (*[2 * walHdrWords]uint64)(unsafe.Pointer(&mem[0]))
	return w, nil
}

func statKey(fi os.FileInfo) fileKey {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fileKey{dev: uint64(st.Dev), ino: uint64(st.Ino)}
	}
	return fileKey{}
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

// release gives a store's hold on the mapping back, once that store's
// SQLite connections are closed; the last one unmaps and closes.
func (w *walIndex) release() {
	walIndexes.Lock()
	defer walIndexes.Unlock()
	if w.refs--; w.refs > 0 {
		return
	}
	delete(walIndexes.m, w.key)
	if w.mem != nil {
		syscall.Munmap(w.mem)
	}
	w.file.Close()
	for _, f := range w.extra {
		f.Close()
	}
}
