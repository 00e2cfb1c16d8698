-- keyward schema, version 9: leak response (keyward scan --disable,
-- POST /v1/leaks).
--
-- keys.compromised_at: when the key's secret was last reported leaked,
-- which disabled the key; NULL for a key never found leaked. An update of
-- keys that leaves last_used_at alone moves changes.rev (0003's
-- keys_updated), so verification's cache sees the disable at once.
ALTER TABLE keys ADD COLUMN compromised_at INTEGER;

-- keys list --compromised: few keys, so a partial index that drives the
-- listing (store/list_filters.go) and costs other writes nothing.
CREATE INDEX keys_compromised ON keys (compromised_at) WHERE compromised_at IS NOT NULL;

-- The audit action 'compromise' is allowed since 0005, which rebuilt the
-- audit table with every action DESIGN.md lists.
