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

-- Audit rows of account (and organization) changes name no key; every
-- action DESIGN.md names is allowed, whatever order the migrations of
-- organizations and leak scanning come in.
ALTER TABLE audit ALTER COLUMN key_id DROP NOT NULL;
ALTER TABLE audit ALTER COLUMN key_name DROP NOT NULL;
ALTER TABLE audit DROP CONSTRAINT IF EXISTS audit_action_check;
ALTER TABLE audit ADD CONSTRAINT audit_action_check CHECK (action IN ('create', 'roll', 'update', 'grant', 'ungrant', 'delete',
    'org_create', 'org_delete', 'account_create', 'account_update', 'account_delete', 'compromise'));
