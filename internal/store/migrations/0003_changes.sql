-- keyward schema, version 3: a change revision for verification's cache.
--
-- changes.rev takes a new random value at every change to what
-- verification reads (a key's row, its grants), whoever writes it:
-- keyward, or the sqlite3 CLI. Random, not a count: a backup restored
-- into the live file brings back an older count, and one change after it
-- would bring back the very count a cache last saw, with other contents.
-- A server caches key rows and, when SQLite's WAL-index header shows a
-- commit, reads rev once to learn whether that commit changed anything
-- it caches. last_used_at is left out: use-tracking writes on every
-- folded use, and must not flush the cache. A later migration that
-- rebuilds keys or grants (a new table copied over) must make these
-- triggers again, or caches stop seeing changes.
CREATE TABLE changes (
    id  INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    rev INTEGER NOT NULL
);
INSERT INTO changes (id, rev) VALUES (1, 0);

CREATE TRIGGER keys_inserted AFTER INSERT ON keys
BEGIN UPDATE changes SET rev = random() WHERE id = 1; END;

CREATE TRIGGER keys_deleted AFTER DELETE ON keys
BEGIN UPDATE changes SET rev = random() WHERE id = 1; END;

-- Two triggers for updates: any update that leaves last_used_at as it
-- was (whatever columns a later migration adds), and any update of a
-- column of today's other than last_used_at (one that also moves
-- last_used_at, from a hand-written statement).
CREATE TRIGGER keys_updated AFTER UPDATE ON keys
WHEN OLD.last_used_at IS NEW.last_used_at
BEGIN UPDATE changes SET rev = random() WHERE id = 1; END;

CREATE TRIGGER keys_columns_updated AFTER UPDATE OF id, name, org, type, prefix, start,
    created_at, expires_at, enabled, meta, created_by, secret_hash, prev_hash, prev_expires_at,
    secret_used_at, prev_self_rolled ON keys
WHEN OLD.last_used_at IS NOT NEW.last_used_at
BEGIN UPDATE changes SET rev = random() WHERE id = 1; END;

CREATE TRIGGER grants_inserted AFTER INSERT ON grants
BEGIN UPDATE changes SET rev = random() WHERE id = 1; END;

CREATE TRIGGER grants_deleted AFTER DELETE ON grants
BEGIN UPDATE changes SET rev = random() WHERE id = 1; END;

CREATE TRIGGER grants_updated AFTER UPDATE ON grants
BEGIN UPDATE changes SET rev = random() WHERE id = 1; END;
