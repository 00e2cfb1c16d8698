package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/keyward/keyward/internal/fserr"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// Profile is one named target in the config file: a database or a server,
// and what commands assume there.
type Profile struct {
	DB              string `yaml:"db,omitempty"`
	Server          string `yaml:"server,omitempty"`
	DefaultResource string `yaml:"default_resource,omitempty"`
	CAFile          string `yaml:"ca_file,omitempty"`
}

// File is the config file:
//
//	current_profile: prod
//	profiles:
//	  prod: {server: https://keys.example.com, default_resource: /acme/prod}
//	  local: {db: /var/lib/keyward/keyward.db}
type File struct {
	CurrentProfile string             `yaml:"current_profile,omitempty"`
	Profiles       map[string]Profile `yaml:"profiles,omitempty"`

	path string
}

// Load reads the config file at Path; a missing file is an empty config.
func Load() (*File, error) { return LoadFrom(Path()) }

// LoadFrom reads a config file; a missing file is an empty config that
// Save creates.
func LoadFrom(path string) (*File, error) {
	f := &File{path: path}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		// (reading a FIFO would wait for a writer forever)
		return nil, keys.Errorf(keys.Invalid, "config file %s is not a regular file", path)
	} else if err == nil && fi.Size() > maxConfigBytes {
		// Parsing grows faster than the file: a huge one would stall
		// every command, --db ones included.
		return nil, keys.Errorf(keys.Invalid, "config file %s is %d bytes: a keyward config is at most %d KiB", path, fi.Size(), maxConfigBytes>>10)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, keys.Errorf(keys.Invalid, "cannot read config file %s: %v", path, fserr.Cause(err))
	}
	if err := decodeStrict(b, f); err != nil {
		return nil, keys.Errorf(keys.Invalid, "config file %s: %s", path, err)
	}
	f.path = path
	return f, nil
}

// unknownField is yaml.v3's words for a key no field has; compiled only
// when a config file is refused (every command's start-up paid for it).
var unknownField = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`field (\S+) not found in type \S+`) })

// decodeStrict reads the config refusing keys it does not know, with
// their line, as kubectl refuses a malformed kubeconfig: a typo such as
// `sever:` would otherwise fall back, silently, to the default database.
func decodeStrict(b []byte, f *File) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	err := dec.Decode(f)
	var te *yaml.TypeError
	switch {
	case err == nil || errors.Is(err, io.EOF): // io.EOF: an empty file
		return nil
	case errors.As(err, &te):
		msgs := make([]string, len(te.Errors))
		for i, m := range te.Errors {
			msgs[i] = unknownField().ReplaceAllString(m, `unknown key $1`)
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	return fmt.Errorf("not valid YAML: %s", output.OneLine(err.Error()))
}

// Update changes the config file at path as one step: under a lock that
// other keyward processes take too, it reads the file afresh, applies fn
// and saves. Parallel logins each add their profile; with a plain load,
// change and save, the last one to save wins and the others' are lost.
func Update(path string, fn func(f *File) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return keys.Errorf(keys.Internal, "cannot create %s: %v", filepath.Dir(path), fserr.Cause(err))
	}
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		return keys.Errorf(keys.Internal, "cannot lock the config file %s: %v", path, fserr.Cause(err))
	}
	defer unlock()
	f, err := LoadFrom(path)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		return err
	}
	return f.Save()
}

// maxConfigBytes bounds the config file: thousands of profiles fit.
const maxConfigBytes = 256 << 10

// Path is where the file is read from and saved to.
func (f *File) Path() string { return f.path }

// Profile returns the named profile.
func (f *File) Profile(name string) (Profile, bool) {
	p, ok := f.Profiles[name]
	return p, ok
}

// ProfileNames lists the profiles, sorted.
func (f *File) ProfileNames() []string {
	names := make([]string, 0, len(f.Profiles))
	for n := range f.Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// SetProfile adds or replaces a profile.
func (f *File) SetProfile(name string, p Profile) {
	if f.Profiles == nil {
		f.Profiles = map[string]Profile{}
	}
	f.Profiles[name] = p
}

// DeleteProfile removes a profile; the current one too, leaving none
// current.
func (f *File) DeleteProfile(name string) {
	delete(f.Profiles, name)
	if f.CurrentProfile == name {
		f.CurrentProfile = ""
	}
}

// Save writes the file atomically, 0600 (its folder 0700 when created):
// profiles name servers and databases, which is nobody else's business.
func (f *File) Save() error {
	if f.path == "" {
		f.path = Path()
	}
	b, err := yaml.Marshal(f)
	if err != nil {
		return keys.Errorf(keys.Internal, "encoding config: %v", err)
	}
	return writeFileAtomic(f.path, b, ".config-*.yaml")
}

// writeFileAtomic replaces path with data, 0600 (its folder 0700 when
// created), through a temporary file in the same folder: a reader sees
// the old file or the new one, never half of either.
func writeFileAtomic(path string, data []byte, tmpPattern string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return keys.Errorf(keys.Internal, "cannot create %s: %v", dir, fserr.Cause(err))
	}
	tmp, err := os.CreateTemp(dir, tmpPattern)
	if err != nil {
		return keys.Errorf(keys.Internal, "cannot write in %s: %v", dir, fserr.Cause(err))
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return keys.Errorf(keys.Internal, "cannot write %s: %v", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return keys.Errorf(keys.Internal, "cannot write %s: %v", path, err)
	}
	if err := tmp.Close(); err != nil {
		return keys.Errorf(keys.Internal, "cannot write %s: %v", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return keys.Errorf(keys.Internal, "cannot write %s: %v", path, fserr.Cause(err))
	}
	return nil
}
