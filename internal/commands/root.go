package commands

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/keyward/keyward/internal/config"
	"github.com/keyward/keyward/internal/keys"
)

// NewCmdRoot is the keyward command tree. It fills whatever f lacks
// (Settings from the global flags, Service, Printer).
func NewCmdRoot(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keyward <command>",
		Short: "Create, roll, scope and verify API keys",
		Long: `keyward administers API keys, either directly in a database (a local
SQLite file by default) or through a keyward server.

Every command prints a table for people, or JSON (-o json, -o jsonl) for
scripts. Secrets are shown once, on create and roll, and are never taken
as arguments.`,
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
	f.fill(cmd.PersistentFlags())

	keysCmd := &cobra.Command{
		Use:   "keys <command>",
		Short: "Manage API keys",
	}
	keysCmd.AddCommand(
		NewCmdCreate(f, nil),
		NewCmdList(f, nil),
		NewCmdGet(f, nil),
		NewCmdUpdate(f, nil),
		NewCmdRoll(f, nil),
		NewCmdDelete(f, nil),
		NewCmdGrant(f, nil),
		NewCmdUngrant(f, nil),
		NewCmdVerify(f, nil),
	)
	auditCmd := &cobra.Command{
		Use:   "audit <command>",
		Short: "Read the audit log of key changes",
	}
	auditCmd.AddCommand(NewCmdAuditList(f, nil))

	cmd.AddCommand(keysCmd, auditCmd, NewCmdVersion(f, nil), NewCmdCompletion(f))
	cmd.AddCommand(NewCmdLogin(f, nil), NewCmdLogout(f, nil), NewCmdWhoami(f, nil), NewCmdServe(f, nil))

	// Group commands show their help; an unknown subcommand is a usage
	// error (exit 2), not a silent help page.
	for _, g := range []*cobra.Command{cmd, keysCmd, auditCmd} {
		g.Args = noArgsGroup
		g.DisableFlagsInUseLine = true
		g.SuggestionsMinimumDistance = 2
		g.RunE = func(c *cobra.Command, args []string) error { return c.Help() }
	}
	// Groups are runnable only to refuse unknown subcommands: their usage
	// is "keyward keys [command]" alone. Subcommands inherit the template.
	cmd.SetUsageTemplate(strings.Replace(cmd.UsageTemplate(), "{{if .Runnable}}\n  {{.UseLine}}{{end}}",
		"{{if and .Runnable (not .HasAvailableSubCommands)}}\n  {{.UseLine}}{{end}}", 1))
	markUsage(cmd, f)
	return cmd
}

// emptyFlagValues refuses a command flag given an empty value
// (`--resource ""`, `--expires-at "$UNSET"`): read as "not given", it would
// turn a script's unset variable into a wider check or a key that never
// expires. Global flags may be emptied to clear what a profile or the
// environment set.
func emptyFlagValues(cmd *cobra.Command) error {
	var err error
	global := cmd.Root().PersistentFlags()
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if err != nil || global.Lookup(fl.Name) == fl {
			return
		}
		empty := fl.Value.String() == ""
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			empty = slices.Contains(sv.GetSlice(), "")
		}
		if empty {
			err = usageErrorf("--%s: the value is empty (see '%s --help')", fl.Name, cmd.CommandPath())
		}
	})
	return err
}

func noArgsGroup(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if s := c.SuggestionsFor(args[0]); len(s) > 0 {
		return usageErrorf("unknown command %q for %q: did you mean %q? (see '%s --help')", args[0], c.CommandPath(), s[0], c.CommandPath())
	}
	return usageErrorf("unknown command %q for %q (see '%s --help')", args[0], c.CommandPath(), c.CommandPath())
}

// markUsage wraps every command's argument check so that cobra's messages
// ("accepts 1 arg(s), received 0") become usage errors (exit 2) naming the
// command.
//
// It also wraps every action to note that one started: any error before
// that point came from cobra's parsing (an unknown command or flag) and is
// a usage error too.
func markUsage(c *cobra.Command, f *Factory) {
	if c.RunE != nil {
		run := c.RunE
		c.RunE = func(cmd *cobra.Command, a []string) error {
			if err := emptyFlagValues(cmd); err != nil {
				return err
			}
			f.started = true
			return run(cmd, a)
		}
	}
	if c.Args != nil {
		args := c.Args
		c.Args = func(cmd *cobra.Command, a []string) error {
			for _, arg := range a {
				// (A secret anywhere in argv is refused before parsing, in
				// RunFactory.)
				if arg == "" {
					return usageErrorf("%s: an argument is empty (see '%s --help')", cmd.CommandPath(), cmd.CommandPath())
				}
			}
			if err := args(cmd, a); err != nil {
				if _, ok := err.(*usageError); ok {
					return err
				}
				return usageErrorf("%s: %s (see '%s --help')", cmd.CommandPath(), argsProblem(cmd, a, err), cmd.CommandPath())
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		markUsage(sub, f)
	}
}

// argsProblem says what is wrong with a command's arguments in the terms
// of its usage line ("missing KEY", "unexpected argument \"x\""), rather
// than cobra's "accepts 1 arg(s), received 0".
func argsProblem(cmd *cobra.Command, a []string, err error) string {
	var names []string // the upper-case words of the usage line: NAME, KEY...
	for _, w := range strings.Fields(cmd.Use)[1:] {
		if base := strings.TrimSuffix(w, "..."); base != "" && strings.Trim(base, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" {
			names = append(names, w)
		}
	}
	variadic := len(names) > 0 && strings.HasSuffix(names[len(names)-1], "...")
	switch {
	case len(a) < len(names):
		return "missing " + strings.TrimSuffix(strings.Join(names[len(a):], " "), "...")
	case len(a) > len(names) && !variadic && len(cmd.ValidArgs) == 0:
		if len(names) == 0 {
			return fmt.Sprintf("unexpected argument %q: it takes none", a[0])
		}
		return fmt.Sprintf("unexpected argument %q after %s", a[len(names)], strings.Join(names, " "))
	case len(cmd.ValidArgs) > 0:
		if len(a) == 1 {
			return fmt.Sprintf("unknown %q: use one of %s", a[0], strings.Join(cmd.ValidArgs, ", "))
		}
		return "use one of " + strings.Join(cmd.ValidArgs, ", ")
	}
	return err.Error()
}

func completeProfiles(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	file, err := config.Load()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	return file.ProfileNames(), cobra.ShellCompDirectiveNoFileComp
}
