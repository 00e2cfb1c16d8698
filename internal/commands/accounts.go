package commands

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/keys"
)

// accountIDPrefix starts every account id (and no account name).
const accountIDPrefix = "acc_"

// NewCmdAccounts is the `accounts` group: service accounts, identities
// that hold grants and own several keys.
func NewCmdAccounts(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "accounts <command>",
		Short: "Manage service accounts: grants held once, shared by several keys",
		Long: `A service account holds grants and owns keys (keyward keys create NAME
--account ACCOUNT). Each key keeps its own name, expiry, secrets and
revocation, and holds exactly its account's grants: a change to the
account reaches every one of its keys at once.`,
	}
	cmd.AddCommand(
		NewCmdAccountsCreate(f, nil),
		NewCmdAccountsList(f, nil),
		NewCmdAccountsGet(f, nil),
		NewCmdAccountsDelete(f, nil),
		NewCmdAccountsGrant(f, nil),
		NewCmdAccountsUngrant(f, nil),
	)
	return cmd
}

// accountFlag completes an --account flag's value.
func accountFlag(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return completeAccountRefs(cmd, f, toComplete)
	}
}

// accountArgs completes the ACCOUNT argument (the first), then nothing.
func accountArgs(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return completeAccountRefs(cmd, f, toComplete)
	}
}

// accountThen completes ACCOUNT, then its second argument with next.
func accountThen(f *Factory, next func(cmd *cobra.Command, account, toComplete string) ([]string, cobra.ShellCompDirective)) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		switch len(args) {
		case 0:
			return completeAccountRefs(cmd, f, toComplete)
		case 1:
			return next(cmd, args[0], toComplete)
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeAccountRefs offers the visible accounts: a name, org/name when
// accounts of several organizations share the name or what is typed has
// a slash, an id when what is typed starts with acc_.
func completeAccountRefs(cmd *cobra.Command, f *Factory, toComplete string) ([]string, cobra.ShellCompDirective) {
	svc := completionService(f)
	if svc == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := completeContext(cmd)
	defer cancel()
	as, err := allAccounts(ctx, svc)
	if err != nil {
		cobra.CompDebugln("keyward: "+err.Error(), false)
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	orgs := map[string]int{}
	for _, a := range as {
		orgs[a.Name]++
	}
	var out []string
	for _, a := range as {
		qualified := strings.TrimPrefix(a.Org, "/") + "/" + a.Name
		ref := a.Name
		switch {
		case strings.HasPrefix(toComplete, accountIDPrefix):
			ref = a.ID
		case strings.Contains(toComplete, "/") || orgs[a.Name] > 1:
			ref = qualified
		}
		if strings.HasPrefix(ref, toComplete) {
			out = append(out, ref+"\t"+describeAccount(a))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

func describeAccount(a *keys.Account) string {
	return a.Org + ", " + grantsSummary(a.Grants)
}

// grantsSummary is grants on one line: /acme/prod:editor, /acme/dev:viewer.
func grantsSummary(gs []keys.Grant) string {
	parts := make([]string, len(gs))
	for i, g := range gs {
		parts[i] = string(g.Resource) + ":" + g.Role.String()
	}
	return strings.Join(parts, ", ")
}

// accountExcludesGrants is the usage error of `keys create --account`
// with grants of its own: a key holds its account's grants or its own.
func accountExcludesGrants(cmd *cobra.Command) error {
	if !cmd.Flags().Changed("account") {
		return nil
	}
	for _, n := range []string{"resource", "role"} {
		if cmd.Flags().Changed(n) {
			return usageErrorf("--%s cannot be used with --account: a key of a service account holds its account's grants (change them with keyward accounts grant)", n)
		}
	}
	return nil
}
