package commands

import (
	"github.com/spf13/cobra"
)

// NewCmdCompletion prints shell completion scripts. It needs nothing but
// the command tree: no database, no server, no config.
func NewCmdCompletion(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Print a completion script for your shell.

  bash:        source <(keyward completion bash)
               (or save it to /etc/bash_completion.d/keyward; it needs
               the bash-completion package)
  zsh:         keyward completion zsh > "${fpath[1]}/_keyward"
  fish:        keyward completion fish > ~/.config/fish/completions/keyward.fish
  powershell:  keyward completion powershell | Out-String | Invoke-Expression`,
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		Args:      usageArgs(cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return WriteCompletion(cmd.Root(), args[0], f.IO.Out)
		},
	}
	return cmd
}
