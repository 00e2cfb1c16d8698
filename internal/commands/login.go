package commands

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/client"
	"github.com/keyward/keyward/internal/config"
	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
)

// LoginOptions is everything `login` needs; tests fill it directly.
type LoginOptions struct {
	IO       *iostreams.IOStreams
	Settings func() (*config.Settings, error)

	// ExplicitProfile is set when --profile or KEYWARD_PROFILE named the
	// profile (rather than current_profile).
	ExplicitProfile bool
	InsecureStorage bool
}

func NewCmdLogin(f *Factory, runF func(*LoginOptions) error) *cobra.Command {
	opts := &LoginOptions{IO: f.IO, Settings: settingsFor(f)}
	cmd := &cobra.Command{
		Use:   "login [--server URL] [--profile NAME] [--insecure-storage]",
		Short: "Store an operator key for a keyward server in the OS keyring",
		Long: `Log in to a keyward server with an operator key. The key is read from a
hidden prompt on a terminal, or from stdin — never from an argument — and is
checked against the server before it is stored.

The key is stored in the OS keyring (service "keyward", user = the profile
name) and the profile is saved in the config file and made current. The
profile is --profile, else the profile whose server is --server, else the
server's host:port.

Without a usable keyring, login fails: set KEYWARD_TOKEN instead, or pass
--insecure-storage to keep the key in a 0600 file.`,
		Example: `  keyward login --server https://keys.example.com
  printf %s "$ROOT_KEY" | keyward login --server http://127.0.0.1:8080 --profile dev`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ExplicitProfile = flagOrEnv(cmd, config.FlagProfile)
			if runF != nil {
				return runF(opts)
			}
			return loginRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.InsecureStorage, "insecure-storage", false, "store the key in a plaintext 0600 file instead of the OS keyring")
	return cmd
}

// flagOrEnv reports whether a global flag was given, on the command line
// or as its KEYWARD_* variable.
func flagOrEnv(cmd *cobra.Command, name string) bool {
	if fl := cmd.Flags().Lookup(name); fl != nil && fl.Changed && fl.Value.String() != "" {
		return true
	}
	return os.Getenv(config.EnvName(name)) != ""
}

func loginRun(ctx context.Context, opts *LoginOptions) error {
	s, err := opts.Settings()
	if err != nil {
		return err
	}
	server := config.TrimServer(s.Server)
	if server == "" {
		return usageErrorf("login needs a server: keyward login --server URL")
	}
	// The normalized URL (scheme added, path kept) is what the profile keeps.
	probe, err := client.New(client.Options{BaseURL: server})
	if err != nil {
		return err
	}
	server = probe.BaseURL()

	file, err := config.Load()
	if err != nil {
		return err
	}
	profile := credentialProfile(file, s.Profile, server, opts.ExplicitProfile)

	token, err := opts.IO.ReadSecret(fmt.Sprintf("Operator key for %s: ", server))
	if err != nil {
		return keys.Errorf(keys.Invalid, "%v", err)
	}
	if token == "" {
		return keys.Errorf(keys.Invalid, "no key given: type it at the prompt or pipe it on stdin (never as an argument)")
	}
	if _, err := keys.ParseSecret(token); err != nil {
		return keys.Errorf(keys.Unauthorized, "that is not a keyward key (a copy-paste mistake?): expected <prefix>_<38 characters>")
	}

	c, err := newClient(opts.IO, s, client.Options{BaseURL: server, Token: token})
	if err != nil {
		return err
	}
	defer c.Close()
	who, err := c.WhoAmI(ctx)
	if err != nil {
		return err
	}
	if who.Key == nil {
		return keys.Errorf(keys.Internal, "%s did not say which key this is", server)
	}

	insecure := opts.InsecureStorage || s.Insecure
	where, err := config.StoreToken(profile, token, insecure)
	if err != nil {
		return err
	}

	err = config.Update(file.Path(), func(file *config.File) error {
		p, _ := file.Profile(profile)
		p.Server, p.DB = server, ""
		if s.CAFile != "" {
			if abs, err := filepath.Abs(s.CAFile); err == nil {
				p.CAFile = abs
			}
		}
		file.SetProfile(profile, p)
		file.CurrentProfile = profile
		return nil
	})
	if err != nil {
		return err
	}

	if insecure {
		fmt.Fprintf(opts.IO.ErrOut, "warning: the key is stored in plain text in %s (mode 0600), not in the OS keyring\n", where)
	}
	fmt.Fprintf(opts.IO.ErrOut, "Logged in to %s as %s (%s); profile %q is now current\n", server, who.Key.Name, who.Key.ID, profile)
	if os.Getenv(config.TokenEnv) != "" {
		fmt.Fprintf(opts.IO.ErrOut, "note: %s is set and overrides the stored key\n", config.TokenEnv)
	}
	return nil
}
