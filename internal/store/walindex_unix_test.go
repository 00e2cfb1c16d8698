//go:build unix

package store

import (
	"testing"
	"unsafe"
)

// TestWALIndexHeaderStability: a header is taken as is only when its two
// copies agree and it says it is initialized, as SQLite's readers take it.
func TestWALIndexHeaderStability(t *testing.T) {
	var mem [2 * walHdrWords]uint64
	w := &walIndex{hdr: &mem}
	for i := range mem[:walHdrWords] {
		mem[i] = uint64(i+1) * 0x0101010101010101
	}
	setInit := func(words []uint64, v byte) { (*[walHdrSize]byte)(unsafe.Pointer(&words[0]))[12] = v }
	setInit(mem[:walHdrWords], 1)
	copy(mem[walHdrWords:], mem[:walHdrWords])
	h, stable := w.read()
	if !stable || !h.initialized() {
		t.Fatalf("two equal initialized copies: stable %v", stable)
	}
	mem[walHdrWords+2]++ // a writer half-way: the second copy written, not yet the first
	if _, stable := w.read(); stable {
		t.Fatal("copies that differ read as stable")
	}
	copy(mem[:walHdrWords], mem[walHdrWords:])
	if h2, stable := w.read(); !stable || h2 == h {
		t.Fatalf("after the writer finished: stable %v, moved %v", stable, h2 != h)
	}
	setInit(mem[:walHdrWords], 0)
	setInit(mem[walHdrWords:], 0)
	if _, stable := w.read(); stable {
		t.Fatal("an uninitialized header read as stable")
	}
}
