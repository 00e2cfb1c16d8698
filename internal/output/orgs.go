package output

import (
	"bufio"
	"fmt"
	"io"
	"strconv"

	"github.com/keyward/keyward/internal/keys"
)

// OrgPrinter prints organizations; part of Printer.
type OrgPrinter interface {
	// Org prints one organization (orgs get).
	Org(w io.Writer, o *keys.Org) error
	// OrgCreated prints a new organization and its default key with its
	// secret (orgs create).
	OrgCreated(w io.Writer, c *keys.OrgCreated) error
	// OrgList starts a streamed list of organizations.
	OrgList(w io.Writer) ListWriter[*keys.Org]
	// OrgDeleted prints the organization a delete removed.
	OrgDeleted(w io.Writer, o *keys.Org) error
}

// NormalizeOrg returns a copy of o as JSON shows it: a UTC time.
func NormalizeOrg(o *keys.Org) *keys.Org {
	c := *o
	c.CreatedAt = c.CreatedAt.UTC()
	return &c
}

func (p *jsonPrinter) Org(w io.Writer, o *keys.Org) error { return p.encode(w, NormalizeOrg(o)) }

func (p *jsonPrinter) OrgCreated(w io.Writer, c *keys.OrgCreated) error {
	return p.encode(w, &keys.OrgCreated{
		Org:        NormalizeOrg(c.Org),
		DefaultKey: &keys.NewSecretKey{Key: *NormalizeKey(&c.DefaultKey.Key), Secret: c.DefaultKey.Secret},
	})
}

func (p *jsonPrinter) OrgList(w io.Writer) ListWriter[*keys.Org] {
	return &jsonList[*keys.Org]{p: p, w: bufio.NewWriter(w), norm: NormalizeOrg}
}

func (p *jsonPrinter) OrgDeleted(w io.Writer, o *keys.Org) error { return p.Org(w, o) }

// defaultKeyText is an organization's default key for a table: its id
// and start, or that it has none.
func defaultKeyText(o *keys.Org) string {
	if o.DefaultKeyID == nil {
		return "none"
	}
	if o.DefaultKeyStart == "" {
		return *o.DefaultKeyID
	}
	return *o.DefaultKeyID + " (" + o.DefaultKeyStart + ")"
}

func (p *tablePrinter) orgDetail(o *keys.Org) [][]string {
	return [][]string{
		{"NAME", o.Name},
		{"CREATED", p.whenExact(&o.CreatedAt, "")},
		{"KEYS", strconv.Itoa(o.KeyCount)},
		{"DEFAULT KEY", defaultKeyText(o)},
	}
}

func (p *tablePrinter) Org(w io.Writer, o *keys.Org) error {
	return p.render(w, nil, p.orgDetail(o))
}

func (p *tablePrinter) OrgCreated(w io.Writer, c *keys.OrgCreated) error {
	if err := p.Org(w, c.Org); err != nil {
		return err
	}
	if _, err := fmt.Fprintln(w, "\nDefault key:"); err != nil {
		return err
	}
	return p.NewSecret(w, c.DefaultKey)
}

var orgListHeader = []string{"NAME", "CREATED", "KEYS", "DEFAULT KEY", "START"}

func (p *tablePrinter) orgRow(o *keys.Org) []string {
	id, start := "none", ""
	if o.DefaultKeyID != nil {
		id, start = *o.DefaultKeyID, o.DefaultKeyStart
	}
	return []string{o.Name, p.when(&o.CreatedAt, ""), strconv.Itoa(o.KeyCount), id, start}
}

func (p *tablePrinter) OrgList(w io.Writer) ListWriter[*keys.Org] {
	return &tableList[*keys.Org]{p: p, w: w, header: orgListHeader, row: p.orgRow, empty: "no organizations"}
}

func (p *tablePrinter) OrgDeleted(w io.Writer, o *keys.Org) error {
	_, err := fmt.Fprintf(w, "deleted organization %s and its %s\n", o.Name, plural(o.KeyCount, "key"))
	return err
}

// plural is "1 key", "3 keys".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
