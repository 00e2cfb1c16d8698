package commands

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// rootBranch is one of a group's commands (a group with its subcommands,
// or a command), built only when a tree needs it.
type rootBranch struct {
	name string // the command's Name(): the first word of its Use
	// build makes the branch; rest is the command line's words after its
	// name, for a group to build only the subcommand they name, or nil
	// for the whole branch.
	build func(rest []string) *cobra.Command
}

// addBranches adds to parent the one of branches that args (the words
// after parent's name) name, or, naming none or with args nil, all of
// them in order.
func addBranches(parent *cobra.Command, args []string, global *pflag.FlagSet, branches []rootBranch) {
	name, rest := "", []string(nil)
	if pruneTree && args != nil {
		name, rest = branchNamed(args, global, branches)
	}
	for _, b := range branches {
		switch {
		case name == "":
			parent.AddCommand(b.build(nil))
		case b.name == name:
			parent.AddCommand(b.build(rest))
		}
	}
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

// branchNamed is the branch args run in, and the words after its name:
// their first word that is not a global flag or its value, when it is
// exactly the name of one of branches. Anything it cannot read as pflag would (an unknown flag, -h,
// "--", an alias, a word no branch has) gives "", the whole tree, so
// that cobra sees what it always saw: its suggestions and errors for
// the root need every command. Within a branch the tree is whole, so
// its help, suggestions and errors are unchanged.
func branchNamed(args []string, global *pflag.FlagSet, branches []rootBranch) (string, []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--" || a == "-":
			return "", nil
		case strings.HasPrefix(a, "--"):
			name, _, inline := strings.Cut(a[2:], "=")
			fl := global.Lookup(name)
			if fl == nil {
				return "", nil
			}
			if !inline && fl.NoOptDefVal == "" {
				i++ // the flag's value
			}
		case strings.HasPrefix(a, "-"):
			// Shorthands, maybe several in one word (-ojson, -o json).
			for j := 1; j < len(a); j++ {
				fl := global.ShorthandLookup(a[j : j+1])
				if fl == nil {
					return "", nil
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
				return "", nil
			}
			for _, b := range branches {
				if b.name == a {
					return a, append([]string{}, args[i+1:]...)
				}
			}
			return "", nil
		}
	}
	return "", nil
}
