-- keyward schema, version 3: indexes that let a selective listing filter
-- drive its query (store/list_filters.go) instead of a walk of every key
-- in name order: --expired and --expiring-within on expires_at,
-- --unused-for on the expression it compares (a never-used key counts
-- from its creation). last_used_at is written at most about once a
-- minute per key (folded), so the second index costs verification little.
CREATE INDEX keys_expires ON keys (expires_at);
CREATE INDEX keys_unused ON keys (coalesce(last_used_at, created_at));
