package commands

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// UpdateOptions is everything `keys update` needs.
type UpdateOptions struct {
	IO      *iostreams.IOStreams
	Service func() (keys.Service, error)
	Printer output.Printer
	Now     func() time.Time

	Key       string
	Name      *string
	TTL       *keys.Duration
	ExpiresAt string
	NoExpiry  bool
	Enabled   *bool
	Meta      []string
	// AllowedIPs replaces the allow-list (empty: removes it), RateLimit
	// the limit (zero: removes it); nil leaves each as it is.
	AllowedIPs *keys.AllowList
	RateLimit  *keys.RateLimit
}

func NewCmdUpdate(f *Factory, runF func(*UpdateOptions) error) *cobra.Command {
	opts := &UpdateOptions{IO: f.IO, Service: f.ExistingService, Now: nowFor(f)}
	var ttl durationFlag
	var name string
	var enable, disable bool
	var policies policyFlags
	cmd := &cobra.Command{
		Use:   "update KEY",
		Short: "Rename a key, change its expiry, enable or disable it, edit its metadata or policies",
		Example: `  keyward keys update ci-deploy --ttl 90d
  keyward keys update ci-deploy --disable
  keyward keys update ci-deploy --meta team=platform --meta old=
  keyward keys update partner --allow-ip 203.0.113.0/24 --allow-ip 2001:db8::/32 --rate-limit 5000/1h
  keyward keys update partner --clear-allow-ip --rate-limit ''`,
		Args:              exactArgs(1),
		ValidArgsFunction: keyArgs(f, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Key = args[0]
			if err := exclusive(cmd, "ttl", "expires-at", "no-expiry"); err != nil {
				return err
			}
			if err := exclusive(cmd, "enable", "disable"); err != nil {
				return err
			}
			if cmd.Flags().Changed("name") {
				opts.Name = &name
			}
			opts.TTL = ttl.Ptr()
			if cmd.Flags().Changed("enable") || cmd.Flags().Changed("disable") {
				v := enable && !disable
				if cmd.Flags().Changed("disable") {
					v = !disable
				}
				opts.Enabled = &v
			}
			var err error
			if opts.AllowedIPs, opts.RateLimit, err = policies.parse(cmd); err != nil {
				return err
			}
			if opts.Name == nil && opts.TTL == nil && opts.ExpiresAt == "" && !opts.NoExpiry && opts.Enabled == nil && len(opts.Meta) == 0 && !policies.changed(cmd) {
				return usageErrorf("nothing to update: use --name, --ttl, --expires-at, --no-expiry, --enable, --disable, --meta, --allow-ip or --rate-limit")
			}
			if runF != nil {
				return runF(opts)
			}
			return updateRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "new name")
	cmd.Flags().Var(&ttl, "ttl", "new lifetime from now, e.g. 30d")
	cmd.Flags().StringVar(&opts.ExpiresAt, "expires-at", "", "new expiry as RFC 3339 or YYYY-MM-DD (end of that day, UTC)")
	cmd.Flags().BoolVar(&opts.NoExpiry, "no-expiry", false, "remove the expiry")
	cmd.Flags().BoolVar(&enable, "enable", false, "enable the key")
	cmd.Flags().BoolVar(&disable, "disable", false, "disable the key (it verifies as DISABLED)")
	cmd.Flags().StringArrayVar(&opts.Meta, "meta", nil, "set metadata key=value; key= removes it (repeatable)")
	policies.register(cmd, true)
	noFileFlags(cmd, "name", "ttl", "expires-at", "meta")
	f.printsTo(cmd, &opts.Printer)
	return cmd
}

func updateRun(ctx context.Context, opts *UpdateOptions) error {
	req := keys.UpdateRequest{Name: opts.Name, TTL: opts.TTL, NoExpiry: opts.NoExpiry, Enabled: opts.Enabled,
		AllowedIPs: opts.AllowedIPs, RateLimit: opts.RateLimit}
	if opts.ExpiresAt != "" {
		t, err := keys.ParseExpiresAt(opts.ExpiresAt, opts.Now())
		if err != nil {
			return err
		}
		req.ExpiresAt = &t
	}
	var err error
	if req.Meta, err = parseMeta(opts.Meta, true); err != nil {
		return err
	}
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	k, err := svc.Update(ctx, opts.Key, req)
	if err != nil {
		return err
	}
	return opts.Printer.Key(opts.IO.Out, k)
}
