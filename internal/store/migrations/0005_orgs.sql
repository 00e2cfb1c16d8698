-- keyward schema, version 5: organizations as things of their own.
--
-- orgs holds every organization ('/acme'; root, '/', is none): made by
-- `orgs create` with its default key, or implicitly by the first key
-- created (or moved) under it. The key count is not stored: a count over
-- keys' (org, name) index is exact, and costs about 0.1 s for a
-- 200,000-key organization.
CREATE TABLE orgs (
    name       TEXT    NOT NULL PRIMARY KEY,
    created_at INTEGER NOT NULL
);

-- Every organization keys already lie in, from its oldest key.
INSERT INTO orgs (name, created_at)
    SELECT org, min(created_at) FROM keys WHERE org != '/' GROUP BY org;

-- is_default marks an organization's default key, on the key's own row:
-- reading a key (a listing of a million, a verification's lookup) needs
-- no other table. At most one per organization; a key leaves it as it
-- leaves the organization (a root grant), and a deleted key takes it
-- along. It changes with the key's row, so 0003's triggers see it.
ALTER TABLE keys ADD COLUMN is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1));
CREATE UNIQUE INDEX keys_default ON keys (org) WHERE is_default = 1;

-- Audit rows about no key (org_create, org_delete; service accounts'
-- later) have a null key_id and key_name, and the actions DESIGN.md names
-- are all allowed at once, so that later features need not rebuild the
-- table again. SQLite changes a CHECK only by a rebuild; ids are copied,
-- and AUTOINCREMENT's counter follows the rename.
CREATE TABLE audit_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    org        TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    actor_name TEXT,
    action     TEXT    NOT NULL CHECK (action IN ('create', 'roll', 'update', 'grant', 'ungrant', 'delete',
        'org_create', 'org_delete', 'account_create', 'account_update', 'account_delete', 'compromise',
        'signing_key_rotate')),
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
