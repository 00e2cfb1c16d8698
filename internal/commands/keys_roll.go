package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// RollOptions is everything `keys roll` needs; tests fill it directly.
type RollOptions struct {
	IO      *iostreams.IOStreams
	Service func() (keys.Service, error)
	Printer output.Printer

	Key string
	// Grace is how long the old secret keeps working; GraceSet says
	// whether --grace was given (else the backend's default, 12h, applies).
	Grace    keys.Duration
	GraceSet bool
	TTL      *keys.Duration
	Yes      bool
	Quiet    bool
}

func NewCmdRoll(f *Factory, runF func(*RollOptions) error) *cobra.Command {
	opts := &RollOptions{IO: f.IO, Service: f.ExistingService}
	grace := durationFlag{d: keys.Duration(keys.DefaultGrace), allowZero: true}
	var ttl durationFlag
	cmd := &cobra.Command{
		Use:   "roll KEY",
		Short: "Give a key a new secret; the old one works for a grace period",
		Long: `Give a key a new secret, keeping its id, name and grants. The previous
secret keeps working for --grace (12h by default, 0 for not at all), never
beyond the key's own expiry. At most two secrets work at once: rolling
again ends the older one at once.`,
		Example: `  keyward keys roll ci-deploy --grace 1h --yes -o json | jq -r .secret
  NEW=$(keyward keys roll ci-deploy --grace 0 --yes -q)`,
		Args:              exactArgs(1),
		ValidArgsFunction: keyArgs(f, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Key = args[0]
			opts.Grace, opts.GraceSet = grace.d, grace.set
			opts.TTL = ttl.Ptr()
			if !opts.Yes && !opts.IO.CanPrompt() {
				return usageErrorf("--yes is required when not running on a terminal")
			}
			if runF != nil {
				return runF(opts)
			}
			return rollRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().Var(&grace, "grace", "how long the old secret keeps working (e.g. 30m, 12h, 1d; 0 = not at all)")
	cmd.Flags().Var(&ttl, "ttl", "also set the key's expiry to now + this, e.g. 30d")
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVarP(&opts.Quiet, "quiet", "q", false, "print only the new secret")
	noFileFlags(cmd, "grace", "ttl")
	f.printsTo(cmd, &opts.Printer)
	return cmd
}

func rollRun(ctx context.Context, opts *RollOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	ref := opts.Key
	if !opts.Yes {
		// The key first: a missing or ambiguous one is said before any
		// question, and the question names what will be rolled.
		k, err := svc.Get(ctx, opts.Key)
		if err != nil {
			return err
		}
		grace := time.Duration(opts.Grace)
		what := "The current secret stops working at once."
		if grace > 0 {
			what = "The current secret keeps working for " + keys.FormatDuration(grace) + "."
		}
		ok, err := opts.IO.Confirm(fmt.Sprintf("Roll %s (%s, %s)? %s", k.Name, k.ID, k.Org, what))
		if err != nil {
			return err
		}
		if !ok {
			return keys.Errorf(keys.Invalid, "roll cancelled: key %s is unchanged", k.Name)
		}
		ref = k.ID // exactly the key confirmed
	}
	req := keys.RollRequest{TTL: opts.TTL}
	if opts.GraceSet {
		g := opts.Grace
		req.Grace = &g
	}
	rolled, err := svc.Roll(ctx, ref, req)
	if err != nil {
		return err
	}
	if opts.Quiet {
		_, err := fmt.Fprintln(opts.IO.Out, rolled.Secret)
		return err
	}
	return opts.Printer.NewSecret(opts.IO.Out, rolled)
}
