package commands

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// AccountsDeleteOptions is everything `accounts delete` needs.
type AccountsDeleteOptions struct {
	IO      *iostreams.IOStreams
	Service func() (keys.Service, error)
	Printer output.Printer
	Account string
	Yes     bool
}

func NewCmdAccountsDelete(f *Factory, runF func(*AccountsDeleteOptions) error) *cobra.Command {
	opts := &AccountsDeleteOptions{IO: f.IO, Service: f.ExistingService}
	cmd := &cobra.Command{
		Use:     "delete ACCOUNT",
		Aliases: []string{"rm"},
		Short:   "Delete a service account that has no keys left",
		Long: `Delete a service account. It must have no keys left (exit 5 while it
has): delete them first with keyward keys delete. The audit log keeps
the record.`,
		Example:           `  keyward accounts delete deployer --yes`,
		Args:              exactArgs(1),
		ValidArgsFunction: accountArgs(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Account = args[0]
			if !opts.Yes && !opts.IO.CanPrompt() {
				return usageErrorf("--yes is required when not running on a terminal")
			}
			if runF != nil {
				return runF(opts)
			}
			return accountsDeleteRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	f.printsTo(cmd, &opts.Printer)
	return cmd
}

func accountsDeleteRun(ctx context.Context, opts *AccountsDeleteOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	ref := opts.Account
	if !opts.Yes {
		a, err := svc.GetAccount(ctx, ref)
		if err != nil {
			return err
		}
		ok, err := opts.IO.Confirm(fmt.Sprintf("Delete service account %s (%s, %s)?", a.Name, a.ID, a.Org))
		if err != nil {
			return err
		}
		if !ok {
			return keys.Errorf(keys.Invalid, "delete cancelled: nothing was deleted")
		}
		ref = a.ID // exactly the account confirmed
	}
	a, err := svc.DeleteAccount(ctx, ref)
	if err != nil {
		return err
	}
	return opts.Printer.DeletedAccount(opts.IO.Out, a)
}
