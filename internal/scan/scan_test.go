package scan

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/testenv"
)

func secret(t *testing.T, prefix string) string {
	t.Helper()
	s, err := keys.NewSecret(prefix)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// shaped is random text a secret's shape, its checksum wrong.
func shaped(t *testing.T) string {
	s := secret(t, "sk")
	last := byte('A')
	if s[len(s)-1] == 'A' {
		last = 'B'
	}
	return s[:len(s)-1] + string(last)
}

func read(t *testing.T, text string) ([]Hit, bool) {
	t.Helper()
	var hits []Hit
	rd := &Reader{Detectors: DefaultDetectors(UncheckedTokens())}
	bin, err := rd.Read(strings.NewReader(text), "f", func(h Hit) { hits = append(hits, h) })
	if err != nil {
		t.Fatal(err)
	}
	return hits, bin
}

func TestReadFindsByChecksumOnly(t *testing.T) {
	a, b, c := secret(t, "sk"), secret(t, "my_app"), secret(t, "pk")
	text := "first line\n" +
		"token=" + a + " other=" + shaped(t) + "\n" + // one real, one shaped
		"x" + b + "y" + c + "\r\n" + // run together with text and each other
		strings.Repeat("_", 100) + strings.Repeat("Z", 200) + "\n" +
		"last " + a // no newline at the end
	hits, bin := read(t, text)
	if bin {
		t.Fatal("text taken for binary")
	}
	got := []string{}
	for _, h := range hits {
		got = append(got, fmt.Sprintf("%d:%s", h.Line, h.Secret))
	}
	want := []string{"2:" + a, "3:" + b, "3:" + c, "5:" + a}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("hits\n%v\nwant\n%v", got, want)
	}
}

func TestReadSkipsBinary(t *testing.T) {
	hits, bin := read(t, "PK\x03\x04\x00\x00"+secret(t, "sk"))
	if !bin || len(hits) != 0 {
		t.Errorf("binary %v, hits %v", bin, hits)
	}
	// A NUL after the first 8000 bytes is text, as git decides.
	s := secret(t, "sk")
	hits, bin = read(t, strings.Repeat("a", 9000)+"\x00 "+s)
	if bin || len(hits) != 1 {
		t.Errorf("late NUL: binary %v, hits %d", bin, len(hits))
	}
}

// A line longer than the reader's piece is read in pieces; a secret
// across a boundary is found once, at any offset.
func TestReadLongLines(t *testing.T) {
	s := secret(t, "abcdefghijklmnopqrst") // the longest prefix
	for _, at := range []int{pieceSize - len(s), pieceSize - len(s)/2, pieceSize - 1, pieceSize, 2*pieceSize - 30, 5 * pieceSize} {
		text := strings.Repeat("a", at) + "=" + s + strings.Repeat("b", 3*pieceSize) + "\nnext " + s + "\n"
		hits, _ := read(t, text)
		if len(hits) != 2 || hits[0].Line != 1 || hits[1].Line != 2 || hits[0].Secret != s {
			t.Errorf("secret at %d: %d hits %+v", at, len(hits), hits)
		}
	}
	// Many secrets in one huge line, none lost or doubled.
	var b strings.Builder
	want := 0
	for b.Len() < 4*pieceSize {
		b.WriteString(secret(t, "sk"))
		b.WriteString(strings.Repeat("-", want%7))
		want++
	}
	if hits, _ := read(t, b.String()); len(hits) != want {
		t.Errorf("%d hits, want %d", len(hits), want)
	}
}

func TestTargetsRefuseMissingPaths(t *testing.T) {
	dir := t.TempDir()
	if _, err := Targets([]string{dir, filepath.Join(dir, "nope")}); keys.ErrorCode(err) != keys.Invalid || !strings.Contains(err.Error(), "nope") {
		t.Errorf("err = %v", err)
	}
	ts, err := Targets(nil)
	if err != nil || len(ts) != 1 || ts[0].Path != Stdin {
		t.Errorf("no paths: %v %v", ts, err)
	}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// gitRun runs git in dir, failing the test on an error.
func gitRun(t *testing.T, dir string, args ...string) {
	t.Helper()
	git := testenv.Command(t, "apt-get install git", "git")
	cmd := exec.Command(git, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v %s", args, err, out)
	}
}

// files are the files a scan of dir reads, relative to it and sorted.
func files(t *testing.T, dir string) []string {
	t.Helper()
	return filesOf(t, dir, false)
}

func filesOf(t *testing.T, dir string, noIgnore bool) []string {
	t.Helper()
	ts, err := Targets([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	ts[0].NoIgnore = noIgnore
	var out []string
	err = ts[0].Files(context.Background(), func(p string) error {
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	}, func(msg string) { t.Log(msg) })
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func tree(t *testing.T, dir string) {
	write(t, filepath.Join(dir, ".gitignore"), "ignored.env\nbuild/\n")
	write(t, filepath.Join(dir, "app.env"), "a")
	write(t, filepath.Join(dir, "ignored.env"), "b")
	write(t, filepath.Join(dir, "build/out.txt"), "c")
	write(t, filepath.Join(dir, "src/deep/x.go"), "d")
	if err := os.Symlink(filepath.Join(dir, "app.env"), filepath.Join(dir, "link.env")); err != nil {
		t.Fatal(err)
	}
}

func TestFilesInAGitWorkTreeRespectGitignore(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir)
	for _, args := range [][]string{{"init", "-q"}, {"add", "app.env"}} {
		gitRun(t, dir, args...)
	}
	// Tracked and untracked-not-ignored; no ignored file, no link, no .git.
	if got := strings.Join(files(t, dir), " "); got != ".gitignore app.env src/deep/x.go" {
		t.Errorf("files = %s", got)
	}
	// A folder inside the work tree: its files, joined to it.
	if got := strings.Join(files(t, filepath.Join(dir, "src")), " "); got != "deep/x.go" {
		t.Errorf("files under src = %s", got)
	}
}

func TestFilesOutsideGitWalkEverything(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir)
	write(t, filepath.Join(dir, ".git/config"), "not a repository, but skipped")
	if got := strings.Join(files(t, dir), " "); got != ".gitignore app.env build/out.txt ignored.env src/deep/x.go" {
		t.Errorf("files = %s", got)
	}
}
