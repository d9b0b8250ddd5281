#!/usr/bin/env bash
# Builds the portable core module (component/ABI.md) into target/module/warden.wasm and
# copies it into the three SDKs (sdk/python, sdk/go, sdk/java; gitignored copies), after
# checking that it imports nothing and exports the ABI.
#
# The module is the `warden-component` crate built with `--features module` under its own
# profile (`wasm-module`: opt-level 3, fat LTO), so it never overwrites the component's core
# module that scripts/build-components.sh builds with the release profile.
set -euo pipefail
cd "$(dirname "$0")/.."

T=${CARGO_TARGET_DIR:-target}
OUT=target/module

rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
cargo build --profile wasm-module --target wasm32-unknown-unknown -p warden-component --features module
mkdir -p "$OUT"
python3 scripts/check-module.py "$T/wasm32-unknown-unknown/wasm-module/warden_component.wasm" "$OUT/warden.wasm"
# Into each SDK (created when missing: a fresh clone has no resources folder for Java).
for dest in sdk/python/src/warden sdk/go sdk/java/src/main/resources/warden; do
    mkdir -p "$dest"
    cmp -s "$OUT/warden.wasm" "$dest/warden.wasm" 2>/dev/null || cp "$OUT/warden.wasm" "$dest/warden.wasm"
done
echo "module: $OUT/warden.wasm ($(wc -c < "$OUT/warden.wasm") bytes)"
