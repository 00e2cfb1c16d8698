-- keyward schema for PostgreSQL, version 6: service accounts, as
-- migrations/0006_accounts.sql for SQLite (see there). A key of an
-- account keeps a copy of its account's grants in grants, rewritten with
-- every change to the account, so the grants_changed trigger (0003)
-- notifies replicas of an account's change.
CREATE TABLE accounts (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name       TEXT COLLATE "C" NOT NULL,
    org        TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT   NOT NULL,
    UNIQUE (org, name)
);

CREATE INDEX accounts_name_id ON accounts (name, id);

CREATE TABLE account_grants (
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    resource   TEXT COLLATE "C" NOT NULL,
    role       INTEGER NOT NULL CHECK (role BETWEEN 1 AND 3),
    PRIMARY KEY (account_id, resource)
);

ALTER TABLE keys ADD COLUMN account_id TEXT COLLATE "C" REFERENCES accounts (id);
CREATE INDEX keys_account ON keys (account_id) WHERE account_id IS NOT NULL;

-- Audit rows of account changes name no key: 0005 made key_id and
-- key_name nullable and allowed every action DESIGN.md names.
