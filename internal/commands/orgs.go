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

// NewCmdOrgs is the `orgs` group.
func NewCmdOrgs(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "orgs <command>",
		Aliases: []string{"org"},
		Short:   "Manage organizations and their default keys",
	}
	cmd.AddCommand(
		NewCmdOrgCreate(f, nil),
		NewCmdOrgList(f, nil),
		NewCmdOrgGet(f, nil),
		NewCmdOrgDelete(f, nil),
	)
	return cmd
}

// OrgCreateOptions is everything `orgs create` needs.
type OrgCreateOptions struct {
	IO          *iostreams.IOStreams
	Service     func() (keys.Service, error)
	Printer     output.Printer
	Name        string
	DefaultType string
	DefaultRole keys.Role
	Quiet       bool
}

func NewCmdOrgCreate(f *Factory, runF func(*OrgCreateOptions) error) *cobra.Command {
	opts := &OrgCreateOptions{IO: f.IO, Service: f.Service, DefaultRole: keys.Viewer}
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Register an organization and make its default key, printing its secret once",
		Long: `Register the organization /NAME and make its default key in one
transaction: a key named "default", public with viewer on /NAME unless
--default-type and --default-role say otherwise (a public key holds at most
viewer). The default key's secret is printed once and never again.

Only an admin on / may create organizations. An organization also comes
into being, without a default key, when a key is first created under it.`,
		Example: `  keyward orgs create acme
  keyward orgs create acme --default-type secret --default-role admin -q
  keyward orgs create acme -o json | jq -r .default_key.secret`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return orgCreateRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.DefaultType, "default-type", "public", "the default key's type: public or secret")
	cmd.Flags().Var(&opts.DefaultRole, "default-role", "the default key's role on the organization: "+keys.RoleChoices)
	cmd.Flags().BoolVarP(&opts.Quiet, "quiet", "q", false, "print only the default key's secret")
	_ = cmd.RegisterFlagCompletionFunc("default-type", cobra.FixedCompletions([]string{"public", "secret"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("default-role", completeRoles)
	f.printsTo(cmd, &opts.Printer)
	return cmd
}

func orgCreateRun(ctx context.Context, opts *OrgCreateOptions) error {
	typ, err := keys.ParseKeyType(opts.DefaultType)
	if err != nil {
		return err
	}
	req := keys.OrgCreateRequest{Name: opts.Name, DefaultType: typ, DefaultRole: opts.DefaultRole}
	// Checked before any database is opened or made: a bad name or a
	// public admin key is exit 2 wherever it is asked.
	if _, _, err := req.Normalize(); err != nil {
		return err
	}
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	created, err := svc.CreateOrg(ctx, req)
	if err != nil {
		return err
	}
	if opts.Quiet {
		_, err := fmt.Fprintln(opts.IO.Out, created.DefaultKey.Secret)
		return err
	}
	return opts.Printer.OrgCreated(opts.IO.Out, created)
}

// OrgListOptions is everything `orgs list` needs.
type OrgListOptions struct {
	IO      *iostreams.IOStreams
	Service func() (keys.Service, error)
	Printer output.Printer
	// Limit is how many organizations to show; 0 is all.
	Limit int
}

func NewCmdOrgList(f *Factory, runF func(*OrgListOptions) error) *cobra.Command {
	opts := &OrgListOptions{IO: f.IO, Service: f.ExistingService}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the organizations you may read, by name",
		Long: `List organizations by name, with how many keys each holds and its
default key. An operator key sees the organizations it holds at least
viewer on as a whole (/acme, not only /acme/prod); an admin or viewer on /
sees them all.`,
		Example: `  keyward orgs list
  keyward orgs list -o json | jq -r '.[] | select(.default_key_id == null) | .name'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Limit < 0 {
				return usageErrorf("invalid --limit %d: use 0 (all) or more", opts.Limit)
			}
			if runF != nil {
				return runF(opts)
			}
			return orgListRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVar(&opts.Limit, "limit", keys.DefaultPageSize, "how many organizations to show; 0 for all")
	noFileFlags(cmd, "limit")
	f.printsTo(cmd, &opts.Printer)
	return cmd
}

func orgListRun(ctx context.Context, opts *OrgListOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	table := opts.Printer.Format().IsTable()
	return printPages(opts.IO.ErrOut, [2]string{"organization", "organizations"}, opts.Limit, opts.Printer.OrgList(opts.IO.Out),
		func(size int, cursor string) ([]*keys.Org, *string, error) {
			page, err := svc.ListOrgs(ctx, keys.OrgFilter{Limit: size, Cursor: cursor})
			if err != nil {
				return nil, nil, err
			}
			if table {
				defaultKeyStarts(ctx, svc, page.Items)
			}
			return page.Items, page.NextCursor, nil
		})
}

// defaultKeyStarts fills in the default keys' starts that a server's
// answer lacks (an organization's JSON names its default key by id only),
// for the table's START column. A key that cannot be read just shows none.
func defaultKeyStarts(ctx context.Context, svc keys.Service, orgs []*keys.Org) {
	for _, o := range orgs {
		if o.DefaultKeyID == nil || o.DefaultKeyStart != "" {
			continue
		}
		if k, err := svc.Get(ctx, *o.DefaultKeyID); err == nil {
			o.DefaultKeyStart = k.Start
		}
	}
}

// OrgGetOptions is everything `orgs get` needs.
type OrgGetOptions struct {
	IO      *iostreams.IOStreams
	Service func() (keys.Service, error)
	Printer output.Printer
	Name    string
}

func NewCmdOrgGet(f *Factory, runF func(*OrgGetOptions) error) *cobra.Command {
	opts := &OrgGetOptions{IO: f.IO, Service: f.ExistingService}
	cmd := &cobra.Command{
		Use:   "get NAME",
		Short: "Show one organization: its keys and default key",
		Long: `Show one organization: when it was made, how many keys are in it, and
its default key (or "none"). Its admins (admin on /NAME) and root admins
may get it.`,
		Example: `  keyward orgs get acme
  keyward orgs get /acme -o json`,
		Args:              exactArgs(1),
		ValidArgsFunction: orgArgs(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return orgGetRun(cmd.Context(), opts)
		},
	}
	f.printsTo(cmd, &opts.Printer)
	return cmd
}

func orgGetRun(ctx context.Context, opts *OrgGetOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	o, err := svc.GetOrg(ctx, opts.Name)
	if err != nil {
		return err
	}
	if opts.Printer.Format().IsTable() {
		defaultKeyStarts(ctx, svc, []*keys.Org{o})
	}
	return opts.Printer.Org(opts.IO.Out, o)
}

// OrgDeleteOptions is everything `orgs delete` needs.
type OrgDeleteOptions struct {
	IO       *iostreams.IOStreams
	Service  func() (keys.Service, error)
	Printer  output.Printer
	Name     string
	WithKeys bool
	Yes      bool
}

func NewCmdOrgDelete(f *Factory, runF func(*OrgDeleteOptions) error) *cobra.Command {
	opts := &OrgDeleteOptions{IO: f.IO, Service: f.ExistingService}
	cmd := &cobra.Command{
		Use:     "delete NAME",
		Aliases: []string{"rm"},
		Short:   "Delete an organization (refused while it holds keys or service accounts, unless --with-keys)",
		Long: `Delete an organization. While keys or service accounts remain in it this
is refused (exit 5), unless --with-keys, which deletes every one of them in
the same transaction (all or nothing; each key stops working at once; an
audit row for each key and each account). Root keys with grants under
the organization are not in it and stay. The audit log keeps every record.

Only an admin on / may delete organizations.`,
		Example:           `  keyward orgs delete acme --with-keys --yes`,
		Args:              exactArgs(1),
		ValidArgsFunction: orgArgs(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if !opts.Yes && !opts.IO.CanPrompt() {
				return usageErrorf("--yes is required when not running on a terminal")
			}
			if runF != nil {
				return runF(opts)
			}
			return orgDeleteRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.WithKeys, "with-keys", false, "also delete every key and service account in the organization")
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	f.printsTo(cmd, &opts.Printer)
	return cmd
}

func orgDeleteRun(ctx context.Context, opts *OrgDeleteOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	if !opts.Yes {
		o, err := svc.GetOrg(ctx, opts.Name)
		if err != nil {
			return err
		}
		accounts, err := orgAccounts(ctx, svc, o.Name)
		if err != nil {
			return err
		}
		if (o.KeyCount > 0 || accounts > 0) && !opts.WithKeys {
			// Refused anyway (keys or accounts remain): said without a
			// question first.
			_, err := svc.DeleteOrg(ctx, opts.Name, keys.OrgDeleteRequest{})
			return err
		}
		q := orgDeleteQuestion(o, opts.WithKeys, accounts)
		ok, err := opts.IO.Confirm(q)
		if err != nil {
			return err
		}
		if !ok {
			return keys.Errorf(keys.Invalid, "delete cancelled: nothing was deleted")
		}
	}
	deleted, err := svc.DeleteOrg(ctx, opts.Name, keys.OrgDeleteRequest{WithKeys: opts.WithKeys})
	if err != nil {
		return err
	}
	return opts.Printer.OrgDeleted(opts.IO.Out, deleted)
}

// orgAccounts counts the service accounts in org: what orgs delete
// --with-keys takes along besides its keys.
func orgAccounts(ctx context.Context, svc keys.Service, org string) (int, error) {
	all, err := allAccounts(ctx, svc)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range all {
		if a.Org == org {
			n++
		}
	}
	return n, nil
}

// orgDeleteQuestion names what deleting o takes along.
func orgDeleteQuestion(o *keys.Org, withKeys bool, accounts int) string {
	var what []string
	switch {
	case !withKeys:
	case o.KeyCount == 1:
		what = append(what, "its key")
	case o.KeyCount > 1:
		what = append(what, fmt.Sprintf("its %d keys", o.KeyCount))
	}
	switch {
	case !withKeys:
	case accounts == 1:
		what = append(what, "its service account")
	case accounts > 1:
		what = append(what, fmt.Sprintf("its %d service accounts", accounts))
	}
	if len(what) == 0 {
		return fmt.Sprintf("Delete organization %s?", o.Name)
	}
	q := fmt.Sprintf("Delete organization %s and %s?", o.Name, strings.Join(what, " and "))
	switch {
	case o.KeyCount == 1:
		q += " It stops working at once."
	case o.KeyCount > 1:
		q += " They stop working at once."
	}
	return q
}

// orgArgs completes a NAME argument with the organizations the operator
// may read: as typed, with or without the leading slash.
func orgArgs(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		svc := completionService(f)
		if svc == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := completeContext(cmd)
		defer cancel()
		slash := strings.HasPrefix(toComplete, "/")
		var out []string
		filter := keys.OrgFilter{Limit: keys.MaxPageSize}
		for range completeMaxPages {
			page, err := svc.ListOrgs(ctx, filter)
			if err != nil {
				cobra.CompDebugln("keyward: "+err.Error(), false)
				break
			}
			for _, o := range page.Items {
				name := o.Name
				if !slash {
					name = strings.TrimPrefix(name, "/")
				}
				if strings.HasPrefix(name, toComplete) {
					out = append(out, fmt.Sprintf("%s\t%d keys", name, o.KeyCount))
				}
			}
			if page.NextCursor == nil || ctx.Err() != nil {
				break
			}
			filter.Cursor = *page.NextCursor
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
