-- keyward schema for PostgreSQL, version 11: in step with
-- migrations/0011_grant_names_kept.sql for SQLite, which makes keys
-- written after their grants (foreign keys off) name them. PostgreSQL
-- always enforces grants' foreign key (no grant before or without its
-- key; no change of a referenced keys.id), so 0010's triggers already
-- keep every name: this records why on the column.
COMMENT ON COLUMN grants.key_name IS 'its key''s name (keys.name), kept by triggers (migration 0010) for keys list --resource in name order';
