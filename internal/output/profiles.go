package output

import (
	"fmt"
	"io"
)

// ProfileInfo is one profile of the config file as `profile list` shows
// it: the server or database it names, and whether it is the current one.
type ProfileInfo struct {
	Name    string  `json:"name"`
	Server  *string `json:"server"`
	DB      *string `json:"db"`
	Current bool    `json:"current"`
}

// ProfileDetail is `profile show`: a profile and where its operator
// credential comes from (null for a database profile, which needs none).
type ProfileDetail struct {
	ProfileInfo
	Credential *string `json:"credential"`
}

func (p *jsonPrinter) Profiles(w io.Writer, ps []ProfileInfo) error {
	if !p.lines {
		if ps == nil {
			ps = []ProfileInfo{}
		}
		return p.encode(w, ps)
	}
	for _, pi := range ps {
		if err := p.encode(w, pi); err != nil {
			return err
		}
	}
	return nil
}

func (p *jsonPrinter) Profile(w io.Writer, d ProfileDetail) error { return p.encode(w, d) }

func (p *tablePrinter) Profiles(w io.Writer, ps []ProfileInfo) error {
	rows := make([][]string, len(ps))
	for i, pi := range ps {
		mark, target := "", "(default database)"
		if pi.Current {
			mark = "*"
		}
		switch {
		case pi.Server != nil:
			target = *pi.Server
		case pi.DB != nil:
			target = *pi.DB
		}
		rows[i] = []string{mark, pi.Name, target}
	}
	return p.render(w, []string{"CURRENT", "NAME", "SERVER OR DATABASE"}, rows)
}

func (p *tablePrinter) Profile(w io.Writer, d ProfileDetail) error {
	rows := [][]string{{"NAME", d.Name}}
	if d.Server != nil {
		rows = append(rows, []string{"SERVER", *d.Server})
	}
	if d.DB != nil {
		rows = append(rows, []string{"DATABASE", *d.DB})
	}
	if d.Credential != nil {
		rows = append(rows, []string{"CREDENTIAL", *d.Credential})
	}
	rows = append(rows, []string{"CURRENT", fmt.Sprint(d.Current)})
	return p.render(w, nil, rows)
}
