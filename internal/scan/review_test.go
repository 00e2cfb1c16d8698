package scan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
)

func utf16Bytes(s string, bigEndian bool) string {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return string(b)
}

// Windows tools (PowerShell's redirection, regedit exports) write UTF-16
// with a byte-order mark: its NUL bytes must not make it pass for binary.
func TestReadUTF16WithBOM(t *testing.T) {
	s := secret(t, "sk")
	for _, be := range []bool{false, true} {
		bom := "\xff\xfe"
		if be {
			bom = "\xfe\xff"
		}
		hits, bin := read(t, bom+utf16Bytes("first line ü\r\ntoken="+s+"\r\n", be))
		if bin || len(hits) != 1 || hits[0].Secret != s || hits[0].Line != 2 {
			t.Errorf("big-endian %v: binary %v, hits %+v", be, bin, hits)
		}
	}
	// A UTF-8 byte-order mark is text too.
	if hits, _ := read(t, "\xef\xbb\xbf"+s); len(hits) != 1 || hits[0].Secret != s {
		t.Errorf("UTF-8 BOM: hits %+v", hits)
	}
}

// A folder given through a symbolic link is the folder: walking the link
// alone found nothing, and a scan of it passed.
func TestFilesThroughALinkedFolder(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "real/app.env"), "a")
	link := filepath.Join(dir, "link")
	if err := os.Symlink(filepath.Join(dir, "real"), link); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(files(t, link), " "); got != "app.env" {
		t.Errorf("files = %q", got)
	}
}

// A .git folder given by name is scanned (its config may hold a
// credential in a remote's URL); only .git folders met on the way are
// skipped.
func TestFilesOfAGitFolderGivenByName(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, ".git/config"), "x")
	write(t, filepath.Join(dir, ".git/sub/.git/HEAD"), "y")
	if got := strings.Join(files(t, filepath.Join(dir, ".git")), " "); got != "config" {
		t.Errorf("files = %q", got)
	}
}

// A repository inside the work tree (a submodule, or one not added) is
// a folder to git ls-files: its files were never read.
func TestFilesOfNestedRepositories(t *testing.T) {
	run := func(dir string, args ...string) {
		t.Helper()
		gitRun(t, dir, append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
	}
	dir := t.TempDir()
	run(dir, "init", "-q")
	write(t, filepath.Join(dir, "top.env"), "a")
	nested := filepath.Join(dir, "vendor/lib")
	write(t, filepath.Join(nested, ".gitignore"), "ignored.env\n")
	write(t, filepath.Join(nested, "lib.env"), "b")
	write(t, filepath.Join(nested, "ignored.env"), "c")
	run(nested, "init", "-q")
	run(nested, "add", ".")
	run(nested, "commit", "-q", "-m", "lib")
	want := "top.env vendor/lib/.gitignore vendor/lib/lib.env"
	if got := strings.Join(files(t, dir), " "); got != want {
		t.Errorf("untracked nested repository: files = %q", got)
	}
	run(dir, "add", "top.env", "vendor/lib") // a gitlink, as a submodule is
	if got := strings.Join(files(t, dir), " "); got != want {
		t.Errorf("gitlink: files = %q", got)
	}
	// A clone without its submodule checked out: an empty folder that
	// git lists as "./" from inside.
	run(dir, "commit", "-q", "-m", "top")
	clone := filepath.Join(t.TempDir(), "clone")
	run(dir, "clone", "-q", dir, clone)
	if got := strings.Join(files(t, clone), " "); got != "top.env" {
		t.Errorf("clone: files = %q", got)
	}
}

// A folder git ignores, given by name (a build's dist/ scanned before it
// is published), is what was asked for: git listed none of its files,
// and the scan passed having read nothing.
func TestFilesOfAnIgnoredFolderGivenByName(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir)
	gitRun(t, dir, "init", "-q")
	write(t, filepath.Join(dir, "build/sub/more.txt"), "e")
	if got := strings.Join(files(t, filepath.Join(dir, "build")), " "); got != "out.txt sub/more.txt" {
		t.Errorf("files = %q", got)
	}
	if got := strings.Join(files(t, filepath.Join(dir, "build/sub")), " "); got != "more.txt" {
		t.Errorf("files under build/sub = %q", got)
	}
	// The work tree itself still respects its .gitignore.
	if got := strings.Join(files(t, dir), " "); got != ".gitignore app.env src/deep/x.go" {
		t.Errorf("files of the work tree = %q", got)
	}
}

// Where secrets sit in real files: quoted, in JSON, YAML, a URL's query,
// form-encoded after an escaped '=', after an escaped newline, on CRLF
// lines, at the very end without a newline. A secret split across lines
// or re-encoded (base64) is not found: the checksum is over the secret
// as issued (README says so).
func TestReadSecretsInContext(t *testing.T) {
	s, p := secret(t, "sk"), secret(t, "my_app")
	contexts := []string{
		`{"token":"` + s + `"}`,
		`token: '` + p + `'`,
		`https://api.example.com/x?key=` + s + `&y=1`,
		`a=1&token%3d` + s + `%26b`,
		`"line\n` + p + `\t"`,
		"export T=\"" + s + "\"\r",
		"<key>" + p + "</key>",
	}
	text := strings.Join(contexts, "\n") + "\n" + s // the last line has no newline
	hits, _ := read(t, text)
	if len(hits) != len(contexts)+1 {
		t.Fatalf("%d hits, want %d: %+v", len(hits), len(contexts)+1, hits)
	}
	for i, h := range hits {
		want := s
		if i == 1 || i == 4 || i == 6 {
			want = p
		}
		if h.Line != i+1 || h.Secret != want {
			t.Errorf("hit %d: line %d %q, want line %d %q", i, h.Line, h.Secret, i+1, want)
		}
	}
	if hits, _ := read(t, s[:20]+"\n"+s[20:]+"\n"); len(hits) != 0 {
		t.Errorf("a split secret: %+v", hits)
	}
}

// A repository scanned is often not ours (a leaked repository, a dump):
// its .git/config must not run commands. git ls-files ran the command
// core.fsmonitor names.
func TestFilesRunNothingARepositoryConfigures(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(t.TempDir(), "ran")
	write(t, filepath.Join(dir, "app.env"), "a")
	for _, args := range [][]string{{"init", "-q"}, {"add", "app.env"}, {"config", "core.fsmonitor", "touch '" + marker + "'; false"}} {
		gitRun(t, dir, args...)
	}
	if got := strings.Join(files(t, dir), " "); got != "app.env" {
		t.Errorf("files = %q", got)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("scanning the repository ran its core.fsmonitor command")
	}
}

// A tracked file's folder replaced by a link (a leaked repository's
// tarball can ship one) led the scan out of the tree: to the operator's
// own files, whose keys scan --disable would then disable.
func TestFilesNeverLeaveTheTreeThroughALinkedFolder(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	write(t, filepath.Join(dir, "cfg/x.env"), "a")
	write(t, filepath.Join(dir, "app.env"), "a")
	write(t, filepath.Join(outside, "x.env"), "mine")
	for _, args := range [][]string{{"init", "-q"}, {"add", "cfg/x.env", "app.env"}} {
		gitRun(t, dir, args...)
	}
	if err := os.RemoveAll(filepath.Join(dir, "cfg")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "cfg")); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(files(t, dir), " "); got != "app.env" {
		t.Errorf("files = %q", got)
	}
}

// A leaked copy of a work tree leaked its ignored files too: NoIgnore
// reads them, as if no git were there (nested .git folders still skipped).
func TestFilesNoIgnoreReadsIgnoredFiles(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir)
	gitRun(t, dir, "init", "-q")
	got := filesOf(t, dir, true)
	if s := strings.Join(got, " "); s != ".gitignore app.env build/out.txt ignored.env src/deep/x.go" {
		t.Errorf("files = %q", s)
	}
}
