#!/usr/bin/env bash
# Builds the WebAssembly components the plugin host loads, into $CARGO_TARGET_DIR/components/
# (target/components/ by default, gitignored): the core as a component (warden_core.wasm) and the plugins (example and
# hostile test plugins). Host tests and benchmarks look for them there and fail, naming
# this script, when they are missing.
#
# Each crate is compiled for wasm32-unknown-unknown (release: plugins run under fuel, and
# debug code burns ~10x more of it), then wrapped into a component by the workspace's own
# `warden-componentize` (the wit-component crate; no wasm-tools install needed).
set -euo pipefail
cd "$(dirname "$0")/.."

T=${CARGO_TARGET_DIR:-target}
# Into the target directory in use (CARGO_TARGET_DIR or target/), or WARDEN_COMPONENTS.
OUT=${WARDEN_COMPONENTS:-$T/components}
CRATES=(warden-component warden-plugin-email-domain warden-plugin-four-eyes
        warden-plugin-contractor warden-plugin-hostile)

rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
pkgs=()
for c in "${CRATES[@]}"; do pkgs+=(-p "$c"); done
cargo build --release --target wasm32-unknown-unknown "${pkgs[@]}"
cargo build -p warden-componentize

mkdir -p "$OUT"
for c in "${CRATES[@]}"; do
    lib="${c//-/_}"
    case "$c" in
        warden-component) name=warden_core ;;
        *) name="${lib#warden_plugin_}" ;;
    esac
    "$T/debug/warden-componentize" "$T/wasm32-unknown-unknown/release/$lib.wasm" "$OUT/$name.wasm"
done
cp plugins/hostile/*.wat "$OUT/" 2>/dev/null || true
