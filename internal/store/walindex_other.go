//go:build !unix

package store

import "errors"

// Without mmap, no WAL-index header to watch: verification reads the
// database every time (exact, as before the cache).

type walHeader [6]uint64

type walIndex struct{}

func acquireWALIndex(*heldFile, string) (*walIndex, error) {
	return nil, errors.New("no shared memory on this platform: verification is not cached")
}

func (*walIndex) read() (walHeader, bool) { return walHeader{}, false }

func (*walIndex) close() {}
