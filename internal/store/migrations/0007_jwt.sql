-- keyward schema, version 7: JWT keys (issue 12).
--
-- format says how a key's secrets look; signing_kid and prev_signing_kid
-- name the signing key that signed its current and previous token, so
-- that the JWK Set keeps a retired public key exactly as long as a token
-- it signed can still verify. Opaque keys leave both NULL.
ALTER TABLE keys ADD COLUMN format TEXT NOT NULL DEFAULT 'opaque' CHECK (format IN ('opaque', 'jwt'));
ALTER TABLE keys ADD COLUMN signing_kid TEXT;
ALTER TABLE keys ADD COLUMN prev_signing_kid TEXT;

CREATE INDEX keys_signing_kid ON keys (signing_kid) WHERE signing_kid IS NOT NULL;
CREATE INDEX keys_prev_signing_kid ON keys (prev_signing_kid) WHERE prev_signing_kid IS NOT NULL;

-- Ed25519 signing keys. public_key is the raw public key, base64url;
-- sealed_key is the private key sealed with AES-256-GCM under a
-- key-encryption key that never enters the database (store/signing.go):
-- a copy of the database alone cannot sign. active is 1 on the one key
-- that signs new tokens, NULL on retired ones (UNIQUE: at most one).
CREATE TABLE signing_keys (
    kid        TEXT    NOT NULL PRIMARY KEY,
    created_at INTEGER NOT NULL,
    retired_at INTEGER,
    active     INTEGER UNIQUE CHECK (active = 1),
    public_key TEXT    NOT NULL,
    sealed_key TEXT    NOT NULL
);

-- Verification holds the public keys in memory to reject a forged token
-- before any lookup; a change to them flushes what it holds (0003).
CREATE TRIGGER signing_keys_inserted AFTER INSERT ON signing_keys
BEGIN UPDATE changes SET rev = random() WHERE id = 1; END;

CREATE TRIGGER signing_keys_deleted AFTER DELETE ON signing_keys
BEGIN UPDATE changes SET rev = random() WHERE id = 1; END;

CREATE TRIGGER signing_keys_updated AFTER UPDATE ON signing_keys
BEGIN UPDATE changes SET rev = random() WHERE id = 1; END;
