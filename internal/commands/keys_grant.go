package commands

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// GrantOptions is everything `keys grant` and `keys ungrant` need.
type GrantOptions struct {
	IO       *iostreams.IOStreams
	Service  func() (keys.Service, error)
	Printer  output.Printer
	Key      string
	Resource string
	Role     keys.Role
}

func NewCmdGrant(f *Factory, runF func(*GrantOptions) error) *cobra.Command {
	opts := &GrantOptions{IO: f.IO, Service: f.ExistingService}
	cmd := &cobra.Command{
		Use:               "grant KEY RESOURCE",
		Short:             "Add a grant to a key, or change the role of one",
		Example:           `  keyward keys grant ci-deploy /acme/staging --role editor`,
		Args:              exactArgs(2),
		ValidArgsFunction: keyThenResource(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Key, opts.Resource = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return grantRun(cmd.Context(), opts)
		},
	}
	roleFlag(cmd, &opts.Role)
	f.printsTo(cmd, &opts.Printer)
	return cmd
}

func grantRun(ctx context.Context, opts *GrantOptions) error {
	return changeGrant(opts, func(svc keys.Service, r keys.Resource) (*keys.Key, error) {
		return svc.Grant(ctx, opts.Key, keys.Grant{Resource: r, Role: opts.Role})
	})
}

// changeGrant is grant's and ungrant's one path for keys.
func changeGrant(opts *GrantOptions, change func(keys.Service, keys.Resource) (*keys.Key, error)) error {
	return applyGrantChange(opts.Resource, opts.Service, change, func(k *keys.Key) error { return opts.Printer.Key(opts.IO.Out, k) })
}

// applyGrantChange is the one path of every grant and ungrant, of keys
// and of accounts: the resource from its text, then one call, then what
// it changed as it is now.
func applyGrantChange[T any](resource string, service func() (keys.Service, error), change func(keys.Service, keys.Resource) (T, error), print func(T) error) error {
	r, err := keys.ParseResource(resource)
	if err != nil {
		return err
	}
	svc, err := service()
	if err != nil {
		return err
	}
	v, err := change(svc, r)
	if err != nil {
		return err
	}
	return print(v)
}

// roleFlag is grant's --role, for keys and accounts alike.
func roleFlag(cmd *cobra.Command, role *keys.Role) {
	cmd.Flags().Var(role, "role", "role on RESOURCE: "+keys.RoleChoices+"; a new grant is viewer, an existing one keeps its role")
	cmd.Flags().Lookup("role").DefValue = "" // "none" would read as a role
	_ = cmd.RegisterFlagCompletionFunc("role", completeRoles)
}

func NewCmdUngrant(f *Factory, runF func(*GrantOptions) error) *cobra.Command {
	opts := &GrantOptions{IO: f.IO, Service: f.ExistingService}
	cmd := &cobra.Command{
		Use:               "ungrant KEY RESOURCE",
		Short:             "Remove a grant from a key (never its last one)",
		Example:           `  keyward keys ungrant ci-deploy /acme/staging`,
		Args:              exactArgs(2),
		ValidArgsFunction: keyThenGrant(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Key, opts.Resource = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return ungrantRun(cmd.Context(), opts)
		},
	}
	f.printsTo(cmd, &opts.Printer)
	return cmd
}

func ungrantRun(ctx context.Context, opts *GrantOptions) error {
	return changeGrant(opts, func(svc keys.Service, r keys.Resource) (*keys.Key, error) {
		return svc.Ungrant(ctx, opts.Key, r)
	})
}
