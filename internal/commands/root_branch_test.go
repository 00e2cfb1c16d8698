package commands

import (
	"slices"
	"testing"

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
		if got := branchNamed(c.args, fs, branches); got != c.want {
			t.Errorf("branchNamed(%q) = %q, want %q", c.args, got, c.want)
		}
	}
}

// Every command of the root is a branch that a command line naming it
// builds alone: the branch table and the commands' names agree.
func TestEveryRootCommandIsABranch(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	var names []string
	for _, c := range NewCmdRoot(&Factory{IO: ios}).Commands() {
		names = append(names, c.Name())
	}
	if len(names) < 10 {
		t.Fatalf("the whole tree has %d commands: %q", len(names), names)
	}
	for _, name := range names {
		var got []string
		for _, c := range newCmdRoot(&Factory{IO: ios}, []string{"--db", "x.db", name, "--help"}).Commands() {
			got = append(got, c.Name())
		}
		want := []string{name}
		if wholeTree[name] {
			want = names
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: the tree has %q, want %q", name, got, want)
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
		"keys list --limit -1", "keys list -o yaml", "keys list", "keys create ''", "keys verify --help",
		"list", "lst", "bogus",
		"audit", "audit list --help", "audit lst",
		"orgs --help", "org --help", "orgs lst", "profile --help", "profiles list", "profile lst",
		"accounts --help", "accounts ls --help", "accounts bogus",
		"serve --help", "scan --help", "jwks --help", "signing-keys --help", "signing-keys bogus",
		"login --help", "logout --help", "whoami --help", "whoami", "backup --help", "backup",
		"completion --help", "completion bogus", "completion bash", "completion zsh", "completion fish",
		"__complete ''", "__complete keys ''", "__complete keys list --output ''",
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
