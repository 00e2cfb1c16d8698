package commands

import (
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/config"
	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// version and commit are set at build time (the Makefile does):
//
//	go build -ldflags "-X github.com/keyward/keyward/internal/commands.version=1.2.0 -X github.com/keyward/keyward/internal/commands.commit=$(git rev-parse --short HEAD)"
var (
	version = "dev"
	commit  = ""
)

// Version is the version this binary was built as ("dev" by default),
// for the client's User-Agent.
var Version = version

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
		Args:  noArgs,
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
	v := output.VersionInfo{Version: Version, Commit: commit, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if v.Commit == "" {
		v.Commit = "unknown"
		// A plain `go build` in a checkout records the revision itself.
		if info, ok := debug.ReadBuildInfo(); ok {
			for _, s := range info.Settings {
				if s.Key == "vcs.revision" && s.Value != "" {
					v.Commit = s.Value
					if len(v.Commit) > 12 {
						v.Commit = v.Commit[:12]
					}
				}
			}
		}
	}
	return v
}
