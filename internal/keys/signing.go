package keys

import (
	"context"
	"time"
)

// SigningKeys is what a backend with JWT keys offers beyond Service: the
// public keys that verify its tokens offline, and their rotation. The
// store implements it, the client over HTTP, and ActAs passes it through.
type SigningKeys interface {
	// JWKS is the JWK Set (RFC 7517) of the public keys a token that can
	// still verify may have been signed with; needs no principal.
	JWKS(ctx context.Context) ([]byte, error)
	// ListSigningKeys lists every signing key, newest first; root admin
	// only (the local principal, or admin on /).
	ListSigningKeys(ctx context.Context) ([]*SigningKey, error)
	// RotateSigningKey starts signing with a new key; the one it replaces
	// stays published while a token it signed can still verify. Root
	// admin only.
	RotateSigningKey(ctx context.Context) (*SigningKey, error)
}

// ActionSigningKeyRotate is the audit action of a signing-key rotation: a
// row about no key, in org "/", read by those who may read root's rows;
// details.kid is the new key, details.retired_kid the one it replaced.
const ActionSigningKeyRotate = "signing_key_rotate"

// Signing key states.
const (
	SigningActive  = "active"  // signs new tokens
	SigningRetired = "retired" // replaced; published while a token it signed can verify
	SigningDropped = "dropped" // replaced, and no token it signed verifies any more
)

// SigningKey is one signing key as `signing-keys list` shows it; never
// its private half.
type SigningKey struct {
	KID       string     `json:"kid"`
	CreatedAt time.Time  `json:"created_at"`
	State     string     `json:"state"`
	RetiredAt *time.Time `json:"retired_at"`
	// InUse counts the secrets it signed that still verify: current
	// secrets of unexpired keys, previous secrets in their grace.
	InUse int `json:"in_use"`
	// RetiresAt is, for a retired key, when the last of those stops (null
	// while one of them never expires, or for the active key).
	RetiresAt *time.Time `json:"retires_at"`
}

// CheckSigningAdmin is the rule for listing and rotating signing keys:
// they serve every organization, so only a root admin may.
func CheckSigningAdmin(p *Principal) error {
	if p.IsLocal() {
		return nil
	}
	if p.Previous || p.Key.Type == Public || RoleOn(p.Key.Grants, Root) < Admin {
		return Errorf(Forbidden, "only a root admin (admin on /) may manage signing keys")
	}
	return nil
}

// TokenClaims are the claims of a JWT key's token.
type TokenClaims struct {
	Issuer   string  `json:"iss"`
	Subject  string  `json:"sub"` // the key id
	ID       string  `json:"jti"` // this secret's own id
	Org      string  `json:"org"`
	Grants   []Grant `json:"grants"`
	IssuedAt int64   `json:"iat"`
	Expiry   *int64  `json:"exp,omitempty"` // none when the key never expires
}

// NewTokenClaims are the claims of a new token for k (its expiry
// expires), issued by iss at now.
func NewTokenClaims(k *Key, iss string, now time.Time, expires *time.Time) TokenClaims {
	c := TokenClaims{Issuer: iss, Subject: k.ID, ID: "sec_" + randomBase62(idRandomLen), Org: k.Org, Grants: k.Grants, IssuedAt: now.Unix()}
	if expires != nil {
		e := expires.Unix()
		c.Expiry = &e
	}
	return c
}

// DefaultIssuer is a token's "iss" unless configured otherwise.
const DefaultIssuer = "keyward"
