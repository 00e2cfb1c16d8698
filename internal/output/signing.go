package output

import (
	"fmt"
	"io"

	"github.com/keyward/keyward/internal/keys"
)

// typeText is a key's type as the key detail shows it: a JWT key says so.
func typeText(k *keys.Key) string {
	if k.Format == keys.FormatJWT {
		return string(k.Type) + " (jwt)"
	}
	return string(k.Type)
}

func (p *jsonPrinter) SigningKeys(w io.Writer, ks []*keys.SigningKey) error {
	if !p.lines {
		if ks == nil {
			ks = []*keys.SigningKey{}
		}
		return p.encode(w, ks)
	}
	for _, k := range ks {
		if err := p.encode(w, k); err != nil {
			return err
		}
	}
	return nil
}

func (p *tablePrinter) SigningKeys(w io.Writer, ks []*keys.SigningKey) error {
	rows := make([][]string, len(ks))
	for i, k := range ks {
		until := ""
		switch k.State {
		case keys.SigningActive:
			until = fmt.Sprintf("signs new tokens; in use by %d", k.InUse)
		case keys.SigningRetired:
			until = fmt.Sprintf("in use by %d", k.InUse)
			if k.RetiresAt != nil {
				until = "published until " + p.whenExact(k.RetiresAt, "")
			}
		case keys.SigningDropped:
			until = "no longer published"
		}
		rows[i] = []string{k.KID, k.State, p.whenExact(&k.CreatedAt, ""), until}
	}
	return p.render(w, []string{"KID", "STATE", "CREATED", "USE"}, rows)
}
