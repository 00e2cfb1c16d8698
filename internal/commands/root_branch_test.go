package commands

import (
	"slices"
	"testing"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/iostreams"
)

func TestBranchNamed(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	fs := NewCmdRoot(&Factory{IO: ios}).PersistentFlags()
	branches := []rootBranch{{name: "keys"}, {name: "version"}, {name: "orgs"}, {name: "completion"}}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"version"}, "version"},
		{[]string{"keys", "list"}, "keys"},
		{[]string{"--db", "keys", "version"}, "version"}, // a file named keys
		{[]string{"--db=x.db", "keys", "list"}, "keys"},
		{[]string{"-o", "json", "version"}, "version"},
		{[]string{"-ojson", "version"}, "version"},
		{[]string{"-o=json", "version"}, "version"},
		{[]string{"--no-headers", "keys", "list"}, "keys"},
		{[]string{"--jq", ".name", "keys", "get", "k"}, "keys"},
		{[]string{"org", "list"}, ""}, // an alias: the whole tree
		{[]string{"completion", "bash"}, ""},
		{[]string{"help", "keys"}, ""},
		{[]string{"__complete", "keys", ""}, ""},
		{[]string{"-h", "version"}, ""},
		{[]string{"--help"}, ""},
		{[]string{"--version"}, ""},
		{[]string{"--", "version"}, ""},
		{[]string{"--bogus", "version"}, ""},
		{[]string{"-x", "version"}, ""},
		{[]string{"list"}, ""},
		{[]string{"--db"}, ""},
		{[]string{}, ""},
	} {
		got, rest := branchNamed(c.args, fs, branches)
		if got != c.want {
			t.Errorf("branchNamed(%q) = %q, want %q", c.args, got, c.want)
		}
		if got != "" && !slices.Equal(rest, c.args[len(c.args)-len(rest):]) {
			t.Errorf("branchNamed(%q): rest %q is not the words after %q", c.args, rest, got)
		}
	}
}

// Every command of the root, and of the keys group, is a branch that a
// command line naming it builds alone: the branch tables and the
// commands' names agree.
func TestEveryRootCommandIsABranch(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	names := func(c *cobra.Command) []string {
		var out []string
		for _, sub := range c.Commands() {
			out = append(out, sub.Name())
		}
		return out
	}
	whole := NewCmdRoot(&Factory{IO: ios})
	all := names(whole)
	if len(all) < 10 {
		t.Fatalf("the whole tree has %d commands: %q", len(all), all)
	}
	for _, name := range all {
		got := names(newCmdRoot(&Factory{IO: ios}, []string{"--db", "x.db", name, "--help"}))
		want := []string{name}
		if wholeTree[name] {
			want = all
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: the tree has %q, want %q", name, got, want)
		}
	}
	keysCmd, _, err := whole.Find([]string{"keys"})
	if err != nil {
		t.Fatal(err)
	}
	allKeys := names(keysCmd)
	for _, name := range append(allKeys, "") {
		root := newCmdRoot(&Factory{IO: ios}, []string{"keys", "-o", "json", name})
		k, _, err := root.Find([]string{"keys"})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{name}
		if name == "" {
			want = allKeys
		}
		if got := names(k); !slices.Equal(got, want) {
			t.Errorf("keys %s: the keys group has %q, want %q", name, got, want)
		}
	}
}

// A command line answers the same, output, errors and exit code, whether
// the tree holds every command or the named branch alone.
func TestPrunedTreeAnswersAsTheWholeTree(t *testing.T) {
	lines := []string{
		"version", "version -o json", "-o json version", "--output=json version", "-ojson version",
		"--no-headers version", "--jq .version -o json version", "version extra", "version --help",
		"--help", "-h", "help", "help keys", "--version", "-- version", "--bogus version",
		"keys", "keys --help", "keys lst", "keys list --help", "keys create --help", "keys get",
		"keys -o json get", "keys ls --help", "keys rm", "keys help list", "keys --bogus list", "keys -- list",
		"keys roll --help", "keys grant", "keys ungrant --help", "keys update --help", "keys delete --help",
		"keys list --limit -1", "keys list -o yaml", "keys list", "keys create ''", "keys verify --help",
		"list", "lst", "bogus",
		"audit", "audit list --help", "audit lst",
		"orgs --help", "org --help", "orgs lst", "profile --help", "profiles list", "profile lst",
		"accounts --help", "accounts ls --help", "accounts bogus",
		"serve --help", "scan --help", "jwks --help", "signing-keys --help", "signing-keys bogus",
		"login --help", "logout --help", "whoami --help", "whoami", "backup --help", "backup",
		"completion --help", "completion bogus", "completion bash", "completion zsh", "completion fish",
		"__complete ''", "__complete keys ''", "__complete keys list --output ''",
		// Flag forms before a branch, and words that are a flag's value.
		"-oo version", "-o=json keys list --help", "-o", "--output", "--output= version", "-o jsonl --jq .x version",
		"--profile keys version", "--db serv version", "--no-headers false version", "--no-headers=false version",
		"-v version", "-h keys list", "keys -ojson lst", "keys -o=json list --help", "keys --jq . list --help",
		"keys list -h", "keys list --bogus", "keys list extra --help", "keys get --output json", "keys creat",
		"keys - list", "- version", "keys help", "help keys list", "help version", "version help", "keys list help",
		"__completeNoDesc keys ''", "__complete keys list --o", "__complete -o ''", "__complete keys --output json li",
		"keys __complete list", "ls", "rm", "serv", "key list", "keys lis", "orgs delete --help", "accounts list --help",
	}
	t.Cleanup(func() { pruneTree = true })
	c := newCLITest(t)
	for _, line := range lines {
		pruneTree = false
		whole := c.run(line)
		pruneTree = true
		pruned := c.run(line)
		if pruned != whole {
			t.Errorf("keyward %s:\npruned tree: %+v\nwhole tree:  %+v", line, pruned, whole)
		}
	}
}

// BenchmarkRootTree is the command tree a command line builds before it
// runs: the whole one, and the branch of `version` and of `keys list`.
func BenchmarkRootTree(b *testing.B) {
	ios, _, _, _ := iostreams.Test()
	for _, c := range []struct {
		name string
		args []string
	}{
		{"whole", nil},
		{"version", []string{"version"}},
		{"keys list", []string{"--db", "k.db", "keys", "list"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				newCmdRoot(&Factory{IO: ios}, c.args)
			}
		})
	}
}
