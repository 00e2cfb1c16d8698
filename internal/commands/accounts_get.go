package commands

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// AccountsGetOptions is everything `accounts get` and `accounts list` need.
type AccountsGetOptions struct {
	IO      *iostreams.IOStreams
	Service func() (keys.Service, error)
	Printer output.Printer
	Account string // "" for list
	Limit   int    // list: how many to show, 0 for all
}

func NewCmdAccountsGet(f *Factory, runF func(*AccountsGetOptions) error) *cobra.Command {
	opts := &AccountsGetOptions{IO: f.IO, Service: f.ExistingService}
	cmd := &cobra.Command{
		Use:   "get ACCOUNT",
		Short: "Show one service account (by id, name or org/name)",
		Example: `  keyward accounts get deployer
  keyward accounts get acme/deployer -o json`,
		Args:              exactArgs(1),
		ValidArgsFunction: accountArgs(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Account = args[0]
			if runF != nil {
				return runF(opts)
			}
			return accountsGetRun(cmd.Context(), opts)
		},
	}
	f.printsTo(cmd, &opts.Printer)
	return cmd
}

func accountsGetRun(ctx context.Context, opts *AccountsGetOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	a, err := svc.GetAccount(ctx, opts.Account)
	if err != nil {
		return err
	}
	return opts.Printer.Account(opts.IO.Out, a)
}

func NewCmdAccountsList(f *Factory, runF func(*AccountsGetOptions) error) *cobra.Command {
	opts := &AccountsGetOptions{IO: f.IO, Service: f.ExistingService}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the service accounts you may read, by name",
		Example: `  keyward accounts list
  keyward accounts list -o json | jq -r '.[] | select(.key_count == 0) | .name'`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Limit < 0 {
				return usageErrorf("invalid --limit %d: use 0 (all) or more", opts.Limit)
			}
			if runF != nil {
				return runF(opts)
			}
			return accountsListRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVar(&opts.Limit, "limit", keys.DefaultPageSize, "how many service accounts to show; 0 for all")
	noFileFlags(cmd, "limit")
	f.printsTo(cmd, &opts.Printer)
	return cmd
}

func accountsListRun(ctx context.Context, opts *AccountsGetOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	return printPages(opts.IO.ErrOut, [2]string{"service account", "service accounts"}, opts.Limit, opts.Printer.AccountList(opts.IO.Out), accountPages(ctx, svc))
}

// accountPages fetches pages of the accounts svc's principal may read,
// for printPages and eachPage.
func accountPages(ctx context.Context, svc keys.Service) func(size int, cursor string) ([]*keys.Account, *string, error) {
	return func(size int, cursor string) ([]*keys.Account, *string, error) {
		page, err := svc.ListAccounts(ctx, keys.AccountFilter{Limit: size, Cursor: cursor})
		if err != nil {
			return nil, nil, err
		}
		return page.Items, page.NextCursor, nil
	}
}

// allAccounts is every account svc's principal may read.
func allAccounts(ctx context.Context, svc keys.Service) ([]*keys.Account, error) {
	var all []*keys.Account
	_, err := eachPage(0, accountPages(ctx, svc), func(a *keys.Account) error {
		all = append(all, a)
		return nil
	})
	return all, err
}
