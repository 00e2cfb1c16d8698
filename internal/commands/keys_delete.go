package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// DeleteOptions is everything `keys delete` needs.
type DeleteOptions struct {
	IO      *iostreams.IOStreams
	Service func() (keys.Service, error)
	Printer output.Printer
	Keys    []string
	Yes     bool
}

func NewCmdDelete(f *Factory, runF func(*DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:     "delete KEY...",
		Aliases: []string{"rm"},
		Short:   "Delete keys (all or nothing); later use is NOT_FOUND",
		Long: `Delete one or more keys. Deletion is immediate: any later use of their
secrets verifies as NOT_FOUND. Every key is resolved first; if one is
missing, nothing is deleted. The audit log keeps the record.`,
		Example:           `  keyward keys delete old-ci legacy-web --yes`,
		Args:              minimumArgs(1),
		ValidArgsFunction: keyArgs(f, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Keys = args
			if !opts.Yes && !opts.IO.CanPrompt() {
				return usageErrorf("--yes is required when not running on a terminal")
			}
			if runF != nil {
				return runF(opts)
			}
			return deleteRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	f.printsTo(cmd, &opts.Printer)
	return cmd
}

func deleteRun(ctx context.Context, opts *DeleteOptions) error {
	if !opts.Yes {
		q := fmt.Sprintf("Delete key %s?", opts.Keys[0])
		if len(opts.Keys) > 1 {
			q = fmt.Sprintf("Delete %d keys (%s)?", len(opts.Keys), strings.Join(opts.Keys, ", "))
		}
		ok, err := opts.IO.Confirm(q)
		if err != nil {
			return err
		}
		if !ok {
			return keys.Errorf(keys.Invalid, "delete cancelled: nothing was deleted")
		}
	}
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	deleted, err := svc.Delete(ctx, opts.Keys)
	if err != nil {
		return err
	}
	return opts.Printer.Deleted(opts.IO.Out, deleted)
}
