#!/usr/bin/env bash
# The CLI against its floors, measured side by side in one run: keyward's
# reading and writing commands against the sqlite3 CLI doing the same SQL
# and against bench/cli/floor (cobra + go-sqlite3 doing the same, the
# floor for any Go binary on keyward's stack); `version` against
# bench/cli/bare (a bare cobra binary); the scale cases on 1,000,000 keys
# against the same cases on 100,000; peak RSS and time of streamed
# listings (/usr/bin/time -v). hyperfine medians, with the spread
# (25th–75th percentile) beside them; raw results are kept as JSON.
#
# Usage: bench/cli.sh [--short] [--no-1m] KEYWARD [RUNS]
#   --short  CI's smoke: 3,000 keys only, one pass (under 30 s)
#   --no-1m  skip the 1,000,000-key set (it takes ~20 s to make)
#   RUNS     hyperfine runs per case (default 30; --short: 3)
#   BENCH_DIR keeps data sets and results there (default a temporary
#   folder, removed at the end); existing data sets are reused.
set -euo pipefail
short= big=1
while [ $# -gt 0 ]; do
	case $1 in
	--short) short=1; shift ;;
	--no-1m) big=; shift ;;
	*) break ;;
	esac
done
KW=$(realpath "${1:?usage: bench/cli.sh [--short] [--no-1m] KEYWARD [RUNS]}")
RUNS=${2:-30}
[ -n "$short" ] && RUNS=${2:-3}
for c in hyperfine sqlite3 python3 go; do
	command -v $c >/dev/null || { echo "bench/cli: $c is not installed (make deps)" >&2; exit 1; }
done
HERE=$(cd "$(dirname "$0")" && pwd)
if [ -n "${BENCH_DIR:-}" ]; then
	W=$BENCH_DIR; mkdir -p "$W"; keep=1
else
	W=$(mktemp -d); keep=
fi
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$keep" ] || rm -rf "$W"
}
trap cleanup EXIT
# The floors, built as keyward is (Makefile: -trimpath -s -w), before
# HOME moves (Go's caches live under it).
(cd "$HERE/.." && go build -trimpath -ldflags '-s -w' -o "$W/floor" ./bench/cli/floor &&
	go build -trimpath -ldflags '-s -w' -o "$W/bare" ./bench/cli/bare)
export HOME=$W/home XDG_CONFIG_HOME=$W/home/config XDG_DATA_HOME=$W/home/data
unset KEYWARD_SERVER KEYWARD_TOKEN KEYWARD_DB KEYWARD_PROFILE KEYWARD_OUTPUT KEYWARD_CONFIG
mkdir -p "$HOME"
R=$W/results; rm -rf "$R"; mkdir -p "$R"

sizes="3000"
if [ -z "$short" ]; then
	sizes="3000 100000"
	[ -n "$big" ] && sizes="$sizes 1000000"
fi

# The select keyward runs for a page of keys, as the sqlite3 CLI runs it.
cols="k.id, k.name, k.org, k.type, k.start, k.created_at, k.expires_at, k.enabled, k.last_used_at, k.meta, k.created_by,
 (SELECT json_group_array(json_object('resource', g.resource, 'role', g.role)) FROM grants g WHERE g.key_id = k.id) AS grants"
echo "SELECT $cols FROM keys k ORDER BY k.name, k.id LIMIT 51;" >"$W/list.sql"
now=$(date +%s)
cat >"$W/insert.sql" <<SQL
.bail on
PRAGMA synchronous = FULL;
BEGIN IMMEDIATE;
INSERT INTO keys (id, name, org, type, prefix, start, created_at, meta, created_by, secret_hash)
  VALUES ('key_sqlite3insert01', 'bench-insert', '/acme', 'secret', 'sk', 'sk_abcd', $now, '{}', 'bench', lower(hex(randomblob(32))));
INSERT INTO grants (key_id, resource, role, key_name) VALUES ('key_sqlite3insert01', '/acme/prod', 2, 'bench-insert');
INSERT INTO audit (at, org, actor, action, key_id, key_name, grants, details)
  VALUES ($now, '/acme', 'bench', 'create', 'key_sqlite3insert01', 'bench-insert', '[]', '{}');
COMMIT;
SQL
cat >"$W/undo.sql" <<SQL
PRAGMA foreign_keys = ON;
DELETE FROM keys WHERE name IN ('bench-insert', 'bench-create', 'bench-floor');
SQL

hf() { # hf NAME COMMAND... : one hyperfine case, results in $R/NAME.json
	local name=$1; shift
	local warm=3
	[ -n "$short" ] && warm=1
	hyperfine -N --style none --warmup "$warm" --runs "$RUNS" --export-json "$R/$name.json" "$@" >/dev/null 2>"$R/$name.err" ||
		{ echo "bench/cli: $name failed:" >&2; cat "$R/$name.err" >&2; exit 1; }
}
rss() { # rss NAME COMMAND... : peak RSS and elapsed time of one run
	local name=$1; shift
	/usr/bin/time -f '%M %e' -o "$R/$name.rss" "$@" >/dev/null 2>/dev/null
}

for n in $sizes; do
	db=$W/d$n.db
	if [ ! -s "$db" ] || [ ! -s "$db.secrets" ]; then
		echo "bench/cli: making $n keys..." >&2
		"$HERE/dataset.sh" "$KW" "$db" "$n" 5 >/dev/null
		if [ "$n" -ge 100000 ]; then
			# An organization of N/5 keys (/big) in ten locations, for a
			# location-scoped operator; audit rows for its keys.
			sqlite3 "$db" >/dev/null <<SQL
PRAGMA synchronous = OFF;
UPDATE OR IGNORE grants SET resource = '/big/loc' || (CAST(substr(key_id, 5) AS INTEGER) % 10)
  WHERE key_id IN (SELECT id FROM keys WHERE org = '/big');
INSERT INTO audit (at, org, actor, action, key_id, key_name, grants, details)
  SELECT created_at, org, 'bench', 'create', id, name,
    (SELECT json_group_array(json_object('resource', g.resource,
       'role', CASE g.role WHEN 1 THEN 'viewer' WHEN 2 THEN 'editor' ELSE 'admin' END))
     FROM grants g WHERE g.key_id = k.id), '{}'
  FROM keys k WHERE org = '/big';
SQL
			"$KW" --db "$db" keys create bench-operator --resource /big/loc3 --role viewer -q >"$db.operator"
		fi
	fi
	"$KW" --db "$db" keys list --limit 1 >/dev/null 2>&1 # migrations, before anything is timed
	id=$(sqlite3 "$db" "SELECT id FROM keys ORDER BY name LIMIT 1 OFFSET 2")
	echo "SELECT $cols FROM keys k WHERE k.id = '$id';" >"$W/get.sql"
	undo="sqlite3 $db .read\\ $W/undo.sql"
	hf "list-json-$n" "sqlite3 -json $db .read\\ $W/list.sql" "$W/floor --db $db list 51" \
		"$KW --db $db keys list --limit 50 -o json"
	hf "list-table-$n" "sqlite3 -json $db .read\\ $W/list.sql" "$W/floor --db $db list 51" \
		"$KW --db $db keys list --limit 50"
	hf "get-$n" "sqlite3 -json $db .read\\ $W/get.sql" "$W/floor --db $db get $id" "$KW --db $db keys get $id -o json"
	hf "create-$n" --prepare "$undo" "sqlite3 $db .read\\ $W/insert.sql" "$W/floor --db $db create bench-floor" \
		"$KW --db $db keys create bench-create --resource /acme/prod --role editor -o json"
	sqlite3 "$db" ".read $W/undo.sql"
	if [ "$n" = 3000 ]; then
		hf "version" "$W/bare version" "$KW version"
	fi
	if [ "$n" -ge 100000 ]; then
		hf "scale-$n" "$KW --db $db keys list -o json --resource /rare" "$KW --db $db keys list -o json --resource /half" \
			"$KW --db $db keys list -o json --resource /nothing" "$KW --db $db keys list -o json --expiring-within 1d" \
			"$KW --db $db keys list -o json --unused-for 2d"
		"$KW" serve --db "$db" --addr 127.0.0.1:0 >/dev/null 2>"$W/serve.log" &
		pid=$!
		url=
		for _ in $(seq 1 100); do
			url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$W/serve.log" | head -1 || true)
			[ -n "$url" ] && break
			sleep 0.1
		done
		[ -n "$url" ] || { echo "bench/cli: serve did not start" >&2; cat "$W/serve.log" >&2; exit 1; }
		# -i: an answer that is an error (a 503 past the deadline) is a
		# figure too; the report counts them.
		KEYWARD_TOKEN=$(cat "$db.operator") hf "operator-$n" -i \
			"$KW --server $url keys list -o json" "$KW --server $url audit list -o json"
		kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
	fi
	if [ "$n" = 100000 ]; then
		rss "stream-json-$n" "$KW" --db "$db" keys list --limit 0 -o json
		rss "stream-jsonl-$n" "$KW" --db "$db" keys list --limit 0 -o jsonl
		rss "stream-table-$n" "$KW" --db "$db" keys list --limit 0
		rss "stream-sqlite3-$n" sqlite3 -json "$db" "SELECT * FROM keys ORDER BY name, id"
	fi
	if [ "$n" = 1000000 ]; then
		rss "stream-json-$n" "$KW" --db "$db" keys list --limit 0 -o json
		rss "stream-jsonl-$n" "$KW" --db "$db" keys list --limit 0 -o jsonl
	fi
done

python3 "$HERE/cli/report.py" "$R"
if [ -n "$keep" ]; then echo "(raw results: $R)"; fi
