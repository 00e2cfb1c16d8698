-- keyward schema for PostgreSQL, version 1: the same tables, columns and
-- indexes as migrations/0001_init.sql for SQLite, so that one set of
-- queries serves both. Times are Unix seconds (UTC); roles are integers
-- (1 viewer, 2 editor, 3 admin); enabled is 0 or 1. Text that is compared
-- or ordered is COLLATE "C": byte order, as SQLite's BINARY, whatever the
-- database's locale, so list pages and resource ranges come out the same.

CREATE TABLE keys (
    id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name            TEXT COLLATE "C" NOT NULL,
    org             TEXT COLLATE "C" NOT NULL,
    type            TEXT    NOT NULL CHECK (type IN ('secret', 'public')),
    prefix          TEXT    NOT NULL,
    start           TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    expires_at      BIGINT,
    enabled         INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    last_used_at    BIGINT,
    meta            TEXT    NOT NULL DEFAULT '{}',
    created_by      TEXT    NOT NULL,
    -- only hex SHA-256 of secrets, never a secret
    secret_hash     TEXT COLLATE "C" NOT NULL UNIQUE,
    prev_hash       TEXT COLLATE "C" UNIQUE,
    prev_expires_at BIGINT,
    UNIQUE (org, name)
);

-- list order (name, id) and bare-name resolution
CREATE INDEX keys_name_id ON keys (name, id);

CREATE TABLE grants (
    key_id   TEXT COLLATE "C" NOT NULL REFERENCES keys (id) ON DELETE CASCADE,
    resource TEXT COLLATE "C" NOT NULL,
    role     INTEGER NOT NULL CHECK (role BETWEEN 1 AND 3),
    PRIMARY KEY (key_id, resource)
);

-- list --resource: keys with a grant at or under a path
CREATE INDEX grants_resource ON grants (resource, key_id);

-- Audit rows outlive their keys: no foreign key. grants holds the key's
-- grants as of the row (before a delete, after any other change) so that
-- the rows of a deleted key can still be judged for visibility. Writers
-- hold keyward's advisory lock, so ids grow in commit order.
CREATE TABLE audit (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         BIGINT  NOT NULL,
    org        TEXT COLLATE "C" NOT NULL,
    actor      TEXT    NOT NULL,
    actor_name TEXT,
    action     TEXT    NOT NULL CHECK (action IN ('create', 'roll', 'update', 'grant', 'ungrant', 'delete')),
    key_id     TEXT COLLATE "C" NOT NULL,
    key_name   TEXT COLLATE "C" NOT NULL,
    grants     TEXT    NOT NULL DEFAULT '[]',
    details    TEXT    NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_key ON audit (key_id, id);
CREATE INDEX audit_key_name ON audit (key_name, id);
