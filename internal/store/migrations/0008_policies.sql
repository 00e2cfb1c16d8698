-- keyward schema, version 8: key policies (issue 13).
--
-- allowed_ips: the key's IP allow-list as a JSON array of canonical CIDRs
-- (["10.0.0.0/8","192.0.2.7/32"]); NULL for none (any address).
-- rate_limit: the key's rate limit as "N/DURATION" ("100/1s"); NULL for
-- none. Counting is in the server's memory, never here.
--
-- Both change what verification answers, so verification's cache must
-- see them change (migrations/0003_changes.sql): keys_updated fires for
-- any update that leaves last_used_at alone, whatever its columns; this
-- trigger covers an update of these columns that also moves
-- last_used_at (a hand-written statement), as keys_columns_updated does
-- for the columns 0003 knew.
ALTER TABLE keys ADD COLUMN allowed_ips TEXT;
ALTER TABLE keys ADD COLUMN rate_limit TEXT;

CREATE TRIGGER keys_policies_updated AFTER UPDATE OF allowed_ips, rate_limit ON keys
WHEN OLD.last_used_at IS NOT NEW.last_used_at
BEGIN UPDATE changes SET rev = random() WHERE id = 1; END;
