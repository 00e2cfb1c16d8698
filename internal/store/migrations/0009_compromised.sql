-- keyward schema, version 9: leak response (keyward scan --disable,
-- POST /v1/leaks).
--
-- keys.compromised_at: when the key's secret was last reported leaked,
-- which disabled the key; NULL for a key never found leaked. An update of
-- keys that leaves last_used_at alone moves changes.rev (0003's
-- keys_updated), so verification's cache sees the disable at once.
ALTER TABLE keys ADD COLUMN compromised_at INTEGER;

-- keys list --compromised: few keys, so a partial index that drives the
-- listing (store/list_filters.go) and costs other writes nothing.
CREATE INDEX keys_compromised ON keys (compromised_at) WHERE compromised_at IS NOT NULL;

-- The audit action 'compromise'. SQLite cannot change a CHECK in place:
-- the table is rebuilt, ids and rows as they were. The CHECK names every
-- action DESIGN.md lists, and key_id/key_name allow NULL (DESIGN: org and
-- account rows have a null key_id), so that this migration, the last of
-- its series, agrees with the ones for organizations and accounts
-- whichever way they spelled theirs.
CREATE TABLE audit_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    org        TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    actor_name TEXT,
    action     TEXT    NOT NULL CHECK (action IN ('create', 'roll', 'update', 'grant', 'ungrant', 'delete',
        'org_create', 'org_delete', 'account_create', 'account_update', 'account_delete', 'compromise')),
    key_id     TEXT,
    key_name   TEXT,
    grants     TEXT    NOT NULL DEFAULT '[]',
    details    TEXT    NOT NULL DEFAULT '{}'
);
INSERT INTO audit_new (id, at, org, actor, actor_name, action, key_id, key_name, grants, details)
    SELECT id, at, org, actor, actor_name, action, key_id, key_name, grants, details FROM audit;
DROP TABLE audit;
ALTER TABLE audit_new RENAME TO audit;
CREATE INDEX audit_key ON audit (key_id, id);
CREATE INDEX audit_key_name ON audit (key_name, id);
