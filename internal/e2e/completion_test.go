package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/testenv"
)

// Shell completion in real shells: the scripts `keyward completion`
// prints, loaded the way its help says, asking the built binary (on PATH
// as keyward) for candidates from the database in KEYWARD_DB.

// completionCase is one command line (what is typed before TAB) and the
// candidates the shell must offer, in any order.
type completionCase struct {
	line string
	want []string
	// after is the command line after the TAB, where the session shows
	// it (zsh); "" when not checked
	after string
}

var completionCases = []completionCase{
	{"keyward keys ro", []string{"roll"}, ""},
	{"keyward keys get ", []string{"alpha", "beta", "acme/ci", "other/ci", "boss"}, ""},
	{"keyward keys get al", []string{"alpha"}, "keyward keys get alpha "},
	// a name two organizations share: typed in part, the word completes
	// to it with no space after (it is no KEY yet); typed in full, the
	// word stays and each key's org/name is listed
	{"keyward keys get c", []string{"ci"}, "keyward keys get ci"},
	{"keyward keys get ci", []string{"acme/ci", "other/ci"}, "keyward keys get ci"},
	{"keyward keys get acme/", []string{"acme/alpha", "acme/beta", "acme/ci"}, ""},
	{"keyward keys delete alpha ", []string{"beta", "acme/ci", "other/ci", "boss"}, ""},
	{"keyward keys ungrant alpha ", []string{"/acme/dev", "/acme/prod"}, ""},
	{"keyward -o ", []string{"table", "wide", "json", "jsonl"}, ""},
	{"keyward keys create x --role ", []string{"viewer", "editor", "admin"}, ""},
	// no files for a duration, though the directory has one
	{"keyward keys roll alpha --grace ", nil, ""},
}

// fileCase shows that the directory's file is offered where a file is
// wanted: the empty answers above are the directive, not a broken setup.
var fileCase = completionCase{"keyward --ca-file ", []string{"somefile"}, ""}

// completionEnv builds keyward, puts it on PATH, and fills a database
// (KEYWARD_DB) with keys; it returns the environment and a working
// directory holding one file.
func completionEnv(t *testing.T) (env []string, workdir string) {
	t.Helper()
	bin := keywardBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "keys.db")
	env = withEnv(isolatedEnv(dir), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"), "KEYWARD_DB="+db)
	for _, args := range [][]string{
		{"alpha", "--resource", "/acme/prod", "--resource", "/acme/dev"},
		{"beta", "--resource", "/acme"},
		{"ci", "--resource", "/acme/prod"},
		{"ci", "--resource", "/other/x"},
		{"boss", "--resource", "/", "--role", "admin"},
	} {
		kwExec(t, bin, env, "", append([]string{"keys", "create", "-q"}, args...)...).want(t, 0, "keys create "+args[0])
	}
	workdir = filepath.Join(dir, "work")
	if err := os.MkdirAll(workdir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(workdir, "somefile"), "x")
	return env, workdir
}

// needShell is the path of a shell, skipping the test when it is not
// installed (CI installs them all: scripts/install-test-deps.sh).
func needShell(t *testing.T, name string) string {
	t.Helper()
	return testenv.Command(t, "run scripts/install-test-deps.sh", name)
}

// runShell runs a shell and returns its stdout; a hang is a failure.
func runShell(t *testing.T, env []string, dir string, argv ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env, cmd.Dir = env, dir
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\nstdout: %s\nstderr: %s", strings.Join(argv, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// candidates is the non-empty lines of out, each cut at its first tab or
// run of spaces (where a shell puts a description).
func candidates(out string) []string {
	var c []string
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if i := strings.IndexAny(l, "\t "); i >= 0 {
			l = l[:i]
		}
		if l != "" {
			c = append(c, l)
		}
	}
	slices.Sort(c)
	return slices.Compact(c)
}

func checkCandidates(t *testing.T, shell string, tc completionCase, out string) {
	t.Helper()
	got, want := candidates(out), slices.Sorted(slices.Values(tc.want))
	if !slices.Equal(got, want) {
		t.Errorf("%s: %q<TAB> offers %q, want %q", shell, tc.line, got, want)
	}
}

// caseMark starts each case's part of a session's output: one shell
// completes every case in turn, since starting one (bash-completion, an
// interactive zsh) costs far more than a completion.
const caseMark = "@@keyward-case@@"

// lineMark starts the line where a session shows the command line after
// the TAB.
const lineMark = caseMark + "-line@@ "

// lines is the command lines of cases, the session's arguments.
func lines(cases []completionCase) []string {
	var l []string
	for _, tc := range cases {
		l = append(l, tc.line)
	}
	return l
}

// checkSession checks the output of a session that completed cases in
// order, each part after a caseMark line.
func checkSession(t *testing.T, shell string, cases []completionCase, out string) {
	t.Helper()
	parts := strings.Split(out, caseMark+"\n")
	if len(parts) != len(cases)+1 || strings.TrimSpace(parts[0]) != "" {
		t.Fatalf("%s: %d parts for %d cases in %q", shell, len(parts)-1, len(cases), out)
	}
	for i, tc := range cases {
		var cands []string
		for _, l := range strings.Split(parts[i+1], "\n") {
			if after, ok := strings.CutPrefix(l, lineMark); ok {
				if tc.after != "" && after != tc.after {
					t.Errorf("%s: %q<TAB> makes the line %q, want %q", shell, tc.line, after, tc.after)
				}
				continue
			}
			cands = append(cands, l)
		}
		checkCandidates(t, shell, tc, strings.Join(cands, "\n"))
	}
}

// bashDriver loads bash-completion and the script as the help says
// (source <(keyward completion bash)), then, for each line in $2..., calls
// the function that `complete -p keyward` names the way readline would,
// after a line $1.
const bashDriver = `
COLUMNS=80
source "$BASH_COMPLETION_SCRIPT"
source <(keyward completion bash)
spec=$(complete -p keyward) || exit 3
fn=${spec##*-F }; fn=${fn%% *}
mark=$1; shift
for COMP_LINE; do
	printf '%s\n' "$mark"
	COMP_POINT=${#COMP_LINE}
	read -ra COMP_WORDS <<<"$COMP_LINE"
	[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')
	COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
	COMP_TYPE=9
	COMPREPLY=()
	"$fn" keyward "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" 2>/dev/null
	printf '%s\n' "${COMPREPLY[@]}"
done
`

func TestCompletionBash(t *testing.T) {
	t.Parallel()
	bash := needShell(t, "bash")
	// cobra's bash script needs the bash-completion package, as every
	// bash with completions has
	var bc string
	for _, p := range []string{"/usr/share/bash-completion/bash_completion", "/etc/bash_completion",
		"/opt/homebrew/etc/profile.d/bash_completion.sh", "/usr/local/etc/profile.d/bash_completion.sh"} {
		if _, err := os.Stat(p); err == nil {
			bc = p
			break
		}
	}
	testenv.Require(t, bc != "", "bash-completion is not installed: run scripts/install-test-deps.sh")
	env, work := completionEnv(t)
	env = withEnv(env, "BASH_COMPLETION_SCRIPT="+bc)
	// bash's file fallback (-o default) happens in readline after the
	// function: here an empty COMPREPLY is all there is to see
	out := runShell(t, env, work, append([]string{bash, "--norc", "--noprofile", "-c", bashDriver, "bash", caseMark}, lines(completionCases)...)...)
	checkSession(t, "bash", completionCases, out)
}

func TestCompletionFish(t *testing.T) {
	t.Parallel()
	fish := needShell(t, "fish")
	env, work := completionEnv(t)
	// where the help says to put it: ~/.config/fish/completions (here
	// under the test's XDG_CONFIG_HOME), autoloaded through
	// fish_complete_path; --no-config keeps the machine's config out
	dir := filepath.Join(envValue(env, "XDG_CONFIG_HOME"), "fish", "completions")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	script := runShell(t, env, work, keywardBinary(t), "completion", "fish")
	writeFile(t, filepath.Join(dir, "keyward.fish"), script)
	cases := append(completionCases, fileCase)
	out := runShell(t, env, work, append([]string{fish, "--no-config", "-c",
		"set -p fish_complete_path $argv[1]; for l in $argv[3..-1]; echo $argv[2]; complete -C $l; end", dir, caseMark}, lines(cases)...)...)
	checkSession(t, "fish", cases, fishNoSpace(out))
	// and sourced, as `keyward completion fish | source` does
	out = runShell(t, env, work, fish, "--no-config", "-c",
		"keyward completion fish | source; complete -C $argv[1]", completionCases[1].line)
	checkCandidates(t, "fish (sourced)", completionCases[1], out)
}

// fishNoSpace drops from fish's candidates the copies cobra's fish script
// adds to keep fish from putting a space after a lone candidate (ci and
// ci., for ShellCompDirectiveNoSpace).
func fishNoSpace(out string) string {
	lines := strings.Split(out, "\n")
	seen := map[string]bool{}
	for _, l := range lines {
		seen[strings.TrimSpace(strings.Split(l, "\t")[0])] = true
	}
	var keep []string
	for _, l := range lines {
		c := strings.TrimSpace(strings.Split(l, "\t")[0])
		if base, ok := strings.CutSuffix(c, "."); ok && seen[base] {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n")
}

// zshDriver completes the lines $5... in one real interactive zsh (in a
// zpty, as on a terminal): compinit, the completion function loaded as $2
// says ("fpath": the script saved as _keyward in the folder $1, "source":
// source <(keyward completion zsh)), then each line and a TAB. A compadd
// wrapper appends every candidate the completion system adds to the file
// $4, after a line $3 that the driver writes before each line. TAB runs
// complete-word, appends the command line it made after "-line@@ " (a
// lineMark when $3 is a caseMark), and then shows a message numbered for the line, so that
// nothing more is typed before its completion is done; ^U then empties
// the command line for the next.
const zshDriver = `
zmodload zsh/zpty || exit 3
zpty z zsh -f -i
zpty -w z "PROMPT='' RPROMPT='' LISTMAX=100000; unsetopt BEEP"
if [[ $2 == fpath ]]; then
	zpty -w z "fpath=(${(q)1} \$fpath); autoload -U compinit; compinit -u -D"
else
	zpty -w z 'autoload -U compinit; compinit -u -D; source <(keyward completion zsh)'
fi
zpty -w z 'compadd() { if [[ ${@[1,(i)(-|--)]} != *-(O|A|D)\ * ]]; then local -a __h; builtin compadd -A __h "$@"; (( $#__h )) && print -rl -- $__h >> '${(q)4}'; fi; builtin compadd "$@"; }'
zpty -w z 'integer kwn; kwtab() { zle complete-word; print -r -- "'$3'-line@@ $BUFFER" >> '${(q)4}'; zle -M "COMP""LETED-$((++kwn))-" }; zle -N kwtab; bindkey "^I" kwtab'
zpty -w z "print RE''ADY"
zpty -r z out '*READY*' || exit 4
integer i
for line in "${@[5,-1]}"; do
	print -r -- "$3" >> $4
	zpty -w -n z "$line"$'\t'
	zpty -r z out "*COMPLETED-$((++i))-*" || exit 5
	zpty -w -n z $'\C-u'
done
zpty -w z 'exit'
zpty -d z
`

func TestCompletionZsh(t *testing.T) {
	t.Parallel()
	zsh := needShell(t, "zsh")
	env, work := completionEnv(t)
	dir := filepath.Join(t.TempDir(), "site-functions")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	script := runShell(t, env, work, keywardBinary(t), "completion", "zsh")
	path := filepath.Join(dir, "_keyward")
	writeFile(t, path, script)
	runShell(t, env, work, zsh, "-n", path) // syntax

	// Each shell below runs compinit, seconds on a loaded machine: they
	// run side by side.
	t.Run("sourced", func(t *testing.T) {
		t.Parallel()
		if out := runShell(t, env, work, zsh, "-f", "-c",
			`autoload -U compinit; compinit -u -D; source <(keyward completion zsh); whence -w _keyward`); !strings.Contains(out, "_keyward: function") {
			t.Fatalf("sourcing the script under compinit defines no _keyward: %q", out)
		}
	})
	complete := func(how string, cases []completionCase) {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			capture := filepath.Join(t.TempDir(), "candidates")
			runShell(t, env, work, append([]string{zsh, "-f", "-c", zshDriver, "zsh", dir, how, caseMark, capture}, lines(cases)...)...)
			b, err := os.ReadFile(capture)
			if err != nil {
				t.Fatal(err)
			}
			checkSession(t, "zsh ("+how+")", cases, string(b))
		})
	}
	complete("fpath", append(completionCases, fileCase))
	complete("source", completionCases[:2])
}

func envValue(env []string, name string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], name+"="); ok {
			return v
		}
	}
	return ""
}

// TestCompletionFromServer: with --server (here KEYWARD_SERVER) the
// candidates come from the server, as the operator key may see them; with
// no credential there are none, at once and without a prompt.
func TestCompletionFromServer(t *testing.T) {
	t.Parallel()
	bin, env, url, root := remoteServer(t)
	asRoot := withEnv(env, "KEYWARD_SERVER="+url, "KEYWARD_TOKEN="+root)
	for _, args := range [][]string{
		{"alpha", "--resource", "/acme/prod"},
		{"beta", "--resource", "/other"},
	} {
		kwExec(t, bin, asRoot, "", append([]string{"keys", "create", "-q"}, args...)...).want(t, 0, "keys create "+args[0])
	}
	viewer := strings.TrimSpace(kwExec(t, bin, asRoot, "", "keys", "create", "acme-viewer", "--resource", "/acme", "-q").want(t, 0, "create viewer").stdout)

	complete := func(env []string, want ...string) {
		t.Helper()
		r := kwExec(t, bin, env, "", "__complete", "keys", "get", "").want(t, 0, "__complete")
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if last := lines[len(lines)-1]; last != ":4" {
			t.Errorf("directive %q, want :4", last)
		}
		got := candidates(strings.Join(lines[:len(lines)-1], "\n"))
		if want := slices.Sorted(slices.Values(want)); !slices.Equal(got, want) {
			t.Errorf("candidates %q, want %q", got, want)
		}
	}
	complete(asRoot, "acme-viewer", "alpha", "beta", "root")
	complete(withEnv(asRoot, "KEYWARD_TOKEN="+viewer), "acme-viewer", "alpha")
	complete(withEnv(env, "KEYWARD_SERVER="+url)) // no credential
}
