package commands

import (
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/keyward/keyward/internal/config"
	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// Factory hands commands what they need, lazily: nothing opens a database
// or dials a server until a command actually runs and asks for it (so
// `version`, `completion` and `--help` work anywhere).
type Factory struct {
	IO       *iostreams.IOStreams
	Settings func() (*config.Settings, error)
	Service  func() (keys.Service, error)
	// ExistingService is the backend of every command but create: reads
	// (list, get, verify, audit, whoami, completion) and changes to keys
	// that must already exist (update, roll, delete, grant, ungrant). A
	// local database must exist already; it is never created. Left nil
	// beside a caller's Service, it is that Service.
	ExistingService func() (keys.Service, error)
	Printer         func() (output.Printer, error)
	// Remote builds the keys.Service for a configured server (the client,
	// from NewFactory); nil refuses servers as unavailable.
	Remote func(s *config.Settings) (keys.Service, error)
	// Now is the clock for expiry arithmetic done in the CLI (--expires-at
	// checks, --since durations); nil is time.Now.
	Now func() time.Time

	started bool      // parsing is over and the command runs (see NewCmdRoot)
	jq      *jqFilter // --jq: the command's JSON goes through it

	mu      sync.Mutex
	opened  keys.Service
	closers []func() error
}

// NewFactory returns a factory over ios. Settings, Service and Printer are
// filled in by NewCmdRoot once the global flags exist.
func NewFactory(ios *iostreams.IOStreams) *Factory {
	f := &Factory{IO: ios}
	f.Remote = func(s *config.Settings) (keys.Service, error) { return openRemote(ios, s) }
	return f
}

// fill completes f with the default Settings (from the global flags fs),
// Service and Printer, keeping whatever a caller (a test) already set.
func (f *Factory) fill(fs *pflag.FlagSet) {
	if f.Now == nil {
		f.Now = time.Now
	}
	if f.Settings == nil {
		var once sync.Once
		var s *config.Settings
		var err error
		f.Settings = func() (*config.Settings, error) {
			once.Do(func() { s, err = config.Resolve(fs) })
			return s, err
		}
	}
	if f.Printer == nil {
		f.Printer = func() (output.Printer, error) {
			s, err := f.Settings()
			if err != nil {
				return nil, err
			}
			return NewPrinter(f.IO, s, f.Now)
		}
	}
	if f.ExistingService == nil {
		f.ExistingService = f.Service
		if f.ExistingService == nil {
			f.ExistingService = func() (keys.Service, error) { return f.openService(true) }
		}
	}
	if f.Service == nil {
		f.Service = func() (keys.Service, error) { return f.openService(false) }
	}
}

// NewPrinter is the printer for settings s on streams ios.
func NewPrinter(ios *iostreams.IOStreams, s *config.Settings, now func() time.Time) (output.Printer, error) {
	format, err := output.ParseFormat(s.Output)
	if err != nil {
		return nil, err
	}
	return output.New(output.Options{
		Format:    format,
		NoHeaders: s.NoHeaders,
		Human:     ios.IsStdoutTTY(),
		Color:     ios.ColorEnabled(),
		Width:     ios.TerminalWidth(),
		ErrOut:    ios.ErrOut,
		Now:       now,
	}), nil
}

// Close releases whatever the factory opened.
func (f *Factory) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var first error
	for _, c := range f.closers {
		if err := c(); err != nil && first == nil {
			first = err
		}
	}
	f.closers, f.opened = nil, nil
	return first
}
