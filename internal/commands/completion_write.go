package commands

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/keys"
)

// Shells are the shells keyward writes completions for.
var Shells = []string{"bash", "zsh", "fish", "powershell"}

// WriteCompletion writes root's completion script for shell to w. cmd/gendocs
// uses it to keep completions/ current.
func WriteCompletion(root *cobra.Command, shell string, w io.Writer) error {
	switch shell {
	case "bash":
		return root.GenBashCompletionV2(w, true)
	case "zsh":
		return root.GenZshCompletion(w)
	case "fish":
		return root.GenFishCompletion(w, true)
	case "powershell":
		return root.GenPowerShellCompletionWithDesc(w)
	}
	return keys.Errorf(keys.Invalid, "unknown shell %q: use bash, zsh, fish or powershell", shell)
}
