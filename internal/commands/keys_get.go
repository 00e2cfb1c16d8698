package commands

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// GetOptions is everything `keys get` needs.
type GetOptions struct {
	IO      *iostreams.IOStreams
	Service func() (keys.Service, error)
	Printer output.Printer
	Key     string
}

func NewCmdGet(f *Factory, runF func(*GetOptions) error) *cobra.Command {
	opts := &GetOptions{IO: f.IO, Service: f.ExistingService}
	cmd := &cobra.Command{
		Use:   "get KEY",
		Short: "Show one key (by id, name or org/name)",
		Example: `  keyward keys get ci-deploy
  keyward keys get acme/ci-deploy -o json`,
		Args:              exactArgs(1),
		ValidArgsFunction: keyArgs(f, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Key = args[0]
			if runF != nil {
				return runF(opts)
			}
			return getRun(cmd.Context(), opts)
		},
	}
	f.printsTo(cmd, &opts.Printer)
	return cmd
}

func getRun(ctx context.Context, opts *GetOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	k, err := svc.Get(ctx, opts.Key)
	if err != nil {
		return err
	}
	return opts.Printer.Key(opts.IO.Out, k)
}
