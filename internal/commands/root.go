package commands

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/keyward/keyward/internal/config"
	"github.com/keyward/keyward/internal/keys"
)

// NewCmdRoot is the keyward command tree. It fills whatever f lacks
// (Settings from the global flags, Service, Printer).
func NewCmdRoot(f *Factory) *cobra.Command { return newCmdRoot(f, nil) }

// newCmdRoot is the tree args run in: the whole of it, or, when args name
// one of the root's commands (see branchNamed), the root with that one
// branch alone. Building every command and its flags (591 allocations,
// 101 KB: BenchmarkRootTree) was paid by every command line, and grew
// with every command added; a command line never reaches the others.
func newCmdRoot(f *Factory, args []string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keyward <command>",
		Short: "Create, roll, scope and verify API keys",
		Long: `keyward administers API keys, either directly in a database (a local
SQLite file by default) or through a keyward server.

Every command prints a table for people, or JSON (-o json, -o jsonl) for
scripts. Secrets are shown once, on create and roll, and are never taken
as arguments.

Exit codes:
  0  ok; key valid              4  unauthenticated or forbidden
  1  any other error            5  conflict (name taken, ambiguous, last grant)
  2  usage or bad input         6  unavailable (unreachable, 503, locked, keyring)
  3  not found                  7  keys verify: key not valid
  (scan exits 1 when it finds secrets, 0 when it finds none)

Environment:
  KEYWARD_DB, KEYWARD_SERVER, KEYWARD_PROFILE, KEYWARD_OUTPUT,
  KEYWARD_NO_HEADERS, KEYWARD_CA_FILE, KEYWARD_DEBUG   as the global flags
  KEYWARD_TOKEN      the operator's token (over the keyring)
  KEYWARD_CONFIG     another config file (as KUBECONFIG)
  NO_COLOR           no colour in tables
  PGPASSWORD         the password of a postgres:// --db (or ~/.pgpass)
  KEYWARD_SIGNING_KEK, KEYWARD_SIGNING_KEY   JWT keys' key-encryption key, or its file
  KEYWARD_JWT_ISSUER the iss of JWT keys made with --db (default keyward)
Precedence: flag > environment > config file > default.

Files:
  $XDG_CONFIG_HOME/keyward/config.yaml   profiles (or $KEYWARD_CONFIG)
  $XDG_DATA_HOME/keyward/keyward.db      the default database (~/.local/share/...)
  the OS keyring (Secret Service)        tokens: service keyward, user = profile
  <database>.signing-key                 JWT keys' key-encryption key, beside a SQLite file`,
		Example: `  keyward keys create ci-deploy --resource /acme/prod --role editor --ttl 30d
  printf %s "$SECRET" | keyward keys verify --resource /acme/prod/robot-1
  keyward keys roll ci-deploy --grace 1h --yes -q`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.CompletionOptions.DisableDefaultCmd = true
	cmd.Version = Version
	cmd.SetVersionTemplate("keyward {{.Version}}\n")
	config.AddFlags(cmd.PersistentFlags())
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(config.Formats, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("profile", completeProfiles)
	noFileFlags(cmd, "server")
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		// keyward's own values say what was wrong with the value already:
		// "--role: invalid role "god": use ...", not pflag's wrapping too.
		var bad *pflag.InvalidValueError
		var ke *keys.Error
		if errors.As(err, &bad) && errors.As(err, &ke) {
			return usageErrorf("--%s: %s (see '%s --help')", bad.GetFlag().Name, ke.Message, c.CommandPath())
		}
		if errors.As(err, &bad) {
			what := "is not a valid value"
			switch t := bad.GetFlag().Value.Type(); {
			case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
				what = "is not a whole number"
			case t == "bool":
				what = "is not true or false"
			}
			return usageErrorf("--%s: %q %s (see '%s --help')", bad.GetFlag().Name, bad.GetValue(), what, c.CommandPath())
		}
		return usageErrorf("%s (see '%s --help')", err.Error(), c.CommandPath())
	})
	// Parsing is over when this runs: any error before it (an unknown
	// command or flag) is a usage error, any after it is the command's.
	var jq string
	cmd.PersistentFlags().StringVar(&jq, "jq", "", "filter JSON output with a jq `expression` (gojq), e.g. '.[].name'")
	cmd.PersistentPreRunE = func(c *cobra.Command, args []string) error {
		if err := emptyFlagValues(c); err != nil {
			return err
		}
		if jq != "" {
			j, err := startJQ(f, c, jq)
			if err != nil {
				return err
			}
			f.jq = j
		}
		f.started = true
		return nil
	}
	f.fill(cmd.PersistentFlags())

	// The root's commands in the order they are added; groups are made
	// runnable only to refuse unknown subcommands (below).
	groups := []*cobra.Command{cmd}
	group := func(c *cobra.Command) *cobra.Command {
		groups = append(groups, c)
		return c
	}
	global := cmd.PersistentFlags()
	branches := []rootBranch{
		{"keys", func(rest []string) *cobra.Command { return group(newCmdKeys(f, global, rest)) }},
		{"audit", func([]string) *cobra.Command { return group(newCmdAudit(f)) }},
		{"version", func([]string) *cobra.Command { return NewCmdVersion(f, nil) }},
		{"completion", func([]string) *cobra.Command { return NewCmdCompletion(f) }},
		{"login", func([]string) *cobra.Command { return NewCmdLogin(f, nil) }},
		{"logout", func([]string) *cobra.Command { return NewCmdLogout(f, nil) }},
		{"whoami", func([]string) *cobra.Command { return NewCmdWhoami(f, nil) }},
		{"serve", func([]string) *cobra.Command { return NewCmdServe(f, nil) }},
		{"backup", func([]string) *cobra.Command { return NewCmdBackup(f, nil) }},
		{"scan", func([]string) *cobra.Command { return NewCmdScan(f, nil) }},
		{"jwks", func([]string) *cobra.Command { return NewCmdJWKS(f, nil) }},
		{"signing-keys", func([]string) *cobra.Command { return NewCmdSigningKeys(f, nil) }},
		{"profile", func([]string) *cobra.Command { return group(NewCmdProfile(f)) }},
		{"orgs", func([]string) *cobra.Command { return group(NewCmdOrgs(f)) }},
		{"accounts", func([]string) *cobra.Command { return group(NewCmdAccounts(f)) }},
	}
	addBranches(cmd, args, global, branches)

	// Group commands show their help; an unknown subcommand is a usage
	// error (exit 2), not a silent help page.
	for _, g := range groups {
		g.Args = groupArgs
		g.DisableFlagsInUseLine = true
		g.SuggestionsMinimumDistance = 2
		g.RunE = func(c *cobra.Command, args []string) error { return c.Help() }
	}
	// Groups are runnable only to refuse unknown subcommands: their usage
	// is "keyward keys [command]" alone. Subcommands inherit the template.
	cmd.SetUsageTemplate(strings.Replace(cmd.UsageTemplate(), "{{if .Runnable}}\n  {{.UseLine}}{{end}}",
		"{{if and .Runnable (not .HasAvailableSubCommands)}}\n  {{.UseLine}}{{end}}", 1))
	return cmd
}

// newCmdKeys is the keys group; with rest (the words after "keys"), only
// the subcommand they name, as the root's branches (addBranches).
func newCmdKeys(f *Factory, global *pflag.FlagSet, rest []string) *cobra.Command {
	keysCmd := &cobra.Command{
		Use:   "keys <command>",
		Short: "Manage API keys",
	}
	leaf := func(build func() *cobra.Command) func([]string) *cobra.Command {
		return func([]string) *cobra.Command { return build() }
	}
	addBranches(keysCmd, rest, global, []rootBranch{
		{"create", leaf(func() *cobra.Command { return NewCmdCreate(f, nil) })},
		{"list", leaf(func() *cobra.Command { return NewCmdList(f, nil) })},
		{"get", leaf(func() *cobra.Command { return NewCmdGet(f, nil) })},
		{"update", leaf(func() *cobra.Command { return NewCmdUpdate(f, nil) })},
		{"roll", leaf(func() *cobra.Command { return NewCmdRoll(f, nil) })},
		{"delete", leaf(func() *cobra.Command { return NewCmdDelete(f, nil) })},
		{"grant", leaf(func() *cobra.Command { return NewCmdGrant(f, nil) })},
		{"ungrant", leaf(func() *cobra.Command { return NewCmdUngrant(f, nil) })},
		{"verify", leaf(func() *cobra.Command { return NewCmdVerify(f, nil) })},
	})
	return keysCmd
}

func newCmdAudit(f *Factory) *cobra.Command {
	auditCmd := &cobra.Command{
		Use:   "audit <command>",
		Short: "Read the audit log of key changes",
	}
	auditCmd.AddCommand(NewCmdAuditList(f, nil))
	return auditCmd
}

func completeProfiles(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	file, err := config.Load()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	return file.ProfileNames(), cobra.ShellCompDirectiveNoFileComp
}
