#!/usr/bin/env bash
# CI's smoke run of bench/http.sh (make test): one short round of every
# case, so that the harness, the floor and the gateway paths keep working
# under load. The full measurement is `make bench-http`.
#
# Usage: scripts/bench-http.sh BIN [SECONDS]   (default 1 s a run)
set -euo pipefail
exec "$(dirname "$0")/../bench/http.sh" "${1:?usage: bench-http.sh BIN [SECONDS]}" "${2:-1}" 1
