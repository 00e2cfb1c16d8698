package output

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// jsonPrinter writes one JSON document (lists are arrays), or with lines
// set one compact object per line.
type jsonPrinter struct{ lines bool }

func (p *jsonPrinter) Format() Format {
	if p.lines {
		return JSONL
	}
	return JSON
}

// encode writes v as one document: indented for json, one line for jsonl.
func (p *jsonPrinter) encode(w io.Writer, v any) error {
	b, err := marshal(v, !p.lines, "")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func marshal(v any, indent bool, prefix string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent(prefix, "  ")
	}
	if err := enc.Encode(v); err != nil {
		return nil, keys.Errorf(keys.Internal, "encoding JSON: %v", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func (p *jsonPrinter) Key(w io.Writer, k *keys.Key) error { return p.encode(w, NormalizeKey(k)) }

func (p *jsonPrinter) NewSecret(w io.Writer, k *keys.NewSecretKey) error {
	n := &keys.NewSecretKey{Key: *NormalizeKey(&k.Key), Secret: k.Secret}
	return p.encode(w, n)
}

func (p *jsonPrinter) Deleted(w io.Writer, ks []*keys.Key) error {
	l := p.KeyList(w)
	for _, k := range ks {
		if err := l.Add(k); err != nil {
			return err
		}
	}
	return l.Close()
}

func (p *jsonPrinter) KeyList(w io.Writer) ListWriter[*keys.Key] {
	return &jsonList[*keys.Key]{p: p, w: bufio.NewWriter(w), norm: NormalizeKey}
}

func (p *jsonPrinter) AuditList(w io.Writer) ListWriter[*keys.AuditEvent] {
	return &jsonList[*keys.AuditEvent]{p: p, w: bufio.NewWriter(w), norm: NormalizeAudit}
}

func (p *jsonPrinter) Verify(w io.Writer, r *keys.VerifyResult) error {
	c := *r
	c.ExpiresAt = utcPtr(c.ExpiresAt)
	return p.encode(w, &c)
}

// principalJSON is whoami's shape, one for both backends: name, key,
// server and source are null under direct database access.
type principalJSON struct {
	Actor  string    `json:"actor"`
	Name   *string   `json:"name"`
	Key    *keys.Key `json:"key"`
	Server *string   `json:"server"`
	Source *string   `json:"source"`
}

func (p *jsonPrinter) Principal(w io.Writer, pr *keys.Principal) error {
	v := principalJSON{Actor: pr.Actor}
	if pr.Key != nil {
		v.Name, v.Key = &pr.Name, NormalizeKey(pr.Key)
	}
	if pr.Server != "" {
		v.Server, v.Source = &pr.Server, &pr.Source
	}
	return p.encode(w, v)
}

func (p *jsonPrinter) Version(w io.Writer, v VersionInfo) error { return p.encode(w, v) }

// jsonList streams a JSON array ('[', items, ']') or JSON lines through a
// buffer that goes out whenever it fills: a long listing shows progress and
// holds nothing, without a write per item.
type jsonList[T any] struct {
	p    *jsonPrinter
	w    *bufio.Writer
	norm func(T) T
	n    int
	buf  bytes.Buffer
	enc  *json.Encoder // into buf, reused: one encoder per item costs a third of a listing
}

func (l *jsonList[T]) Add(item T) error {
	if l.enc == nil {
		l.enc = json.NewEncoder(&l.buf)
		l.enc.SetEscapeHTML(false)
		if !l.p.lines {
			l.enc.SetIndent("  ", "  ")
		}
	}
	l.buf.Reset()
	if err := l.enc.Encode(l.norm(item)); err != nil {
		return keys.Errorf(keys.Internal, "encoding JSON: %v", err)
	}
	b := bytes.TrimRight(l.buf.Bytes(), "\n")
	switch {
	case l.p.lines:
		b = append(b, '\n')
	case l.n == 0:
		l.w.WriteString("[\n  ")
	default:
		l.w.WriteString(",\n  ")
	}
	l.n++
	// bufio keeps the first write error: returning it stops a listing
	// whose reader has gone (a closed pipe).
	_, err := l.w.Write(b)
	return err
}

func (l *jsonList[T]) Close() error {
	if !l.p.lines {
		if l.n == 0 {
			l.w.WriteString("[]\n")
		} else {
			l.w.WriteString("\n]\n")
		}
	}
	return l.w.Flush()
}

// NormalizeKey returns a copy of k as JSON shows it: UTC times, grants and
// meta never null.
func NormalizeKey(k *keys.Key) *keys.Key {
	c := *k
	c.CreatedAt = c.CreatedAt.UTC()
	c.ExpiresAt = utcPtr(c.ExpiresAt)
	c.PreviousExpiresAt = utcPtr(c.PreviousExpiresAt)
	c.LastUsedAt = utcPtr(c.LastUsedAt)
	c.CompromisedAt = utcPtr(c.CompromisedAt)
	if c.Format == "" { // from a server older than JWT keys
		c.Format = keys.FormatOpaque
	}
	if c.Grants == nil {
		c.Grants = []keys.Grant{}
	}
	if c.Meta == nil {
		c.Meta = map[string]string{}
	}
	if len(c.AllowedIPs) == 0 {
		c.AllowedIPs = nil // none is null, never []
	}
	return &c
}

// NormalizeAudit returns a copy of e with a UTC time and details never null.
func NormalizeAudit(e *keys.AuditEvent) *keys.AuditEvent {
	c := *e
	c.At = c.At.UTC()
	if c.Details == nil {
		c.Details = map[string]any{}
	}
	return &c
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
