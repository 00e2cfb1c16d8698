package output

import (
	"io"
	"strconv"

	"bufio"

	"github.com/keyward/keyward/internal/keys"
)

// Findings are printed with their file name redacted: a secret in a file
// name is still a secret, and a finding shows only a secret's start.

func (p *jsonPrinter) Findings(w io.Writer) ListWriter[*keys.Finding] {
	return &jsonList[*keys.Finding]{p: p, w: bufio.NewWriter(w), norm: normalizeFinding}
}

func normalizeFinding(f *keys.Finding) *keys.Finding {
	c := *f
	c.File = keys.Redact(c.File)
	c.CompromisedAt = utcPtr(c.CompromisedAt)
	return &c
}

var findingHeader = []string{"FILE", "LINE", "START", "NAME", "KEY ID", "CODE", "ACTION"}

func (p *tablePrinter) findingRow(f *keys.Finding) []string {
	cell := func(s *string) string {
		if s == nil {
			return "-"
		}
		return printable(*s)
	}
	code, action := "-", "-"
	if f.Code != nil {
		code = string(*f.Code)
	}
	if f.Action != nil {
		action = string(*f.Action)
	}
	return []string{printable(keys.Redact(f.File)), strconv.Itoa(f.Line), f.Start, cell(f.Name), cell(f.KeyID), code, action}
}

// findingColor: red for a secret that still works, the rest plain.
func (p *tablePrinter) findingColor(f *keys.Finding) string {
	if p.o.Color && f.Valid != nil && *f.Valid {
		return ansiRed
	}
	return ""
}

func (p *tablePrinter) Findings(w io.Writer) ListWriter[*keys.Finding] {
	return &tableList[*keys.Finding]{p: p, w: w, header: findingHeader, row: p.findingRow, color: p.findingColor, empty: "no secrets found"}
}
