package output

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// columnAt is the display column at which the first of marks starts in
// line (a row's colour code not counted), or -1.
func columnAt(line string, marks ...string) int {
	line = uncolored(line)
	for _, m := range marks {
		if i := strings.Index(line, m); i >= 0 {
			return cellWidth(line[:i])
		}
	}
	return -1
}

// uncolored is line without the colour a listing paints rows with.
func uncolored(line string) string {
	for _, c := range []string{ansiRed, ansiGrey} {
		line = strings.TrimPrefix(line, c)
	}
	return strings.TrimSuffix(line, ansiReset)
}

// On a terminal narrower than the table, the widest columns are cut with
// an ellipsis, every line fits, columns stay aligned (wide characters
// counted as two), and a key with many grants shows the first and a count.
func TestTableFitsTerminal(t *testing.T) {
	o := Options{Format: Table, Human: true, Color: true, Width: 100, Now: func() time.Time { return now }}
	var buf bytes.Buffer
	if err := printList(New(o), &buf, goldenKeys()); err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "list_terminal100.golden", buf.String())
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	id := columnAt(lines[0], "ID")
	for _, line := range lines {
		if w := cellWidth(uncolored(line)); w > 100 {
			t.Errorf("%d columns wide: %q", w, line)
		}
		if c := columnAt(line, "key_", "ID"); c != id {
			t.Errorf("ID at column %d, header's at %d: %q", c, id, line)
		}
	}
	if !strings.Contains(buf.String(), "key_0123456…") || !strings.Contains(buf.String(), "名前-デプロイ ") {
		t.Errorf("ids not cut first:\n%s", buf.String())
	}

	// Narrower still, every column is cut, down to its header.
	buf.Reset()
	o.Width = 70
	printList(New(o), &buf, goldenKeys())
	assertGolden(t, "list_terminal70.golden", buf.String())

	// The count holds on a terminal wide enough for everything, too.
	buf.Reset()
	o.Width = 1000
	printList(New(o), &buf, goldenKeys())
	if !strings.Contains(buf.String(), "/acme/team-0:admin +7 ") || strings.Contains(buf.String(), "…") {
		t.Errorf("wide terminal:\n%s", buf.String())
	}
}

// -o wide shows everything on any terminal, and off a terminal nothing is
// cut or counted: both read as the table of a terminal without a width.
func TestWideAndOffTerminalCutNothing(t *testing.T) {
	full := func(o Options) string {
		o.Now = func() time.Time { return now }
		var buf bytes.Buffer
		if err := printList(New(o), &buf, goldenKeys()); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	want := full(Options{Format: Table, Human: true})
	if got := full(Options{Format: Wide, Human: true, Width: 40}); got != want {
		t.Errorf("-o wide on a 40-column terminal:\n%s\nwant\n%s", got, want)
	}
	if got := full(Options{Format: Table}); strings.Contains(got, "…") || !strings.Contains(got, "/acme/team-7:admin") {
		t.Errorf("off a terminal:\n%s", got)
	}
	if f, err := ParseFormat("wide"); err != nil || f != Wide || !f.IsTable() || New(Options{Format: f}).Format() != Wide {
		t.Errorf("ParseFormat(wide) = %v, %v", f, err)
	}
}

// A listing past a chunk reads as the same rows laid out in one table
// when its widest cells come first; on a terminal every row stays aligned
// even when a later one is wider (it is cut); wide characters in later
// chunks count two.
func TestChunkedListingAligned(t *testing.T) {
	ks := make([]*keys.Key, 2*tableChunk+517)
	for i := range ks {
		name := fmt.Sprintf("k%d", i)
		if i%7 == 3 {
			name = "名前" + name
		}
		k := sampleKey(name)
		if i%5 == 2 {
			k.Grants = append(k.Grants, keys.Grant{Resource: "/acme/" + keys.Resource(strings.Repeat("r", i%40)), Role: keys.Viewer})
		}
		ks[i] = k
	}
	ks[0].Name = strings.Repeat("w", 30) // the widest name, first
	o := Options{Format: Table, Now: func() time.Time { return now }}
	var streamed, whole bytes.Buffer
	if err := printList(New(o), &streamed, ks); err != nil {
		t.Fatal(err)
	}
	rows := make([][]string, len(ks))
	p := New(o).(*tablePrinter)
	for i, k := range ks {
		rows[i] = p.keyRow(k)
	}
	if err := p.render(&whole, keyListHeader, rows); err != nil {
		t.Fatal(err)
	}
	if streamed.String() != whole.String() {
		t.Fatal("a listing streamed in chunks differs from the same rows in one table")
	}

	// A wider row in a later chunk widens its column from that chunk on
	// (widths only grow); on a terminal, only as far as the terminal
	// allows. Rows within a chunk are always aligned.
	ks[tableChunk+900].Name = strings.Repeat("界", 40)
	for _, width := range []int{0, 100} {
		o.Width, o.Human = width, width > 0
		var buf bytes.Buffer
		if err := printList(New(o), &buf, ks); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		for i, line := range lines[1:] {
			chunkStart := 1 + i/tableChunk*tableChunk
			if c, want := columnAt(line, "key_"), columnAt(lines[chunkStart], "key_"); c != want {
				t.Fatalf("width %d: row %d: ID at column %d, its chunk's at %d: %q", width, i, c, want, line)
			}
			if i < tableChunk && columnAt(line, "key_") != columnAt(lines[0], "ID") {
				t.Fatalf("width %d: row %d: not aligned with the header: %q", width, i, line)
			}
			if width > 0 && cellWidth(line) > width {
				t.Fatalf("row %d: %d columns on a %d-column terminal", i, cellWidth(line), width)
			}
		}
	}
}

func TestFitCutsWidestFirst(t *testing.T) {
	for _, tc := range []struct {
		want, floor []int
		limit       int
		out         []int
	}{
		{[]int{4, 20, 6}, []int{4, 5, 5}, 100, []int{4, 20, 6}},
		{[]int{4, 20, 6}, []int{4, 5, 5}, 4 + 10 + 6 + 6, []int{4, 10, 6}},
		{[]int{4, 20, 30}, []int{4, 5, 5}, 4 + 12 + 12 + 6, []int{4, 12, 12}},
		{[]int{4, 20, 30}, []int{4, 5, 5}, 3, []int{4, 5, 5}},                  // floors: lines wrap
		{[]int{4, 20, 30}, []int{4, 20, 5}, 4 + 20 + 12 + 6, []int{4, 20, 12}}, // only the cuttable
	} {
		got := fit(tc.want, tc.floor, tc.limit)
		if fmt.Sprint(got) != fmt.Sprint(tc.out) {
			t.Errorf("fit(%v, %v, %d) = %v, want %v", tc.want, tc.floor, tc.limit, got, tc.out)
		}
	}
	for s, want := range map[string]string{"key_0123456789abcdef": "key_0123…", "名前名前名前": "名前名前…", "abc": "abc", "🚀🚀🚀🚀🚀": "🚀🚀🚀🚀…"} {
		if got := truncate(s, 9); got != want || cellWidth(got) > 9 {
			t.Errorf("truncate(%q, 9) = %q, want %q", s, got, want)
		}
	}
}
