package commands

import (
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/config"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// parseMeta reads repeated --meta k=v flags. With removals, "k=" is kept
// as an empty value (update's "remove k"); without, it is an error.
func parseMeta(pairs []string, removals bool) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, keys.Errorf(keys.Invalid, "invalid --meta %q: use key=value", p)
		}
		if v == "" && !removals {
			return nil, keys.Errorf(keys.Invalid, "invalid --meta %q: the value is empty", p)
		}
		m[k] = v
	}
	return m, nil
}

// exclusive refuses more than one of the named flags.
func exclusive(cmd *cobra.Command, names ...string) error {
	var set []string
	for _, n := range names {
		if f := cmd.Flags().Lookup(n); f != nil && f.Changed {
			set = append(set, "--"+n)
		}
	}
	if len(set) > 1 {
		return usageErrorf("%s cannot be used together", strings.Join(set, " and "))
	}
	return nil
}

// printsTo has cmd resolve the factory's printer into *dst before it
// runs, so that a bad -o is refused before anything is done. Tests
// driving NewCmdX with runF may leave the factory's printer nil, and set
// their own.
func (f *Factory) printsTo(cmd *cobra.Command, dst *output.Printer) {
	cmd.PreRunE = func(*cobra.Command, []string) error {
		if f.Printer == nil {
			return nil
		}
		p, err := f.Printer()
		*dst = p
		return err
	}
}

// settingsFor fetches the settings, or empty ones when the factory has no
// Settings (tests).
func settingsFor(f *Factory) func() (*config.Settings, error) {
	if f.Settings == nil {
		return func() (*config.Settings, error) { return &config.Settings{}, nil }
	}
	return f.Settings
}

func nowFor(f *Factory) func() time.Time {
	if f.Now == nil {
		return time.Now
	}
	return f.Now
}
