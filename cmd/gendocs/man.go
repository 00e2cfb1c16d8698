package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/keyward/keyward/internal/commands"
)

// writeManPages writes one section-1 page per documented command, named
// as cobra/doc names them (keyward.1, keyward-keys-create.1, ...), and
// removes pages of commands that are gone. The pages carry no date, so
// that regenerating them changes nothing unless the commands did.
func writeManPages(dir string) error {
	pages, err := manPages()
	if err != nil {
		return err
	}
	return writeTree(dir, ".1", pages)
}

// manPages renders every page, by file name.
func manPages() (map[string][]byte, error) {
	pages := map[string][]byte{}
	err := walk(commands.NewCmdRoot(newRoot()), func(c *cobra.Command) error {
		pages[pageName(c)+".1"] = manPage(c)
		return nil
	})
	return pages, err
}

// writeTree replaces the files ending in ext in dir with pages.
func writeTree(dir, ext string, pages map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*"+ext))
	for _, p := range old {
		if _, keep := pages[filepath.Base(p)]; !keep {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
	}
	for name, b := range pages {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// roff escapes text for a man page: backslashes, hyphens (so that
// options copy as ASCII), and lines that would start with a control
// character.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
			lines[i] = `\&` + l
		}
	}
	return strings.Join(lines, "\n")
}

// paragraphs turns plain text into roff: blank lines become paragraph
// breaks, and indented lines (lists, tables) keep their layout.
func paragraphs(s string) string {
	var b strings.Builder
	for i, para := range strings.Split(s, "\n\n") {
		if i > 0 {
			b.WriteString(".PP\n")
		}
		if strings.Contains(para, "\n  ") || strings.HasPrefix(para, "  ") {
			fmt.Fprintf(&b, ".nf\n%s\n.fi\n", roff(para))
		} else {
			fmt.Fprintf(&b, "%s\n", roff(para))
		}
	}
	return b.String()
}

func manPage(c *cobra.Command) []byte {
	var b bytes.Buffer
	name := pageName(c)
	fmt.Fprintf(&b, ".TH \"%s\" \"1\" \"\" \"keyward\" \"keyward manual\"\n", strings.ToUpper(name))
	fmt.Fprintf(&b, ".SH NAME\n%s \\- %s\n", roff(name), roff(c.Short))
	fmt.Fprintf(&b, ".SH SYNOPSIS\n\\fB%s\\fR\n", roff(c.UseLine()))
	fmt.Fprintf(&b, ".SH DESCRIPTION\n%s", paragraphs(description(c)))
	if subs := visible(c); len(subs) > 0 {
		b.WriteString(".SH COMMANDS\n")
		for _, sub := range subs {
			fmt.Fprintf(&b, ".TP\n\\fB%s\\fR(1)\n%s\n", roff(pageName(sub)), roff(sub.Short))
		}
	}
	b.WriteString(".SH OPTIONS\n")
	if !writeFlags(&b, c.NonInheritedFlags()) {
		b.WriteString("None but the global options.\n")
	}
	if c.HasAvailableInheritedFlags() {
		b.WriteString(".SH GLOBAL OPTIONS\n")
		writeFlags(&b, c.InheritedFlags())
	}
	b.WriteString(".SH EXIT STATUS\n")
	writeEntries(&b, exitStatus)
	b.WriteString(".SH ENVIRONMENT\n")
	writeEntries(&b, environment)
	fmt.Fprintf(&b, ".PP\n%s\n", roff(precedence))
	b.WriteString(".SH FILES\n")
	writeEntries(&b, files)
	if ex := examples(c); ex != "" {
		fmt.Fprintf(&b, ".SH EXAMPLES\n.nf\n%s\n.fi\n", roff(ex))
	}
	var see []string
	if c.HasParent() {
		see = append(see, pageName(c.Parent())+"(1)")
	}
	for _, sub := range visible(c) {
		see = append(see, pageName(sub)+"(1)")
	}
	if len(see) > 0 {
		sort.Strings(see)
		fmt.Fprintf(&b, ".SH SEE ALSO\n%s\n", roff(strings.Join(see, ", ")))
	}
	return b.Bytes()
}

func writeEntries(b *bytes.Buffer, es []entry) {
	for _, e := range es {
		fmt.Fprintf(b, ".TP\n\\fB%s\\fR\n%s\n", roff(e.term), roff(e.text))
	}
}

// writeFlags lists fs's visible flags; false when there are none.
func writeFlags(b *bytes.Buffer, fs *pflag.FlagSet) bool {
	any := false
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		any = true
		fmt.Fprintf(b, ".TP\n\\fB%s\\fR\n%s\n", roff(flagName(f)), roff(flagUsage(f)))
	})
	return any
}

// flagName is how a flag is written: "-o, --output format".
func flagName(f *pflag.Flag) string {
	name := "--" + f.Name
	if f.Shorthand != "" {
		name = "-" + f.Shorthand + ", " + name
	}
	if v, _ := pflag.UnquoteUsage(f); v != "" {
		name += " " + v
	}
	return name
}

// flagUsage is a flag's help with its default, when it has one.
func flagUsage(f *pflag.Flag) string {
	_, usage := pflag.UnquoteUsage(f)
	switch f.DefValue {
	case "", "false", "[]", "0s":
	default:
		usage += " (default " + f.DefValue + ")"
	}
	return usage
}
