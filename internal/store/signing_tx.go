package store

import (
	"context"

	"github.com/keyward/keyward/internal/keys"
)

// The hooks of create and roll for JWT keys: an opaque key passes through
// each untouched.

// createToken is the secret of the new key k: for a JWT key, a token
// minted now (it names k's id, so it is made inside the transaction), and
// the kid that signed it; k.Start becomes the token's.
func (t *txn) createToken(k *keys.Key, opaque string) (secret, kid string, err error) {
	if k.Format != keys.FormatJWT {
		return opaque, "", nil
	}
	secret, kid, err = t.mintToken(k, k.ExpiresAt)
	if err != nil {
		return "", "", err
	}
	k.Start = keys.TokenStart(secret)
	return secret, kid, nil
}

// markToken records a new JWT key's format and signer.
func (t *txn) markToken(k *keys.Key, kid string) error {
	if k.Format != keys.FormatJWT {
		return nil
	}
	return t.markSigned(k.ID, kid, false, false)
}

// rollToken is a roll's new secret: for a JWT key (a roll keeps the
// format), a token with the key's grants and the expiry the roll gives
// it, written into next.
func (t *txn) rollToken(before *keys.Key, next *rolled, opaque string) (secret, kid string, err error) {
	if before.Format != keys.FormatJWT {
		return opaque, "", nil
	}
	secret, kid, err = t.mintToken(before, next.expires)
	if err != nil {
		return "", "", err
	}
	next.hash, next.start = keys.HashSecret(secret), keys.TokenStart(secret)
	return secret, kid, nil
}

// markRolledToken records which signing key signed a JWT key's new
// secret, and, unless the roll is a redo, moves the old signer to the
// previous secret (or clears it when the roll kept no previous secret).
func (t *txn) markRolledToken(before *keys.Key, kid string, redo bool) error {
	if before.Format != keys.FormatJWT {
		return nil
	}
	return t.markSigned(before.ID, kid, true, !redo)
}

// signedIfToken is true for an opaque secret (its checksum was checked
// already), and for a token whose signature verifies against a known
// signing key. No opaque secret starts "eyJ": its prefix is lower case.
func (s *Store) signedIfToken(ctx context.Context, secret string) (bool, error) {
	if !keys.IsTokenStart(secret) {
		return true, nil
	}
	return s.tokenSigned(ctx, secret)
}
