-- keyward schema for PostgreSQL, version 2: as migrations/0002_rotation.sql
-- for SQLite (see there for what the columns mean).
ALTER TABLE keys ADD COLUMN secret_used_at BIGINT;
ALTER TABLE keys ADD COLUMN prev_self_rolled INTEGER NOT NULL DEFAULT 0 CHECK (prev_self_rolled IN (0, 1));
