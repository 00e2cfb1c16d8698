package output

import (
	"bufio"
	"fmt"
	"io"
	"strconv"

	"github.com/keyward/keyward/internal/keys"
)

// NormalizeAccount returns a copy of a as JSON shows it: a UTC time,
// grants never null.
func NormalizeAccount(a *keys.Account) *keys.Account {
	c := *a
	c.CreatedAt = c.CreatedAt.UTC()
	if c.Grants == nil {
		c.Grants = []keys.Grant{}
	}
	return &c
}

func (p *jsonPrinter) Account(w io.Writer, a *keys.Account) error {
	return p.encode(w, NormalizeAccount(a))
}

func (p *jsonPrinter) DeletedAccount(w io.Writer, a *keys.Account) error { return p.Account(w, a) }

func (p *jsonPrinter) AccountList(w io.Writer) ListWriter[*keys.Account] {
	return &jsonList[*keys.Account]{p: p, w: bufio.NewWriter(w), norm: NormalizeAccount}
}

func (p *tablePrinter) Account(w io.Writer, a *keys.Account) error {
	return p.render(w, nil, [][]string{
		{"ID", a.ID},
		{"NAME", a.Name},
		{"ORG", a.Org},
		{"GRANTS", grantsText(a.Grants, "\n")},
		{"KEYS", strconv.Itoa(a.KeyCount)},
		{"CREATED", p.whenExact(&a.CreatedAt, "")},
		{"CREATED BY", a.CreatedBy},
	})
}

func (p *tablePrinter) DeletedAccount(w io.Writer, a *keys.Account) error {
	_, err := fmt.Fprintf(w, "deleted service account %s (%s) in %s\n", a.Name, a.ID, a.Org)
	return err
}

var accountListHeader = []string{"NAME", "ID", "ORG", "GRANTS", "KEYS", "CREATED"}

func (p *tablePrinter) accountRow(a *keys.Account) []string {
	return []string{a.Name, a.ID, a.Org, p.grantsCell(a.Grants), strconv.Itoa(a.KeyCount), p.when(&a.CreatedAt, "")}
}

func (p *tablePrinter) AccountList(w io.Writer) ListWriter[*keys.Account] {
	return &tableList[*keys.Account]{p: p, w: w, header: accountListHeader, row: p.accountRow, empty: "no service accounts"}
}

// orEmpty is a nullable field as a table cell.
func orEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
