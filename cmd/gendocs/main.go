// Command gendocs writes what is generated from keyward's command tree:
// shell completions (completions/), man pages (man/, section 1) and the
// Markdown command reference (docs/commands/), all checked in and kept
// current by its tests. Run it from the repository's root:
//
//	go run ./cmd/gendocs
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
	man := flag.String("man", "man", "folder for the man pages (none when empty)")
	markdown := flag.String("markdown", "docs/commands", "folder for the Markdown reference (none when empty)")
	flag.Parse()
	if err := run(*completions, *man, *markdown); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

func run(completionsDir, manDir, markdownDir string) error {
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
	if markdownDir != "" {
		if err := writeMarkdown(markdownDir); err != nil {
			return err
		}
	}
	return nil
}

func newRoot() *commands.Factory {
	ios, _, _, _ := iostreams.Test()
	return commands.NewFactory(ios)
}
