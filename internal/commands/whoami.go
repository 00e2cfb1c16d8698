package commands

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// WhoamiOptions is everything `whoami` needs; tests fill it directly.
type WhoamiOptions struct {
	IO      *iostreams.IOStreams
	Service func() (keys.Service, error)
	Printer output.Printer
}

func NewCmdWhoami(f *Factory, runF func(*WhoamiOptions) error) *cobra.Command {
	opts := &WhoamiOptions{IO: f.IO, Service: f.ReadService}
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show who commands act as: the operator key, or the local user",
		Long: `Show who commands act as. On a server: the operator key (name, id,
grants) and where its secret came from (KEYWARD_TOKEN, the keyring, or a
file). With direct database access (--db): the local user, with full rights.`,
		Example: `  keyward whoami
  keyward whoami -o json | jq -r .key.id`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := printerFor(f)
			if err != nil {
				return err
			}
			opts.Printer = p
			if runF != nil {
				return runF(opts)
			}
			return whoamiRun(cmd.Context(), opts)
		},
	}
	return cmd
}

// whoamiJSON is whoami's JSON, one shape for both backends: the principal,
// the server and where the credential came from (both null under --db,
// as is the name of the local principal).
type whoamiJSON struct {
	Actor  string    `json:"actor"`
	Name   *string   `json:"name"`
	Key    *keys.Key `json:"key"`
	Server *string   `json:"server"`
	Source *string   `json:"source"`
}

func whoamiRun(ctx context.Context, opts *WhoamiOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	who, err := svc.WhoAmI(ctx)
	if err != nil {
		return err
	}
	v := whoamiJSON{Actor: who.Actor}
	if who.Key != nil {
		v.Name, v.Key = &who.Name, output.NormalizeKey(who.Key)
	}
	if remote, ok := svc.(*remoteService); ok {
		server, source := remote.BaseURL(), remote.cred.Source()
		v.Server, v.Source = &server, &source
	}
	switch opts.Printer.Format() {
	case output.JSON, output.JSONL:
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetEscapeHTML(false)
		if opts.Printer.Format() == output.JSON {
			enc.SetIndent("", "  ")
		}
		if err := enc.Encode(v); err != nil {
			return keys.Errorf(keys.Internal, "encoding JSON: %v", err)
		}
		return nil
	}
	if err := opts.Printer.Principal(opts.IO.Out, who); err != nil {
		return err
	}
	if v.Server == nil {
		return nil
	}
	_, err = fmt.Fprintf(opts.IO.Out, "\nServer:     %s\nCredential: %s\n", *v.Server, *v.Source)
	return err
}
