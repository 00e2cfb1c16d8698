package output

import (
	"bytes"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// A long listing's table is written in chunks (tableList). The first goes
// through tablewriter, which lays out the header and the columns; every
// later chunk is aligned to the widths already known, which is all
// tablewriter would do with it in keyward's plain style (no borders, no
// separators, left-aligned, three blanks after each cell, trailing blanks
// trimmed), written here byte for byte the same (a test compares the
// two). tablewriter costs 5–50 µs a row (most of it measuring widths
// through a locked LRU cache): 4.6–7.4 s for 100,000 keys, where the
// target is 2 s and the JSON of the same keys takes 1–2 s.

// handAligned lets a test turn the aligned path off, to compare.
var handAligned = true

// cellPad is the blank after every cell (render's padding).
const cellPad = "   "

// plainRows reports whether rows hold only cells that are one line of
// printable text, the only ones renderAligned lays out (others go
// through tablewriter).
func plainRows(rows [][]string) bool {
	if !handAligned {
		return false
	}
	for _, r := range rows {
		for _, c := range r {
			for i := 0; i < len(c); i++ {
				if c[i] < ' ' || c[i] == 0x7f {
					return false
				}
			}
		}
	}
	return true
}

// cellWidth is a cell's width on a terminal: its length when it is ASCII
// (nearly always), else tablewriter's own measure.
func cellWidth(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return twwidth.Width(s)
		}
	}
	return len(s)
}

// renderAligned writes rows with each column as wide as widths says (or
// its widest cell, if wider), coloured as render colours them.
func (p *tablePrinter) renderAligned(w io.Writer, rows [][]string, widths []int, colors []string) error {
	cols := append([]int(nil), widths...)
	for _, r := range rows {
		for i, c := range r {
			if i >= len(cols) {
				cols = append(cols, 0)
			}
			cols[i] = max(cols[i], cellWidth(c))
		}
	}
	var out bytes.Buffer
	var line []byte
	for n, r := range rows {
		line = line[:0]
		for i, c := range r {
			line = append(line, c...)
			line = append(line, strings.Repeat(" ", cols[i]-cellWidth(c))...)
			line = append(line, cellPad...)
		}
		line = bytes.TrimRight(line, " ")
		if n < len(colors) && colors[n] != "" && len(colors) == len(rows) {
			out.WriteString(colors[n])
			out.Write(line)
			out.WriteString(ansiReset)
		} else {
			out.Write(line)
		}
		out.WriteByte('\n')
	}
	_, err := w.Write(out.Bytes())
	return err
}
