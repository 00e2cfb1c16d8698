// Command gendocs writes keyward's shell completions (completions/, checked
// in and kept current by a test) and, when asked, its man pages:
//
//	go run ./cmd/gendocs                      # completions/
//	go run ./cmd/gendocs -man dist/man        # and man pages (section 1)
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/keyward/keyward/internal/commands"
	"github.com/keyward/keyward/internal/iostreams"
)

func main() {
	completions := flag.String("completions", "completions", "folder for the completion scripts")
	man := flag.String("man", "", "folder for man pages (none when empty)")
	flag.Parse()
	if err := run(*completions, *man); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

func run(completionsDir, manDir string) error {
	if completionsDir != "" {
		if err := writeCompletions(completionsDir); err != nil {
			return err
		}
	}
	if manDir != "" {
		if err := writeManPages(manDir); err != nil {
			return err
		}
	}
	return nil
}

func newRoot() *commands.Factory {
	ios, _, _, _ := iostreams.Test()
	return commands.NewFactory(ios)
}
