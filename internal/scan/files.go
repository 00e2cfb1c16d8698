package scan

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/keyward/keyward/internal/fserr"
	"github.com/keyward/keyward/internal/keys"
)

// Stdin is the path that names standard input, as in most tools.
const Stdin = "-"

// Target is one path given to scan: standard input, a file, or a folder.
type Target struct {
	Path string
	// NoIgnore reads every file of a folder, .gitignore or not: a leaked
	// copy of a work tree leaked its ignored files (.env) too.
	NoIgnore bool
	dir      bool
}

// Targets checks every path before anything is read: a path that is not
// there is bad input (exit 2), said before any finding is printed. No
// paths is standard input.
func Targets(paths []string) ([]Target, error) {
	if len(paths) == 0 {
		paths = []string{Stdin}
	}
	out := make([]Target, 0, len(paths))
	for _, p := range paths {
		if p == Stdin {
			out = append(out, Target{Path: p})
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			return nil, keys.Errorf(keys.Invalid, "cannot scan %s: %s", p, fserr.Cause(err).Error())
		}
		if !fi.IsDir() && !fi.Mode().IsRegular() {
			return nil, keys.Errorf(keys.Invalid, "cannot scan %s: not a file or folder", p)
		}
		out = append(out, Target{Path: p, dir: fi.IsDir()})
	}
	return out, nil
}

// Files calls file for each file of t: t itself, or the files under a
// folder. Inside a git work tree a folder's files are what git would see
// (tracked, or untracked and not ignored: .gitignore respected, and git
// itself decides, rather than a second reading of its rules); elsewhere,
// in a folder git ignores, or without git, every file under it but those
// in .git folders met on the way (one given by name is scanned).
// Repositories inside the work tree (submodules, or ones never added) are
// scanned as work trees of their own. Symbolic links inside a folder are not followed; a folder
// given as a link is the folder it names. A file that cannot be read is
// reported to warn and skipped.
func (t Target) Files(ctx context.Context, file func(path string) error, warn func(msg string)) error {
	if !t.dir {
		return file(t.Path)
	}
	root := t.Path
	if fi, err := os.Lstat(root); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		// WalkDir does not descend into a root that is a link; a
		// trailing separator makes the system resolve it.
		root += string(filepath.Separator)
	}
	var paths []string
	ok := false
	if !t.NoIgnore {
		paths, ok = gitFiles(ctx, root)
	}
	if ok {
		inTree := inTreeCheck(root)
		for _, p := range paths {
			fi, err := os.Lstat(p)
			switch {
			case err != nil:
				continue // deleted in the work tree
			case !inTree(p):
				continue // a folder on the way is a link: git would not follow it either
			case fi.IsDir():
				// A submodule, or a repository git lists as one
				// untracked folder: its own files, by its own rules.
				if err := (Target{Path: p, dir: true}).Files(ctx, file, warn); err != nil {
					return err
				}
			case fi.Mode().IsRegular():
				if err := file(p); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			warn("skipped " + p + ": " + fserr.Cause(err).Error())
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if d.Name() == ".git" && p != root {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return file(p)
	})
}

// inTreeCheck returns whether a path git listed under root is there
// through no link: a tracked file's folder replaced by a link (a leaked
// repository's tarball can ship one) must not lead the scan to the
// operator's own files, whose keys --disable would then disable.
func inTreeCheck(root string) func(p string) bool {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return func(string) bool { return false }
	}
	seen := map[string]bool{}
	return func(p string) bool {
		rel, err := filepath.Rel(root, filepath.Dir(p))
		if err != nil || !filepath.IsLocal(rel) && rel != "." {
			return false
		}
		if ok, done := seen[rel]; done {
			return ok
		}
		real, err := filepath.EvalSymlinks(filepath.Dir(p))
		ok := err == nil && real == filepath.Join(realRoot, rel)
		seen[rel] = ok
		return ok
	}
}

// gitFiles lists the files git sees under dir when dir lies in a work
// tree, as paths joined to dir; ok is false when git is not installed,
// dir is not in a work tree or git ignores dir itself (then the folder is
// walked).
func gitFiles(ctx context.Context, dir string) (paths []string, ok bool) {
	git, err := exec.LookPath("git")
	if err != nil {
		return nil, false
	}
	inside, err := gitCommand(ctx, git, dir, "rev-parse", "--is-inside-work-tree").Output()
	if err != nil || strings.TrimSpace(string(inside)) != "true" {
		return nil, false
	}
	// A folder git ignores, named on purpose (a build's output scanned
	// before it ships), is walked whole: git would list none of it.
	if gitCommand(ctx, git, dir, "check-ignore", "-q", ".").Run() == nil {
		return nil, false
	}
	// -c: tracked, -o: untracked, --exclude-standard: but not those
	// .gitignore, .git/info/exclude or core.excludesFile ignore. Paths
	// are relative to dir; -z keeps odd names unquoted.
	out, err := gitCommand(ctx, git, dir, "ls-files", "-z", "-c", "-o", "--exclude-standard").Output()
	if err != nil {
		return nil, false
	}
	seen := map[string]bool{}
	for _, rel := range bytes.Split(out, []byte{0}) {
		if len(rel) == 0 || seen[string(rel)] {
			continue // a conflicted file is listed once per stage
		}
		seen[string(rel)] = true
		if filepath.Clean(string(rel)) == "." {
			continue // an empty submodule lists itself as "./"
		}
		paths = append(paths, filepath.Join(dir, string(rel)))
	}
	return paths, true
}

// gitCommand is git run in dir, a repository that may well not be ours (a
// leaked one, a dump): its config must not make git run a command, and
// core.fsmonitor does, even for ls-files.
func gitCommand(ctx context.Context, git, dir string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, git, append([]string{"-c", "core.fsmonitor=false", "-C", dir}, args...)...)
}
