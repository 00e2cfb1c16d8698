package store

import (
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/keyward/keyward/internal/fserr"
	"github.com/keyward/keyward/internal/keys"
)

// JWT keys' signing keys. Each is an Ed25519 key pair in signing_keys:
// the public half in plain text, the private half sealed with AES-256-GCM
// under a key-encryption key (KEK) that never enters the database, so a
// copy of the database (a backup, a stolen file, a PostgreSQL dump) can
// check tokens but never mint one. The KEK comes from, in order:
// SigningOptions.KeyFile (--signing-key), SigningOptions.KEK
// (KEYWARD_SIGNING_KEK), or, for a SQLite database, the file beside it
// (<db>.signing-key, 0600, made on first use). PostgreSQL replicas share
// the KEK through the environment or a file of their own; they share the
// sealed keys through the table.

// SigningOptions say where the KEK is and what tokens name as issuer.
type SigningOptions struct {
	// KeyFile holds the KEK (base64 of 32 bytes); made, 0600, on first
	// use when missing.
	KeyFile string
	// KEK is the KEK itself, base64 of 32 bytes (KEYWARD_SIGNING_KEK).
	KEK string
	// Issuer is the tokens' "iss"; "" means keys.DefaultIssuer.
	Issuer string
}

// KEKEnv names the environment variable commands read SigningOptions.KEK from.
const KEKEnv = "KEYWARD_SIGNING_KEK"

// signingFileSuffix names the KEK file beside a SQLite database.
const signingFileSuffix = ".signing-key"

const kekLen = 32

// signingState is a Store's signing keys: the KEK, once resolved, and the
// public keys verification holds in memory.
type signingState struct {
	opts SigningOptions

	mu   sync.Mutex
	aead cipher.AEAD // nil until first needed
	from string      // where the KEK came from, for messages

	// pub are the public keys by kid, as of the cache generation they were
	// read in: a flush (any change, a signing key's included) makes them
	// stale, and the next token that misses the cache reads them again.
	pub   atomic.Pointer[publicKeys]
	reads atomic.Uint64 // reads of signing_keys by verification (Stats)
}

type publicKeys struct {
	gen  *generation
	keys map[string]ed25519.PublicKey
}

func newSigningState(opts SigningOptions) signingState {
	if opts.Issuer == "" {
		opts.Issuer = keys.DefaultIssuer
	}
	return signingState{opts: opts}
}

// kek returns the AEAD that seals signing keys, resolving the KEK on first
// use (and making the KEK file, when that is where it goes).
func (s *Store) kek() (cipher.AEAD, string, error) {
	st := &s.signing
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.aead != nil {
		return st.aead, st.from, nil
	}
	var raw []byte
	var err error
	switch {
	case st.opts.KeyFile != "":
		st.from = st.opts.KeyFile
		_, sqlite := s.eng.(sqliteEngine)
		raw, err = kekFile(st.opts.KeyFile, sqlite)
	case st.opts.KEK != "":
		st.from = KEKEnv
		raw, err = decodeKEK(st.opts.KEK, KEKEnv)
	default:
		if _, ok := s.eng.(sqliteEngine); !ok {
			return nil, "", keys.Errorf(keys.Invalid, "JWT keys on PostgreSQL need a key-encryption key: set %s (base64 of 32 random bytes, the same on every replica) or --signing-key FILE", KEKEnv)
		}
		st.from = s.path + signingFileSuffix
		raw, err = kekFile(st.from, true)
	}
	if err != nil {
		return nil, "", err
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, "", err
	}
	if st.aead, err = cipher.NewGCM(block); err != nil {
		return nil, "", err
	}
	return st.aead, st.from, nil
}

func decodeKEK(text, from string) ([]byte, error) {
	text = strings.TrimSpace(text)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(text); err == nil && len(b) == kekLen {
			return b, nil
		}
	}
	return nil, keys.Errorf(keys.Invalid, "%s is not a key-encryption key: it must hold base64 of %d random bytes (openssl rand -base64 %d)", from, kekLen, kekLen)
}

// kekFile reads the KEK file at path, making it (0600, a fresh KEK) when
// there is none and create is set: never for PostgreSQL, whose replicas must
// share one KEK (one made on a replica would be its own, unable to open
// the shared keys, and a rotation from it would leave every other replica
// unable to sign). A file others may read is refused, as ssh refuses such a
// private key; the mode is that of the file read, not of a path that may
// have changed since.
func kekFile(path string, create bool) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) && !create {
		return nil, keys.Errorf(keys.Invalid, "the signing key file %s does not exist: on PostgreSQL every replica must use the same key-encryption key; make it once (openssl rand -base64 32 > FILE; chmod 600 FILE) and copy it to every replica, or set %s", path, KEKEnv)
	}
	if errors.Is(err, fs.ErrNotExist) {
		if err := makeKEKFile(path); err != nil {
			return nil, err
		}
		f, err = os.Open(path)
	}
	if err != nil {
		return nil, keys.Errorf(keys.Invalid, "cannot read the signing key file %s: %s", path, fserr.Cause(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, keys.Errorf(keys.Invalid, "cannot read the signing key file %s: %s", path, fserr.Cause(err))
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, keys.Errorf(keys.Invalid, "the signing key file %s may be read by others (mode %04o): chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := io.ReadAll(io.LimitReader(f, 4<<10))
	if err != nil {
		return nil, keys.Errorf(keys.Invalid, "cannot read the signing key file %s: %s", path, fserr.Cause(err))
	}
	return decodeKEK(string(b), "the signing key file "+path)
}

// makeKEKFile writes a fresh KEK to a temporary file beside path and
// links it into place: path appears whole or not at all, so that two
// processes making it at once (two commands on a new database) both read
// the one that won, never a file still empty.
func makeKEKFile(path string) error {
	raw := make([]byte, kekLen)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*") // 0600
	if err != nil {
		return keys.Errorf(keys.Invalid, "cannot make the signing key file %s: %s", path, fserr.Cause(err))
	}
	defer os.Remove(f.Name())
	_, werr := f.WriteString(base64.StdEncoding.EncodeToString(raw) + "\n")
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return keys.Errorf(keys.Invalid, "cannot write the signing key file %s: %s", path, fserr.Cause(err))
	}
	if err := os.Link(f.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) { // ErrExist: another process made it first: theirs it is
		return keys.Errorf(keys.Invalid, "cannot make the signing key file %s: %s", path, fserr.Cause(err))
	}
	return nil
}

// sealAAD binds a sealed key to its kid: a sealed key copied onto
// another row does not open.
func sealAAD(kid string) []byte { return []byte("keyward signing key " + kid) }

func seal(aead cipher.AEAD, kid string, seed []byte) (string, error) {
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(aead.Seal(nonce, nonce, seed, sealAAD(kid))), nil
}

func unseal(aead cipher.AEAD, from, kid, sealed string) (ed25519.PrivateKey, error) {
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err == nil && len(b) > aead.NonceSize() {
		var seed []byte
		seed, err = aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], sealAAD(kid))
		if err == nil && len(seed) == ed25519.SeedSize {
			return ed25519.NewKeyFromSeed(seed), nil
		}
	}
	return nil, keys.Errorf(keys.Invalid, "cannot unseal signing key %s with the key-encryption key from %s: it is not the one it was sealed with; give this process the one every other process and replica on this database uses, or run `keyward signing-keys rotate` to sign with a new key (then every replica needs this process's key-encryption key)", kid, from)
}

// kidOf is a public key's RFC 7638 thumbprint: a kid any JOSE library
// can recompute, and never the same for two keys.
func kidOf(pub ed25519.PublicKey) (string, error) {
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// newSigningKey makes and stores a new active signing key in t (the
// caller has retired the active one, if any).
func (t *txn) newSigningKey(aead cipher.AEAD) (string, ed25519.PrivateKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", nil, err
	}
	kid, err := kidOf(pub)
	if err != nil {
		return "", nil, err
	}
	sealed, err := seal(aead, kid, priv.Seed())
	if err != nil {
		return "", nil, err
	}
	_, err = t.exec(t.ctx, `INSERT INTO signing_keys (kid, created_at, active, public_key, sealed_key) VALUES ($1, $2, 1, $3, $4)`,
		kid, toUnix(t.now), base64.RawURLEncoding.EncodeToString(pub), sealed)
	return kid, priv, err
}

// signer is the active signing key, made on first use.
func (t *txn) signer() (string, ed25519.PrivateKey, error) {
	aead, from, err := t.s.kek()
	if err != nil {
		return "", nil, err
	}
	var kid, sealed string
	err = t.queryRow(t.ctx, "SELECT kid, sealed_key FROM signing_keys WHERE active = 1").Scan(&kid, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return t.newSigningKey(aead)
	}
	if err != nil {
		return "", nil, err
	}
	priv, err := unseal(aead, from, kid, sealed)
	return kid, priv, err
}

// mintToken signs a new token for k expiring at expires, and reports the
// kid that signed it.
func (t *txn) mintToken(k *keys.Key, expires *time.Time) (token, kid string, err error) {
	kid, priv, err := t.signer()
	if err != nil {
		return "", "", err
	}
	claims := keys.NewTokenClaims(k, t.s.signing.opts.Issuer, t.now, expires)
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: jose.JSONWebKey{Key: priv, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", "", err
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", "", err
	}
	token, err = obj.CompactSerialize()
	return token, kid, err
}

// markSigned records that kid signed k's new current secret; a roll with
// a grace (prevKept) moves the old signer to the previous secret's,
// otherwise the previous secret, if any, is the one kept from before.
func (t *txn) markSigned(id, kid string, rolled, prevKept bool) error {
	q := "UPDATE keys SET format = 'jwt', signing_kid = $1 WHERE id = $2"
	if rolled {
		q = `UPDATE keys SET prev_signing_kid = CASE WHEN prev_hash IS NULL THEN NULL ELSE signing_kid END,
			signing_kid = $1 WHERE id = $2`
		if !prevKept { // a redo: the previous secret and its signer stay
			q = "UPDATE keys SET signing_kid = $1 WHERE id = $2"
		}
	}
	_, err := t.exec(t.ctx, q, kid, id)
	return err
}

// tokenSigned reports whether token's signature verifies against a known
// signing key (retired ones included: online, the lookup decides), with
// the public keys held in memory while the cache's generation lasts.
func (s *Store) tokenSigned(ctx context.Context, token string) (bool, error) {
	pubs, err := s.publicKeys(ctx)
	if err != nil {
		return false, err
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil || len(jws.Signatures) != 1 {
		return false, nil
	}
	pub, ok := pubs[jws.Signatures[0].Protected.KeyID]
	if !ok {
		return false, nil
	}
	_, err = jws.Verify(pub)
	return err == nil, nil
}

// publicKeys are every signing key's public half by kid: from memory
// while verification's cache is in use and has not been flushed since
// they were read, else read now.
func (s *Store) publicKeys(ctx context.Context) (map[string]ed25519.PublicKey, error) {
	c := s.cache.c.Load()
	if c == nil || !c.watch.ready() {
		return s.readPublicKeys(ctx)
	}
	// The generation is taken after ready, before the read: a change
	// committed meanwhile flushes it, and the keys read are not trusted
	// past it.
	g := c.cur.Load()
	if p := s.signing.pub.Load(); p != nil && p.gen == g {
		return p.keys, nil
	}
	m, err := s.readPublicKeys(ctx)
	if err != nil {
		return nil, err
	}
	s.signing.pub.Store(&publicKeys{gen: g, keys: m})
	return m, nil
}

func (s *Store) readPublicKeys(ctx context.Context) (map[string]ed25519.PublicKey, error) {
	s.signing.reads.Add(1)
	rows, err := s.on(s.pools.verify).query(s.verifyCtx(ctx), "SELECT kid, public_key FROM signing_keys")
	if err != nil {
		return nil, s.dbErr(err)
	}
	defer rows.Close()
	m := map[string]ed25519.PublicKey{}
	for rows.Next() {
		var kid, pub string
		if err := rows.Scan(&kid, &pub); err != nil {
			return nil, s.dbErr(err)
		}
		if b, err := base64.RawURLEncoding.DecodeString(pub); err == nil && len(b) == ed25519.PublicKeySize {
			m[kid] = ed25519.PublicKey(b)
		}
	}
	return m, s.dbErr(rows.Err())
}

// publishedSQL selects the signing keys a token that can still verify may
// have been signed with: the active one, and retired ones while a current
// secret of an unexpired key or a previous secret in its grace is theirs.
const publishedSQL = `SELECT s.kid, s.public_key FROM signing_keys s WHERE s.active = 1
	OR EXISTS (SELECT 1 FROM keys k WHERE k.signing_kid = s.kid AND (k.expires_at IS NULL OR k.expires_at > $1))
	OR EXISTS (SELECT 1 FROM keys k WHERE k.prev_signing_kid = s.kid AND k.prev_expires_at > $1
		AND (k.expires_at IS NULL OR k.expires_at > $1))
	ORDER BY s.active IS NULL, s.created_at DESC, s.retired_at DESC, s.kid`

var _ keys.SigningKeys = (*Store)(nil)

// JWKS is the JWK Set of the published signing keys; it needs no principal.
func (s *Store) JWKS(ctx context.Context) ([]byte, error) {
	rows, err := s.on(s.pools.reader).query(ctx, publishedSQL, toUnix(s.clock()))
	if err != nil {
		return nil, s.dbErr(err)
	}
	defer rows.Close()
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for rows.Next() {
		var kid, pub string
		if err := rows.Scan(&kid, &pub); err != nil {
			return nil, s.dbErr(err)
		}
		b, err := base64.RawURLEncoding.DecodeString(pub)
		if err != nil || len(b) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("signing key %s: bad public key", kid)
		}
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: ed25519.PublicKey(b), KeyID: kid, Algorithm: string(jose.EdDSA), Use: "sig"})
	}
	if err := rows.Err(); err != nil {
		return nil, s.dbErr(err)
	}
	return json.Marshal(set)
}

// ListSigningKeys lists the signing keys, newest first, with how many
// secrets each signed that still verify.
func (s *Store) ListSigningKeys(ctx context.Context) ([]*keys.SigningKey, error) {
	var out []*keys.SigningKey
	err := s.read(ctx, func(t *txn) error {
		if err := keys.CheckSigningAdmin(t.p); err != nil {
			return err
		}
		var err error
		out, err = t.signingKeys()
		return err
	})
	return out, err
}

func (t *txn) signingKeys() ([]*keys.SigningKey, error) {
	rows, err := t.query(t.ctx, `SELECT s.kid, s.created_at, s.retired_at, s.active IS NOT NULL,
		(SELECT count(*) FROM keys k WHERE k.signing_kid = s.kid AND (k.expires_at IS NULL OR k.expires_at > $1)),
		(SELECT count(*) FROM keys k WHERE k.prev_signing_kid = s.kid AND k.prev_expires_at > $1
			AND (k.expires_at IS NULL OR k.expires_at > $1)),
		(SELECT count(*) FROM keys k WHERE k.signing_kid = s.kid AND k.expires_at IS NULL),
		(SELECT max(k.expires_at) FROM keys k WHERE k.signing_kid = s.kid AND k.expires_at > $1),
		(SELECT max(k.prev_expires_at) FROM keys k WHERE k.prev_signing_kid = s.kid AND k.prev_expires_at > $1)
		FROM signing_keys s ORDER BY s.active IS NULL, s.created_at DESC, s.retired_at DESC, s.kid`, toUnix(t.now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*keys.SigningKey{}
	for rows.Next() {
		var (
			k                    keys.SigningKey
			created              int64
			retired, last, lastP sql.NullInt64
			active               bool
			cur, prev, forever   int64
		)
		if err := rows.Scan(&k.KID, &created, &retired, &active, &cur, &prev, &forever, &last, &lastP); err != nil {
			return nil, err
		}
		k.CreatedAt, k.RetiredAt, k.InUse = fromUnix(created), fromNull(retired), int(cur+prev)
		switch {
		case active:
			k.State = keys.SigningActive
		case k.InUse > 0:
			k.State = keys.SigningRetired
			if forever == 0 {
				end := max(last.Int64, lastP.Int64)
				k.RetiresAt = fromNull(sql.NullInt64{Int64: end, Valid: true})
			}
		default:
			k.State = keys.SigningDropped
		}
		out = append(out, &k)
	}
	return out, rows.Err()
}

// RotateSigningKey retires the active signing key and starts a new one.
func (s *Store) RotateSigningKey(ctx context.Context) (*keys.SigningKey, error) {
	var out *keys.SigningKey
	err := s.write(ctx, func(t *txn) error {
		if err := keys.CheckSigningAdmin(t.p); err != nil {
			return err
		}
		aead, _, err := s.kek()
		if err != nil {
			return err
		}
		var retired *string
		if err := t.queryRow(t.ctx, "SELECT kid FROM signing_keys WHERE active = 1").Scan(&retired); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := t.exec(t.ctx, "UPDATE signing_keys SET active = NULL, retired_at = $1 WHERE active = 1", toUnix(t.now)); err != nil {
			return err
		}
		kid, _, err := t.newSigningKey(aead)
		if err != nil {
			return err
		}
		out = &keys.SigningKey{KID: kid, CreatedAt: fromUnix(toUnix(t.now)), State: keys.SigningActive}
		// Who rotated, and when: a row about no key, judged as root's.
		return t.auditRow(keys.ActionSigningKeyRotate, "/", nil, nil,
			[]keys.Grant{{Resource: keys.Root, Role: keys.Admin}},
			map[string]any{"kid": kid, "retired_kid": retired})
	})
	return out, err
}
