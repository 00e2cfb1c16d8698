package main

import (
	"bytes"
	"os"
	"path/filepath"

	"github.com/keyward/keyward/internal/commands"
)

// completionFiles names each shell's script as that shell's loader looks
// for it.
var completionFiles = map[string]string{
	"bash":       "keyward.bash",
	"zsh":        "_keyward",
	"fish":       "keyward.fish",
	"powershell": "keyward.ps1",
}

// completionScripts renders every shell's script.
func completionScripts() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, shell := range commands.Shells {
		root := commands.NewCmdRoot(newRoot())
		var buf bytes.Buffer
		if err := commands.WriteCompletion(root, shell, &buf); err != nil {
			return nil, err
		}
		out[completionFiles[shell]] = buf.Bytes()
	}
	return out, nil
}

func writeCompletions(dir string) error {
	scripts, err := completionScripts()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, b := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
