-- keyward schema for PostgreSQL, version 10: as migrations/0010_grant_names.sql
-- for SQLite (see there for why): grants carry their key's name, kept by
-- the database. PostgreSQL's listing does not read it yet (its planner
-- sorts a union of index ranges rather than merging them), but both
-- backends keep one schema and pass one suite.
ALTER TABLE grants ADD COLUMN key_name TEXT COLLATE "C" NOT NULL DEFAULT '';

UPDATE grants g SET key_name = k.name FROM keys k WHERE k.id = g.key_id;

DROP INDEX grants_resource;
CREATE INDEX grants_resource ON grants (resource, key_name, key_id);

-- BEFORE: the row is written once, with its key's name.
CREATE FUNCTION keyward_grant_key_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.key_name := coalesce((SELECT k.name FROM keys k WHERE k.id = NEW.key_id), NEW.key_name);
    RETURN NEW;
END
$$;

CREATE TRIGGER grants_key_name BEFORE INSERT OR UPDATE OF key_id, key_name ON grants
    FOR EACH ROW EXECUTE FUNCTION keyward_grant_key_name();

CREATE FUNCTION keyward_key_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE grants SET key_name = NEW.name WHERE key_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER keys_renamed AFTER UPDATE OF name ON keys
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION keyward_key_renamed();
