#!/usr/bin/env bash
# Verification throughput of `keyward serve` against a floor, side by side
# in one run: GET /v1/auth and POST /v1/verify with wrk (-t2 -c50), on a
# database of ~10 keys and one of 100,000, presenting one key or a
# rotation over many (a wrk lua script), against bench/http/floor, a bare
# net/http handler that reads Authorization and answers 204. Floor and
# keyward run alternately, ROUNDS times each per case; the table gives
# keyward's median req/s (min-max), the floor's median, their ratio (of
# the medians; the per-round ratios' range beside it) and keyward's p99
# (median over rounds) beside the floor's: on a busy machine the floor's
# own p99 says what a p99 target can mean there. Two more cases run
# keyward's handler over an in-memory backend (bench/http/memserve: the
# request log, routing and checks of `keyward serve`, verification from a
# map keyed by the secret's hash), to show what the handler costs apart
# from the store. Loopback only, bounded in time.
#
# Usage: bench/http.sh KEYWARD [SECONDS] [ROUNDS]   (default 5 s, 3 rounds)
#   KEYWARD  the keyward binary (make build: bin/keyward)
#   BENCH_HTTP_LARGE  keys in the large database (default 100000)
#   BENCH_HTTP_RATES  fixed rates (req/s) for the p99 runs (default "1000 5000 10000")
# make bench-http runs it in full; `make test` runs one short round.
set -euo pipefail
KW=$(realpath "${1:?usage: bench/http.sh KEYWARD [SECONDS] [ROUNDS]}")
SECS=${2:-5}
ROUNDS=${3:-3}
LARGE=${BENCH_HTTP_LARGE:-100000}
# Fixed request rates (req/s, over 50 connections) at which p99 is
# measured with vegeta, open-loop: wrk's p99 above is at saturation,
# where queueing behind 50 connections on 2 shared cores is most of it.
RATES=${BENCH_HTTP_RATES:-1000 5000 10000}
VEGETA_VERSION=v12.13.0
HERE=$(cd "$(dirname "$0")" && pwd)
for tool in wrk sqlite3 go; do
	command -v "$tool" >/dev/null || { echo "bench-http: $tool is not installed (make deps)" >&2; exit 1; }
done
T=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
# Built before HOME moves: go keeps its caches there. vegeta (pinned)
# makes the fixed-rate runs below.
(cd "$HERE/.." && go build -o "$T/floor" ./bench/http/floor && go build -o "$T/memserve" ./bench/http/memserve)
GOBIN=$T GOFLAGS=-mod=mod go install "github.com/tsenart/vegeta/v12@$VEGETA_VERSION"
export HOME=$T XDG_CONFIG_HOME=$T/config XDG_DATA_HOME=$T/data
unset KEYWARD_SERVER KEYWARD_TOKEN KEYWARD_DB KEYWARD_PROFILE KEYWARD_OUTPUT

# Databases: ~10 keys (one bulk key beside the ones with secrets) and
# LARGE; every secret has editor on /acme/prod.
"$HERE/dataset.sh" "$KW" "$T/small.db" 1 9 >/dev/null
"$HERE/dataset.sh" "$KW" "$T/large.db" "$LARGE" 50 >/dev/null

started=
start() { # NAME CMD... : starts a server; sets $started to its URL once it serves
	local name=$1 url=
	shift
	"$@" >"$T/$name.out" 2>"$T/$name.log" &
	pids+=($!) # in this shell, not a $(...) one: cleanup must see it
	for _ in $(seq 1 100); do
		url=$(grep -sho 'http://127\.0\.0\.1:[0-9]*' "$T/$name.out" "$T/$name.log" | head -1 || true)
		[ -n "$url" ] && break
		sleep 0.1
	done
	[ -n "$url" ] || { echo "bench-http: $name did not start" >&2; cat "$T/$name.log" >&2; exit 1; }
	started=$url
}
start floor "$T/floor"
floor=$started
start small "$KW" serve --db "$T/small.db" --addr 127.0.0.1:0
small=$started
start large "$KW" serve --db "$T/large.db" --addr 127.0.0.1:0
large=$started
start mem "$T/memserve" "$T/large.db.secrets"
mem=$started
cp "$T/large.db.secrets" "$T/mem.db.secrets"

# Every secret verifies: the /v1/auth runs, which come first for each
# server, fail on any answer but 2xx; /v1/verify then presents the same
# secrets to the same server.

# One lua script for every case: it presents the secrets of SECRETS in
# turn (one line: one key), on /v1/auth as a bearer or in a verify body.
cat >"$T/rotate.lua" <<'LUA'
local secrets, i, mode = {}, 0, "auth"
function init(args)
	for line in io.lines(args[1]) do secrets[#secrets + 1] = line end
	mode = args[2]
	i = math.random(#secrets)
end
function request()
	i = i % #secrets + 1
	if mode == "auth" then
		return wrk.format("GET", "/v1/auth?resource=/acme/prod/app&role=editor",
			{["Authorization"] = "Bearer " .. secrets[i]})
	end
	return wrk.format("POST", "/v1/verify", {["Content-Type"] = "application/json"},
		'{"key":"' .. secrets[i] .. '","resource":"/acme/prod/app","role":"editor"}')
end
LUA
head -1 "$T/small.db.secrets" >"$T/small.one"
head -1 "$T/large.db.secrets" >"$T/large.one"

p99() { # wrk --latency's output on stdin: "req/s p99_ms"
	awk '/Requests\/sec/ {rps = $2}
	     $1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
	                   p99 = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : v }
	     END { printf "%s %.2f\n", rps, p99 }'
}
run() { # URL SECRETS MODE : prints "req/s p99_ms"; fails on any non-2xx
	local out
	out=$(wrk -t2 -c50 -d"${SECS}s" --latency -s "$T/rotate.lua" "$1" -- "$2" "$3")
	if grep -q "Non-2xx" <<<"$out"; then echo "bench-http: non-2xx answers ($*)" >&2; echo "$out" >&2; exit 1; fi
	p99 <<<"$out"
}
floor_run() { # the floor ignores what it is sent beyond Authorization
	wrk -t2 -c50 -d"${SECS}s" --latency -H "Authorization: Bearer x" "$floor" | p99
}

median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

keys_in() { sqlite3 "$1" "SELECT count(*) FROM keys"; }
cases=()
for db in small large; do
	n=$(keys_in "$T/$db.db")
	rot=$(wc -l <"$T/$db.db.secrets")
	for mode in auth verify; do
		cases+=("$db one $mode $n 1" "$db db $mode $n $rot")
	done
done
for mode in auth verify; do
	cases+=("mem db $mode 0 $(wc -l <"$T/mem.db.secrets")")
done

for r in $(seq 1 "$ROUNDS"); do
	for c in "${cases[@]}"; do
		read -r db set mode n k <<<"$c"
		url=$small
		[ "$db" = large ] && url=$large
		[ "$db" = mem ] && url=$mem
		secrets=$T/$db.one
		[ "$set" = db ] && secrets=$T/$db.db.secrets
		fres=$(floor_run)
		read -r f fp99 <<<"$fres"
		echo "$fp99" >>"$T/$db-$set-$mode.fp99"
		res=$(run "$url" "$secrets" "$mode") # not inside read: a failed run must stop the script
		read -r rps p99 <<<"$res"
		id="$db-$set-$mode"
		echo "$f" >>"$T/$id.floor"
		echo "$rps" >>"$T/$id.kw"
		echo "$p99" >>"$T/$id.p99"
		awk -v a="$rps" -v b="$f" 'BEGIN {print a / b}' >>"$T/$id.ratio"
	done
done

echo "keyward serve vs a bare net/http handler (bench/http/floor), wrk -t2 -c50, ${SECS}s x ${ROUNDS} rounds, alternating"
echo "$(nproc) cores shared by the server and wrk (and anything else running): figures are relative, ratios are the point"
printf '%-42s %22s %12s %7s %13s %9s %9s\n' "case" "keyward req/s" "floor req/s" "ratio" "(per round)" "p99 ms" "floor p99"
for c in "${cases[@]}"; do
	read -r db set mode n k <<<"$c"
	id="$db-$set-$mode"
	path="GET /v1/auth"
	[ "$mode" = verify ] && path="POST /v1/verify"
	kw=$(median <"$T/$id.kw")
	fl=$(median <"$T/$id.floor")
	lo=$(sort -g "$T/$id.kw" | head -1)
	hi=$(sort -g "$T/$id.kw" | tail -1)
	rlo=$(sort -g "$T/$id.ratio" | head -1)
	rhi=$(sort -g "$T/$id.ratio" | tail -1)
	label="$path, $n keys, $k in turn"
	[ "$db" = mem ] && label="$path, handler only, $k in turn"
	printf '%-42s %8.0f (%6.0f-%6.0f) %12.0f %7.2f %6.2f-%-6.2f %9.2f %9.2f\n' \
		"$label" "$kw" "$lo" "$hi" "$fl" "$(awk -v a="$kw" -v b="$fl" 'BEGIN {print a / b}')" \
		"$rlo" "$rhi" "$(median <"$T/$id.p99")" "$(median <"$T/$id.fp99")"
done

# p99 at fixed rates: vegeta sends RATE req/s whatever the answers'
# pace (open-loop, up to 50 connections and 50 requests in flight), to
# keyward's /v1/auth (100,050 keys, 50 in turn) and to the floor in turn.
# A run that cannot keep the rate says so in its achieved rate.
printf '%s\n' "$(awk '{print "GET URL/v1/auth?resource=/acme/prod/app&role=editor\nAuthorization: Bearer " $0 "\n"}' "$T/large.db.secrets")" >"$T/targets.tmpl"
latency() { # URL RATE : "p99_ms achieved_req/s"; fails on any non-2xx
	sed "s|URL|$1|" "$T/targets.tmpl" >"$T/targets"
	"$T/vegeta" attack -targets "$T/targets" -rate "$2" -duration "${SECS}s" -max-connections 50 -workers 50 -max-workers 50 |
		"$T/vegeta" report -type json >"$T/vegeta.json"
	python3 - "$T/vegeta.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
bad = {c: n for c, n in (r.get("status_codes") or {}).items() if not c.startswith("2")}
if bad:
    sys.exit("bench-http: non-2xx answers at a fixed rate: %s %s" % (bad, r.get("errors")))
print("%.2f %.0f" % (r["latencies"]["99th"] / 1e6, r["throughput"]))
PY
}
for r in $(seq 1 "$ROUNDS"); do
	for rate in $RATES; do
		res=$(latency "$floor" "$rate")
		read -r p got <<<"$res"
		echo "$p" >>"$T/lat-$rate.fp99"
		echo "$got" >>"$T/lat-$rate.fgot"
		res=$(latency "$large" "$rate")
		read -r p got <<<"$res"
		echo "$p" >>"$T/lat-$rate.p99"
		echo "$got" >>"$T/lat-$rate.got"
	done
done
echo
echo "p99 at fixed rates (vegeta $VEGETA_VERSION, open-loop, 50 connections, ${SECS}s x ${ROUNDS} rounds, alternating): GET /v1/auth, $(keys_in "$T/large.db") keys, 50 in turn"
printf '%-12s %22s %22s\n' "req/s" "keyward p99 ms (range)" "floor p99 ms (range)"
for rate in $RATES; do
	printf '%-12s %8.2f (%5.2f-%5.2f) %8.2f (%5.2f-%5.2f)   achieved %s / %s req/s\n' "$rate" \
		"$(median <"$T/lat-$rate.p99")" "$(sort -g "$T/lat-$rate.p99" | head -1)" "$(sort -g "$T/lat-$rate.p99" | tail -1)" \
		"$(median <"$T/lat-$rate.fp99")" "$(sort -g "$T/lat-$rate.fp99" | head -1)" "$(sort -g "$T/lat-$rate.fp99" | tail -1)" \
		"$(median <"$T/lat-$rate.got")" "$(median <"$T/lat-$rate.fgot")"
done
