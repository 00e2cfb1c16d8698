-- keyward schema, version 6: service accounts.
--
-- An account holds grants and owns keys (keys.account_id). A key of an
-- account keeps, in grants, a copy of its account's grants, rewritten in
-- the same transaction as every change to the account: so verification,
-- listing filters, visibility and the rules read a key's grants where
-- they always did, and verification's cache hears of an account's change
-- through the triggers on grants (0003) without a trigger of its own.
-- account_grants is the account's own set, which a key made later copies.
CREATE TABLE accounts (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    org        TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT    NOT NULL,
    UNIQUE (org, name)
);

CREATE INDEX accounts_name_id ON accounts (name, id);

CREATE TABLE account_grants (
    account_id TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    resource   TEXT    NOT NULL,
    role       INTEGER NOT NULL CHECK (role BETWEEN 1 AND 3),
    PRIMARY KEY (account_id, resource)
) WITHOUT ROWID;

-- No ON DELETE: an account with keys is never deleted (exit 5), and the
-- database refuses it too.
ALTER TABLE keys ADD COLUMN account_id TEXT REFERENCES accounts (id);
CREATE INDEX keys_account ON keys (account_id) WHERE account_id IS NOT NULL;

-- Audit rows of account (and organization) changes name no key: key_id
-- and key_name become nullable, and action takes the new actions. SQLite
-- changes neither in place: the table is rebuilt, rows and ids kept.
-- Every action DESIGN.md names is allowed here, so that the migrations of
-- organizations and leak scanning, whatever their order, find theirs.
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
