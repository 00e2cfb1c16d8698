package commands

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// rootBranch is one of the root's commands (a group with its
// subcommands, or a command), built only when a tree needs it.
type rootBranch struct {
	name  string // the command's Name(): the first word of its Use
	build func() *cobra.Command
}

// pruneTree lets a command line build only the branch it names; a
// variable only so that tests can compare against the whole tree.
var pruneTree = true

// wholeTree names the root's commands that read the whole tree: help
// (`keyward help keys`) and completion (the scripts, and cobra's hidden
// __complete that the scripts call).
var wholeTree = map[string]bool{
	"help": true, "completion": true,
	cobra.ShellCompRequestCmd: true, cobra.ShellCompNoDescRequestCmd: true,
}

// branchNamed is the branch args run in: their first word that is not a
// global flag or its value, when it is exactly the name of one of
// branches. Anything it cannot read as pflag would (an unknown flag, -h,
// "--", an alias, a word no branch has) gives "", the whole tree, so
// that cobra sees what it always saw: its suggestions and errors for
// the root need every command. Within a branch the tree is whole, so
// its help, suggestions and errors are unchanged.
func branchNamed(args []string, global *pflag.FlagSet, branches []rootBranch) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--" || a == "-":
			return ""
		case strings.HasPrefix(a, "--"):
			name, _, inline := strings.Cut(a[2:], "=")
			fl := global.Lookup(name)
			if fl == nil {
				return ""
			}
			if !inline && fl.NoOptDefVal == "" {
				i++ // the flag's value
			}
		case strings.HasPrefix(a, "-"):
			// Shorthands, maybe several in one word (-ojson, -o json).
			for j := 1; j < len(a); j++ {
				fl := global.ShorthandLookup(a[j : j+1])
				if fl == nil {
					return ""
				}
				if fl.NoOptDefVal == "" {
					if j == len(a)-1 {
						i++ // the value is the next word
					}
					break // or the rest of this one
				}
			}
		default:
			if wholeTree[a] {
				return ""
			}
			for _, b := range branches {
				if b.name == a {
					return a
				}
			}
			return ""
		}
	}
	return ""
}
