#!/usr/bin/env bash
# Installs, on Debian, the C cross compilers the release's cgo builds need
# (.goreleaser.yaml): gcc-aarch64-linux-gnu and libc6-dev-arm64-cross for
# linux/arm64 (static: libc.a included), mingw-w64 for windows/amd64, and
# libc6-dev for the static linux/amd64 build.
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have gcc || need+=(gcc)
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || need+=(libc6-dev)
have aarch64-linux-gnu-gcc || need+=(gcc-aarch64-linux-gnu)
[ -e /usr/aarch64-linux-gnu/lib/libc.a ] || need+=(libc6-dev-arm64-cross)
have x86_64-w64-mingw32-gcc || need+=(mingw-w64)
if [ ${#need[@]} -eq 0 ]; then
	echo "release deps: all present"
	exit 0
fi
SUDO=
if [ "$(id -u)" != 0 ]; then
	have sudo || { echo "release deps: missing ${need[*]}; run as root or install them" >&2; exit 1; }
	SUDO=sudo
fi
echo "release deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
