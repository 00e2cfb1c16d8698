package commands

import (
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/config"
	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// version and commit are set at build time (make build, and GoReleaser,
// do it from git):
//
//	go build -ldflags "-X github.com/keyward/keyward/internal/commands.version=0.1.0 -X github.com/keyward/keyward/internal/commands.commit=$(git rev-parse --short=12 HEAD)"
//
// A release says its tag without the "v" (tag v0.1.0 prints 0.1.0), as
// gh does and as semver spells a version; anything else is
// 0.0.0-dev+<commit>, which sorts before every release.
var (
	version = ""
	commit  = ""
)

// Version is the version this binary was built as, for the client's
// User-Agent and --version.
var Version = versionOf(version, buildCommit())

// versionOf is the version to print: the injected one, or a development
// version naming the commit it was built from.
func versionOf(injected, commit string) string {
	if injected != "" {
		return strings.TrimPrefix(injected, "v")
	}
	if commit == "" {
		commit = "unknown"
	}
	return "0.0.0-dev+" + commit
}

// buildCommit is the injected commit or, for a plain `go build` in a
// checkout, the revision Go recorded itself (asked only then: reading the
// build information costs start-up time that tagged builds need not pay).
func buildCommit() string {
	if commit != "" {
		return commit
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				return s.Value[:min(len(s.Value), 12)]
			}
		}
	}
	return ""
}

// VersionOptions is everything `version` needs.
type VersionOptions struct {
	IO      *iostreams.IOStreams
	Printer output.Printer
}

func NewCmdVersion(f *Factory, runF func(*VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print keyward's version, commit and Go version",
		Long: `Print keyward's version, the commit it was built from, the Go version
and the platform. A release prints its tag without the "v" (0.1.0); a
build from any other commit prints 0.0.0-dev+<commit>.`,
		Example: `  keyward version
  keyward version -o json | jq -r .version`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return opts.Printer.Version(opts.IO.Out, versionInfo())
		},
	}
	f.printsTo(cmd, &opts.Printer)
	// version must work with a broken config file (it is what one asks
	// first when something is wrong): without settings, -o alone decides.
	resolve := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		if err := resolve(c, args); err == nil || keys.ErrorCode(err) != keys.Invalid {
			return err
		}
		format, _ := c.Flags().GetString(config.FlagOutput)
		p, err := NewPrinter(f.IO, &config.Settings{Output: format}, nowFor(f))
		opts.Printer = p
		return err
	}
	return cmd
}

func versionInfo() output.VersionInfo {
	c := buildCommit()
	if c == "" {
		c = "unknown"
	}
	return output.VersionInfo{Version: Version, Commit: c, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
}
