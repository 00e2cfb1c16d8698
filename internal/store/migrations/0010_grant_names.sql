-- keyward schema, version 10: grants carry their key's name, so that
-- `keys list --resource R` can read R's keys in listing order (name, id)
-- from one index instead of walking every key by name and probing
-- grants for each (store/list_merge.go): on a million keys whose first
-- 200,000 by name hold nothing under R, the walk took 3x the time of
-- the same page on 100,000.
--
-- key_name is kept by the database, not by keyward's write paths alone,
-- so that no writer (an older keyward is refused the file, but the
-- sqlite3 CLI is not) can leave it stale: a grant inserted, or moved to
-- another key, takes its key's name; a renamed key renames its grants.
-- keyward passes the name itself, which leaves the triggers nothing to do
-- but compare. A grant of no key (foreign keys off) keeps what it had.
ALTER TABLE grants ADD COLUMN key_name TEXT NOT NULL DEFAULT '';

UPDATE grants SET key_name = (SELECT k.name FROM keys k WHERE k.id = grants.key_id)
WHERE EXISTS (SELECT 1 FROM keys k WHERE k.id = grants.key_id);

-- Replaces 0001's (resource, key_id), which answered the same filters:
-- writes keep one secondary index on grants.
DROP INDEX grants_resource;
CREATE INDEX grants_resource ON grants (resource, key_name, key_id);

CREATE TRIGGER grants_key_name_inserted AFTER INSERT ON grants
WHEN NEW.key_name IS NOT coalesce((SELECT k.name FROM keys k WHERE k.id = NEW.key_id), NEW.key_name)
BEGIN
    UPDATE grants SET key_name = (SELECT k.name FROM keys k WHERE k.id = NEW.key_id)
    WHERE key_id = NEW.key_id AND resource = NEW.resource;
END;

CREATE TRIGGER grants_key_name_updated AFTER UPDATE OF key_id, key_name ON grants
WHEN NEW.key_name IS NOT coalesce((SELECT k.name FROM keys k WHERE k.id = NEW.key_id), NEW.key_name)
BEGIN
    UPDATE grants SET key_name = (SELECT k.name FROM keys k WHERE k.id = NEW.key_id)
    WHERE key_id = NEW.key_id AND resource = NEW.resource;
END;

CREATE TRIGGER keys_renamed AFTER UPDATE OF name ON keys
WHEN OLD.name IS NOT NEW.name
BEGIN
    UPDATE grants SET key_name = NEW.name WHERE key_id = NEW.id;
END;
