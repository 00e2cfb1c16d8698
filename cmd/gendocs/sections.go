package main

import (
	"strings"

	"github.com/spf13/cobra"
)

// The sections every page shares. They restate the root command's help
// (exit codes, environment, files) as a man page lays them out; the root
// command's own description stops where its help starts listing them.

type entry struct{ term, text string }

var exitStatus = []entry{
	{"0", "ok; keys verify: the key is valid"},
	{"1", "any other error"},
	{"2", "usage or bad input (flags, values, a file that is not a keyward database)"},
	{"3", "not found"},
	{"4", "unauthenticated (no or bad credential) or forbidden"},
	{"5", "conflict (name taken, ambiguous name, last grant, an existing backup file)"},
	{"6", "unavailable: server unreachable or 503, database locked past the busy timeout, keyring unavailable, rate limited"},
	{"7", "keys verify: the key is not valid"},
}

var environment = []entry{
	{"KEYWARD_DB", "the database, as --db (a SQLite file path or a postgres:// URL)"},
	{"KEYWARD_SERVER", "a keyward server, as --server"},
	{"KEYWARD_PROFILE", "the profile, as --profile"},
	{"KEYWARD_OUTPUT", "the output format, as -o"},
	{"KEYWARD_NO_HEADERS", "as --no-headers"},
	{"KEYWARD_CA_FILE", "as --ca-file"},
	{"KEYWARD_DEBUG", "as --debug"},
	{"KEYWARD_TOKEN", "the operator's token for a server (over the keyring)"},
	{"KEYWARD_CONFIG", "another config file (as KUBECONFIG)"},
	{"NO_COLOR", "no colour in tables"},
	{"PGPASSWORD", "the password of a postgres:// database (or ~/.pgpass)"},
	{"XDG_CONFIG_HOME, XDG_DATA_HOME", "where the config file and the default database live"},
}

var files = []entry{
	{"$XDG_CONFIG_HOME/keyward/config.yaml", "profiles (or $KEYWARD_CONFIG); ~/.config/keyward/config.yaml by default"},
	{"$XDG_DATA_HOME/keyward/keyward.db", "the default database; ~/.local/share/keyward/keyward.db by default"},
	{"the OS keyring (Secret Service)", "operator tokens: service keyward, user = the profile name"},
}

// precedence closes the ENVIRONMENT section.
const precedence = "Precedence: flag > environment > config file > default."

// fallbackExamples are for commands whose help has none.
var fallbackExamples = map[string]string{
	"keyward completion": `  keyward completion bash > ~/.local/share/bash-completion/completions/keyward
  keyward completion zsh > "${fpath[1]}/_keyward"
  keyward completion fish > ~/.config/fish/completions/keyward.fish`,
}

// description is a command's long help, or its short one; the root's
// stops before the lists the shared sections hold.
func description(c *cobra.Command) string {
	d := c.Long
	if d == "" {
		d = c.Short
	}
	if i := strings.Index(d, "\nExit codes:"); i >= 0 {
		d = d[:i]
	}
	return strings.TrimSpace(d)
}

// examples is a command's examples; a group's are the first example of
// each of its commands.
func examples(c *cobra.Command) string {
	if c.Example != "" {
		return c.Example
	}
	if ex, ok := fallbackExamples[c.CommandPath()]; ok {
		return ex
	}
	var lines []string
	for _, sub := range visible(c) {
		ex := examples(sub)
		if first, _, _ := strings.Cut(ex, "\n"); first != "" {
			lines = append(lines, first)
		}
	}
	return strings.Join(lines, "\n")
}

// visible is c's documented subcommands.
func visible(c *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	for _, sub := range c.Commands() {
		if !sub.Hidden && sub.Name() != "help" {
			out = append(out, sub)
		}
	}
	return out
}

// pageName is the name cobra/doc gives a command's page: its path joined
// with dashes (keyward-keys-create).
func pageName(c *cobra.Command) string {
	return strings.ReplaceAll(c.CommandPath(), " ", "-")
}

// walk calls fn on c and every documented command beneath it.
func walk(c *cobra.Command, fn func(*cobra.Command) error) error {
	if err := fn(c); err != nil {
		return err
	}
	for _, sub := range visible(c) {
		if err := walk(sub, fn); err != nil {
			return err
		}
	}
	return nil
}
