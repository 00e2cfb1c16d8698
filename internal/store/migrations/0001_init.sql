-- keyward schema, version 1. Times are Unix seconds (UTC); roles are
-- integers (1 viewer, 2 editor, 3 admin) so that comparisons are numeric.

CREATE TABLE keys (
    id              TEXT    NOT NULL PRIMARY KEY,
    name            TEXT    NOT NULL,
    org             TEXT    NOT NULL,
    type            TEXT    NOT NULL CHECK (type IN ('secret', 'public')),
    prefix          TEXT    NOT NULL,
    start           TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER,
    enabled         INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    last_used_at    INTEGER,
    meta            TEXT    NOT NULL DEFAULT '{}',
    created_by      TEXT    NOT NULL,
    -- only hex SHA-256 of secrets, never a secret
    secret_hash     TEXT    NOT NULL UNIQUE,
    prev_hash       TEXT    UNIQUE,
    prev_expires_at INTEGER,
    UNIQUE (org, name)
);

-- list order (name, id) and bare-name resolution
CREATE INDEX keys_name_id ON keys (name, id);

CREATE TABLE grants (
    key_id   TEXT    NOT NULL REFERENCES keys (id) ON DELETE CASCADE,
    resource TEXT    NOT NULL,
    role     INTEGER NOT NULL CHECK (role BETWEEN 1 AND 3),
    PRIMARY KEY (key_id, resource)
) WITHOUT ROWID;

-- list --resource: keys with a grant at or under a path
CREATE INDEX grants_resource ON grants (resource, key_id);

-- Audit rows outlive their keys: no foreign key. grants holds the key's
-- grants as of the row (before a delete, after any other change) so that
-- the rows of a deleted key can still be judged for visibility.
CREATE TABLE audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    org        TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    actor_name TEXT,
    action     TEXT    NOT NULL CHECK (action IN ('create', 'roll', 'update', 'grant', 'ungrant', 'delete')),
    key_id     TEXT    NOT NULL,
    key_name   TEXT    NOT NULL,
    grants     TEXT    NOT NULL DEFAULT '[]',
    details    TEXT    NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_key ON audit (key_id, id);
CREATE INDEX audit_key_name ON audit (key_name, id);
