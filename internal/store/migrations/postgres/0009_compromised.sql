-- keyward schema for PostgreSQL, version 9: as migrations/0009_compromised.sql
-- for SQLite (see there for why). 0003's keys_updated trigger notifies
-- replicas of the update that marks a key compromised.
ALTER TABLE keys ADD COLUMN compromised_at BIGINT;

CREATE INDEX keys_compromised ON keys (compromised_at) WHERE compromised_at IS NOT NULL;

-- The audit action 'compromise' is allowed since 0005.
