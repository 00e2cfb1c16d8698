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

-- Audit rows of account changes name no key: 0005 made key_id and
-- key_name nullable and allowed every action DESIGN.md names.
