#!/usr/bin/env bash
# Builds the wasm package and serves the admin console (www/) on http://127.0.0.1:8080/
# (or the port given as the first argument). Needs `npm ci` once.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-wasm.sh
exec node tests/e2e/server.mjs "${1:-8080}"
