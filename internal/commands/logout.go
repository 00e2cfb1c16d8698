package commands

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/config"
	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
)

// LogoutOptions is everything `logout` needs; tests fill it directly.
type LogoutOptions struct {
	IO       *iostreams.IOStreams
	Settings func() (*config.Settings, error)

	ExplicitProfile bool
}

func NewCmdLogout(f *Factory, runF func(*LogoutOptions) error) *cobra.Command {
	opts := &LogoutOptions{IO: f.IO, Settings: settingsFor(f)}
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "Remove the stored operator key of the current profile",
		Long: `Remove the operator key stored for the current profile (or --profile,
or the profile of --server): from the OS keyring and from a file written by
login --insecure-storage. The profile itself stays in the config file.`,
		Example: `  keyward logout
  keyward logout --profile dev`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ExplicitProfile = flagOrEnv(cmd, config.FlagProfile)
			if runF != nil {
				return runF(opts)
			}
			return logoutRun(cmd.Context(), opts)
		},
	}
	return cmd
}

func logoutRun(ctx context.Context, opts *LogoutOptions) error {
	s, err := opts.Settings()
	if err != nil {
		return err
	}
	file, err := config.Load()
	if err != nil {
		return err
	}
	profile := credentialProfile(file, s.Profile, s.Server, opts.ExplicitProfile)
	if profile == "" {
		return usageErrorf("no profile to log out of: use --profile NAME or --server URL")
	}
	removed, keyringErr, err := config.DeleteToken(profile)
	if err != nil {
		return err
	}
	target := profile
	if s.Server != "" {
		target = fmt.Sprintf("%s (profile %q)", s.Server, profile)
	}
	if keyringErr != nil {
		fmt.Fprintf(opts.IO.ErrOut, "note: the OS keyring could not be checked (%s)\n", keys.ErrorMessage(keyringErr))
	}
	if removed {
		fmt.Fprintf(opts.IO.ErrOut, "Logged out of %s\n", target)
	} else {
		fmt.Fprintf(opts.IO.ErrOut, "No stored key for %s; nothing to do\n", target)
	}
	if os.Getenv(config.TokenEnv) != "" {
		fmt.Fprintf(opts.IO.ErrOut, "note: %s is still set and keeps working; unset it too\n", config.TokenEnv)
	}
	return nil
}
