package commands

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// A command line's arguments and flags are checked here, as usage errors
// (exit 2) that say what is wrong in the terms of the command's usage line
// and name the command, rather than cobra's "accepts 1 arg(s), received 0".

var noArgs = usageArgs(cobra.NoArgs)

func exactArgs(n int) cobra.PositionalArgs   { return usageArgs(cobra.ExactArgs(n)) }
func minimumArgs(n int) cobra.PositionalArgs { return usageArgs(cobra.MinimumNArgs(n)) }

// usageArgs is check, refusing an empty argument first ("$UNSET" in a
// script), its errors made usage errors. (A secret anywhere in argv is
// refused before parsing, in RunFactory.)
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if slices.Contains(a, "") {
			return usageErrorf("%s: an argument is empty (see '%s --help')", cmd.CommandPath(), cmd.CommandPath())
		}
		err := check(cmd, a)
		if _, ok := err.(*usageError); ok || err == nil {
			return err
		}
		return usageErrorf("%s: %s (see '%s --help')", cmd.CommandPath(), argsProblem(cmd, a, err), cmd.CommandPath())
	}
}

// groupArgs is the check of a group command (keyward, keys, audit): it
// takes only a subcommand, so any argument is an unknown one.
var groupArgs = usageArgs(func(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if s := suggestions(c, args[0]); len(s) > 0 {
		return usageErrorf("unknown command %q for %q: did you mean %s? (see '%s --help')", args[0], c.CommandPath(), orList(s), c.CommandPath())
	}
	return usageErrorf("unknown command %q for %q (see '%s --help')", args[0], c.CommandPath(), c.CommandPath())
})

// suggestions lists every close match for a mistyped subcommand of c, not
// only the first: cobra's own (by distance and prefix), and a
// subcommand of one of c's groups called so (`keyward list` → `keys
// list`), since people forget the group.
func suggestions(c *cobra.Command, typed string) []string {
	out := c.SuggestionsFor(typed)
	for _, g := range c.Commands() {
		if !g.HasSubCommands() || g.Hidden {
			continue
		}
		for _, sub := range g.Commands() {
			if sub.IsAvailableCommand() && (sub.Name() == typed || sub.HasAlias(typed)) {
				out = append(out, g.Name()+" "+sub.Name())
			}
		}
	}
	return out
}

// orList is "a", "a" or "b", "a", "b" or "c", each quoted.
func orList(items []string) string {
	q := make([]string, len(items))
	for i, it := range items {
		q[i] = strconv.Quote(it)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
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
		if err != nil || global.Lookup(fl.Name) == fl || fl.Annotations[emptyRemoves] != nil {
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
