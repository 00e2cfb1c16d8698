-- keyward schema for PostgreSQL, version 3: every change to what
-- verification reads (a key's row, its grants) notifies the channel
-- keyward_changes, from inside the writing transaction: PostgreSQL
-- delivers it at commit, and never for a rollback. Replicas LISTEN on it
-- and flush their verification caches. Updates that only move
-- last_used_at (use-tracking) notify nobody: they must not flush caches.
-- (SQLite keeps a revision instead: migrations/0003_changes.sql.) A later
-- migration that rebuilds keys or grants must make these triggers again.
CREATE FUNCTION keyward_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('keyward_changes', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER keys_changed AFTER INSERT OR DELETE OR TRUNCATE ON keys
    FOR EACH STATEMENT EXECUTE FUNCTION keyward_changed();

-- Any column, today's or a later migration's, but last_used_at.
CREATE TRIGGER keys_updated AFTER UPDATE ON keys
    FOR EACH ROW WHEN ((to_jsonb(OLD) - 'last_used_at') IS DISTINCT FROM (to_jsonb(NEW) - 'last_used_at'))
    EXECUTE FUNCTION keyward_changed();

CREATE TRIGGER grants_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grants
    FOR EACH STATEMENT EXECUTE FUNCTION keyward_changed();
