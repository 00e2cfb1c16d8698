package config

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/keyward/keyward/internal/keys"
)

// Settings are the resolved global options of one keyward invocation.
type Settings struct {
	DB              string // a SQLite path (or URL); "" when Server is set
	Server          string // a management API base URL; "" for direct database access
	Profile         string // the profile in use; "" when none
	Output          string // table, wide, json or jsonl
	CAFile          string
	DefaultResource string
	NoHeaders       bool
	Debug           bool
	Insecure        bool // insecure_storage: the profile's token lives in a 0600 file, not the keyring

	// ProfileMissing is set when a profile was asked for (--profile,
	// KEYWARD_PROFILE) that the config file does not have. `login` creates
	// it; commands that need a backend refuse to guess.
	ProfileMissing bool
	// ConfigPath is the config file the profile came from.
	ConfigPath string
}

// Global flag names; each has a KEYWARD_<NAME> environment variable
// (dashes become underscores).
const (
	FlagDB        = "db"
	FlagServer    = "server"
	FlagProfile   = "profile"
	FlagOutput    = "output"
	FlagNoHeaders = "no-headers"
	FlagCAFile    = "ca-file"
	FlagDebug     = "debug"
)

// Output formats.
var Formats = []string{"table", "wide", "json", "jsonl"}

// AddFlags registers the global flags on fs (the root's persistent flags).
func AddFlags(fs *pflag.FlagSet) {
	fs.String(FlagDB, "", "database: a SQLite file or a postgres:// URL (env KEYWARD_DB; default $XDG_DATA_HOME/keyward/keyward.db)")
	fs.String(FlagServer, "", "keyward server URL (env KEYWARD_SERVER)")
	fs.String(FlagProfile, "", "config profile to use (env KEYWARD_PROFILE)")
	fs.StringP(FlagOutput, "o", "table", "output format: table, wide (a table with nothing cut), json or jsonl (env KEYWARD_OUTPUT)")
	fs.Bool(FlagNoHeaders, false, "omit table headers (env KEYWARD_NO_HEADERS)")
	fs.String(FlagCAFile, "", "PEM file of CAs to trust for the server (env KEYWARD_CA_FILE)")
	fs.Bool(FlagDebug, false, "log requests and timings to stderr (env KEYWARD_DEBUG)")
}

// EnvName is the environment variable of a global flag.
func EnvName(flag string) string {
	return "KEYWARD_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// Resolve computes the settings from fs's global flags, the KEYWARD_*
// environment, the profile of the config file at Path and defaults, in
// that order of precedence. --db and --server given together at the same
// level is a usage error (keys.Invalid).
func Resolve(fs *pflag.FlagSet) (*Settings, error) {
	return ResolveFile(fs, Path())
}

// ResolveFile is Resolve with an explicit config file path.
func ResolveFile(fs *pflag.FlagSet, configPath string) (*Settings, error) {
	v := viper.New()
	for _, name := range []string{FlagDB, FlagServer, FlagProfile, FlagOutput, FlagNoHeaders, FlagCAFile, FlagDebug} {
		if f := fs.Lookup(name); f != nil {
			if err := v.BindPFlag(name, f); err != nil {
				return nil, keys.Errorf(keys.Internal, "binding flag --%s: %v", name, err)
			}
		}
		if err := v.BindEnv(name, EnvName(name)); err != nil {
			return nil, keys.Errorf(keys.Internal, "binding %s: %v", EnvName(name), err)
		}
	}
	_ = v.BindEnv("insecure-storage", "KEYWARD_INSECURE_STORAGE")
	v.SetDefault(FlagOutput, "table")

	file, err := LoadFrom(configPath)
	if err != nil {
		return nil, err
	}
	s := &Settings{ConfigPath: configPath}

	// The profile name itself: flag > env > current_profile.
	s.Profile = v.GetString(FlagProfile)
	explicitProfile := s.Profile != ""
	if !explicitProfile {
		s.Profile = file.CurrentProfile
	}
	prof, found := file.Profile(s.Profile)
	// A missing profile (named, or a dangling current_profile) matters
	// only when nothing else says where to go: --db or --server still work.
	s.ProfileMissing = s.Profile != "" && !found
	// The profile is viper's config layer: below flags and environment.
	layer := map[string]any{}
	if prof.DB != "" {
		layer[FlagDB] = profilePath(prof.DB, configPath)
	}
	if prof.Server != "" {
		layer[FlagServer] = prof.Server
	}
	if prof.CAFile != "" {
		layer[FlagCAFile] = profilePath(prof.CAFile, configPath)
	}
	if err := v.MergeConfigMap(layer); err != nil {
		return nil, keys.Errorf(keys.Internal, "merging profile: %v", err)
	}

	s.Output = strings.ToLower(v.GetString(FlagOutput))
	if !validFormat(s.Output) {
		return nil, keys.Errorf(keys.Invalid, "invalid output format %q: use table, wide, json or jsonl", v.GetString(FlagOutput))
	}
	for _, b := range []struct {
		name, env string
		to        *bool
	}{
		{FlagNoHeaders, EnvName(FlagNoHeaders), &s.NoHeaders},
		{FlagDebug, EnvName(FlagDebug), &s.Debug},
		{"insecure-storage", "KEYWARD_INSECURE_STORAGE", &s.Insecure},
	} {
		if *b.to, err = getBool(v, b.name, b.env); err != nil {
			return nil, err
		}
	}
	s.CAFile = v.GetString(FlagCAFile)
	s.DefaultResource = prof.DefaultResource

	// db and server exclude each other; the higher level wins, the same
	// level twice is a mistake to report rather than guess about.
	dbLevel := level(fs, FlagDB, prof.DB)
	serverLevel := level(fs, FlagServer, prof.Server)
	switch {
	case dbLevel > 0 && dbLevel == serverLevel:
		what := map[int]string{levelFlag: "--db and --server", levelEnv: "KEYWARD_DB and KEYWARD_SERVER",
			levelProfile: "profile " + s.Profile + " sets both db and server"}[dbLevel]
		if dbLevel == levelProfile {
			return nil, keys.Errorf(keys.Invalid, "%s in %s: keep one", what, configPath)
		}
		return nil, keys.Errorf(keys.Invalid, "%s cannot be used together: choose a database or a server", what)
	case dbLevel > serverLevel:
		s.DB = v.GetString(FlagDB)
	case serverLevel > dbLevel:
		s.Server = TrimServer(v.GetString(FlagServer))
	default:
		s.DB = DefaultDBPath()
	}
	return s, nil
}

// TrimServer drops a server URL's trailing slashes, but never into its
// "://": "http://" trimmed to "http:" would read as a host named http,
// which a lookup then fails to reach, where a URL without a host is bad
// input the client refuses.
func TrimServer(server string) string {
	trimmed := strings.TrimRight(server, "/")
	if i := strings.Index(server, "://"); i >= 0 && len(trimmed) < i+len("://") {
		return server[:i+len("://")]
	}
	return trimmed
}

// profilePath reads a path of the config file: a leading "~/" is the home
// folder, and a relative path is relative to the config file's folder (as
// kubeconfig reads its paths), not to the folder a command runs in, where
// `db: keyward.db` would silently give each folder a database of its own.
// A URL (postgres://…) is left as it is. Paths from --db, --ca-file and
// the environment stay relative to the working directory, as any
// command-line path is.
func profilePath(path, configPath string) string {
	if hasURLScheme(path) {
		return path
	}
	path = expandHome(path)
	if filepath.IsAbs(path) {
		return path
	}
	dir, err := filepath.Abs(filepath.Dir(configPath))
	if err != nil {
		return path
	}
	return filepath.Join(dir, path)
}

// hasURLScheme says whether s is a URL rather than a path, as the store
// reads --db: a scheme followed by "//", or one of SQLite's URI schemes
// (which the store refuses with a message of its own, so they must reach
// it as written).
func hasURLScheme(s string) bool {
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || scheme == "" {
		return false
	}
	for i, c := range scheme {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	switch strings.ToLower(scheme) {
	case "file", "sqlite", "sqlite3":
		return true
	}
	return strings.HasPrefix(rest, "//")
}

// expandHome reads a leading "~/" of a path in the config file as the
// home folder, as a shell would have on the command line (a folder named
// "~" is never what was meant).
func expandHome(path string) string {
	if path != "~" && !strings.HasPrefix(path, "~/") {
		return path
	}
	home := homeDir()
	if home == "." {
		return path
	}
	return filepath.Join(home, path[1:])
}

const (
	levelNone = iota
	levelProfile
	levelEnv
	levelFlag
)

// level says where a value of name comes from.
func level(fs *pflag.FlagSet, name, profileValue string) int {
	if f := fs.Lookup(name); f != nil && f.Changed && f.Value.String() != "" {
		return levelFlag
	}
	if os.Getenv(EnvName(name)) != "" {
		return levelEnv
	}
	if profileValue != "" {
		return levelProfile
	}
	return levelNone
}

func validFormat(s string) bool {
	for _, f := range Formats {
		if s == f {
			return true
		}
	}
	return false
}

// getBool reads a boolean setting. viper reads an unparsable environment
// value ("yes") as false without a word; the flag itself refuses one, so
// the variable does too.
func getBool(v *viper.Viper, name, env string) (bool, error) {
	raw := v.GetString(name)
	if raw == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(raw)
	if err != nil {
		return false, keys.Errorf(keys.Invalid, "invalid %s %q: use true or false (1 or 0)", env, raw)
	}
	return b, nil
}
