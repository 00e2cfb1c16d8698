package output

import (
	"bytes"
	"io"
	"strings"

	"github.com/clipperhouse/displaywidth"
)

// keyward's tables are plain: no borders, left-aligned, three blanks after
// each cell, trailing blanks trimmed, a cell of several lines continued
// below itself. That layout needs only a display width, so it is written
// here over clipperhouse/displaywidth (static Unicode tables, grapheme
// clusters, no init work) instead of through tablewriter, whose width
// package allocated a 663 KB cache at every start-up (8–11 % of a
// `version`) and which cost 5–50 µs a row (the commit that made this
// change has the figures).

// cellPad is the blank after every cell.
const cellPad = "   "

// ellipsis ends a cell cut to fit the terminal, as gh's tables do.
const ellipsis = "…"

// minFit is the narrowest a column is cut to when a table must fit the
// terminal (its header, if wider, is kept whole).
const minFit = 5

// cellWidth is a cell's width in terminal columns: its length when it is
// printable ASCII (nearly always), else the sum of its grapheme clusters'
// widths (a CJK character or an emoji counts two, a combining mark none).
func cellWidth(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return displaywidth.String(s)
		}
	}
	return len(s)
}

// textWidth is the width of a cell that may hold several lines: its
// widest line's.
func textWidth(s string) int {
	if strings.IndexByte(s, '\n') < 0 {
		return cellWidth(s)
	}
	w := 0
	for line := range strings.SplitSeq(s, "\n") {
		w = max(w, cellWidth(line))
	}
	return w
}

// truncate cuts s to at most width columns, ending it with an ellipsis.
func truncate(s string, width int) string {
	if cellWidth(s) <= width {
		return s
	}
	if width < 1 {
		return ""
	}
	return displaywidth.TruncateString(s, width, ellipsis)
}

// growWidths widens widths (one per column) to hold every cell of rows.
func growWidths(widths []int, rows [][]string) []int {
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], textWidth(c))
		}
	}
	return widths
}

// fit returns the widths of columns that want want[i] columns each, so that
// a line (cells, their padding, the last one's trimmed) is at most limit
// wide: the widest columns are cut first, all to one cap, the largest that
// fits. No column goes below floor[i], so a terminal too narrow for even
// that gets lines that wrap rather than columns cut to nothing.
func fit(want, floor []int, limit int) []int {
	capped := make([]int, len(want))
	total := func(cap int) int {
		for i, w := range want {
			capped[i] = max(floor[i], min(w, cap))
		}
		return rowWidth(capped)
	}
	hi := 0
	for _, w := range want {
		hi = max(hi, w)
	}
	if total(hi) <= limit {
		return want
	}
	lo := 0 // total(lo) may not fit either: then the floors are all there is
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if total(mid) <= limit {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	out := make([]int, len(want))
	for i, w := range want {
		out[i] = max(floor[i], min(w, lo))
	}
	return out
}

// writeRows lays out rows in columns of widths (cells wider than their
// column are cut, with an ellipsis, when cut is set) and writes them.
// colors, when it holds one entry per row, paints each row's lines whole:
// escape codes are added after layout and never disturb the widths.
func writeRows(w io.Writer, rows [][]string, widths []int, colors []string, cut bool) error {
	var out bytes.Buffer
	out.Grow(len(rows) * (rowWidth(widths) + 1))
	var line []byte
	var parts [][]string
	for n, r := range rows {
		color := ""
		if len(colors) == len(rows) {
			color = colors[n]
		}
		if !multiLine(r) {
			line = appendLine(line[:0], r, widths, cut)
			writeLine(&out, line, color)
			continue
		}
		height := 1
		parts = parts[:0]
		for _, c := range r {
			ls := strings.Split(c, "\n")
			parts = append(parts, ls)
			height = max(height, len(ls))
		}
		cells := make([]string, len(r))
		for j := range height {
			for i, ls := range parts {
				cells[i] = ""
				if j < len(ls) {
					cells[i] = ls[j]
				}
			}
			line = appendLine(line[:0], cells, widths, cut)
			writeLine(&out, line, color)
		}
	}
	_, err := w.Write(out.Bytes())
	return err
}

func multiLine(r []string) bool {
	for _, c := range r {
		if strings.IndexByte(c, '\n') >= 0 {
			return true
		}
	}
	return false
}

// appendLine appends one line of cells, each padded (or cut) to its
// column's width, trailing blanks trimmed.
func appendLine(line []byte, cells []string, widths []int, cut bool) []byte {
	for i, c := range cells {
		width := 0
		if i < len(widths) {
			width = widths[i]
		}
		if cut {
			c = truncate(c, width)
		}
		line = append(line, c...)
		for k := cellWidth(c); k < width; k++ {
			line = append(line, ' ')
		}
		line = append(line, cellPad...)
	}
	return bytes.TrimRight(line, " ")
}

// writeLine writes line, painted whole in color if there is one.
func writeLine(out *bytes.Buffer, line []byte, color string) {
	if color != "" {
		out.WriteString(color)
		out.Write(line)
		out.WriteString(ansiReset)
	} else {
		out.Write(line)
	}
	out.WriteByte('\n')
}
