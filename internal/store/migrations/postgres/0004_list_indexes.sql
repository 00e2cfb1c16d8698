-- keyward schema for PostgreSQL, version 3: as migrations/0003_list_indexes.sql
-- for SQLite (see there for why).
CREATE INDEX keys_expires ON keys (expires_at);
CREATE INDEX keys_unused ON keys ((coalesce(last_used_at, created_at)));
