package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"os"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/output"
	"github.com/keyward/keyward/internal/store"
)

// JWT keys' commands: `jwks`, `signing-keys list|rotate`, and where
// signing keys are unsealed from.

// Environment of JWT keys for direct database access. There is no global
// flag: beside a SQLite database the KEK file is found without one, and a
// flag on every command for the few that sign would be noise.
const (
	signingKeyEnv = "KEYWARD_SIGNING_KEY" // a KEK file elsewhere than beside the database
	jwtIssuerEnv  = "KEYWARD_JWT_ISSUER"  // the tokens' iss (default keyward)
)

// envSigning are the signing options of a local database: a KEK file
// (KEYWARD_SIGNING_KEY) before a KEK (KEYWARD_SIGNING_KEK), else the file
// beside a SQLite database.
func envSigning() store.SigningOptions {
	return store.SigningOptions{KeyFile: os.Getenv(signingKeyEnv), KEK: os.Getenv(store.KEKEnv), Issuer: os.Getenv(jwtIssuerEnv)}
}

// serveJWT are serve's JWT flags.
type serveJWT struct {
	KeyFile string
	Issuer  string
	MaxTTL  keys.Duration // 0 = no cap of its own
	maxTTL  durationFlag
}

func (o *serveJWT) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.KeyFile, "signing-key", "", "file holding the key-encryption key of JWT signing keys (env KEYWARD_SIGNING_KEY; default: KEYWARD_SIGNING_KEK, else <db>.signing-key beside a SQLite database)")
	cmd.Flags().StringVar(&o.Issuer, "jwt-issuer", keys.DefaultIssuer, "the iss claim of JWT keys' tokens")
	cmd.Flags().Var(&o.maxTTL, "max-jwt-ttl", "longest JWT key lifetime the server allows; JWT keys without an expiry get it (e.g. 1d)")
	noFileFlags(cmd, "jwt-issuer", "max-jwt-ttl")
}

// signing are the store's signing options: the flag before the environment.
func (o *serveJWT) signing() store.SigningOptions {
	s := envSigning()
	if o.KeyFile != "" {
		s.KeyFile = o.KeyFile
	}
	s.Issuer = o.Issuer
	return s
}

// signingKeysOf is the signing keys of a command's backend: the store
// acting as the local user, or the client of a server.
func signingKeysOf(svc keys.Service) (keys.SigningKeys, error) {
	if ls, ok := svc.(*localService); ok {
		svc = ls.Service
	}
	if sk, ok := svc.(keys.SigningKeys); ok {
		return sk, nil
	}
	return nil, keys.Errorf(keys.Invalid, "this backend has no signing keys")
}

// openSigningKeys opens a command's backend for its signing keys.
func openSigningKeys(service func() (keys.Service, error)) (keys.SigningKeys, error) {
	svc, err := service()
	if err != nil {
		return nil, err
	}
	return signingKeysOf(svc)
}

// JWKSOptions is everything `jwks` needs; tests fill it directly.
type JWKSOptions struct {
	IO      *iostreams.IOStreams
	Service func() (keys.Service, error)
	Printer output.Printer
}

func NewCmdJWKS(f *Factory, runF func(*JWKSOptions) error) *cobra.Command {
	opts := &JWKSOptions{IO: f.IO, Service: f.ExistingService}
	cmd := &cobra.Command{
		Use:   "jwks",
		Short: "Print the JWK Set that verifies JWT keys offline",
		Long: `Print the JWK Set (RFC 7517) of the public signing keys of JWT keys: the
active one, and each retired one while a token it signed can still
verify. With --server it is the server's GET /v1/jwks (also served at
/.well-known/jwks.json, without a key).

Offline verification cannot see a deletion, a disable or a roll: such a
token stays valid offline until its exp. Give JWT keys a --ttl.`,
		Example: `  keyward jwks > jwks.json
  keyward --server https://keys.example.com jwks`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return jwksRun(cmd.Context(), opts)
		},
	}
	f.printsTo(cmd, &opts.Printer)
	return cmd
}

func jwksRun(ctx context.Context, opts *JWKSOptions) error {
	sk, err := openSigningKeys(opts.Service)
	if err != nil {
		return err
	}
	set, err := sk.JWKS(ctx)
	if err != nil {
		return err
	}
	// The set is JSON whatever -o says (a table of it would drop what a
	// verifier needs); -o jsonl has it on one line, as it has every value.
	var out bytes.Buffer
	if opts.Printer != nil && opts.Printer.Format() == output.JSONL {
		err = json.Compact(&out, set)
	} else {
		err = json.Indent(&out, set, "", "  ")
	}
	if err != nil {
		return keys.Errorf(keys.Internal, "the JWK Set is not JSON: %v", err)
	}
	out.WriteByte('\n')
	_, err = opts.IO.Out.Write(out.Bytes())
	return err
}

// SigningKeysOptions is everything `signing-keys list|rotate` needs.
type SigningKeysOptions struct {
	IO      *iostreams.IOStreams
	Service func() (keys.Service, error)
	Printer output.Printer
	Rotate  bool
}

func NewCmdSigningKeys(f *Factory, runF func(*SigningKeysOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "signing-keys <command>",
		Short: "List and rotate the signing keys of JWT keys",
		// A group, as root.go makes keys and audit: an unknown subcommand
		// is a usage error.
		Args:                       groupArgs,
		DisableFlagsInUseLine:      true,
		SuggestionsMinimumDistance: 2,
		RunE:                       func(c *cobra.Command, args []string) error { return c.Help() },
	}
	list := &SigningKeysOptions{IO: f.IO, Service: f.ExistingService}
	listCmd := &cobra.Command{
		Use:   "list",
		Short: "List signing keys: active, retired (still published) or dropped",
		Long: `List the signing keys of JWT keys, the active one first. A retired key
stays in the JWK Set while a token it signed can still verify: the
current token of an unexpired key, or a previous token in its grace.
Root admins only (admin on /) on a server.`,
		Example: "  keyward signing-keys list -o json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(list)
			}
			return signingKeysRun(cmd.Context(), list)
		},
	}
	f.printsTo(listCmd, &list.Printer)
	rotate := &SigningKeysOptions{IO: f.IO, Service: f.ExistingService, Rotate: true}
	rotateCmd := &cobra.Command{
		Use:   "rotate",
		Short: "Start signing JWT keys with a new signing key",
		Long: `Start signing new tokens (create, roll) with a new signing key. The key
it replaces stays in the JWK Set until every token it signed has expired
or been rolled out, so no token stops verifying offline. Tokens already
issued are not re-signed: roll a key to move it to the new signing key.
Root admins only (admin on /) on a server.`,
		Example: "  keyward signing-keys rotate",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(rotate)
			}
			return signingKeysRun(cmd.Context(), rotate)
		},
	}
	f.printsTo(rotateCmd, &rotate.Printer)
	cmd.AddCommand(listCmd, rotateCmd)
	return cmd
}

func signingKeysRun(ctx context.Context, opts *SigningKeysOptions) error {
	sk, err := openSigningKeys(opts.Service)
	if err != nil {
		return err
	}
	if opts.Rotate {
		k, err := sk.RotateSigningKey(ctx)
		if err != nil {
			return err
		}
		return opts.Printer.SigningKeys(opts.IO.Out, []*keys.SigningKey{k})
	}
	ks, err := sk.ListSigningKeys(ctx)
	if err != nil {
		return err
	}
	return opts.Printer.SigningKeys(opts.IO.Out, ks)
}
