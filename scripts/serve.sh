#!/usr/bin/env bash
# Starts the Warden server on SQLite (data/warden.db, created and migrated on first start)
# with a demo tenant per preset, and serves the admin console (www/) with the API on
# http://127.0.0.1:8080/ (or the port given as the first argument). Needs `npm ci` once
# (the console's wasm package). WARDEN_DATA picks another data folder; WARDEN_DATABASE a
# PostgreSQL URL instead (postgres://USER:PASSWORD@HOST/DB).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-wasm.sh
cargo build -q -p warden-server
exec "${CARGO_TARGET_DIR:-target}/debug/warden-server" serve \
  --data "${WARDEN_DATA:-data}" --demo --www www --listen "127.0.0.1:${1:-8080}"
