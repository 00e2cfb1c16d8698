package config

import (
	"errors"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/keyward/keyward/internal/fserr"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
)

// The operator credential for a server: KEYWARD_TOKEN, else the OS keyring
// (service "keyward", user = the profile name), else — only when `login
// --insecure-storage` asked for it — a 0600 file. keyward never falls back
// to plaintext silently.

// KeyringService is the go-keyring service name of every stored token.
const KeyringService = "keyward"

// TokenEnv overrides every stored credential.
const TokenEnv = "KEYWARD_TOKEN"

// Credential sources, as whoami shows them.
const (
	SourceEnv     = "env " + TokenEnv
	SourceKeyring = "keyring"
)

// keyringTimeout bounds every keyring call: a Secret Service may block on
// an unlock prompt nobody answers (a CI box, an ssh session).
var keyringTimeout = 5 * time.Second

var errKeyringTimeout = errors.New("the keyring did not answer within 5s (is it locked or waiting for a prompt?)")

// withKeyring runs one keyring call with keyringTimeout. A call that times
// out is left to finish in the background; the command does not wait.
func withKeyring[T any](fn func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := fn()
		ch <- result{v, err}
	}()
	t := time.NewTimer(keyringTimeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-t.C:
		var zero T
		return zero, errKeyringTimeout
	}
}

func keyringGet(profile string) (string, error) {
	return withKeyring(func() (string, error) { return keyring.Get(KeyringService, profile) })
}

func keyringSet(profile, token string) error {
	_, err := withKeyring(func() (struct{}, error) { return struct{}{}, keyring.Set(KeyringService, profile, token) })
	return err
}

func keyringDelete(profile string) error {
	_, err := withKeyring(func() (struct{}, error) { return struct{}{}, keyring.Delete(KeyringService, profile) })
	return err
}

// InsecureTokenPath is the plaintext credential file of a profile:
// $XDG_CONFIG_HOME/keyward/credentials-<profile>. Characters a file name
// cannot hold everywhere (the ':' of host:port) become '_'.
func InsecureTokenPath(profile string) string {
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, profile)
	return filepath.Join(filepath.Dir(Path()), "credentials-"+safe)
}

// TokenFor finds the operator credential for profile: KEYWARD_TOKEN, then a
// file written by `login --insecure-storage`, then the keyring. source says
// where it came from ("env KEYWARD_TOKEN", the file's path, "keyring").
// No credential, or a keyring that cannot be read, is Unauthorized with
// what to do: a command without a credential exits 4, never 6.
//
// The file is looked at before the keyring: it exists only when the user
// chose it, and then a keyring lookup could only cost an unlock prompt.
//
// server names the server in the hint when there is no credential: the
// profile may not be in the config file yet (KEYWARD_SERVER alone).
func TokenFor(profile, server string) (token, source string, err error) {
	if t := strings.TrimSpace(os.Getenv(TokenEnv)); t != "" {
		return t, SourceEnv, nil
	}
	if profile == "" {
		return "", "", notLoggedIn("", server, nil)
	}
	path := InsecureTokenPath(profile)
	if t, err := readTokenFile(path); err == nil {
		if t != "" {
			return t, path, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", "", err
	}
	t, err := keyringGet(profile)
	switch {
	case err == nil && strings.TrimSpace(t) != "":
		return strings.TrimSpace(t), SourceKeyring, nil
	case err == nil || errors.Is(err, keyring.ErrNotFound):
		return "", "", notLoggedIn(profile, server, nil)
	default:
		return "", "", notLoggedIn(profile, server, err)
	}
}

// notLoggedIn names the server the profile points at when the config file
// knows it, so the hint can be followed as it stands.
func notLoggedIn(profile, server string, keyringErr error) error {
	target := server
	if target == "" {
		target = profile
	}
	if f, err := Load(); err == nil && server == "" {
		if p, ok := f.Profile(profile); ok && p.Server != "" {
			target = p.Server
		}
	}
	hint := "run 'keyward login --server URL' or set " + TokenEnv
	if target != "" && strings.Contains(target, "://") {
		hint = "run 'keyward login --server " + target + "' or set " + TokenEnv
	}
	switch {
	case keyringErr != nil:
		return keys.Errorf(keys.Unauthorized, "cannot read the keyring for %s (%s): %s", orServer(target), keyringReason(keyringErr), hint)
	case target == "":
		return keys.Errorf(keys.Unauthorized, "not logged in: %s", hint)
	}
	return keys.Errorf(keys.Unauthorized, "not logged in to %s: %s", target, hint)
}

func orServer(target string) string {
	if target == "" {
		return "the server"
	}
	return target
}

// StoreToken saves token for profile: in the keyring, or in a 0600 file
// when insecure is set. where is "keyring" or the file's path. A keyring
// that cannot be written is Unavailable naming the alternatives; there is
// no silent fallback. Storing one way removes a copy kept the other way,
// so that exactly one stored credential exists per profile.
func StoreToken(profile, token string, insecure bool) (where string, err error) {
	if profile == "" {
		return "", keys.Errorf(keys.Invalid, "no profile to store the token under")
	}
	if insecure {
		path := InsecureTokenPath(profile)
		if err := writeSecretFile(path, token); err != nil {
			return "", err
		}
		_ = keyringDelete(profile) // best effort: an old keyring copy would be stale
		return path, nil
	}
	if err := keyringSet(profile, token); err != nil {
		return "", keyringUnavailable("store the token in", err)
	}
	if err := os.Remove(InsecureTokenPath(profile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return SourceKeyring, keys.Errorf(keys.Internal, "stored the token in the keyring but cannot remove the old plaintext copy %s: %v", InsecureTokenPath(profile), fserr.Cause(err))
	}
	return SourceKeyring, nil
}

// DeleteToken removes profile's stored credential, both the file and the
// keyring item. removed says whether there was one. An unreachable keyring
// is Unavailable only when no file was removed: someone who logged in with
// --insecure-storage (typically for want of a keyring) can log out.
// keyringErr reports the keyring problem in that case.
func DeleteToken(profile string) (removed bool, keyringErr, err error) {
	path := InsecureTokenPath(profile)
	switch err := os.Remove(path); {
	case err == nil:
		removed = true
	case !errors.Is(err, fs.ErrNotExist):
		return false, nil, keys.Errorf(keys.Internal, "cannot remove %s: %v", path, fserr.Cause(err))
	}
	switch err := keyringDelete(profile); {
	case err == nil:
		removed = true
	case errors.Is(err, keyring.ErrNotFound):
	case removed:
		return true, keys.Errorf(keys.Unavailable, "%s", keyringReason(err)), nil
	default:
		// Not keyringUnavailable's advice: someone logging out wants the
		// token gone, not another place to keep it.
		return false, err, keys.Errorf(keys.Unavailable, "cannot remove the token from the OS keyring (%s): unlock the keyring (or start its Secret Service) and run logout again",
			keyringReason(err))
	}
	return removed, nil, nil
}

// UpdateTokenIfCurrent replaces profile's stored credential with newToken
// when it is oldToken: after a roll of the very key one is logged in with,
// the stored secret would otherwise stop working at the end of the grace
// period. It changes nothing when KEYWARD_TOKEN or another key is stored.
// where says what was updated ("" for nothing).
func UpdateTokenIfCurrent(profile, oldToken, newToken string) (where string, err error) {
	if profile == "" || oldToken == "" || newToken == "" {
		return "", nil
	}
	path := InsecureTokenPath(profile)
	if b, err := os.ReadFile(path); err == nil {
		if strings.TrimSpace(string(b)) != oldToken {
			return "", nil
		}
		if err := writeSecretFile(path, newToken); err != nil {
			return "", err
		}
		return path, nil
	}
	t, err := keyringGet(profile)
	if err != nil {
		if errors.Is(err, keyring.ErrNotFound) {
			return "", nil
		}
		return "", keyringUnavailable("update the token in", err)
	}
	if strings.TrimSpace(t) != oldToken {
		return "", nil
	}
	if err := keyringSet(profile, newToken); err != nil {
		return "", keyringUnavailable("update the token in", err)
	}
	return SourceKeyring, nil
}

// maxTokenFile bounds what is read of a credential file: a token is a
// few dozen bytes (a JWT key's a few hundred).
const maxTokenFile = 64 << 10

// readTokenFile reads the token in a file written by `login
// --insecure-storage`, refusing one that is not private (checkPrivate).
// A missing file is fs.ErrNotExist; every other failure is Unauthorized
// (exit 4) saying what to do.
func readTokenFile(path string) (string, error) {
	cannot := func(err error) error {
		return keys.Errorf(keys.Unauthorized, "cannot read the credential file %s: %v; run 'keyward login' again or set %s", path, fserr.Cause(err), TokenEnv)
	}
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err != nil {
		return "", cannot(err)
	}
	if !fi.Mode().IsRegular() {
		// (opening a FIFO would wait for a writer forever)
		return "", keys.Errorf(keys.Unauthorized, "the credential file %s is not a regular file: remove it and run 'keyward login' again, or set %s", path, TokenEnv)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", cannot(err)
	}
	defer f.Close()
	// The open file is checked, not the name: it cannot be swapped in between.
	if fi, err = f.Stat(); err != nil {
		return "", cannot(err)
	}
	if err := checkPrivate(path, fi); err != nil {
		return "", err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFile))
	if err != nil {
		return "", cannot(err)
	}
	return strings.TrimSpace(string(b)), nil
}

func keyringUnavailable(what string, err error) error {
	return keys.Errorf(keys.Unavailable, "cannot %s the OS keyring (%s): set %s instead, or log in with --insecure-storage to keep it in a 0600 file",
		what, keyringReason(err), TokenEnv)
}

// keyringReason says in words why the keyring failed; the D-Bus and
// Secret Service errors underneath name executables and bus interfaces.
func keyringReason(err error) string {
	msg := output.OneLine(err.Error())
	switch l := strings.ToLower(msg); {
	case errors.Is(err, errKeyringTimeout):
		return msg
	case strings.Contains(l, "dbus-launch"), strings.Contains(l, "dbus_session_bus_address"), strings.Contains(l, "autolaunch"):
		return "no D-Bus session, so no Secret Service"
	case strings.Contains(l, "org.freedesktop.secrets"), strings.Contains(l, "serviceunknown"), strings.Contains(l, "not provided by any .service"):
		return "no Secret Service is running (such as gnome-keyring)"
	case strings.Contains(l, "dismissed"), strings.Contains(l, "locked"):
		return "the keyring is locked"
	}
	return msg
}

// writeSecretFile writes a token 0600, replacing the file atomically.
func writeSecretFile(path, token string) error {
	return writeFileAtomic(path, []byte(token+"\n"), ".credentials-*")
}

// DefaultProfileName is the profile name login uses for a server when none
// is given: its host and port ("keys.example.com:443").
func DefaultProfileName(server string) string {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		return strings.TrimRight(server, "/")
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if port == "" {
		return host
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + port
}

// ProfileForServer is the profile a server's credential is kept under when
// no profile is named: the first (by name) whose server is server, else
// DefaultProfileName.
func ProfileForServer(f *File, server string) string {
	if f != nil {
		for _, name := range f.ProfileNames() {
			if p, _ := f.Profile(name); SameServer(p.Server, server) {
				return name
			}
		}
	}
	return DefaultProfileName(server)
}

// SameServer reports whether two server URLs name the same server: the
// scheme and host compare without case, a trailing slash does not count,
// and a URL without a scheme is https.
func SameServer(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	norm := func(s string) string {
		s = strings.TrimRight(s, "/")
		if !strings.Contains(s, "://") {
			s = "https://" + s
		}
		if u, err := url.Parse(s); err == nil {
			u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
			return u.String()
		}
		return s
	}
	return norm(a) == norm(b)
}
