package commands

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/keys"
)

// Shells are the shells keyward writes completions for.
var Shells = []string{"bash", "zsh", "fish", "powershell"}

// directiveQualified marks a completion whose candidates keyward matched
// itself and which do not all start with the word typed: the org/names
// of a name several organizations share (completeKeyRefs). cobra's bash
// and zsh scripts keep only candidates starting with the word, so
// keyward's versions of them (scriptPatches) let these through; fish
// shows them as they are, and the bit means nothing to cobra (it only
// names it in the debug line `keyward __complete` writes on stderr).
const directiveQualified cobra.ShellCompDirective = 1 << 10

// scriptPatch replaces old, which must occur once in cobra's script.
type scriptPatch struct{ old, new string }

// scriptPatches are the changes to cobra's scripts for directiveQualified,
// per shell. A cobra whose script no longer holds an old text fails
// WriteCompletion (and the tests) rather than writing an unpatched script.
var scriptPatches = map[string][]scriptPatch{
	"bash": {
		{
			old: `        [[ $comp == "$cur"* ]] || continue`,
			new: `        [[ $comp == "$cur"* ]] || (((directive & 1024) != 0)) || continue`,
		},
		{
			old: `    # If there is a single completion left, remove the description text`,
			new: `    # keyward: readline replaces the word with the candidates' longest
    # common prefix; org/names of a typed name (ci: a1/ci, a2/ci) may share
    # one (a) that would drop the word: this TAB then inserts nothing and
    # the next one (COMP_TYPE 63) lists them
    if (((directive & 1024) != 0 && ${#COMPREPLY[@]} > 1)) && [[ ${COMP_TYPE-} != 63 ]]; then
        local c lcp=${COMPREPLY[0]%%$tab*}
        for c in "${COMPREPLY[@]}"; do
            c=${c%%$tab*}
            while [[ $c != "$lcp"* ]]; do lcp=${lcp%?}; done
        done
        [[ -z $lcp || $lcp == "$cur"* ]] || COMPREPLY=()
    fi

` + `    # If there is a single completion left, remove the description text`,
		},
	},
	"zsh": {
		{
			old: `        if eval _describe $keepOrder "completions" completions $flagPrefix $noSpace; then`,
			new: `        # keyward: org/names of a typed name (ci: acme/ci) do not start with
        # it; zsh would replace the word with their common prefix (none):
        # a first TAB keeps the word and lists them, the next starts a menu
        local unfiltered
        [ $((directive & 1024)) -ne 0 ] && unfiltered=-U
        if eval _describe $keepOrder "completions" completions $flagPrefix $noSpace $unfiltered; then
            if [ -n "$unfiltered" ]; then
                if [ -n "$compstate[old_list]" ]; then compstate[insert]=menu; else unset 'compstate[insert]'; fi
            fi`,
		},
	},
}

// WriteCompletion writes root's completion script for shell to w. cmd/gendocs
// uses it to keep completions/ current.
func WriteCompletion(root *cobra.Command, shell string, w io.Writer) error {
	var b bytes.Buffer
	var err error
	switch shell {
	case "bash":
		err = root.GenBashCompletionV2(&b, true)
	case "zsh":
		err = root.GenZshCompletion(&b)
	case "fish":
		err = root.GenFishCompletion(&b, true)
	case "powershell":
		err = root.GenPowerShellCompletionWithDesc(&b)
	default:
		return keys.Errorf(keys.Invalid, "unknown shell %q: use bash, zsh, fish or powershell", shell)
	}
	if err != nil {
		return err
	}
	script := b.String()
	for _, p := range scriptPatches[shell] {
		if strings.Count(script, p.old) != 1 {
			return fmt.Errorf("%s completion: cobra's script changed, keyward's patch does not apply: %q", shell, p.old)
		}
		script = strings.Replace(script, p.old, p.new, 1)
	}
	_, err = io.WriteString(w, script)
	return err
}
