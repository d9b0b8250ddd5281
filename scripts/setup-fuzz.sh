#!/usr/bin/env bash
# What scripts/fuzz.sh needs on a fresh machine, skipped when already there: the nightly
# toolchain (libFuzzer's instrumentation is nightly-only) and cargo-fuzz, installed once into
# ~/.cache/warden/cargo-fuzz and put on PATH through ~/.cargo/bin.
set -euo pipefail

CARGO_FUZZ_VERSION=0.13.2
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/warden/cargo-fuzz-$CARGO_FUZZ_VERSION"

if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
    if [ ! -x "$CACHE/bin/cargo-fuzz" ]; then
        cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --root "$CACHE"
    fi
    mkdir -p "$HOME/.cargo/bin"
    ln -sf "$CACHE/bin/cargo-fuzz" "$HOME/.cargo/bin/cargo-fuzz"
fi
cargo fuzz --version
