#!/usr/bin/env bash
# Makes a keyward SQLite file of N keys for the benchmarks, in seconds: the
# real binary makes the file (schema and migrations as users get them) and
# the keys whose secrets the benchmarks present; the rest are bulk SQL.
#
# Usage: bench/dataset.sh KEYWARD DB N [SECRETS]
#   SECRETS  how many keys get a secret printed to DB.secrets (default 50),
#            one per line, each with a grant on /acme/prod as editor.
# Shape of the bulk keys (i = 1..N):
#   org      /big for the first N/5 (a 200,000-key organization at 1M),
#            else /orgNN (100 of them)
#   grants   one on /half/... for even i, /other/... for odd i (50 %), and
#            a second on /rare/... when i % 100 = 0 (1 %); roles 1-3
#   expiry   none expire within 30 days; a third never expire
#   use      last used within the last day
# Grants carry their key's name (migration 0010) as keyward writes them:
# the database's triggers would fill it too, a statement per row.
set -euo pipefail
KW=${1:?usage: dataset.sh KEYWARD DB N [SECRETS]}
DB=${2:?usage: dataset.sh KEYWARD DB N [SECRETS]}
N=${3:?usage: dataset.sh KEYWARD DB N [SECRETS]}
S=${4:-50}
command -v sqlite3 >/dev/null || { echo "dataset: sqlite3 is not installed (make deps)" >&2; exit 1; }
rm -f "$DB" "$DB-wal" "$DB-shm" "$DB.secrets"
: >"$DB.secrets"
chmod 600 "$DB.secrets"
for i in $(seq 1 "$S"); do
	"$KW" --db "$DB" keys create "bench-$i" --resource /acme/prod --role editor -q >>"$DB.secrets"
done
now=$(date +%s)
sqlite3 "$DB" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $N)
INSERT INTO keys (id, name, org, type, prefix, start, created_at, expires_at, enabled,
                  last_used_at, meta, created_by, secret_hash)
SELECT printf('key_%016d', i), printf('k%07d', i),
       CASE WHEN i <= $N / 5 THEN '/big' ELSE printf('/org%02d', i % 100) END,
       'secret', 'sk', 'sk_' || substr(printf('%04d', i % 10000), 1, 4),
       $now - 86400 * 30,
       CASE WHEN i % 3 = 0 THEN NULL ELSE $now + 86400 * (30 + i % 335) END,
       1, $now - (i % 86400), '{}', 'bench', lower(hex(randomblob(32)))
FROM c;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $N)
INSERT INTO grants (key_id, resource, role, key_name)
SELECT printf('key_%016d', i),
       CASE WHEN i % 2 = 0 THEN '/half' ELSE '/other' END || printf('/svc%d', i % 50),
       1 + i % 3, printf('k%07d', i)
FROM c;
WITH RECURSIVE c(i) AS (SELECT 100 UNION ALL SELECT i + 100 FROM c WHERE i + 100 <= $N)
INSERT INTO grants (key_id, resource, role, key_name)
SELECT printf('key_%016d', i), printf('/rare/svc%d', i % 7), 1, printf('k%07d', i) FROM c;
-- the organizations the bulk keys lie in, as keyward registers them
INSERT OR IGNORE INTO orgs (name, created_at) SELECT org, min(created_at) FROM keys WHERE org != '/' GROUP BY org;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
ANALYZE;
SQL
