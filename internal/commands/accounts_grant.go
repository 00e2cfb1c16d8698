package commands

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// AccountsGrantOptions is everything `accounts grant` and `accounts
// ungrant` need.
type AccountsGrantOptions struct {
	IO       *iostreams.IOStreams
	Service  func() (keys.Service, error)
	Printer  output.Printer
	Account  string
	Resource string
	Role     keys.Role
}

func NewCmdAccountsGrant(f *Factory, runF func(*AccountsGrantOptions) error) *cobra.Command {
	opts := &AccountsGrantOptions{IO: f.IO, Service: f.ExistingService}
	cmd := &cobra.Command{
		Use:     "grant ACCOUNT RESOURCE",
		Short:   "Add a grant to a service account (and all its keys), or change its role",
		Example: `  keyward accounts grant deployer /acme/staging --role editor`,
		Args:    exactArgs(2),
		ValidArgsFunction: accountThen(f, func(cmd *cobra.Command, _, toComplete string) ([]string, cobra.ShellCompDirective) {
			return completeResources(f)(cmd, nil, toComplete)
		}),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Account, opts.Resource = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return accountsGrantRun(cmd.Context(), opts)
		},
	}
	roleFlag(cmd, &opts.Role)
	f.printsTo(cmd, &opts.Printer)
	return cmd
}

func accountsGrantRun(ctx context.Context, opts *AccountsGrantOptions) error {
	return changeAccountGrant(opts, func(svc keys.Service, r keys.Resource) (*keys.Account, error) {
		return svc.GrantAccount(ctx, opts.Account, keys.Grant{Resource: r, Role: opts.Role})
	})
}

func NewCmdAccountsUngrant(f *Factory, runF func(*AccountsGrantOptions) error) *cobra.Command {
	opts := &AccountsGrantOptions{IO: f.IO, Service: f.ExistingService}
	cmd := &cobra.Command{
		Use:               "ungrant ACCOUNT RESOURCE",
		Short:             "Remove a grant from a service account and all its keys (never its last one)",
		Example:           `  keyward accounts ungrant deployer /acme/staging`,
		Args:              exactArgs(2),
		ValidArgsFunction: accountThen(f, completeAccountGrants(f)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Account, opts.Resource = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return accountsUngrantRun(cmd.Context(), opts)
		},
	}
	f.printsTo(cmd, &opts.Printer)
	return cmd
}

func accountsUngrantRun(ctx context.Context, opts *AccountsGrantOptions) error {
	return changeAccountGrant(opts, func(svc keys.Service, r keys.Resource) (*keys.Account, error) {
		return svc.UngrantAccount(ctx, opts.Account, r)
	})
}

// changeAccountGrant is grant's and ungrant's one path for accounts.
func changeAccountGrant(opts *AccountsGrantOptions, change func(keys.Service, keys.Resource) (*keys.Account, error)) error {
	return applyGrantChange(opts.Resource, opts.Service, change, func(a *keys.Account) error { return opts.Printer.Account(opts.IO.Out, a) })
}

// completeAccountGrants completes the resources an account holds grants on.
func completeAccountGrants(f *Factory) func(cmd *cobra.Command, account, toComplete string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, account, toComplete string) ([]string, cobra.ShellCompDirective) {
		svc := completionService(f)
		if svc == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := completeContext(cmd)
		defer cancel()
		a, err := svc.GetAccount(ctx, account)
		if err != nil {
			cobra.CompDebugln("keyward: "+err.Error(), false)
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, g := range a.Grants {
			if r := string(g.Resource); strings.HasPrefix(r, toComplete) {
				out = append(out, r+"\t"+g.Role.String())
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
