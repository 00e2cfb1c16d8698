package keys

import "context"

// Principal is who a Service call acts for: the local operator with full
// rights (direct database access), or an operator key presented to a
// server.
type Principal struct {
	// Actor is what audit rows record: "local:<os user>" or a key id.
	Actor string `json:"actor"`
	// Name is the operator key's name; "" for the local principal.
	Name string `json:"name"`
	// Key is the operator key; nil for the local principal.
	Key *Key `json:"key"`
	// SecretHash is the hash of the secret the operator key presented, so
	// that a change re-checks it inside its transaction: a secret rolled
	// out (or past its grace) since the request authenticated acts no more.
	SecretHash string `json:"-"`
	// Previous is set when that secret is the key's previous one, rolled
	// out and still in its grace: it may read, and redo its own lost
	// roll, but is never an operator credential for any other change.
	Previous bool `json:"-"`

	// Server and Source are what a client knows of how it reached the
	// principal: the server's URL, and where the operator key came from
	// (KEYWARD_TOKEN, the keyring, a file). Both are "" under direct
	// database access, and never sent over the wire.
	Server string `json:"-"`
	Source string `json:"-"`
}

// SecretActed is what an audit row's details.secret records: which of
// the operator key's secrets acted, "current" or "previous"; "" for the
// local principal.
func (p *Principal) SecretActed() string {
	switch {
	case p.IsLocal():
		return ""
	case p.Previous:
		return "previous"
	}
	return "current"
}

// LocalPrincipal is direct database access by an OS user: full rights.
func LocalPrincipal(osUser string) *Principal {
	return &Principal{Actor: "local:" + osUser}
}

// KeyPrincipal is an operator key acting on a server.
func KeyPrincipal(k *Key) *Principal {
	return &Principal{Actor: k.ID, Name: k.Name, Key: k}
}

// IsLocal reports whether p is direct database access.
func (p *Principal) IsLocal() bool { return p != nil && p.Key == nil }

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal in ctx, or an Unauthorized error when
// there is none: a Service never acts for nobody.
func PrincipalFrom(ctx context.Context) (*Principal, error) {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	if p == nil {
		return nil, Errorf(Unauthorized, "no credential")
	}
	return p, nil
}
