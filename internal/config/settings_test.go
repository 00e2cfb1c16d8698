package config

import (
	"bytes"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/pflag"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/testenv"
)

// settingsEnv isolates HOME, XDG and KEYWARD_* and returns the config path.
func settingsEnv(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	testenv.Isolate(t, dir)
	return Path()
}

func flags(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	fs := pflag.NewFlagSet("keyward", pflag.ContinueOnError)
	AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return fs
}

func writeProfiles(t *testing.T, current string, profiles map[string]Profile) {
	t.Helper()
	f, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	f.CurrentProfile = current
	for n, p := range profiles {
		f.SetProfile(n, p)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
}

func TestDefaults(t *testing.T) {
	settingsEnv(t)
	s, err := Resolve(flags(t))
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(os.Getenv("XDG_DATA_HOME"), "keyward", "keyward.db")
	if s.DB != want || s.Server != "" || s.Output != "table" || s.NoHeaders || s.Debug || s.Profile != "" {
		t.Fatalf("defaults = %+v", s)
	}
	if DefaultDBPath() != want {
		t.Fatalf("DefaultDBPath = %s", DefaultDBPath())
	}
}

func TestDefaultDBPathFallsBackToHome(t *testing.T) {
	settingsEnv(t)
	t.Setenv("XDG_DATA_HOME", "")
	want := filepath.Join(os.Getenv("HOME"), ".local", "share", "keyward", "keyward.db")
	if got := DefaultDBPath(); got != want {
		t.Fatalf("DefaultDBPath = %s, want %s", got, want)
	}
}

// Without HOME (cron, some service managers), the account's home folder,
// not the working directory.
func TestDefaultDBPathWithoutHOME(t *testing.T) {
	settingsEnv(t)
	u, err := user.Current()
	if err != nil || u.HomeDir == "" {
		t.Skip("no home folder in the user database")
	}
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("XDG_CONFIG_HOME", "")
	os.Unsetenv("HOME")
	if got, want := DefaultDBPath(), filepath.Join(u.HomeDir, ".local", "share", "keyward", "keyward.db"); got != want {
		t.Fatalf("DefaultDBPath = %s, want %s", got, want)
	}
	if got, want := Path(), filepath.Join(u.HomeDir, ".config", "keyward", "config.yaml"); got != want {
		t.Fatalf("Path = %s, want %s", got, want)
	}
}

func TestPrecedenceFlagEnvProfileDefault(t *testing.T) {
	settingsEnv(t)
	writeProfiles(t, "p", map[string]Profile{"p": {DB: "/profile.db", DefaultResource: "/acme", CAFile: "/p.pem"}})

	s, err := Resolve(flags(t))
	if err != nil || s.DB != "/profile.db" || s.Profile != "p" || s.DefaultResource != "/acme" || s.CAFile != "/p.pem" {
		t.Fatalf("profile: %+v %v", s, err)
	}
	t.Setenv("KEYWARD_DB", "/env.db")
	t.Setenv("KEYWARD_CA_FILE", "/env.pem")
	t.Setenv("KEYWARD_OUTPUT", "jsonl")
	t.Setenv("KEYWARD_NO_HEADERS", "true")
	t.Setenv("KEYWARD_DEBUG", "1")
	s, err = Resolve(flags(t))
	if err != nil || s.DB != "/env.db" || s.CAFile != "/env.pem" || s.Output != "jsonl" || !s.NoHeaders || !s.Debug {
		t.Fatalf("env: %+v %v", s, err)
	}
	s, err = Resolve(flags(t, "--db", "/flag.db", "--ca-file", "/flag.pem", "-o", "json", "--no-headers=false", "--debug=false"))
	if err != nil || s.DB != "/flag.db" || s.CAFile != "/flag.pem" || s.Output != "json" || s.NoHeaders || s.Debug {
		t.Fatalf("flags: %+v %v", s, err)
	}
}

// A profile's paths may start with ~/, as they would on the command line.
func TestProfilePathsExpandHome(t *testing.T) {
	settingsEnv(t)
	writeProfiles(t, "p", map[string]Profile{"p": {DB: "~/keys/keyward.db", CAFile: "~/ca.pem"}})
	home, _ := os.UserHomeDir()
	s, err := Resolve(flags(t))
	if err != nil || s.DB != filepath.Join(home, "keys", "keyward.db") || s.CAFile != filepath.Join(home, "ca.pem") {
		t.Fatalf("~ in a profile: %+v %v", s, err)
	}
	// The file keeps what was written.
	f, _ := Load()
	if p, _ := f.Profile("p"); p.DB != "~/keys/keyward.db" {
		t.Fatalf("profile rewritten: %+v", p)
	}
}

func TestProfileSelection(t *testing.T) {
	settingsEnv(t)
	writeProfiles(t, "a", map[string]Profile{"a": {DB: "/a.db"}, "b": {Server: "https://b.example/"}})
	s, _ := Resolve(flags(t))
	if s.Profile != "a" || s.DB != "/a.db" {
		t.Fatalf("current profile: %+v", s)
	}
	t.Setenv("KEYWARD_PROFILE", "b")
	s, _ = Resolve(flags(t))
	if s.Profile != "b" || s.Server != "https://b.example" || s.DB != "" {
		t.Fatalf("env profile: %+v", s)
	}
	s, _ = Resolve(flags(t, "--profile", "a"))
	if s.Profile != "a" || s.DB != "/a.db" {
		t.Fatalf("flag profile: %+v", s)
	}
	// A server profile overridden by --db: the database wins, no conflict.
	s, err := Resolve(flags(t, "--profile", "b", "--db", "/x.db"))
	if err != nil || s.DB != "/x.db" || s.Server != "" {
		t.Fatalf("--db over a server profile: %+v %v", s, err)
	}
	s, err = Resolve(flags(t, "--profile", "new"))
	if err != nil || !s.ProfileMissing || s.Profile != "new" {
		t.Fatalf("missing profile: %+v %v", s, err)
	}
}

func TestDBAndServerConflict(t *testing.T) {
	settingsEnv(t)
	if _, err := Resolve(flags(t, "--db", "/x.db", "--server", "https://x")); keys.ErrorCode(err) != keys.Invalid {
		t.Fatalf("flags: %v", err)
	}
	t.Setenv("KEYWARD_DB", "/x.db")
	t.Setenv("KEYWARD_SERVER", "https://x")
	if _, err := Resolve(flags(t)); keys.ErrorCode(err) != keys.Invalid {
		t.Fatalf("env: %v", err)
	}
	// A flag beats the environment: no conflict.
	s, err := Resolve(flags(t, "--server", "https://y"))
	if err != nil || s.Server != "https://y" || s.DB != "" {
		t.Fatalf("flag over env: %+v %v", s, err)
	}
}

func TestBadOutput(t *testing.T) {
	settingsEnv(t)
	if _, err := Resolve(flags(t, "-o", "yaml")); keys.ErrorCode(err) != keys.Invalid {
		t.Fatalf("-o yaml: %v", err)
	}
	t.Setenv("KEYWARD_OUTPUT", "xml")
	if _, err := Resolve(flags(t)); keys.ErrorCode(err) != keys.Invalid {
		t.Fatalf("KEYWARD_OUTPUT=xml: %v", err)
	}
}

// A boolean variable is parsed as strictly as its flag: "yes" is refused,
// not read as false.
func TestBoolEnvironment(t *testing.T) {
	settingsEnv(t)
	for _, env := range []string{"KEYWARD_NO_HEADERS", "KEYWARD_DEBUG", "KEYWARD_INSECURE_STORAGE"} {
		t.Setenv(env, "yes")
		if _, err := Resolve(flags(t)); keys.ErrorCode(err) != keys.Invalid || !strings.Contains(err.Error(), env) {
			t.Errorf("%s=yes: %v", env, err)
		}
		t.Setenv(env, "")
	}
	t.Setenv("KEYWARD_NO_HEADERS", "1")
	if s, err := Resolve(flags(t)); err != nil || !s.NoHeaders {
		t.Errorf("KEYWARD_NO_HEADERS=1: %+v, %v", s, err)
	}
	if s, err := Resolve(flags(t, "--no-headers=false")); err != nil || s.NoHeaders {
		t.Errorf("--no-headers=false over KEYWARD_NO_HEADERS=1: %+v, %v", s, err)
	}
}

func TestBrokenConfigFile(t *testing.T) {
	path := settingsEnv(t)
	os.MkdirAll(filepath.Dir(path), 0o700)
	os.WriteFile(path, []byte("profiles: [\n"), 0o600)
	_, err := Resolve(flags(t))
	if keys.ErrorCode(err) != keys.Invalid || strings.Contains(err.Error(), "\n") {
		t.Fatalf("broken file: %v", err)
	}
}

func TestSaveIsPrivateAndRoundTrips(t *testing.T) {
	path := settingsEnv(t)
	f, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	f.CurrentProfile = "prod"
	f.SetProfile("prod", Profile{Server: "https://keys.example.com", DefaultResource: "/acme/prod", CAFile: "/ca.pem"})
	f.SetProfile("local", Profile{DB: "/var/lib/keyward.db"})
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("config mode = %v, %v", st.Mode(), err)
	}
	if dst, _ := os.Stat(filepath.Dir(path)); dst.Mode().Perm() != 0o700 {
		t.Fatalf("config dir mode = %v", dst.Mode())
	}
	b, _ := os.ReadFile(path)
	for _, want := range []string{"current_profile: prod", "default_resource: /acme/prod", "ca_file: /ca.pem", "server: https://keys.example.com", "db: /var/lib/keyward.db"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("config file lacks %q:\n%s", want, b)
		}
	}
	g, err := Load()
	if err != nil || g.CurrentProfile != "prod" || len(g.ProfileNames()) != 2 {
		t.Fatalf("reload: %+v %v", g, err)
	}
	if p, ok := g.Profile("prod"); !ok || p.DefaultResource != "/acme/prod" {
		t.Fatalf("prod = %+v", p)
	}
}

// A current_profile naming a profile that is gone does not block --db or
// --server; without them, the command refuses later (ProfileMissing).
func TestDanglingCurrentProfile(t *testing.T) {
	settingsEnv(t)
	writeProfiles(t, "gone", map[string]Profile{"other": {DB: "/tmp/other.db"}})
	s, err := Resolve(flags(t, "--db", "/tmp/x.db"))
	if err != nil || s.DB != "/tmp/x.db" {
		t.Fatalf("--db with a dangling current_profile: %+v, %v", s, err)
	}
	s, err = Resolve(flags(t))
	if err != nil || !s.ProfileMissing || s.Profile != "gone" || s.DB != DefaultDBPath() {
		t.Fatalf("no --db with a dangling current_profile: %+v, %v", s, err)
	}
}

// Updates made at once (parallel logins) each keep their profile.
func TestConcurrentUpdatesKeepEveryProfile(t *testing.T) {
	path := settingsEnv(t)
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := Update(path, func(f *File) error {
				f.SetProfile(fmt.Sprintf("p%d", i), Profile{Server: fmt.Sprintf("http://127.0.0.1:%d", 9000+i)})
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	f, err := LoadFrom(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.ProfileNames()); n != 12 {
		t.Fatalf("%d profiles of 12 survived: %v", n, f.ProfileNames())
	}
	if fi, err := os.Stat(path + ".lock"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("lock file: %v %v", fi, err)
	}
}

func TestHugeConfigIsRefused(t *testing.T) {
	path := settingsEnv(t)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, bytes.Repeat([]byte("# padding\n"), 30000), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Resolve(flags(t)); keys.ErrorCode(err) != keys.Invalid || !strings.Contains(err.Error(), "at most") {
		t.Fatalf("a 300 KB config: %v", err)
	}
}

// TestProfileRelativePathsFollowTheConfigFile: a relative db (or ca_file)
// in config.yaml is relative to the config file's folder, as kubeconfig
// reads its paths, whatever folder keyward runs in; URLs are left alone,
// and --db and KEYWARD_DB stay relative to the working directory.
func TestProfileRelativePathsFollowTheConfigFile(t *testing.T) {
	configPath := settingsEnv(t)
	configDir := filepath.Dir(configPath)
	t.Chdir(t.TempDir())
	for db, want := range map[string]string{
		"keyward.db":                     filepath.Join(configDir, "keyward.db"),
		"./data/keyward.db":              filepath.Join(configDir, "data", "keyward.db"),
		"../keyward.db":                  filepath.Join(filepath.Dir(configDir), "keyward.db"),
		"/srv/keyward.db":                "/srv/keyward.db",
		"postgres://keyward@db/keyward":  "postgres://keyward@db/keyward",
		"postgresql://keyward@db/kw?x=1": "postgresql://keyward@db/kw?x=1",
		"file:keyward.db":                "file:keyward.db", // refused by the store as written
		"a:b.db":                         filepath.Join(configDir, "a:b.db"),
	} {
		writeProfiles(t, "p", map[string]Profile{"p": {DB: db, CAFile: "ca.pem"}})
		s, err := Resolve(flags(t))
		if err != nil {
			t.Fatal(err)
		}
		if s.DB != want {
			t.Errorf("db: %s in the config file is %s, want %s", db, s.DB, want)
		}
		if s.CAFile != filepath.Join(configDir, "ca.pem") {
			t.Errorf("ca_file: ca.pem in the config file is %s", s.CAFile)
		}
	}

	writeProfiles(t, "p", map[string]Profile{"p": {DB: "keyward.db"}})
	t.Setenv("KEYWARD_DB", "env.db")
	if s, err := Resolve(flags(t)); err != nil || s.DB != "env.db" {
		t.Fatalf("KEYWARD_DB: %+v %v", s, err)
	}
	if s, err := Resolve(flags(t, "--db", "flag.db", "--ca-file", "flag.pem")); err != nil || s.DB != "flag.db" || s.CAFile != "flag.pem" {
		t.Fatalf("--db: %+v %v", s, err)
	}
}

// Unknown keys are refused with their line, as kubectl refuses a
// malformed kubeconfig: `sever:` for `server:` fell back, silently, to the
// default database.
func TestConfigRefusesUnknownKeys(t *testing.T) {
	path := settingsEnv(t)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	for body, want := range map[string]string{
		"profiles:\n  p:\n    sever: http://x\n": `line 3: unknown key sever`,
		"current_profil: p\n":                    `line 1: unknown key current_profil`,
		"current_profile: [\n":                   `not valid YAML`,
		"":                                       "",
		"current_profile: p\nprofiles:\n  p: {}\n": "",
	} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load()
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", body, err)
		case want != "" && (keys.ErrorCode(err) != keys.Invalid || !strings.Contains(keys.ErrorMessage(err), want) || !strings.Contains(keys.ErrorMessage(err), path)):
			t.Errorf("%q: %v, want invalid naming %s and %q", body, err, path, want)
		}
	}
}

// KEYWARD_CONFIG names another config file, as KUBECONFIG does: its
// profiles are the ones used, its relative paths follow it, and the
// default file is not read.
func TestKeywardConfigNamesAnotherFile(t *testing.T) {
	defaultPath := settingsEnv(t)
	writeProfiles(t, "home", map[string]Profile{"home": {DB: "/home.db"}})
	other := filepath.Join(t.TempDir(), "project", "keyward.yaml")
	if err := os.MkdirAll(filepath.Dir(other), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, []byte("current_profile: proj\nprofiles:\n  proj:\n    db: keys.db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Dir(filepath.Dir(other)))
	t.Setenv(ConfigEnv, filepath.Join("project", "keyward.yaml")) // relative: to the working folder
	if Path() != other {
		t.Fatalf("Path() = %s, want %s (not %s)", Path(), other, defaultPath)
	}
	s, err := Resolve(flags(t))
	if err != nil {
		t.Fatal(err)
	}
	if s.DB != filepath.Join(filepath.Dir(other), "keys.db") {
		t.Errorf("db = %s, want the project file's", s.DB)
	}
}
