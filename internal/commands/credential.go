package commands

import (
	"fmt"
	"io"
	"sync"

	"github.com/keyward/keyward/internal/config"
	"github.com/keyward/keyward/internal/keys"
)

// remoteCredential finds the operator key lazily (verify needs none) and
// follows a roll of that very key into the keyring.
type remoteCredential struct {
	profile, server string
	errOut          io.Writer // warnings about the stored key
	mu              sync.Mutex
	source          string
}

// credentialProfile is the profile whose stored key belongs to server: the
// named one when --profile or KEYWARD_PROFILE said so explicitly (login
// and logout), else the profile in use when it points at that server, else
// the profile whose server it is, else the server's host:port. One
// server's key is never sent to another: --server naming a different
// server than the current profile's uses that server's own key.
func credentialProfile(f *config.File, profile, server string, explicit bool) string {
	if explicit && profile != "" {
		return profile
	}
	if profile != "" && config.SameServer(profileServer(f, profile), server) {
		return profile
	}
	if server == "" {
		return profile
	}
	return config.ProfileForServer(f, server)
}

func profileServer(f *config.File, name string) string {
	if f == nil {
		return ""
	}
	p, _ := f.Profile(name)
	return p.Server
}

func (r *remoteCredential) lookup() (string, error) {
	token, source, err := config.TokenFor(r.profile, r.server)
	r.mu.Lock()
	r.source = source
	r.mu.Unlock()
	return token, err
}

// Source is where the credential came from, once it has been looked up.
func (r *remoteCredential) Source() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.source
}

// rolled runs after a roll of the key the client authenticates with. The
// roll has happened and its secret is printed; this only keeps the stored
// credential working, and warns when it cannot.
func (r *remoteCredential) rolled(oldToken, newToken string) {
	if r.Source() == config.SourceEnv {
		fmt.Fprintf(r.errOut, "warning: you rolled the key in %s; set it to the new secret before the grace period ends\n", config.TokenEnv)
		return
	}
	where, err := config.UpdateTokenIfCurrent(r.profile, oldToken, newToken)
	switch {
	case err != nil:
		fmt.Fprintf(r.errOut, "warning: you rolled the key you are logged in with, but the stored key could not be updated (%s); run 'keyward login --server %s' with the new secret\n", keys.ErrorMessage(err), r.server)
	case where != "":
		fmt.Fprintf(r.errOut, "Updated the stored key for profile %q (%s) to the new secret\n", r.profile, where)
	}
}
