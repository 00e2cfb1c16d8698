#!/usr/bin/env bash
# Server writes: creates and rolls over HTTP against `keyward serve`, on a
# SQLite file (synchronous=FULL, as shipped) and, when KEYWARD_TEST_POSTGRES
# is set, on a fresh PostgreSQL database, from 8 and 50 connections (the
# load is bench/writes, a small Go program: one request at a time per
# connection, unique names). Each round measures the floor first, in the
# same run on the same file system: a loop of single fsynced SQLite commits
# of one small insert, what one durable commit costs. It prints, per case,
# the median changes/s over the rounds, their spread (min-max), the median
# floor and the median of the rounds' ratios (case / floor of that round).
# The floor is the disk's: PostgreSQL's rows compare against it too. The
# last column is the server process's CPU time per change (median, µs,
# from /proc): on a machine shared with other work the rates swing, the
# CPU a change costs far less.
#
# Usage: bench/writes.sh KEYWARD [SECONDS]   (SECONDS per measurement, default 5)
#        BENCH_ROUNDS=N (default 3); BENCH_SHORT=1: one round of 0.5 s (CI, < 20 s)
set -euo pipefail
KW=$(realpath "${1:?usage: bench/writes.sh KEYWARD [SECONDS]}")
SECS=${2:-5}
ROUNDS=${BENCH_ROUNDS:-3}
FLOOR_SECS=$SECS
if [ "${BENCH_SHORT:-}" = 1 ]; then SECS=0.5 ROUNDS=1 FLOOR_SECS=0.3; fi
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
pid= pgdb=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	[ -n "$pgdb" ] && psql -q "$KEYWARD_TEST_POSTGRES" -c "DROP DATABASE IF EXISTS $pgdb" >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT
# Built before HOME moves: the build cache stays the user's.
(cd "$HERE/.." && go build -o "$T/writes" ./bench/writes)
export HOME=$T XDG_CONFIG_HOME=$T/config XDG_DATA_HOME=$T/data
unset KEYWARD_SERVER KEYWARD_TOKEN KEYWARD_DB KEYWARD_PROFILE KEYWARD_OUTPUT

# serve DB: starts keyward serve on DB with an admin key in $T/token.
serve() {
	"$KW" --db "$1" keys create "root-$RANDOM$RANDOM" --role admin --resource / -q >"$T/token"
	"$KW" serve --db "$1" --addr 127.0.0.1:0 2>"$T/serve.log" >/dev/null & pid=$!
	url=
	for _ in $(seq 1 100); do
		url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$T/serve.log" | head -1 || true)
		[ -n "$url" ] && return
		sleep 0.1
	done
	echo "writes: serve did not start" >&2; cat "$T/serve.log" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }

# cputicks: the server's CPU time so far (user + system), in clock ticks.
HZ=$(getconf CLK_TCK)
cputicks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }

# stats: median, min-max of the numbers on stdin.
stats() { sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.0f %.0f-%.0f\n", m, v[1], v[NR] }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f\n", m }'; }

# bench NAME DB: every case on one backend.
rows=()
bench() {
	local name=$1 db=$2
	serve "$db"
	for op in create roll; do
		for c in 8 50; do
			: >"$T/rates" ; : >"$T/floors"; : >"$T/ratios"; : >"$T/cpus"
			for r in $(seq 1 "$ROUNDS"); do
				f=$("$T/writes" floor -dir "$T" -d "${FLOOR_SECS}s")
				c0=$(cputicks)
				x=$("$T/writes" load -url "$url" -token-file "$T/token" -op "$op" -c "$c" -d "${SECS}s" -tag "$name-$op-$c-$r")
				c1=$(cputicks)
				echo "$f" >>"$T/floors"; echo "$x" >>"$T/rates"
				awk -v a="$x" -v b="$f" 'BEGIN { printf "%.2f\n", a / b }' >>"$T/ratios"
				awk -v t="$((c1 - c0))" -v hz="$HZ" -v x="$x" -v s="$SECS" 'BEGIN { printf "%.0f\n", t / hz * 1e6 / (x * s) }' >>"$T/cpus"
			done
			read -r med spread < <(stats <"$T/rates")
			rows+=("$(printf '%-22s %10s %13s %10s %7s %9s' "$name $op c$c" "$med" "$spread" "$(stats <"$T/floors" | cut -d' ' -f1)" "$(median <"$T/ratios")" "$(stats <"$T/cpus" | cut -d' ' -f1)")")
		done
	done
	stop
}

bench sqlite "$T/keys.db"
if [ -n "${KEYWARD_TEST_POSTGRES:-}" ]; then
	pgdb=keyward_bench_writes_$$
	psql -q "$KEYWARD_TEST_POSTGRES" -c "CREATE DATABASE $pgdb" >/dev/null
	base=${KEYWARD_TEST_POSTGRES%%\?*}
	bench postgres "${base%/*}/$pgdb${KEYWARD_TEST_POSTGRES#"$base"}"
fi
echo "server writes over HTTP: $ROUNDS round(s) of ${SECS}s; floor: single fsynced SQLite commits, ${FLOOR_SECS}s, same file system"
printf '%-22s %10s %13s %10s %7s %9s\n' case "changes/s" "spread" "floor/s" ratio "srv µs/op"
printf '%s\n' "${rows[@]}"
