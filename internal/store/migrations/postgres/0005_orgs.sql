-- keyward schema for PostgreSQL, version 5: as migrations/0005_orgs.sql
-- for SQLite (see there for what the tables and columns mean). PostgreSQL
-- changes the audit table in place.
CREATE TABLE orgs (
    name       TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    created_at BIGINT NOT NULL
);

INSERT INTO orgs (name, created_at)
    SELECT org, min(created_at) FROM keys WHERE org != '/' GROUP BY org;

ALTER TABLE keys ADD COLUMN is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1));
CREATE UNIQUE INDEX keys_default ON keys (org) WHERE is_default = 1;

ALTER TABLE audit DROP CONSTRAINT audit_action_check;
ALTER TABLE audit ADD CONSTRAINT audit_action_check CHECK (action IN ('create', 'roll', 'update', 'grant', 'ungrant', 'delete',
    'org_create', 'org_delete', 'account_create', 'account_update', 'account_delete', 'compromise',
        'signing_key_rotate'));
ALTER TABLE audit ALTER COLUMN key_id DROP NOT NULL;
ALTER TABLE audit ALTER COLUMN key_name DROP NOT NULL;
