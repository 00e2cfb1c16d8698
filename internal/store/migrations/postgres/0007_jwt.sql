-- keyward schema for PostgreSQL, version 7: JWT keys, as
-- migrations/0007_jwt.sql for SQLite. keys' own changes already notify
-- (0003); signing_keys notifies too, so that every replica's in-memory
-- public keys (which reject forged tokens before any lookup) follow.
ALTER TABLE keys ADD COLUMN format TEXT NOT NULL DEFAULT 'opaque' CHECK (format IN ('opaque', 'jwt'));
ALTER TABLE keys ADD COLUMN signing_kid TEXT COLLATE "C";
ALTER TABLE keys ADD COLUMN prev_signing_kid TEXT COLLATE "C";

CREATE INDEX keys_signing_kid ON keys (signing_kid) WHERE signing_kid IS NOT NULL;
CREATE INDEX keys_prev_signing_kid ON keys (prev_signing_kid) WHERE prev_signing_kid IS NOT NULL;

CREATE TABLE signing_keys (
    kid        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    created_at BIGINT  NOT NULL,
    retired_at BIGINT,
    active     INTEGER UNIQUE CHECK (active = 1),
    public_key TEXT    NOT NULL,
    sealed_key TEXT    NOT NULL
);

CREATE TRIGGER signing_keys_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON signing_keys
    FOR EACH STATEMENT EXECUTE FUNCTION keyward_changed();
