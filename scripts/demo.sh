#!/usr/bin/env bash
# The main job on the embedded default: create a key in the local SQLite
# file ($XDG_DATA_HOME/keyward/keyward.db), verify its secret, list keys.
set -euo pipefail
KW=${1:-keyward}
name="demo-$(date +%Y%m%d-%H%M%S)"
echo "+ keyward keys create $name --resource /demo/app --role editor --ttl 1d -q"
secret=$("$KW" keys create "$name" --resource /demo/app --role editor --ttl 1d -q)
echo "  (secret shown once; kept in a shell variable here)"
echo "+ printf %s \"\$secret\" | keyward keys verify --resource /demo/app/robot-1"
printf %s "$secret" | "$KW" keys verify --resource /demo/app/robot-1
echo "+ keyward keys list --resource /demo"
"$KW" keys list --resource /demo
