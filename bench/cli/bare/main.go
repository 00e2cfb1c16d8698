// Command bare is the floor for `keyward version`: a cobra binary with one
// subcommand and nothing else linked, built like keyward (bench/cli.sh).
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	root := &cobra.Command{Use: "bare", SilenceUsage: true}
	root.AddCommand(&cobra.Command{
		Use: "version",
		Run: func(c *cobra.Command, _ []string) { fmt.Fprintln(c.OutOrStdout(), "bare dev") },
	})
	if err := root.Execute(); err != nil {
		os.Exit(1)
	}
}
