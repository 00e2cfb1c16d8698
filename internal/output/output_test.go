package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

var now = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

func tp(t time.Time) *time.Time { return &t }

func sampleKey(name string) *keys.Key {
	return &keys.Key{
		ID: "key_0123456789abcdef", Name: name, Org: "/acme", Type: keys.Secret, Start: "sk_abcd",
		Grants:    []keys.Grant{{Resource: "/acme/prod", Role: keys.Editor}},
		CreatedAt: now.Add(-48 * time.Hour), ExpiresAt: tp(now.Add(3 * keys.Day)), Enabled: true,
		CreatedBy: "local:alice",
	}
}

func TestJSONNeverNull(t *testing.T) {
	var buf bytes.Buffer
	p := New(Options{Format: JSON})
	k := sampleKey("a")
	k.Grants, k.Meta = nil, nil
	if err := p.Key(&buf, k); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"id", "name", "org", "type", "start", "grants", "created_at", "expires_at", "previous_expires_at", "enabled", "last_used_at", "meta", "created_by"} {
		if _, ok := m[f]; !ok {
			t.Errorf("field %s missing", f)
		}
	}
	if m["grants"] == nil || m["meta"] == nil || m["last_used_at"] != nil {
		t.Errorf("grants/meta must be empty, not null; absent times null: %s", buf.String())
	}
}

func TestJSONTimesAreUTC(t *testing.T) {
	var buf bytes.Buffer
	k := sampleKey("a")
	k.CreatedAt = k.CreatedAt.In(time.FixedZone("X", 3600))
	New(Options{Format: JSONL}).Key(&buf, k)
	if !strings.Contains(buf.String(), `"created_at":"2026-11-20T09:00:00Z"`) {
		t.Fatalf("not UTC: %s", buf.String())
	}
}

func TestStreamedLists(t *testing.T) {
	for _, tc := range []struct {
		format Format
		n      int
		want   string
	}{
		{JSON, 0, "[]\n"},
		{JSONL, 0, ""},
	} {
		var buf bytes.Buffer
		l := New(Options{Format: tc.format}).KeyList(&buf)
		l.Close()
		if buf.String() != tc.want {
			t.Errorf("%s empty = %q", tc.format, buf.String())
		}
	}
	var buf bytes.Buffer
	l := New(Options{Format: JSON}).KeyList(&buf)
	// Streaming: items go out as the buffer fills, before the list ends;
	// at most one buffer's worth is held back.
	for i := 0; i < 200; i++ {
		l.Add(sampleKey(fmt.Sprint("k", i)))
	}
	if written := strings.Count(buf.String(), `"name"`); !strings.HasPrefix(buf.String(), "[\n  {") || written < 150 {
		t.Fatalf("only %d of 200 items written before Close", written)
	}
	l.Close()
	var ks []keys.Key
	if err := json.Unmarshal(buf.Bytes(), &ks); err != nil || len(ks) != 200 || ks[199].Name != "k199" {
		t.Fatalf("array: %v %s", err, buf.String())
	}
	buf.Reset()
	l = New(Options{Format: JSONL}).KeyList(&buf)
	l.Add(sampleKey("a"))
	l.Add(sampleKey("b"))
	l.Close()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 || !json.Valid([]byte(lines[0])) {
		t.Fatalf("jsonl: %q", buf.String())
	}
}

func TestTableOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	p := New(Options{Format: Table, Now: func() time.Time { return now }})
	printList(p, &buf, []*keys.Key{sampleKey("ci-deploy"), sampleKey("web")})
	out := buf.String()
	if !strings.HasPrefix(out, "NAME") || !strings.Contains(out, "2026-11-25T09:00:00Z") || strings.Contains(out, "\x1b[") {
		t.Fatalf("table:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasSuffix(line, " ") {
			t.Errorf("trailing blanks: %q", line)
		}
	}
	buf.Reset()
	printList(New(Options{Format: Table, NoHeaders: true}), &buf, []*keys.Key{sampleKey("ci-deploy")})
	if strings.Contains(buf.String(), "NAME") || strings.Count(buf.String(), "\n") != 1 || !strings.HasPrefix(buf.String(), "ci-deploy ") {
		t.Fatalf("--no-headers:\n%q", buf.String())
	}
}

// One line per meta entry in the detail view, a comma in a value included.
func TestTableKeyMeta(t *testing.T) {
	var buf bytes.Buffer
	k := sampleKey("ci-deploy")
	k.Meta = map[string]string{"team": "web", "tags": "a,b"}
	if err := New(Options{Format: Table, Now: func() time.Time { return now }}).Key(&buf, k); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "META         tags=a,b\n             team=web\n") {
		t.Fatalf("meta:\n%s", buf.String())
	}
	// Control characters are quoted, never sent to the terminal.
	buf.Reset()
	k.Meta = map[string]string{"note": "two\nlines \x1b[2J"}
	New(Options{Format: Table}).Key(&buf, k)
	if strings.Contains(buf.String(), "\x1b") || !strings.Contains(buf.String(), `note="two\nlines \x1b[2J"`) {
		t.Fatalf("meta with control characters:\n%q", buf.String())
	}
}

// The audit table's details are JSON, which leaves DEL and Unicode's
// format characters (U+202E, right-to-left override) as they are: meta
// recorded in a row could reorder or hide what the terminal shows of it.
// They are escaped as meta is in a key's table, and the column stays JSON.
func TestAuditTableEscapesInvisibleCharacters(t *testing.T) {
	var buf bytes.Buffer
	l := New(Options{Format: Table}).AuditList(&buf)
	e := &keys.AuditEvent{ID: 1, At: now, Org: "/acme", Actor: "local:alice", Action: keys.ActionCreate,
		Details: map[string]any{"meta": map[string]any{"note": "a\u202eb\x7fc\U000e0001d é"}}}
	if err := l.Add(e); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, r := range []string{"\u202e", "\x7f", "\U000e0001"} {
		if strings.Contains(out, r) {
			t.Errorf("audit table holds %q raw:\n%q", r, out)
		}
	}
	i := strings.Index(out, "{")
	var d map[string]map[string]string
	if i < 0 || json.Unmarshal([]byte(strings.TrimSpace(out[i:])), &d) != nil || d["meta"]["note"] != "a\u202eb\x7fc\U000e0001d é" {
		t.Errorf("details are no longer the JSON of the row: %q", out)
	}
}

func TestTableOnTerminal(t *testing.T) {
	var buf bytes.Buffer
	p := New(Options{Format: Table, Human: true, Color: true, Now: func() time.Time { return now }})
	expired := sampleKey("old")
	expired.ExpiresAt = tp(now.Add(-2 * time.Hour))
	disabled := sampleKey("off")
	disabled.Enabled = false
	printList(p, &buf, []*keys.Key{sampleKey("ci-deploy"), expired, disabled})
	out := buf.String()
	for _, want := range []string{"in 3 days", "2 hours ago", "never used", ansiRed + "old ", ansiGrey + "off ", "expired", "disabled"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(strings.Split(out, "\n")[1], "\x1b[") {
		t.Errorf("an active key is not coloured: %q", out)
	}
}

// One key's details on a terminal show the day beside how soon; off a
// terminal, RFC 3339 alone.
func TestKeyDetailShowsAbsoluteTimesOnTerminal(t *testing.T) {
	k := sampleKey("ci-deploy")
	var buf bytes.Buffer
	New(Options{Format: Table, Human: true, Now: func() time.Time { return now }}).Key(&buf, k)
	want := k.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC") + " (in 3 days)"
	if !strings.Contains(buf.String(), want) {
		t.Errorf("missing %q in\n%s", want, buf.String())
	}
	buf.Reset()
	New(Options{Format: Table, Now: func() time.Time { return now }}).Key(&buf, k)
	if !strings.Contains(buf.String(), k.ExpiresAt.UTC().Format(time.RFC3339)) || strings.Contains(buf.String(), "(in 3 days)") {
		t.Errorf("off a terminal:\n%s", buf.String())
	}
}

func TestNewSecretTableWarns(t *testing.T) {
	var out, errOut bytes.Buffer
	p := New(Options{Format: Table, ErrOut: &errOut})
	p.NewSecret(&out, &keys.NewSecretKey{Key: *sampleKey("a"), Secret: "sk_secret"})
	if !strings.Contains(out.String(), "sk_secret") || !strings.Contains(errOut.String(), "will not be shown again") || strings.Contains(errOut.String(), "sk_secret") {
		t.Fatalf("out %q err %q", out.String(), errOut.String())
	}
}

func TestVerifyTable(t *testing.T) {
	var buf bytes.Buffer
	id, name, org := "key_0123456789abcdef", "ci-deploy", "/acme"
	New(Options{Format: Table}).Verify(&buf, &keys.VerifyResult{Valid: true, Code: keys.CodeValid, KeyID: &id, Name: &name, Org: &org, Grants: []keys.Grant{{Resource: "/acme", Role: keys.Admin}}})
	if !strings.HasPrefix(buf.String(), "VALID key ci-deploy (key_0123456789abcdef)\n") {
		t.Fatalf("verify: %q", buf.String())
	}
	buf.Reset()
	New(Options{Format: Table}).Verify(&buf, keys.NotFoundResult())
	if buf.String() != "NOT_FOUND\n" {
		t.Fatalf("not found: %q", buf.String())
	}
}

func TestErrorLine(t *testing.T) {
	var buf bytes.Buffer
	Error(&buf, Table, keys.Errorf(keys.NotFound, "key %q not found\nreally", "x"))
	if buf.String() != "error: key \"x\" not found really\n" {
		t.Fatalf("table error: %q", buf.String())
	}
	buf.Reset()
	Error(&buf, JSON, errors.New("plain <failure>"))
	if buf.String() != `{"error":{"code":"internal","message":"plain <failure>"}}`+"\n" {
		t.Fatalf("json error: %q", buf.String())
	}
}

func TestRelative(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "now", 2 * time.Second: "in 2 seconds", -2 * time.Second: "2 seconds ago", 30 * time.Second: "in 30 seconds", -time.Minute: "1 minute ago", -2 * time.Hour: "2 hours ago",
		3 * keys.Day: "in 3 days", 90 * keys.Day: "in 3 months", -3 * 365 * keys.Day: "3 years ago",
		// a fresh --ttl 30d key, listed a few seconds later
		30*keys.Day - 3*time.Second: "in 30 days", 3*keys.Day - time.Second: "in 3 days", 2*time.Hour + 40*time.Minute: "in 3 hours",
	} {
		if got := Relative(now.Add(d), now); got != want {
			t.Errorf("Relative(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"", "table", "json", "jsonl"} {
		if _, err := ParseFormat(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	if _, err := ParseFormat("yaml"); keys.ErrorCode(err) != keys.Invalid {
		t.Errorf("yaml: %v", err)
	}
}

// A long table listing goes out a chunk at a time, with one header and
// columns that stay aligned when later rows are narrower.
func TestTableListStreamsInChunks(t *testing.T) {
	var buf bytes.Buffer
	var errb bytes.Buffer
	l := New(Options{Format: Table, ErrOut: &errb}).KeyList(&buf)
	n := 2*tableChunk + 10
	for i := 0; i < n; i++ {
		name := "a-very-long-key-name"
		if i >= tableChunk {
			name = fmt.Sprint("k", i) // narrower than the first chunk's
		}
		l.Add(sampleKey(name))
		if i == tableChunk && buf.Len() == 0 {
			t.Fatalf("nothing written after %d rows", i+1)
		}
	}
	l.Close()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != n+1 || !strings.HasPrefix(lines[0], "NAME") || strings.Count(buf.String(), "NAME") != 1 {
		t.Fatalf("got %d lines (want %d, one header)", len(lines), n+1)
	}
	col := strings.Index(lines[0], "ID")
	for i, line := range lines[1:] {
		if !strings.HasPrefix(line[col:], "key_") {
			t.Fatalf("row %d: the ID column moved: %q", i, line)
		}
	}
}

// printList prints ks as a listing (keys list) would.
func printList(p Printer, w io.Writer, ks []*keys.Key) error {
	l := p.KeyList(w)
	for _, k := range ks {
		if err := l.Add(k); err != nil {
			return err
		}
	}
	return l.Close()
}

func TestDeletedTable(t *testing.T) {
	var buf bytes.Buffer
	New(Options{Format: Table}).Deleted(&buf, []*keys.Key{sampleKey("ci-deploy")})
	if got := buf.String(); got != "deleted key ci-deploy (key_0123456789abcdef) in /acme\n" {
		t.Errorf("deleted = %q", got)
	}
}

// An error message may come from a server: its control characters are
// shown escaped, never sent raw to the operator's terminal.
func TestErrorEscapesControlCharacters(t *testing.T) {
	var b bytes.Buffer
	Error(&b, Table, keys.Errorf(keys.Invalid, "bad \x1b]0;PWNED\a\x1b[31mred\u009b"))
	if got := b.String(); strings.ContainsAny(got, "\x1b\a\u009b") || !strings.Contains(got, `\x1b]0;PWNED\x07\x1b[31mred\x9b`) {
		t.Errorf("error line %q", got)
	}
}
