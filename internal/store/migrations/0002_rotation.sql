-- keyward schema, version 2: what a roll needs to know so that a
-- rolled-out secret can redo its own lost roll, and nothing more.
--
-- secret_used_at: when the current secret was first used (verified or
-- authenticated with) since it was made; NULL while nobody has shown to
-- hold it. Written before that first use is answered, so a secret
-- someone holds is never taken for unclaimed.
-- prev_self_rolled: 1 when the roll that made prev_hash the previous
-- secret was made by the key itself with that secret; only then may the
-- previous secret redo it (while secret_used_at is NULL).
ALTER TABLE keys ADD COLUMN secret_used_at INTEGER;
ALTER TABLE keys ADD COLUMN prev_self_rolled INTEGER NOT NULL DEFAULT 0 CHECK (prev_self_rolled IN (0, 1));
