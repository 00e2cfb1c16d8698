-- keyward schema, version 11: grants.key_name (0010) follows keys written
-- after their grants. With foreign keys off (the sqlite3 CLI's default) a
-- grant can be inserted before its key, outlive its key's delete and be
-- taken up by a new key of the same id (INSERT OR REPLACE too), or be
-- taken up by a key whose id changed: 0010's triggers, on grants and on
-- renames only, left such a grant its old name, and a merged --resource
-- listing (store/list_merge.go), which reads the name from grants, then
-- put the key out of order and skipped the keys between its two names.
--
-- A key's insert costs one probe of grants' primary key, which finds
-- nothing when keyward writes (it inserts the key before its grants).
CREATE TRIGGER keys_named AFTER INSERT ON keys
BEGIN
    UPDATE grants SET key_name = NEW.name WHERE key_id = NEW.id AND key_name IS NOT NEW.name;
END;

DROP TRIGGER keys_renamed;
CREATE TRIGGER keys_renamed AFTER UPDATE OF id, name ON keys
WHEN OLD.name IS NOT NEW.name OR OLD.id IS NOT NEW.id
BEGIN
    UPDATE grants SET key_name = NEW.name WHERE key_id = NEW.id AND key_name IS NOT NEW.name;
END;

-- Names what a version 10 file may hold without one: a grant written
-- before its key, or left by 0010 on no key and taken up since, has ''
-- (the column's default). A scan of grants_resource alone: 0.07 s at a
-- million grants, where a join of every grant with its key to find any
-- wrong name took 4-8 s (sqlite3 .timer): the other ways to a wrong name
-- (a key deleted and made again under the same id, an id changed onto
-- another key's grants, with foreign keys off) are left to 0011's
-- triggers from now on.
UPDATE grants SET key_name = (SELECT k.name FROM keys k WHERE k.id = grants.key_id)
WHERE key_name = '' AND EXISTS (SELECT 1 FROM keys k WHERE k.id = grants.key_id);
