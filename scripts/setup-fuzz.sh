#!/usr/bin/env bash
# What `scripts/fuzz.sh --asan` needs on a fresh machine, skipped when already there: the
# nightly toolchain (AddressSanitizer is nightly-only) and cargo-fuzz, installed once into
# ~/.cache/warden/cargo-fuzz and put on PATH through ~/.cargo/bin. The default build
# (no sanitizer, CI's smoke) needs neither: the stable toolchain and a C++ compiler.
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
