package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/testenv"
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

// The checked-in man pages and Markdown reference are what the command
// tree generates now, with no page of a command that is gone.
func TestManPagesAreCurrent(t *testing.T) {
	pages, err := manPages()
	if err != nil {
		t.Fatal(err)
	}
	sameTree(t, filepath.Join("..", "..", "man"), ".1", pages)
}

func TestMarkdownIsCurrent(t *testing.T) {
	pages, err := markdownPages()
	if err != nil {
		t.Fatal(err)
	}
	sameTree(t, filepath.Join("..", "..", "docs", "commands"), ".md", pages)
}

func sameTree(t *testing.T, dir, ext string, want map[string][]byte) {
	t.Helper()
	for name, b := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%v: run `go run ./cmd/gendocs`", err)
			continue
		}
		if !bytes.Equal(got, b) {
			t.Errorf("%s is stale: run `go run ./cmd/gendocs`", filepath.Join(dir, name))
		}
	}
	have, _ := filepath.Glob(filepath.Join(dir, "*"+ext))
	for _, p := range have {
		if _, ok := want[filepath.Base(p)]; !ok {
			t.Errorf("%s documents no command: run `go run ./cmd/gendocs`", p)
		}
	}
}

func TestManPagesHaveTheirSections(t *testing.T) {
	pages, err := manPages()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"keyward.1", "keyward-keys.1", "keyward-keys-create.1", "keyward-keys-roll.1", "keyward-audit-list.1", "keyward-version.1", "keyward-backup.1", "keyward-completion.1"} {
		b, ok := pages[name]
		if !ok {
			t.Errorf("no %s", name)
			continue
		}
		for _, sec := range []string{"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES"} {
			if !bytes.Contains(b, []byte("\n.SH "+sec+"\n")) {
				t.Errorf("%s lacks %s", name, sec)
			}
		}
	}
	roll := string(pages["keyward-keys-roll.1"])
	if !strings.Contains(roll, `\-\-grace`) || !strings.Contains(roll, "GLOBAL OPTIONS") {
		t.Errorf("roll page lacks its flags:\n%s", roll)
	}
	// The root's help lists exit codes itself; its page has them once.
	if root := string(pages["keyward.1"]); strings.Contains(root, "Exit codes:") {
		t.Errorf("keyward.1 repeats the exit codes in its description")
	}
}

// Every checked-in page renders without a warning from groff, as man
// shows it.
func TestManPagesRenderWithoutWarnings(t *testing.T) {
	man := testenv.Command(t, "install man-db and groff (make deps)", "man")
	pages, _ := filepath.Glob(filepath.Join("..", "..", "man", "*.1"))
	if len(pages) == 0 {
		t.Fatal("no pages in man/")
	}
	for _, p := range pages {
		t.Run(filepath.Base(p), func(t *testing.T) {
			t.Parallel()
			renders(t, man, p)
		})
	}
}

func renders(t *testing.T, man, p string) {
	cmd := exec.Command(man, "--warnings", "-l", p)
	cmd.Env = append(os.Environ(), "MANWIDTH=80", "MANPAGER=cat", "PAGER=cat", "LC_ALL=C.UTF-8")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() != 0 {
		t.Errorf("man -l %s: %v\n%s", p, err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "EXIT STATUS") {
		t.Errorf("man -l %s rendered no EXIT STATUS:\n%s", p, stdout.String())
	}
}
