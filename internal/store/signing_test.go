package store

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/keyward/keyward/internal/keys"
)

// testKEK is the key-encryption key of the PostgreSQL test stores (a
// SQLite store's is the file beside it).
var testKEK = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, kekLen))

func withTestKEK(opts *Options) {
	if opts.Signing.KEK == "" && opts.Signing.KeyFile == "" {
		opts.Signing.KEK = testKEK
	}
}

func createJWTKey(t *testing.T, s *Store, name string) *keys.NewSecretKey {
	t.Helper()
	k, err := s.Create(local(context.Background()), keys.CreateRequest{Name: name, Format: keys.FormatJWT,
		Grants: []keys.Grant{{Resource: "/acme", Role: keys.Viewer}}})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return k
}

func verifyCode(t *testing.T, s *Store, secret string) keys.VerifyCode {
	t.Helper()
	res, err := s.Verify(context.Background(), keys.VerifyRequest{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	return res.Code
}

// forgedToken is token with its claims changed (n tells forgeries apart:
// each hashes differently, so none is answered by the cache's memory of
// another), its signature kept.
func forgedToken(token string, n ...int) string {
	parts := strings.Split(token, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = bytes.Replace(payload, []byte(`"viewer"`), []byte(`"admin"`), 1)
	for _, i := range n {
		payload = bytes.Replace(payload, []byte(`"org":"/acme`), []byte(fmt.Sprintf(`"org":"/acme%d`, i)), 1)
	}
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]
}

// TestForgedTokenNeverReachesTheDatabase: once verification's cache is in
// use, a token whose signature fails is NOT_FOUND with no database read
// at all (neither a key lookup nor a read of the signing keys), as a
// secret whose checksum fails is; a cached token needs no signature check.
func TestForgedTokenNeverReachesTheDatabase(t *testing.T) {
	for name, open := range map[string]func(testing.TB, Options) *Store{"sqlite": openTemp, "postgres": openPG} {
		t.Run(name, func(t *testing.T) {
			if name == "postgres" {
				pgAdminURL(t)
			}
			s := open(t, Options{})
			k := createJWTKey(t, s, "svc")
			forged := forgedToken(k.Secret)
			// Start the cache (the second verification does) and wait for
			// its change signal to be ready (PostgreSQL's listener).
			for i := 0; i < 2; i++ {
				if c := verifyCode(t, s, k.Secret); c != keys.CodeValid {
					t.Fatalf("valid token: %s", c)
				}
			}
			waitCacheReady(t, s)
			verifyCode(t, s, k.Secret) // read into this generation
			verifyCode(t, s, forged)   // and the signing keys with it
			before := s.Stats()
			for i := 0; i < 5; i++ {
				if c := verifyCode(t, s, forgedToken(k.Secret, i)); c != keys.CodeNotFound {
					t.Fatalf("forged token: %s", c)
				}
			}
			after := s.Stats()
			// No key lookup, cache or not: the signature is checked first.
			if after.CacheMisses != before.CacheMisses || after.CacheHits != before.CacheHits {
				t.Fatalf("forged tokens were looked up: misses %d → %d, hits %d → %d",
					before.CacheMisses, after.CacheMisses, before.CacheHits, after.CacheHits)
			}
			if name != "sqlite" {
				return // PostgreSQL's cache may pause between pings of a loaded run: then the keys are read
			}
			if after.SigningKeyReads != before.SigningKeyReads {
				t.Fatalf("forged tokens read the signing keys: %d → %d", before.SigningKeyReads, after.SigningKeyReads)
			}
			if c := verifyCode(t, s, k.Secret); c != keys.CodeValid || s.Stats().CacheHits != after.CacheHits+1 {
				t.Fatalf("the valid token (%s) was not answered from the cache", c)
			}
		})
	}
}

func waitCacheReady(t *testing.T, s *Store) {
	t.Helper()
	c := s.cache.get()
	if c == nil {
		t.Fatal("no cache")
	}
	if w, ok := c.watch.(*pgWatch); ok {
		waitFor(t, w, "the listener to be up", func() bool { return w.up.Load() })
	}
}

// TestSigningKeysFollowRotationInMemory: the public keys held for the
// signature check are read again after a rotation, so a token the new key
// signed verifies at once.
func TestSigningKeysFollowRotationInMemory(t *testing.T) {
	s := openTemp(t, Options{})
	a := createJWTKey(t, s, "a")
	for i := 0; i < 3; i++ {
		verifyCode(t, s, a.Secret)
	}
	if _, err := s.RotateSigningKey(local(context.Background())); err != nil {
		t.Fatal(err)
	}
	b := createJWTKey(t, s, "b")
	if c := verifyCode(t, s, b.Secret); c != keys.CodeValid {
		t.Fatalf("token of the new signing key: %s", c)
	}
	if c := verifyCode(t, s, a.Secret); c != keys.CodeValid {
		t.Fatalf("token of the old signing key: %s", c)
	}
}

// TestDatabaseCopyCannotSign: the database alone, without its KEK file,
// holds no private key in the clear and mints nothing; the clear error
// names the way out. With the KEK it signs again.
func TestDatabaseCopyCannotSign(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keyward.db")
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	k := createJWTKey(t, s, "svc")
	kek := path + signingFileSuffix
	if fi, err := os.Stat(kek); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("KEK file beside the database: %v, %v", fi, err)
	}
	var seed []byte
	err = s.write(local(context.Background()), func(tx *txn) error {
		_, priv, err := tx.signer()
		seed = priv.Seed()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	// The private key is nowhere in the database's files, raw or encoded.
	for _, f := range []string{path, path + "-wal"} {
		b, _ := os.ReadFile(f)
		for _, needle := range [][]byte{seed, []byte(base64.StdEncoding.EncodeToString(seed)), []byte(base64.RawURLEncoding.EncodeToString(seed))} {
			if bytes.Contains(b, needle) {
				t.Fatalf("%s holds the private signing key", f)
			}
		}
	}

	// A copy elsewhere, without the KEK file: it verifies, and cannot sign.
	// The copy takes the WAL too, as a thief copying the files would: the
	// close's checkpoint into the main file is not something to count on
	// (without the WAL, the copy once lacked the key: NOT_FOUND, in a full
	// package run).
	other := filepath.Join(t.TempDir(), "copy.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if errors.Is(err, fs.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(other+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c, err := Open(context.Background(), other, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if code := verifyCode(t, c, k.Secret); code != keys.CodeValid {
		t.Fatalf("the copy verifies the token: %s", code)
	}
	_, err = c.Create(local(context.Background()), keys.CreateRequest{Name: "minted", Format: keys.FormatJWT, Grants: []keys.Grant{{Resource: "/", Role: keys.Admin}}})
	// The way out names both choices, and what a rotation costs replicas
	// that keep the other key-encryption key (they could no longer sign).
	if keys.ErrorCode(err) != keys.Invalid || !strings.Contains(err.Error(), "signing-keys rotate") ||
		!strings.Contains(err.Error(), "every replica needs") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("signing with another KEK: %v", err)
	}
	_, err = c.Roll(local(context.Background()), k.ID, keys.RollRequest{})
	if keys.ErrorCode(err) != keys.Invalid {
		t.Fatalf("rolling with another KEK: %v", err)
	}

	// With the right KEK given explicitly, it signs.
	d, err := Open(context.Background(), other, Options{Signing: SigningOptions{KeyFile: kek}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Roll(local(context.Background()), k.ID, keys.RollRequest{}); err != nil {
		t.Fatalf("roll with the KEK: %v", err)
	}
}

func TestKEKSources(t *testing.T) {
	ctx := local(context.Background())
	dir := t.TempDir()
	open := func(o SigningOptions) *Store {
		s, err := Open(context.Background(), filepath.Join(dir, "k.db"), Options{Signing: o})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	wide := filepath.Join(dir, "wide.key")
	if err := os.WriteFile(wide, []byte(testKEK+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, o := range map[string]SigningOptions{
		"not base64":      {KEK: "hunter2"},
		"too short":       {KEK: base64.StdEncoding.EncodeToString([]byte("short"))},
		"file for others": {KeyFile: wide},
		"no such folder":  {KeyFile: filepath.Join(dir, "missing", "k")},
	} {
		_, err := open(o).Create(ctx, keys.CreateRequest{Name: "x", Format: keys.FormatJWT, Grants: []keys.Grant{{Resource: "/acme", Role: keys.Viewer}}})
		if keys.ErrorCode(err) != keys.Invalid || strings.Contains(err.Error(), testKEK) {
			t.Errorf("%s: %v", name, err)
		}
	}
	s := open(SigningOptions{KEK: testKEK, Issuer: "https://keys.example"})
	k, err := s.Create(ctx, keys.CreateRequest{Name: "y", Format: keys.FormatJWT, Grants: []keys.Grant{{Resource: "/acme", Role: keys.Viewer}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "k.db"+signingFileSuffix)); err == nil {
		t.Error("a KEK file was made although KEYWARD_SIGNING_KEK was given")
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(k.Secret, ".")[1])
	if !bytes.Contains(payload, []byte(`"iss":"https://keys.example"`)) {
		t.Errorf("payload %s", payload)
	}
}

// TestJWKSIsAJWKSet: the document any JOSE library reads.
func TestJWKSIsAJWKSet(t *testing.T) {
	s := openTemp(t, Options{})
	raw, err := s.JWKS(context.Background())
	if err != nil || string(raw) != `{"keys":[]}` {
		t.Fatalf("empty JWKS: %s, %v", raw, err)
	}
	createJWTKey(t, s, "svc")
	raw, err = s.JWKS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 || !bytes.Contains(raw, []byte(`"kty":"OKP"`)) || !bytes.Contains(raw, []byte(`"crv":"Ed25519"`)) || bytes.Contains(raw, []byte(`"d"`)) {
		t.Fatalf("JWKS %s", raw)
	}
	if _, ok := set.Keys[0].Key.(ed25519.PublicKey); !ok {
		t.Fatalf("key %T", set.Keys[0].Key)
	}
}

// TestPostgresReplicasShareSigningKeys: two replicas on one database sign
// with the same keys under one KEK, and a rotation on one reaches the
// other's in-memory public keys through NOTIFY.
func TestPostgresReplicasShareSigningKeys(t *testing.T) {
	pgAdminURL(t)
	u := pgDatabase(t)
	a, b := openPGAt(t, u, Options{}), openPGAt(t, u, Options{})
	k := createJWTKey(t, a, "from-a")
	for i := 0; i < 2; i++ { // the second verification starts b's cache
		if c := verifyCode(t, b, k.Secret); c != keys.CodeValid {
			t.Fatalf("b verifies a's token: %s", c)
		}
	}
	waitCacheReady(t, b)
	verifyCode(t, b, forgedToken(k.Secret)) // b now holds the public keys
	w := b.cache.get().watch.(*pgWatch)
	heard := w.notify.Load()
	if _, err := a.RotateSigningKey(local(context.Background())); err != nil {
		t.Fatal(err)
	}
	waitFor(t, w, "the rotation's notification", func() bool { return w.notify.Load() != heard })
	waitCacheReady(t, b)
	// Signed by the key a's rotation made: b holds it once notified.
	k2 := createJWTKey(t, a, "after-rotation")
	if c := verifyCode(t, b, k2.Secret); c != keys.CodeValid {
		t.Fatalf("b verifies a token of the new signing key: %s", c)
	}
	k3 := createJWTKey(t, b, "from-b") // b signs with the key a made
	if c := verifyCode(t, a, k3.Secret); c != keys.CodeValid {
		t.Fatalf("a verifies b's token: %s", c)
	}
	list, err := b.ListSigningKeys(local(context.Background()))
	if err != nil || len(list) != 2 || list[0].State != keys.SigningActive {
		t.Fatalf("signing keys seen by b: %+v %v", list, err)
	}
}
