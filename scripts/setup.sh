#!/usr/bin/env bash
# Installs what running and testing Warden needs on a fresh machine, skipping what is already
# there: the wasm32 target, the wasm-bindgen CLI at the version in Cargo.lock, a C++ compiler
# (libFuzzer), the npm packages, and Debian's Chromium for the browser tests. Used by the
# README's two commands and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== toolchain"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
rustup target add wasm32-unknown-unknown
cargo --version

echo "== wasm-bindgen CLI (version from Cargo.lock)"
wb_version=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p' | head -n1)
wb_root=$HOME/.cache/warden/wasm-bindgen-$wb_version
wb_pid=
if [ -x "$wb_root/bin/wasm-bindgen" ] && [ "$("$wb_root/bin/wasm-bindgen" --version | awk '{print $2}')" = "$wb_version" ]; then
  echo "wasm-bindgen $wb_version already in $wb_root"
else
  # A few minutes of compiling (no --locked: it fails for this version), in the background
  # while the packages below download and install; waited for at the end. opt-level 1: the
  # CLI only rewrites this project's few modules (seconds each) and compiles faster.
  wb_log=$(mktemp -t warden-wasm-bindgen-install.XXXXXX.log)
  echo "installing in the background into $wb_root (log: $wb_log)"
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 cargo install wasm-bindgen-cli --version "$wb_version" \
    --root "$wb_root" >"$wb_log" 2>&1 &
  wb_pid=$!
fi

echo "== Chromium (browser tests)"
if [ ! -x /usr/bin/chromium ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update && $sudo apt-get install -y chromium
fi

echo "== C++ compiler (libfuzzer-sys builds libFuzzer for the fuzz smoke, scripts/fuzz.sh)"
if ! command -v c++ >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update && $sudo apt-get install -y g++
fi

echo "== npm ci (binaryen, typescript, playwright-core, bench deps)"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi


echo "== PostgreSQL 15 (the server's PostgreSQL tests; WARDEN_TEST_POSTGRES)"
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  $sudo apt-get update && $sudo apt-get install -y postgresql
fi
pg_version=$(ls /usr/lib/postgresql | sort -n | tail -n1)
# A package installed without its post-install cluster (some images skip it) gets one.
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$pg_version main"; then
  $sudo pg_createcluster "$pg_version" main
fi
if ! pg_lsclusters -h | awk '{print $4}' | grep -q online; then
  $sudo pg_ctlcluster "$pg_version" main start
fi
pg() {
  if [ "$(id -u)" = 0 ]; then su postgres -c "psql -v ON_ERROR_STOP=1 -qtAc \"$1\""
  else sudo -u postgres psql -v ON_ERROR_STOP=1 -qtAc "$1"; fi
}
if [ "$(pg "SELECT 1 FROM pg_roles WHERE rolname = 'warden'")" != 1 ]; then
  pg "CREATE ROLE warden LOGIN PASSWORD 'warden' CREATEDB"
fi
if [ "$(pg "SELECT 1 FROM pg_database WHERE datname = 'warden'")" != 1 ]; then
  pg "CREATE DATABASE warden OWNER warden"
fi
echo "PostgreSQL ready: WARDEN_TEST_POSTGRES=postgres://warden:warden@127.0.0.1:5432/warden"

echo "== the portable core module, copied into the SDKs (sdk/python, sdk/go, sdk/java ship it)"
# Built here so that the SDKs install with their language's own tool right after setup
# (`pip install ./sdk/python`, `go test ./...` in sdk/go, `mvn -f sdk/java/pom.xml install`);
# scripts/test-sdks.sh rebuilds it only when the sources changed.
scripts/build-module.sh

if [ -n "$wb_pid" ]; then
  echo "== wasm-bindgen CLI: waiting for its install"
  if ! wait "$wb_pid"; then
    cat "$wb_log" >&2
    echo "installing wasm-bindgen-cli $wb_version failed" >&2
    exit 1
  fi
  tail -n 2 "$wb_log"
fi
