package output

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// A long listing's later chunks, aligned by hand, read byte for byte as
// tablewriter lays them out: names, grants and audit details of varied
// widths (a wider row late in a chunk, wide characters), colours,
// terminal times, --no-headers.
func TestAlignedChunksAsTablewriter(t *testing.T) {
	ks := make([]*keys.Key, 2*tableChunk+517)
	for i := range ks {
		k := sampleKey(fmt.Sprintf("k-%d%s", i, strings.Repeat("x", i*7%23)))
		switch i % 5 {
		case 1:
			k.Enabled = false
		case 2:
			k.ExpiresAt = tp(now.Add(-time.Hour))
		case 3:
			k.Grants = append(k.Grants, keys.Grant{Resource: keys.Resource("/acme/" + strings.Repeat("r", i%40)), Role: keys.Viewer})
			k.LastUsedAt = tp(now.Add(-time.Duration(i) * time.Minute))
		case 4:
			k.ExpiresAt = nil
		}
		if i == tableChunk+900 {
			k.Name = strings.Repeat("w", 60) // wider than all before it
		}
		ks[i] = k
	}
	events := make([]*keys.AuditEvent, 2*tableChunk+3)
	for i := range events {
		name := "名前"
		events[i] = &keys.AuditEvent{ID: int64(i + 1), At: now, Org: "/acme", Actor: "local:alice", Action: keys.ActionCreate,
			KeyID: "key_0123456789abcdef", KeyName: fmt.Sprintf("k%d", i%97), Details: map[string]any{"n": strings.Repeat("d", i%13)}}
		if i%11 == 0 {
			events[i].ActorName = &name
		}
	}
	for _, o := range []Options{{}, {NoHeaders: true}, {Human: true, Color: true}} {
		o.Format, o.Now, o.ErrOut = Table, func() time.Time { return now }, io.Discard
		render := func(hand bool) string {
			defer func(h bool) { handAligned = h }(handAligned)
			handAligned = hand
			var buf bytes.Buffer
			if err := printList(New(o), &buf, ks); err != nil {
				t.Fatal(err)
			}
			l := New(o).AuditList(&buf)
			for _, e := range events {
				if err := l.Add(e); err != nil {
					t.Fatal(err)
				}
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			return buf.String()
		}
		want, got := render(false), render(true)
		if got != want {
			gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
			for i := range min(len(gl), len(wl)) {
				if gl[i] != wl[i] {
					t.Fatalf("%+v: line %d:\n got %q\nwant %q", o, i, gl[i], wl[i])
				}
			}
			t.Fatalf("%+v: %d lines, want %d", o, len(gl), len(wl))
		}
	}
}
