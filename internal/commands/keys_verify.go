package commands

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// VerifyOptions is everything `keys verify` needs. The secret is never an
// argument: it comes from stdin or a hidden prompt.
type VerifyOptions struct {
	IO       *iostreams.IOStreams
	Service  func() (keys.Service, error)
	Printer  output.Printer
	Resource string
	Role     string
	// IP is the address the key is presented from, checked against its
	// allow-list; "" is not known.
	IP string
}

func NewCmdVerify(f *Factory, runF func(*VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{IO: f.IO, Service: f.ExistingService}
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check a secret (read from stdin) against a resource and role",
		Long: `Check a presented secret, read from stdin (or a hidden prompt on a
terminal), optionally for a resource and a minimum role (viewer by
default), from an address (--ip: a key with an IP allow-list verifies
only from an address in it, and never without --ip). The result is
printed in every format, with the key's rate limit; the exit code is 0
for VALID and 7 otherwise (NOT_FOUND, DISABLED, EXPIRED, IP_NOT_ALLOWED,
INSUFFICIENT_PERMISSIONS, RATE_LIMITED). Rate limits count a server's
verifications: with --server this one counts (and may be RATE_LIMITED),
with --db it does not.`,
		Example: `  printf %s "$SECRET" | keyward keys verify --resource /acme/prod/robot-1 --role editor
  printf %s "$SECRET" | keyward keys verify --ip 203.0.113.7
  keyward keys verify -o json < secret.txt`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return verifyRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Resource, "resource", "", "resource the key must cover, e.g. /acme/prod/robot-1")
	cmd.Flags().StringVar(&opts.Role, "role", "", "minimum `role` the key must hold (default viewer): "+keys.RoleChoices)
	cmd.Flags().StringVar(&opts.IP, "ip", "", "address the key is presented from, for its IP allow-list, e.g. 203.0.113.7")
	noFileFlags(cmd, "ip")
	_ = cmd.RegisterFlagCompletionFunc("role", completeRoles)
	_ = cmd.RegisterFlagCompletionFunc("resource", completeResources(f))
	f.printsTo(cmd, &opts.Printer)
	return cmd
}

func verifyRun(ctx context.Context, opts *VerifyOptions) error {
	req := keys.VerifyRequest{}
	if opts.Resource != "" {
		r, err := keys.ParseResource(opts.Resource)
		if err != nil {
			return err
		}
		req.Resource = &r
	}
	if opts.Role != "" {
		role, err := keys.ParseRole(opts.Role)
		if err != nil {
			return err
		}
		req.Role = &role
	}
	if opts.IP != "" {
		ip, err := keys.ParseAddr(opts.IP)
		if err != nil {
			return err
		}
		req.IP = ip
	}
	// The backend first: a --db that is not a keyward database is exit 2
	// whatever is (or is not) on stdin, and before anyone is prompted.
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	secret, err := opts.IO.ReadSecret("Secret: ")
	if err != nil {
		return keys.Errorf(keys.Invalid, "%s", err.Error())
	}
	var res *keys.VerifyResult
	if secret == "" {
		// Nothing presented is a malformed secret: NOT_FOUND with no
		// lookup, so a script always gets a result and exit 7; a person
		// gets a hint.
		fmt.Fprintf(opts.IO.ErrOut, "warning: no secret on stdin (%s)\n", `printf %s "$SECRET" | keyward keys verify`)
		res = keys.NotFoundResult()
	} else {
		req.Secret = secret
		if res, err = svc.Verify(ctx, req); err != nil {
			return err
		}
	}
	if err := opts.Printer.Verify(opts.IO.Out, res); err != nil {
		return err
	}
	if !res.Valid {
		return errNotValid
	}
	return nil
}
