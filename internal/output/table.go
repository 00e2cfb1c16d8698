package output

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"

	"github.com/keyward/keyward/internal/keys"
)

// tablePrinter writes plain, borderless, left-aligned tables in the style
// of kubectl and gh: easy to read and easy to cut with awk.
type tablePrinter struct {
	o    Options
	wide bool // -o wide: nothing cut, nothing counted
}

func (p *tablePrinter) Format() Format {
	if p.wide {
		return Wide
	}
	return Table
}

const (
	ansiRed   = "\x1b[31m"
	ansiGrey  = "\x1b[90m"
	ansiReset = "\x1b[0m"
)

// render writes header (unless NoHeaders or nil) and rows as one table.
// A table with a header is a listing: on a terminal it is fitted to the
// terminal's width (see fit). colors, when given, holds an ANSI colour
// (or "") per row.
func (p *tablePrinter) render(w io.Writer, header []string, rows [][]string, colors ...string) error {
	if header != nil && !p.o.NoHeaders {
		rows = append([][]string{header}, rows...)
		if len(colors) > 0 {
			colors = append([]string{""}, colors...)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	widths := growWidths(nil, rows)
	cut := header != nil && p.fits()
	if cut {
		widths = p.fitTerminal(widths, header, nil)
	}
	return writeRows(w, rows, widths, colors, cut)
}

// fits reports whether listings are cut to the terminal's width: on a
// terminal, unless -o wide.
func (p *tablePrinter) fits() bool { return p.o.Width > 0 && !p.wide }

// cuttable are the columns cut first when a listing is wider than the
// terminal: the long ids and lists (gh cuts its long fields; kubectl keeps
// names, states and ages whole).
var cuttable = map[string]bool{"ID": true, "GRANTS": true, "KEY ID": true, "ACTOR": true, "DETAILS": true, "SERVER OR DATABASE": true}

// fitTerminal returns the widths of a listing's columns, which want want,
// cut to the terminal: the cuttable columns first, down to minFit; if that
// is not enough, every column, down to its header (or minFit). No column
// is cut narrower than printed says it already is (a listing's earlier
// chunks).
func (p *tablePrinter) fitTerminal(want []int, header []string, printed []int) []int {
	floor := make([]int, len(want))
	keep := make([]int, len(want))
	for i, w := range want {
		f := minFit
		if i < len(header) && !cuttable[header[i]] {
			f = max(f, cellWidth(header[i]))
		}
		floor[i] = min(w, f)
		if i < len(printed) {
			floor[i] = max(floor[i], printed[i])
		}
		keep[i] = w
		if i < len(header) && cuttable[header[i]] {
			keep[i] = floor[i]
		}
	}
	widths := fit(want, keep, p.o.Width)
	if rowWidth(widths) <= p.o.Width {
		return widths
	}
	return fit(want, floor, p.o.Width)
}

// rowWidth is the width of a line whose columns are widths wide.
func rowWidth(widths []int) int {
	n := 0
	for _, w := range widths {
		n += w + len(cellPad)
	}
	return max(0, n-len(cellPad))
}

// when formats an optional time: relative on a terminal, RFC 3339 off it.
func (p *tablePrinter) when(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	if p.o.Human {
		return Relative(*t, p.o.Now())
	}
	return t.UTC().Format(time.RFC3339)
}

// whenExact is when for one key's details: on a terminal the absolute time
// beside the relative one ("2027-01-31 23:59 UTC (in 13 months)"), since
// a person reading one key wants to know the day as well as how soon.
func (p *tablePrinter) whenExact(t *time.Time, none string) string {
	if t == nil || !p.o.Human {
		return p.when(t, none)
	}
	return t.UTC().Format("2006-01-02 15:04 MST") + " (" + Relative(*t, p.o.Now()) + ")"
}

func grantsText(gs []keys.Grant, sep string) string {
	parts := make([]string, len(gs))
	for i, g := range gs {
		parts[i] = string(g.Resource) + ":" + g.Role.String()
	}
	return strings.Join(parts, sep)
}

// grantsShown is how many grants a listing's row shows on a terminal
// before it counts the rest.
const grantsShown = 3

// grantsCell is a listing's GRANTS cell: every grant, except on a terminal
// (and not -o wide), where a key with more than a few shows its first and
// a count ("/acme/a:admin +7"), so one key does not widen the whole table.
func (p *tablePrinter) grantsCell(gs []keys.Grant) string {
	if len(gs) <= grantsShown || !p.fits() {
		return grantsText(gs, ",")
	}
	return grantsText(gs[:1], ",") + " +" + strconv.Itoa(len(gs)-1)
}

func metaText(m map[string]string, sep string) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = printable(k) + "=" + printable(m[k])
	}
	return strings.Join(parts, sep)
}

// printable quotes s when it holds a control character (a newline, an
// escape sequence): meta is free text, and a table must not let it move
// the cursor or repaint the terminal.
func printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r != ' ' && !unicode.IsGraphic(r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

// printableJSON is JSON for a table cell: encoding/json escapes control
// characters below 0x20 but leaves DEL and Unicode's other invisible ones
// (U+202E reverses what follows), which printable quotes in a key's meta.
// Here they become \u escapes, which keeps the cell the same JSON: outside
// strings, JSON holds none of them.
func printableJSON(b []byte) string {
	s := string(b)
	if strings.IndexFunc(s, func(r rune) bool { return r != ' ' && !unicode.IsGraphic(r) }) < 0 {
		return s
	}
	var out strings.Builder
	for _, r := range s {
		if r == ' ' || unicode.IsGraphic(r) {
			out.WriteRune(r)
			continue
		}
		if r1, r2 := utf16.EncodeRune(r); r1 != unicode.ReplacementChar {
			fmt.Fprintf(&out, `\u%04x\u%04x`, r1, r2)
			continue
		}
		fmt.Fprintf(&out, `\u%04x`, r)
	}
	return out.String()
}

// status is a key's state as one word.
func (p *tablePrinter) status(k *keys.Key) string {
	switch {
	case !k.Enabled && k.CompromisedAt != nil:
		return "compromised" // disabled because its secret leaked
	case !k.Enabled:
		return "disabled"
	case k.Expired(p.o.Now()):
		return "expired"
	}
	return "active"
}

// color is the colour of a key's row: red when expired, grey when
// disabled, none otherwise or when colour is off.
func (p *tablePrinter) color(k *keys.Key) string {
	if !p.o.Color {
		return ""
	}
	switch p.status(k) {
	case "disabled", "compromised":
		return ansiGrey
	case "expired":
		return ansiRed
	}
	return ""
}

var keyListHeader = []string{"NAME", "ID", "ORG", "START", "GRANTS", "EXPIRES", "LAST USED", "STATUS"}

func (p *tablePrinter) keyRow(k *keys.Key) []string {
	lastUsed := "never"
	if p.o.Human {
		lastUsed = "never used"
	}
	return []string{
		k.Name, k.ID, k.Org, k.Start, p.grantsCell(k.Grants),
		p.when(k.ExpiresAt, "never"), p.when(k.LastUsedAt, lastUsed), p.status(k),
	}
}

// keyDetail is a key as field/value rows.
func (p *tablePrinter) keyDetail(k *keys.Key) [][]string {
	lastUsed := "never"
	if p.o.Human {
		lastUsed = "never used"
	}
	rows := [][]string{
		{"ID", k.ID},
		{"NAME", k.Name},
		{"ORG", k.Org},
		{"TYPE", typeText(k)},
		{"START", k.Start},
		{"GRANTS", grantsText(k.Grants, "\n")},
	}
	if k.Account != nil {
		rows = append(rows, []string{"ACCOUNT", *k.Account})
	}
	rows = append(rows, [][]string{
		{"STATUS", p.status(k)},
		{"CREATED", p.whenExact(&k.CreatedAt, "")},
		{"CREATED BY", k.CreatedBy},
		{"EXPIRES", p.whenExact(k.ExpiresAt, "never")},
	}...)
	if k.Default {
		rows = append(rows, []string{"DEFAULT", "yes: the default key of " + k.Org})
	}
	if k.PreviousExpiresAt != nil {
		rows = append(rows, []string{"PREVIOUS SECRET ENDS", p.whenExact(k.PreviousExpiresAt, "")})
	}
	rows = append(rows, []string{"LAST USED", p.when(k.LastUsedAt, lastUsed)})
	if k.CompromisedAt != nil {
		rows = append(rows, []string{"COMPROMISED", p.whenExact(k.CompromisedAt, "")})
	}
	if len(k.Meta) > 0 {
		rows = append(rows, []string{"META", metaText(k.Meta, "\n")})
	}
	if len(k.AllowedIPs) > 0 {
		rows = append(rows, []string{"ALLOWED IPS", strings.Join(k.AllowedIPs.Strings(), "\n")})
	}
	if k.RateLimit != nil {
		rows = append(rows, []string{"RATE LIMIT", k.RateLimit.String()})
	}
	return rows
}

func (p *tablePrinter) Key(w io.Writer, k *keys.Key) error {
	return p.render(w, nil, p.keyDetail(k))
}

func (p *tablePrinter) NewSecret(w io.Writer, k *keys.NewSecretKey) error {
	rows := append(p.keyDetail(&k.Key), []string{"SECRET", k.Secret})
	if err := p.render(w, nil, rows); err != nil {
		return err
	}
	fmt.Fprintln(p.o.ErrOut, "warning: store the secret now: it will not be shown again (-q prints only the secret)")
	return nil
}

func (p *tablePrinter) Deleted(w io.Writer, ks []*keys.Key) error {
	for _, k := range ks {
		if _, err := fmt.Fprintf(w, "deleted key %s (%s) in %s\n", k.Name, k.ID, k.Org); err != nil {
			return err
		}
	}
	return nil
}

// tableChunk is how many rows a listing holds before it writes them: a
// table needs rows to size its columns, but `--limit 0` over a million keys
// must not hold a million rows.
const tableChunk = 1000

// tableList writes a listing as a table, a chunk of rows at a time. Every
// chunk is laid out by the same code, to column widths that only grow from
// chunk to chunk: a long listing stays aligned unless a later row is wider
// than all before it. On a terminal, columns are cut to its width (a later
// chunk may widen a column only as far as the terminal allows), so there
// every row stays aligned.
type tableList[T any] struct {
	p      *tablePrinter
	w      io.Writer
	header []string
	row    func(T) []string
	color  func(T) string
	rows   [][]string
	colors []string
	widths []int // the columns' widths so far; nil until the first chunk
	empty  string
}

func (l *tableList[T]) Add(item T) error {
	l.rows = append(l.rows, l.row(item))
	c := ""
	if l.color != nil {
		c = l.color(item)
	}
	l.colors = append(l.colors, c)
	if len(l.rows) >= tableChunk {
		return l.flush()
	}
	return nil
}

func (l *tableList[T]) flush() error {
	rows, colors := l.rows, l.colors
	first := l.widths == nil
	if first && !l.p.o.NoHeaders {
		rows = append([][]string{l.header}, rows...)
		colors = append([]string{""}, colors...)
	}
	printed := l.widths
	want := growWidths(append([]int(nil), printed...), rows)
	cut := l.p.fits()
	if cut {
		want = l.p.fitTerminal(want, l.header, printed)
	}
	l.widths = want
	err := writeRows(l.w, rows, want, colors, cut)
	l.rows, l.colors = l.rows[:0], l.colors[:0]
	return err
}

func (l *tableList[T]) Close() error {
	if len(l.rows) == 0 && l.widths == nil {
		// Nothing to align; say so where people look, keep stdout empty
		// for scripts.
		fmt.Fprintln(l.p.o.ErrOut, l.empty)
		return nil
	}
	if len(l.rows) == 0 {
		return nil
	}
	return l.flush()
}

func (p *tablePrinter) KeyList(w io.Writer) ListWriter[*keys.Key] {
	return &tableList[*keys.Key]{p: p, w: w, header: keyListHeader, row: p.keyRow, color: p.color, empty: "no keys"}
}

var auditHeader = []string{"AT", "ACTION", "KEY", "KEY ID", "ORG", "ACTOR", "DETAILS"}

func (p *tablePrinter) auditRow(e *keys.AuditEvent) []string {
	actor := e.Actor
	if e.ActorName != nil && *e.ActorName != "" {
		actor = *e.ActorName + " (" + e.Actor + ")"
	}
	details := ""
	if len(e.Details) > 0 {
		b, err := json.Marshal(e.Details)
		if err == nil {
			details = printableJSON(b)
		}
	}
	return []string{p.when(&e.At, ""), e.Action, orEmpty(e.KeyName), orEmpty(e.KeyID), e.Org, actor, details}
}

func (p *tablePrinter) AuditList(w io.Writer) ListWriter[*keys.AuditEvent] {
	return &tableList[*keys.AuditEvent]{p: p, w: w, header: auditHeader, row: p.auditRow, empty: "no audit events"}
}

func (p *tablePrinter) Verify(w io.Writer, r *keys.VerifyResult) error {
	line := string(r.Code)
	if r.KeyID != nil && r.Name != nil {
		line += fmt.Sprintf(" key %s (%s)", *r.Name, *r.KeyID)
	}
	if p.o.Color {
		c := ansiRed
		if r.Valid {
			c = "\x1b[32m"
		}
		line = c + line + ansiReset
	}
	if len(r.Grants) == 0 {
		_, err := fmt.Fprintln(w, line)
		return err
	}
	rows := [][]string{{"GRANTS", grantsText(r.Grants, "\n")}, {"EXPIRES", p.when(r.ExpiresAt, "never")}}
	if r.Account != nil {
		rows = append([][]string{{"ACCOUNT", *r.Account}}, rows...)
	}
	if r.Org != nil {
		rows = append([][]string{{"ORG", *r.Org}}, rows...)
	}
	if r.RateLimit != nil {
		rows = append(rows, []string{"RATE LIMIT", r.RateLimit.String()})
	}
	if r.RetryAfter != nil {
		rows = append(rows, []string{"RETRY AFTER", fmt.Sprintf("%ds", *r.RetryAfter)})
	}
	fmt.Fprintln(w, line)
	return p.render(w, nil, rows)
}

func (p *tablePrinter) Principal(w io.Writer, pr *keys.Principal) error {
	if pr.Key == nil {
		_, err := fmt.Fprintf(w, "%s (direct database access, full rights)\n", pr.Actor)
		return err
	}
	if err := p.Key(w, pr.Key); err != nil || pr.Server == "" {
		return err
	}
	_, err := fmt.Fprintf(w, "\nServer:     %s\nCredential: %s\n", pr.Server, pr.Source)
	return err
}

func (p *tablePrinter) Version(w io.Writer, v VersionInfo) error {
	_, err := fmt.Fprintf(w, "keyward %s (commit %s, %s, %s)\n", v.Version, v.Commit, v.GoVersion, v.Platform)
	return err
}
