package commands

import (
	"context"

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
	opts := &WhoamiOptions{IO: f.IO, Service: f.ExistingService}
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show who commands act as: the operator key, or the local user",
		Long: `Show who commands act as. On a server: the operator key (name, id,
grants) and where its secret came from (KEYWARD_TOKEN, the keyring, or a
file). With direct database access (--db): the local user, with full rights.`,
		Example: `  keyward whoami
  keyward whoami -o json | jq -r .key.id`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return whoamiRun(cmd.Context(), opts)
		},
	}
	f.printsTo(cmd, &opts.Printer)
	return cmd
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
	return opts.Printer.Principal(opts.IO.Out, who)
}
