#!/usr/bin/env bash
# Installs the pinned tools that check internal/server/openapi.json
# (internal/server/openapi_tools_test.go), outside the repository, in
# ${KEYWARD_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/keyward-tools}:
#   bin/oapi-codegen   the common Go client generator (from the Go proxy)
#   client/            go.mod and go.sum of the throwaway module the test
#                      builds a generated client in; its modules are put in
#                      the Go module cache here, so the test needs no network
#   npm/               @redocly/cli and @stoplight/spectral-cli, as pinned by
#                      scripts/api-tools/package-lock.json (npm ci)
# A repeat run with nothing changed returns at once. Needs go, node and npm.
set -euo pipefail
OAPI_CODEGEN=github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2
root=$(cd "$(dirname "$0")/.." && pwd)
src=$root/scripts/api-tools
dir=${KEYWARD_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/keyward-tools}
mkdir -p "$dir"
# @redocly/cli 2 needs Node.js 20.19 or later (Debian 12's own is 18).
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
	echo "api tools: Node.js 20.19 or later is needed (have: $(node --version 2>/dev/null || echo none))" >&2
	exit 1
fi

# The stamp names everything that decides what is installed; the client's
# modules must also still be in the Go module cache (go clean -modcache).
stamp="$OAPI_CODEGEN $(cat "$src/package-lock.json" "$src/client/go.mod" "$src/client/go.sum" | sha256sum | cut -c1-16)"
if [ -x "$dir/bin/oapi-codegen" ] && [ -x "$dir/npm/node_modules/.bin/redocly" ] &&
	[ -x "$dir/npm/node_modules/.bin/spectral" ] && [ "$(cat "$dir/stamp" 2>/dev/null)" = "$stamp" ] &&
	(cd "$dir/client" && GOPROXY=off GOFLAGS=-mod=mod go mod download 2>/dev/null); then
	echo "api tools: present in $dir"
	exit 0
fi
echo "api tools: installing into $dir"
rm -f "$dir/stamp"
GOBIN="$dir/bin" go install "$OAPI_CODEGEN"

rm -rf "$dir/client" && mkdir -p "$dir/client"
cp "$src/client/go.mod" "$src/client/go.sum" "$dir/client/"
(cd "$dir/client" && GOFLAGS=-mod=mod go mod download)

mkdir -p "$dir/npm"
cp "$src/package.json" "$src/package-lock.json" "$dir/npm/"
# --ignore-scripts: the linters need no install scripts (one dependency's
# only reports the install to its vendor).
(cd "$dir/npm" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
echo "$stamp" >"$dir/stamp"
echo "api tools: installed"
