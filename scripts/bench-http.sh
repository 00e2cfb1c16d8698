#!/usr/bin/env bash
# Load on `keyward serve` with wrk, on loopback only, bounded in time.
# Prints requests/s for each endpoint and its ratio to a floor measured in
# the same run on the same server: GET /healthz (routing, logging and one
# database round trip, no key lookup). A ratio near 1 means the key check
# costs little beyond what any request costs.
#
# Usage: scripts/bench-http.sh BIN [SECONDS]    (make bench-http; CI runs 2 s)
set -euo pipefail
KW=$(realpath "${1:?usage: bench-http.sh BIN [SECONDS]}")
SECS=${2:-10}
command -v wrk >/dev/null || { echo "bench-http: wrk is not installed (make deps)" >&2; exit 1; }
T=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$T"' EXIT
export HOME=$T XDG_CONFIG_HOME=$T/config XDG_DATA_HOME=$T/data
unset KEYWARD_SERVER KEYWARD_TOKEN KEYWARD_DB KEYWARD_PROFILE KEYWARD_OUTPUT
DB=$T/keys.db
# 1,000 keys so the lookup is not trivially the only row; one to present.
for i in $(seq 1 20); do "$KW" --db "$DB" keys create "filler-$i" --resource "/org$i" -q >/dev/null; done
SECRET=$("$KW" --db "$DB" keys create bench --resource /acme/prod --role editor -q)
sqlite3 "$DB" "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<980)
  INSERT INTO keys(id,name,org,type,prefix,start,created_at,enabled,meta,created_by,secret_hash)
  SELECT printf('key_b%015d',i), printf('bulk-%d',i), '/bulk', 'secret','sk','sk_bulk', 1700000000, 1, '{}', 'bench', printf('%064x', i) FROM c;"

"$KW" serve --db "$DB" --addr 127.0.0.1:0 2>"$T/serve.log" >/dev/null & pid=$!
url=
for _ in $(seq 1 100); do
	url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$T/serve.log" | head -1 || true)
	[ -n "$url" ] && break
	sleep 0.1
done
[ -n "$url" ] || { echo "bench-http: serve did not start" >&2; cat "$T/serve.log" >&2; exit 1; }

cat >"$T/verify.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"key":"$SECRET","resource":"/acme/prod/x","role":"editor"}'
wrk.headers["Content-Type"] = "application/json"
LUA
rate() { # prints requests/s; fails on any non-2xx answer
	local out
	out=$(wrk -t2 -c16 -d"${SECS}s" --latency "$@")
	if grep -q "Non-2xx" <<<"$out"; then echo "bench-http: non-2xx answers for $*" >&2; echo "$out" >&2; exit 1; fi
	awk '/Requests\/sec/ {print $2}' <<<"$out"
}
floor=$(rate "$url/healthz")
auth=$(rate -H "Authorization: Bearer $SECRET" "$url/v1/auth?resource=/acme/prod/x&role=editor")
verify=$(rate -s "$T/verify.lua" "$url/v1/verify")
printf '%-34s %10s req/s\n' "floor: GET /healthz" "$floor"
ratio() { awk -v a="$1" -v b="$floor" 'BEGIN { printf "%.2f", a / b }'; }
printf '%-34s %10s req/s  ratio %s\n' "GET /v1/auth (gateway check)" "$auth" "$(ratio "$auth")"
printf '%-34s %10s req/s  ratio %s\n' "POST /v1/verify" "$verify" "$(ratio "$verify")"
