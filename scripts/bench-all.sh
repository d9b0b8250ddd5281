#!/usr/bin/env bash
# Runs every comparison of BENCHMARKS.md — Warden side by side with garde, validator,
# cedar-policy, casbin (Rust, benches/compare), Zod 4, ajv, papaparse, cedar-wasm (Node,
# bench/js), and the plugin host with one plugin vs none vs the same rule natively
# (host/benches/compare_plugins.rs) — on the same work in the same run, and writes the report.
#
#   scripts/bench-all.sh                     default sizes, writes BENCHMARKS.md
#   WARDEN_BENCH_FULL=1 scripts/bench-all.sh adds 1,000,000 users and the 100,000-row import
#   scripts/bench-all.sh --smoke [--out F]   CI smoke sizes; writes F (default: a temp file),
#                                            never BENCHMARKS.md unless asked
#
# Needs the wasm package (scripts/build-wasm.sh) and the plugin components
# (scripts/build-components.sh), both built here when missing, and `npm ci`.
#
# The plugin bench is part of the product workspace (warden-host, wasmtime). At default and
# full sizes it is built in the `bench-host` profile (optimised, no LTO: wasmtime still takes
# minutes to compile on 2 cores the first time); in the smoke run it is built in the `dev`
# profile, which reuses what `cargo test --workspace` already built (scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

smoke=0
out=
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --out) out=$2; shift ;;
    *) echo "usage: $0 [--smoke] [--out FILE]" >&2; exit 2 ;;
  esac
  shift
done
if [ "$smoke" = 1 ]; then
  export WARDEN_BENCH_SMOKE=1
  unset WARDEN_BENCH_FULL
  out=${out:-$(mktemp -t warden-bench-smoke.XXXXXX.md)}
else
  out=${out:-BENCHMARKS.md}
fi
frag=$(mktemp -d -t warden-bench.XXXXXX)
trap 'rm -rf "$frag"' EXIT
export WARDEN_COMPARE_OUT=$frag
start=$(date +%s)

step() { printf '\n== %s\n' "$*"; }

if [ ! -f wasm/pkg/node/warden_wasm.js ] || [ ! -f wasm/pkg/web/warden_wasm_bg.wasm ]; then
  step "wasm package (scripts/build-wasm.sh)"
  scripts/build-wasm.sh
fi

if [ ! -f target/components/email_domain.wasm ] || [ ! -f target/components/four_eyes.wasm ]; then
  step "plugin components (scripts/build-components.sh)"
  scripts/build-components.sh
fi

# The smoke run keeps the comparisons compiling and their same-verdict assertions passing;
# it builds them unoptimised (minutes less in CI), so its timings mean nothing.
compare_profile=()
if [ "$smoke" = 1 ]; then compare_profile=(--profile dev); fi
step "compile the comparison benches (warden-compare: garde, validator, cedar-policy, casbin)"
t=$(date +%s)
cargo bench --manifest-path benches/compare/Cargo.toml "${compare_profile[@]}" --no-run
echo "$(( $(date +%s) - t ))" > "$frag/compile-seconds"

step "record validation, Rust (garde, validator)"
cargo bench -q --manifest-path benches/compare/Cargo.toml "${compare_profile[@]}" --bench validate
step "authorization, Rust (cedar-policy, casbin)"
cargo bench -q --manifest-path benches/compare/Cargo.toml "${compare_profile[@]}" --bench authorize

host_profile=(-p warden-host --profile bench-host)
host_label="bench-host profile"
# The smoke build takes the workspace's features (--workspace), as `cargo test --workspace`
# did: with `-p warden-host` alone cargo resolves some dependencies' features differently
# and rebuilt them (4 min 55 s in a fresh CI run); this way only the bench compiles.
if [ "$smoke" = 1 ]; then host_profile=(--workspace --profile dev); host_label="smoke: dev profile"; fi
step "compile the plugin host bench (warden-host compare_plugins, $host_label)"
t=$(date +%s)
cargo bench --bench compare_plugins "${host_profile[@]}" --no-run
echo "$(( $(date +%s) - t ))" > "$frag/host-compile-seconds"
step "plugins: one plugin vs none vs the same logic natively (wasmtime)"
cargo bench -q --bench compare_plugins "${host_profile[@]}"
step "record validation, Node (Zod 4, ajv)"
node bench/js/validate.mjs
step "bulk import, Node (papaparse + Zod 4)"
node bench/js/import.mjs
step "browser bundle sizes (cedar-wasm, Zod, ajv)"
node bench/js/sizes.mjs

echo "$(( $(date +%s) - start ))" > "$frag/total-seconds"
node bench/report.mjs "$frag" "$out"
echo "== report written to $out ($(( $(date +%s) - start )) s)"
