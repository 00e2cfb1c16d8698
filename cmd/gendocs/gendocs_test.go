package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The checked-in completions must be what the command tree generates now:
// if this fails, run `go run ./cmd/gendocs` from the repository root.
func TestCompletionsAreCurrent(t *testing.T) {
	scripts, err := completionScripts()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range scripts {
		got, err := os.ReadFile(filepath.Join("..", "..", "completions", name))
		if err != nil {
			t.Errorf("%v: run `go run ./cmd/gendocs`", err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("completions/%s is stale: run `go run ./cmd/gendocs`", name)
		}
	}
}

func TestManPages(t *testing.T) {
	dir := t.TempDir()
	if err := writeManPages(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"keyward.1", "keyward-keys-create.1", "keyward-keys-roll.1", "keyward-audit-list.1", "keyward-version.1"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !strings.HasPrefix(string(b), ".TH ") || !strings.Contains(string(b), ".SH SYNOPSIS") {
			t.Errorf("%s is not a man page:\n%s", name, b)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "keyward-keys-roll.1"))
	if !strings.Contains(string(b), `\-\-grace`) || !strings.Contains(string(b), "GLOBAL OPTIONS") {
		t.Errorf("roll page lacks its flags:\n%s", b)
	}
}
