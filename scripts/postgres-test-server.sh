#!/usr/bin/env bash
# Starts (or stops) a throwaway PostgreSQL cluster for keyward's tests and
# prints its admin URL, for KEYWARD_TEST_POSTGRES:
#
#   export KEYWARD_TEST_POSTGRES=$(scripts/postgres-test-server.sh start)
#   go test ./internal/store ./internal/e2e
#   scripts/postgres-test-server.sh stop
#
# The cluster listens only on 127.0.0.1 (and a socket in its own folder),
# trusts every local connection (no password: a test cluster on loopback)
# and lives in ${KEYWARD_PG_DIR:-${TMPDIR:-/tmp}/keyward-pg-$PORT}. Starting
# it again while it runs just prints the URL. initdb refuses to run as root:
# as root, the cluster belongs to the `postgres` OS user.
#
# Environment: KEYWARD_PG_PORT (default 55432), KEYWARD_PG_DIR, PG_BIN (the
# folder of initdb and pg_ctl; default the newest /usr/lib/postgresql/*/bin).
set -euo pipefail

mode=${1:-start}
port=${KEYWARD_PG_PORT:-55432}
base=${KEYWARD_PG_DIR:-${TMPDIR:-/tmp}/keyward-pg-$port}
data=$base/data
sock=$base/sock
log=$base/postgres.log
url="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"

if [ -z "${PG_BIN:-}" ]; then
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
		[ -x "$d/initdb" ] && PG_BIN=$d
	done
fi
if [ -z "${PG_BIN:-}" ] || [ ! -x "$PG_BIN/initdb" ]; then
	echo "postgres-test-server: no initdb found (install postgresql, or set PG_BIN)" >&2
	exit 1
fi

# as runs a PostgreSQL program as the cluster's owner.
as=()
owner=$(id -un)
if [ "$(id -u)" = 0 ]; then
	owner=postgres
	id -u postgres >/dev/null 2>&1 || { echo "postgres-test-server: running as root, but there is no postgres OS user" >&2; exit 1; }
	as=(runuser -u postgres --)
fi

running() { [ -f "$data/postmaster.pid" ] && "${as[@]}" "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; }

case $mode in
start)
	if running; then
		echo "$url"
		exit 0
	fi
	if [ ! -f "$data/PG_VERSION" ]; then
		rm -rf "$data"
		mkdir -p "$base" "$data" "$sock"
		chmod 0700 "$data"
		if [ "$owner" != "$(id -un)" ]; then
			chown "$owner" "$base" "$data" "$sock"
		fi
		if ! "${as[@]}" test -w "$data"; then
			echo "postgres-test-server: $owner cannot write $data; set KEYWARD_PG_DIR to a folder it can reach" >&2
			exit 1
		fi
		"${as[@]}" "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust \
			--encoding=UTF8 --locale=C.UTF-8 --no-instructions >"$base/initdb.log" 2>&1 ||
			{ cat "$base/initdb.log" >&2; exit 1; }
	fi
	# fsync off: a throwaway cluster; nothing here must survive a crash.
	if ! "${as[@]}" "$PG_BIN/pg_ctl" -D "$data" -l "$log" -w -t 30 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
		start >/dev/null; then
		tail -n 20 "$log" >&2 || true
		exit 1
	fi
	echo "$url"
	;;
stop)
	if running; then
		"${as[@]}" "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null
	fi
	if [ "${2:-}" = "--clean" ]; then
		rm -rf "$base"
	fi
	;;
url)
	echo "$url"
	;;
*)
	echo "usage: $0 start|stop [--clean]|url" >&2
	exit 2
	;;
esac
