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
	opts := &DeleteOptions{IO: f.IO, Service: f.ExistingService}
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
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	refs := opts.Keys
	if !opts.Yes {
		// Every key first: a missing or ambiguous one is said before any
		// question, and the question names what will be deleted.
		var named, ids []string
		for _, ref := range opts.Keys {
			k, err := svc.Get(ctx, ref)
			if err != nil {
				return err
			}
			named = append(named, fmt.Sprintf("%s (%s, %s)", k.Name, k.ID, k.Org))
			ids = append(ids, k.ID)
		}
		q := fmt.Sprintf("Delete %s? It stops working at once.", named[0])
		if len(named) > 1 {
			q = fmt.Sprintf("Delete %d keys: %s? They stop working at once.", len(named), strings.Join(named, ", "))
		}
		ok, err := opts.IO.Confirm(q)
		if err != nil {
			return err
		}
		if !ok {
			return keys.Errorf(keys.Invalid, "delete cancelled: nothing was deleted")
		}
		refs = ids // exactly the keys confirmed
	}
	deleted, err := svc.Delete(ctx, refs)
	if err != nil {
		return err
	}
	return opts.Printer.Deleted(opts.IO.Out, deleted)
}
