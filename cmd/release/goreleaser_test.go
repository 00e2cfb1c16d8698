package release

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// root is the repository's root, from this package's folder.
var root = filepath.Join("..", "..")

// The parts of a GoReleaser v2 config this test holds to the promise.
type grConfig struct {
	Version int `yaml:"version"`
	Builds  []struct {
		ID      string   `yaml:"id"`
		Env     []string `yaml:"env"`
		Goos    []string `yaml:"goos"`
		Goarch  []string `yaml:"goarch"`
		Flags   []string `yaml:"flags"`
		Tags    []string `yaml:"tags"`
		Ldflags []string `yaml:"ldflags"`
	} `yaml:"builds"`
	Archives []struct {
		IDs             []string `yaml:"ids"`
		Formats         []string `yaml:"formats"`
		FormatOverrides []struct {
			Goos    string   `yaml:"goos"`
			Formats []string `yaml:"formats"`
		} `yaml:"format_overrides"`
		Files []string `yaml:"files"`
	} `yaml:"archives"`
	Checksum struct {
		NameTemplate string `yaml:"name_template"`
	} `yaml:"checksum"`
	Snapshot struct {
		VersionTemplate string `yaml:"version_template"`
	} `yaml:"snapshot"`
}

// .goreleaser.yaml parses and says what the README promises: CI's cheap
// check, without GoReleaser (`make release-check` runs GoReleaser's own).
func TestGoreleaserConfig(t *testing.T) {
	f, err := os.Open(filepath.Join(root, ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var c grConfig
	if err := yaml.NewDecoder(f).Decode(&c); err != nil {
		t.Fatalf(".goreleaser.yaml: %v", err)
	}
	if c.Version != 2 {
		t.Errorf("version: %d, want 2 (GoReleaser v2)", c.Version)
	}
	makeX := makefileXFlags(t)
	targets := map[string]bool{}
	for _, b := range c.Builds {
		if !slices.Contains(b.Env, "CGO_ENABLED=1") {
			t.Errorf("build %s: not cgo (go-sqlite3 needs it)", b.ID)
		}
		ld := strings.Join(b.Ldflags, " ")
		for _, x := range makeX {
			if !strings.Contains(ld, x) {
				t.Errorf("build %s: ldflags lack %s, which make build injects", b.ID, x)
			}
		}
		if !slices.Contains(b.Flags, "-trimpath") {
			t.Errorf("build %s: no -trimpath", b.ID)
		}
		for _, goos := range b.Goos {
			for _, arch := range b.Goarch {
				targets[goos+"/"+arch] = true
				if goos != "linux" {
					continue
				}
				for _, tag := range []string{"osusergo", "netgo", "sqlite_omit_load_extension"} {
					if !slices.Contains(b.Tags, tag) {
						t.Errorf("build %s: linux without the %s tag (static)", b.ID, tag)
					}
				}
				if !strings.Contains(ld, "-extldflags '-static'") {
					t.Errorf("build %s: linux not linked statically", b.ID)
				}
			}
		}
		env := strings.Join(b.Env, " ")
		if slices.Contains(b.Goos, "windows") && !strings.Contains(env, "CC=x86_64-w64-mingw32-gcc") {
			t.Errorf("build %s: windows without mingw-w64's compiler", b.ID)
		}
		if slices.Contains(b.Goarch, "arm64") && !strings.Contains(env, "aarch64-linux-gnu-gcc") {
			t.Errorf("build %s: arm64 without the aarch64 cross compiler", b.ID)
		}
	}
	for _, want := range []string{"linux/amd64", "linux/arm64", "windows/amd64"} {
		if !targets[want] {
			t.Errorf("no build for %s", want)
		}
	}
	if len(c.Archives) != 1 {
		t.Fatalf("%d archives, want 1", len(c.Archives))
	}
	a := c.Archives[0]
	if !slices.Equal(a.Formats, []string{"tar.gz"}) || len(a.FormatOverrides) != 1 ||
		a.FormatOverrides[0].Goos != "windows" || !slices.Equal(a.FormatOverrides[0].Formats, []string{"zip"}) {
		t.Errorf("archives: tar.gz, and zip for windows, wanted: %+v", a)
	}
	for _, want := range []string{"README.md", "LICENSE", "completions/*", "man/*.1"} {
		if !slices.Contains(a.Files, want) {
			t.Errorf("archives lack %s", want)
		}
		if m, _ := filepath.Glob(filepath.Join(root, want)); len(m) == 0 {
			t.Errorf("archive file %s matches nothing", want)
		}
	}
	if c.Checksum.NameTemplate != "checksums.txt" {
		t.Errorf("checksum file %q, want checksums.txt", c.Checksum.NameTemplate)
	}
	if !strings.HasPrefix(c.Snapshot.VersionTemplate, "0.0.0-dev+") {
		t.Errorf("snapshot version %q, want 0.0.0-dev+<commit> as make build", c.Snapshot.VersionTemplate)
	}
}

// makefileXFlags is the -X package.variable= parts of the Makefile's LDFLAGS.
func makefileXFlags(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^LDFLAGS :=.*$`).Find(b)
	xs := regexp.MustCompile(`-X \S+=`).FindAllString(string(m), -1)
	if len(xs) < 2 {
		t.Fatalf("the Makefile's LDFLAGS inject no version and commit: %q", m)
	}
	return xs
}
