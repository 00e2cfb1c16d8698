package commands

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/config"
	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// AccountsCreateOptions is everything `accounts create` needs.
type AccountsCreateOptions struct {
	IO       *iostreams.IOStreams
	Service  func() (keys.Service, error)
	Settings func() (*config.Settings, error)
	Printer  output.Printer

	Name      string
	Role      keys.Role
	Resources []string
}

func NewCmdAccountsCreate(f *Factory, runF func(*AccountsCreateOptions) error) *cobra.Command {
	opts := &AccountsCreateOptions{IO: f.IO, Service: f.Service, Settings: settingsFor(f), Role: keys.Viewer}
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a service account holding grants",
		Long: `Create a service account with one grant per --resource, all with --role
(viewer by default), as keys create does. Its keys are made with
keyward keys create NAME --account ACCOUNT and hold exactly its grants.

Without --resource, the profile's default_resource is used.`,
		Example: `  keyward accounts create deployer --resource /acme/prod --role editor
  keyward keys create deployer-github --account deployer --ttl 90d`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return accountsCreateRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().Var(&opts.Role, "role", "role on every --resource: "+keys.RoleChoices)
	cmd.Flags().StringArrayVar(&opts.Resources, "resource", nil, "resource to grant (repeatable), e.g. /acme/prod")
	_ = cmd.RegisterFlagCompletionFunc("role", completeRoles)
	_ = cmd.RegisterFlagCompletionFunc("resource", completeResources(f))
	f.printsTo(cmd, &opts.Printer)
	return cmd
}

func accountsCreateRun(ctx context.Context, opts *AccountsCreateOptions) error {
	resources, err := orDefaultResource(opts.Resources, opts.Settings)
	if err != nil {
		return err
	}
	req := keys.CreateAccountRequest{Name: opts.Name}
	if req.Grants, err = grantsOn(resources, opts.Role); err != nil {
		return err
	}
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	a, err := svc.CreateAccount(ctx, req)
	if err != nil {
		return err
	}
	return opts.Printer.Account(opts.IO.Out, a)
}
