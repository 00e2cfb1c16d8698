package commands

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/keyward/keyward/internal/client"
	"github.com/keyward/keyward/internal/config"
	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/store"
)

// The two backends a command can hold, built here and nowhere else: a
// database opened directly, acting as the local OS user with full rights,
// or a client of a keyward server, acting as the operator key the
// profile's credential names.

// openService opens the backend the settings name, once. With mustExist
// a local database is opened only if it is there already.
func (f *Factory) openService(mustExist bool) (keys.Service, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.opened != nil {
		return f.opened, nil
	}
	s, err := f.Settings()
	if err != nil {
		return nil, err
	}
	var svc keys.Service
	switch {
	case s.Server != "":
		if f.Remote == nil {
			return nil, keys.Errorf(keys.Unavailable, "remote backend not available")
		}
		svc, err = f.Remote(s)
	case s.ProfileMissing && s.DB == config.DefaultDBPath():
		// A profile was named that does not exist, and nothing else says
		// where to go: refuse rather than quietly use the default database.
		return nil, keys.Errorf(keys.Invalid, "profile %q is not in %s: run `keyward login --profile %s` or use --db", s.Profile, s.ConfigPath, s.Profile)
	default:
		svc, err = openLocal(f.IO, s, mustExist)
	}
	if err != nil {
		return nil, err
	}
	f.opened = svc
	f.closers = append(f.closers, svc.Close)
	return svc, nil
}

// openLocal opens the database of s, acting as the local OS user.
func openLocal(ios *iostreams.IOStreams, s *config.Settings, mustExist bool) (keys.Service, error) {
	if s.Debug {
		fmt.Fprintf(ios.ErrOut, "debug: database %s\n", shownDB(s.DB))
	}
	st, err := store.Open(context.Background(), s.DB, store.Options{MustExist: mustExist, CreateFolder: s.DB == config.DefaultDBPath(), Signing: envSigning()})
	if err != nil {
		return nil, err
	}
	// Said to people only: off a terminal, stderr holds one line per
	// error, which scripts rely on.
	if st.Created() && ios.IsStderrTTY() {
		fmt.Fprintf(ios.ErrOut, "note: created a new keyward database at %s\n", shownDB(s.DB))
	}
	return actAsLocalUser(st), nil
}

// openRemote is the default Factory.Remote: a client of the server of s,
// with the credential of the profile that belongs to that server.
func openRemote(ios *iostreams.IOStreams, s *config.Settings) (keys.Service, error) {
	file, _ := config.Load() // a broken file was reported by Settings already
	cred := &remoteCredential{
		profile: credentialProfile(file, s.Profile, s.Server, false),
		server:  s.Server,
		errOut:  ios.ErrOut,
	}
	// KEYWARD_TOKEN is known at once; the keyring is asked only by a call
	// that needs a key (verify needs none, and the client sends none with it).
	token := ""
	if t := strings.TrimSpace(os.Getenv(config.TokenEnv)); t != "" {
		token, cred.source = t, config.SourceEnv
	}
	c, err := newClient(ios, s, client.Options{
		BaseURL:    s.Server,
		Token:      token,
		Credential: cred.lookup,
		OnSelfRoll: cred.rolled,
	})
	if err != nil {
		return nil, err
	}
	return &remoteService{Client: c, cred: cred}, nil
}

// newClient is a client with what every client of keyward's takes from
// the settings: the CA file, --debug, the version in its User-Agent.
func newClient(ios *iostreams.IOStreams, s *config.Settings, o client.Options) (*client.Client, error) {
	o.CAFile = s.CAFile
	o.Debug = debugWriter(ios, s)
	o.Version = Version
	return client.New(o)
}

// debugWriter is where --debug lines go.
func debugWriter(ios *iostreams.IOStreams, s *config.Settings) io.Writer {
	if s.Debug {
		return ios.ErrOut
	}
	return nil
}

// remoteService is the client as commands hold it: its WhoAmI also says
// which server it asks and where the credential came from.
type remoteService struct {
	*client.Client
	cred *remoteCredential
}

func (r *remoteService) WhoAmI(ctx context.Context) (*keys.Principal, error) {
	p, err := r.Client.WhoAmI(ctx)
	if err != nil {
		return nil, err
	}
	p.Server, p.Source = r.BaseURL(), r.cred.Source()
	return p, nil
}
