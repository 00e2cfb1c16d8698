package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/config"
	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// ProfileOptions is everything the profile commands need.
type ProfileOptions struct {
	IO       *iostreams.IOStreams
	Settings func() (*config.Settings, error)
	Printer  output.Printer
	Name     string
}

// NewCmdProfile is `keyward profile`, kubectl's contexts for keyward: the
// config file's profiles, which one is current, and where its credential
// comes from.
func NewCmdProfile(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "profile <command>",
		Aliases: []string{"profiles"},
		Short:   "List, switch, show and delete the config file's profiles",
	}
	sub := func(use, short, example string, args cobra.PositionalArgs, run func(context.Context, *ProfileOptions) error) *cobra.Command {
		opts := &ProfileOptions{IO: f.IO, Settings: settingsFor(f)}
		c := &cobra.Command{
			Use:     use,
			Short:   short,
			Example: example,
			Args:    args,
			RunE: func(c *cobra.Command, args []string) error {
				if len(args) > 0 {
					opts.Name = args[0]
				}
				return run(c.Context(), opts)
			},
		}
		if strings.Contains(use, "NAME") {
			c.ValidArgsFunction = completeProfiles
		}
		f.printsTo(c, &opts.Printer)
		return c
	}
	cmd.AddCommand(
		sub("list", "List the profiles and which one is current", "  keyward profile list -o json", noArgs, profileListRun),
		sub("use NAME", "Make a profile the current one (no new login)", "  keyward profile use prod", exactArgs(1), profileUseRun),
		sub("show", "Show the current profile and where its credential comes from", "  keyward profile show", noArgs, profileShowRun),
		sub("delete NAME", "Delete a profile and its stored operator key", "  keyward profile delete old-staging", exactArgs(1), profileDeleteRun),
	)
	return cmd
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func profileInfo(file *config.File, name, current string) output.ProfileInfo {
	p, _ := file.Profile(name)
	return output.ProfileInfo{Name: name, Server: optional(p.Server), DB: optional(p.DB), Current: name == current}
}

// loadCurrent reads the config file and names the profile in use:
// --profile or KEYWARD_PROFILE, else the file's current one.
func loadCurrent(opts *ProfileOptions) (*config.File, string, error) {
	file, err := config.Load()
	if err != nil {
		return nil, "", err
	}
	s, err := opts.Settings()
	if err != nil {
		return nil, "", err
	}
	if s.Profile != "" {
		return file, s.Profile, nil
	}
	return file, file.CurrentProfile, nil
}

func profileListRun(_ context.Context, opts *ProfileOptions) error {
	file, current, err := loadCurrent(opts)
	if err != nil {
		return err
	}
	var ps []output.ProfileInfo
	for _, n := range file.ProfileNames() {
		ps = append(ps, profileInfo(file, n, current))
	}
	return opts.Printer.Profiles(opts.IO.Out, ps)
}

func noSuchProfile(file *config.File, name string) error {
	names := file.ProfileNames()
	if len(names) == 0 {
		return keys.Errorf(keys.NotFound, "no profile %q: the config file %s has none (keyward login makes one)", name, config.Path())
	}
	return keys.Errorf(keys.NotFound, "no profile %q: the profiles are %s", name, strings.Join(names, ", "))
}

func profileUseRun(_ context.Context, opts *ProfileOptions) error {
	// A plain read first: a profile that is not there is an error that
	// leaves no config folder or lock file behind, as Update would.
	current, err := config.Load()
	if err != nil {
		return err
	}
	if _, ok := current.Profile(opts.Name); !ok {
		return noSuchProfile(current, opts.Name)
	}
	var file *config.File
	err = config.Update(config.Path(), func(f *config.File) error {
		if _, ok := f.Profile(opts.Name); !ok {
			return noSuchProfile(f, opts.Name)
		}
		f.CurrentProfile = opts.Name
		file = f
		return nil
	})
	if err != nil {
		return err
	}
	return opts.Printer.Profile(opts.IO.Out, output.ProfileDetail{ProfileInfo: profileInfo(file, opts.Name, opts.Name)})
}

func profileShowRun(_ context.Context, opts *ProfileOptions) error {
	file, current, err := loadCurrent(opts)
	if err != nil {
		return err
	}
	if current == "" {
		return keys.Errorf(keys.NotFound, "no profile is current: commands use --db, --server or the default database (keyward profile use NAME)")
	}
	p, ok := file.Profile(current)
	if !ok {
		return noSuchProfile(file, current)
	}
	d := output.ProfileDetail{ProfileInfo: profileInfo(file, current, current)}
	if p.Server != "" {
		// Where the token would come from, never the token itself.
		where := "none: run keyward login --profile " + current
		if _, source, err := config.TokenFor(current, p.Server); err == nil {
			where = source
		}
		d.Credential = &where
	}
	return opts.Printer.Profile(opts.IO.Out, d)
}

func profileDeleteRun(_ context.Context, opts *ProfileOptions) error {
	file, err := config.Load()
	if err != nil {
		return err
	}
	p, ok := file.Profile(opts.Name)
	if !ok {
		return noSuchProfile(file, opts.Name)
	}
	// The stored key first: a server profile whose key cannot be removed
	// (the keyring is locked or absent) stays, as logout refuses, rather
	// than leave a working secret behind with no profile to find it by. A
	// database profile has no key to leave.
	_, keyringErr, err := config.DeleteToken(opts.Name)
	switch {
	case err != nil && p.Server != "":
		return err
	case keyringErr != nil && p.Server != "":
		fmt.Fprintf(opts.IO.ErrOut, "note: the OS keyring could not be checked for the profile's key (%s)\n", keys.ErrorMessage(keyringErr))
	}
	err = config.Update(config.Path(), func(f *config.File) error {
		if _, ok := f.Profile(opts.Name); !ok {
			return noSuchProfile(f, opts.Name)
		}
		f.DeleteProfile(opts.Name)
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "Deleted profile %s\n", opts.Name)
	return nil
}
