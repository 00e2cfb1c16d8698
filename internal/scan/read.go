package scan

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Hit is one secret found: where, and the secret itself, which stays in
// memory (to be looked up by hash) and is never printed or logged.
type Hit struct {
	File     string
	Line     int
	Detector string
	Secret   string
}

// binarySniff is how much of a file decides whether it is binary: a NUL
// byte in the first 8000 bytes, as git decides.
const binarySniff = 8000

// pieceSize is how much of a line is held at once: longer lines (a
// minified bundle, a database dump) are read in overlapping pieces, so
// memory stays bounded whatever the input.
const pieceSize = 64 << 10

// Reader reports what its detectors find in a stream, line by line.
type Reader struct {
	Detectors []Detector
}

// overlap is how much of a long line's piece is kept for the next: one
// byte less than the longest match, so that no match is cut in two and
// none is found twice.
func (rd *Reader) overlap() int {
	n := 1
	for _, d := range rd.Detectors {
		n = max(n, d.MaxLen())
	}
	return n - 1
}

// Read scans r, named name in hits. It reports whether r was skipped as
// binary; an error is a read error.
func (rd *Reader) Read(r io.Reader, name string, hit func(Hit)) (binary bool, err error) {
	br := bufio.NewReaderSize(r, pieceSize)
	head, err := br.Peek(binarySniff)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return false, err
	}
	if bytes.HasPrefix(head, []byte{0xff, 0xfe}) || bytes.HasPrefix(head, []byte{0xfe, 0xff}) {
		// UTF-16 with a byte-order mark (what Windows tools write) is
		// text, its NUL bytes notwithstanding: read it as UTF-8.
		br = bufio.NewReaderSize(transform.NewReader(br, unicode.BOMOverride(unicode.UTF8.NewDecoder())), pieceSize)
		if head, err = br.Peek(binarySniff); err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			return false, err
		}
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return true, nil
	}
	keep := rd.overlap()
	line := 1
	var carry, text []byte
	for {
		piece, err := br.ReadSlice('\n')
		text = append(append(text[:0], carry...), piece...)
		s := string(text)
		for _, d := range rd.Detectors {
			d.Find(s, func(start, end int) {
				if end <= len(carry) {
					return // found with the previous piece
				}
				hit(Hit{File: name, Line: line, Detector: d.Name(), Secret: s[start:end]})
			})
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			// The line goes on: keep its tail for the next piece.
			carry = append(carry[:0], text[max(0, len(text)-keep):]...)
			continue
		case err == nil:
			line++
			carry = carry[:0]
			continue
		case errors.Is(err, io.EOF):
			return false, nil
		default:
			return false, err
		}
	}
}
