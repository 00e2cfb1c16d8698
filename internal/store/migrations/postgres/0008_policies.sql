-- keyward schema for PostgreSQL, version 8: key policies, as
-- migrations/0008_policies.sql for SQLite (see there). keys_updated
-- (0003) compares every column but last_used_at, so a change to these
-- notifies keyward_changes and replicas flush their caches.
ALTER TABLE keys ADD COLUMN allowed_ips TEXT;
ALTER TABLE keys ADD COLUMN rate_limit TEXT;
