#!/usr/bin/env bash
# Installs, on Debian, what keyward's tests need from the system: jq and
# sqlite3 (contract smoke test), gnome-keyring, dbus and libsecret-tools (a
# real Secret Service), nginx (gateway auth_request), gcc for cgo, and
# PostgreSQL's server (scripts/postgres-test-server.sh runs a throwaway one),
# bash-completion, zsh and fish (completions in real shells), wrk,
# hyperfine and python3 (make bench, and its short
# run in make test), man-db and groff (man pages render without
# warnings), file and glibc's static libraries (the static release build
# and its test, cmd/release), caddy (the examples/caddy gateway; its service
# is kept stopped, the tests run caddy themselves on loopback ports), and
# node/npm; then the pinned API-document tools (scripts/install-api-tools.sh,
# cached outside the repository).
# Not dbus-x11: with it, go-keyring spawns a bus and a keyring daemon on every
# call and leaves them running.
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have jq || need+=(jq)
have git || need+=(git)
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
have hyperfine || need+=(hyperfine)
have python3 || need+=(python3)
[ -x /usr/bin/time ] || need+=(time)
have man || need+=(man-db)
have groff || need+=(groff-base)
have file || need+=(file)
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || [ -e /usr/lib/aarch64-linux-gnu/libc.a ] || need+=(libc6-dev)
have caddy || need+=(caddy)
have npm || need+=(nodejs npm)
have node || need+=(nodejs) # the JWT keys' e2e test verifies tokens with Node's crypto
if [ ${#need[@]} -eq 0 ]; then
	echo "deps: all present"
else
	SUDO=
	if [ "$(id -u)" != 0 ]; then
		have sudo || { echo "deps: missing ${need[*]}; run as root or install them" >&2; exit 1; }
		SUDO=sudo
	fi
	echo "deps: installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Debian's caddy and nginx start a service on port 80 when installed;
	# the tests need neither. policy-rc.d answering 101 tells the package
	# scripts not to start services (containers often have one already).
	made_policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
		$SUDO chmod 755 /usr/sbin/policy-rc.d
		made_policy=1
		trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
	if [ -n "$made_policy" ]; then
		$SUDO rm -f /usr/sbin/policy-rc.d
		trap - EXIT
	fi
	# Under systemd the caddy just installed is enabled for the next boot
	# (and running, if policy-rc.d did not stop it): not wanted.
	if [[ " ${need[*]} " == *" caddy "* ]] && have systemctl && [ -d /run/systemd/system ]; then
		$SUDO systemctl disable --now caddy.service >/dev/null 2>&1 || true
	fi
fi
"$(dirname "$0")/install-api-tools.sh"
