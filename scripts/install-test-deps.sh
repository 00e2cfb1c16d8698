#!/usr/bin/env bash
# Installs, on Debian, what keyward's tests need from the system: jq and
# sqlite3 (contract smoke test), gnome-keyring, dbus and libsecret-tools (a
# real Secret Service), nginx (gateway auth_request), gcc for cgo, and
# PostgreSQL's server (scripts/postgres-test-server.sh runs a throwaway one),
# bash-completion, zsh and fish (completions in real shells), and wrk
# (scripts/bench-http.sh), man-db and groff (man pages render without
# warnings), file and glibc's static libraries (the static release build
# and its test, cmd/release).
# Not dbus-x11: with it, go-keyring spawns a bus and a keyring daemon on every
# call and leaves them running.
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have jq || need+=(jq)
have sqlite3 || need+=(sqlite3)
have gcc || need+=(gcc libc6-dev)
have gnome-keyring-daemon || need+=(gnome-keyring)
have secret-tool || need+=(libsecret-tools)
have dbus-run-session || need+=(dbus)
have nginx || [ -x /usr/sbin/nginx ] || need+=(nginx)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
have zsh || need+=(zsh)
have fish || need+=(fish)
[ -r /usr/share/bash-completion/bash_completion ] || need+=(bash-completion)
have wrk || need+=(wrk)
have man || need+=(man-db)
have groff || need+=(groff-base)
have file || need+=(file)
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || [ -e /usr/lib/aarch64-linux-gnu/libc.a ] || need+=(libc6-dev)
if [ ${#need[@]} -eq 0 ]; then
	echo "deps: all present"
	exit 0
fi
SUDO=
if [ "$(id -u)" != 0 ]; then
	have sudo || { echo "deps: missing ${need[*]}; run as root or install them" >&2; exit 1; }
	SUDO=sudo
fi
echo "deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
