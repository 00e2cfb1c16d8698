package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/config"
	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// CreateOptions is everything `keys create` needs; tests fill it directly.
type CreateOptions struct {
	IO       *iostreams.IOStreams
	Service  func() (keys.Service, error)
	Settings func() (*config.Settings, error)
	Printer  output.Printer
	Now      func() time.Time

	Name      string
	Type      string
	Role      keys.Role
	Resources []string
	TTL       *keys.Duration
	ExpiresAt string
	Prefix    string
	Format    string
	Meta      []string
	Quiet     bool
	// Account makes the key one of a service account's, holding its
	// grants (no --resource or --role then).
	Account string
	// AllowedIPs and RateLimit are the key's policies; nil for none.
	AllowedIPs *keys.AllowList
	RateLimit  *keys.RateLimit
}

func NewCmdCreate(f *Factory, runF func(*CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{IO: f.IO, Service: f.Service, Settings: settingsFor(f), Now: nowFor(f), Role: keys.Viewer}
	var ttl durationFlag
	var policies policyFlags
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a key and print its secret, once",
		Long: `Create a key with one grant per --resource, all with --role (viewer by
default). The secret is printed once and never again: store it now.

Without --resource, the profile's default_resource is used. With
--account, the key belongs to that service account and holds its grants
(no --resource or --role then).`,
		Example: `  keyward keys create ci-deploy --resource /acme/prod --role editor --ttl 30d
  keyward keys create deployer-github --account deployer --ttl 90d
  keyward keys create web --type public --resource /acme/web -q
  keyward keys create edge --format jwt --resource /acme/edge --ttl 1d
  keyward keys create partner --resource /acme/api --allow-ip 203.0.113.0/24 --rate-limit 100/1s
  keyward --db server.db keys create root --role admin --resource /`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if err := exclusive(cmd, "ttl", "expires-at"); err != nil {
				return err
			}
			if err := accountExcludesGrants(cmd); err != nil {
				return err
			}
			opts.TTL = ttl.Ptr()
			var err error
			if opts.AllowedIPs, opts.RateLimit, err = policies.parse(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return createRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Type, "type", "secret", "key type: secret or public")
	cmd.Flags().Var(&opts.Role, "role", "role on every --resource: "+keys.RoleChoices)
	cmd.Flags().StringArrayVar(&opts.Resources, "resource", nil, "resource to grant (repeatable), e.g. /acme/prod")
	cmd.Flags().Var(&ttl, "ttl", "lifetime, e.g. 30d, 12h, 2w, 1M (default: no expiry)")
	cmd.Flags().StringVar(&opts.ExpiresAt, "expires-at", "", "expiry as RFC 3339 or YYYY-MM-DD (end of that day, UTC)")
	cmd.Flags().StringVar(&opts.Prefix, "prefix", "", "secret prefix, 1-20 of a-z0-9_ (default sk, or pk for public keys)")
	cmd.Flags().StringArrayVar(&opts.Meta, "meta", nil, "metadata key=value (repeatable)")
	cmd.Flags().StringVar(&opts.Format, "format", "opaque", "secret format: opaque, or jwt (a signed token services can verify offline; secret keys only)")
	cmd.Flags().BoolVarP(&opts.Quiet, "quiet", "q", false, "print only the secret")
	cmd.Flags().StringVar(&opts.Account, "account", "", "make the key one of this service account's: it holds the account's grants")
	_ = cmd.RegisterFlagCompletionFunc("account", accountFlag(f))
	policies.register(cmd, false)
	_ = cmd.RegisterFlagCompletionFunc("type", cobra.FixedCompletions([]string{"secret", "public"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"opaque", "jwt"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("role", completeRoles)
	_ = cmd.RegisterFlagCompletionFunc("resource", completeResources(f))
	noFileFlags(cmd, "ttl", "expires-at", "prefix", "meta")
	f.printsTo(cmd, &opts.Printer)
	return cmd
}

// orDefaultResource is the --resource flags given, else the profile's
// default_resource: what keys and accounts are created with.
func orDefaultResource(resources []string, settings func() (*config.Settings, error)) ([]string, error) {
	if len(resources) > 0 {
		return resources, nil
	}
	s, err := settings()
	if err != nil {
		return nil, err
	}
	if s.DefaultResource == "" {
		return nil, keys.Errorf(keys.Invalid, "--resource is required (or set default_resource in the profile)")
	}
	return []string{s.DefaultResource}, nil
}

// grantsOn is one grant of role on each resource.
func grantsOn(resources []string, role keys.Role) ([]keys.Grant, error) {
	var gs []keys.Grant
	for _, r := range resources {
		res, err := keys.ParseResource(r)
		if err != nil {
			return nil, err
		}
		gs = append(gs, keys.Grant{Resource: res, Role: role})
	}
	return gs, nil
}

func createRun(ctx context.Context, opts *CreateOptions) error {
	typ, err := keys.ParseKeyType(opts.Type)
	if err != nil {
		return err
	}
	resources := opts.Resources
	if opts.Account == "" { // an account's key holds the account's grants
		if resources, err = orDefaultResource(resources, opts.Settings); err != nil {
			return err
		}
	}
	format, err := keys.ParseKeyFormat(opts.Format)
	if err != nil {
		return err
	}
	req := keys.CreateRequest{Name: opts.Name, Type: typ, Prefix: opts.Prefix, TTL: opts.TTL, Account: opts.Account, Format: format, RateLimit: opts.RateLimit}
	if opts.AllowedIPs != nil {
		req.AllowedIPs = *opts.AllowedIPs
	}
	if req.Grants, err = grantsOn(resources, opts.Role); err != nil {
		return err
	}
	if opts.ExpiresAt != "" {
		t, err := keys.ParseExpiresAt(opts.ExpiresAt, opts.Now())
		if err != nil {
			return err
		}
		req.ExpiresAt = &t
	}
	if req.Meta, err = parseMeta(opts.Meta, false); err != nil {
		return err
	}
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	created, err := svc.Create(ctx, req)
	if err != nil {
		return err
	}
	if opts.Quiet {
		_, err := fmt.Fprintln(opts.IO.Out, created.Secret)
		return err
	}
	return opts.Printer.NewSecret(opts.IO.Out, created)
}
