#!/usr/bin/env bash
# Coverage-guided fuzzing of Warden's untrusted inputs (fuzz/, libFuzzer through
# libfuzzer-sys). See fuzz/README.md.
#
#   scripts/fuzz.sh --smoke                 every target for 10 s on the committed seed corpus
#                                           (CI: fails on any crash or broken invariant)
#   scripts/fuzz.sh --build                 only build the targets (scripts/test.sh builds them
#                                           in the background, then runs --smoke)
#   scripts/fuzz.sh --time SECONDS [T...]   each target (or the ones named) for SECONDS, new
#                                           inputs kept in fuzz/corpus-local/TARGET (not committed)
#   --asan (before --smoke/--time)          build with AddressSanitizer instead
#
# Targets: policy validate import api hierarchy plugin_output. A panic (a broken invariant),
# an abort, a timeout or running out of memory fails the run. A crash leaves its input in
# fuzz/artifacts/TARGET/ and prints how to replay it.
#
# The default build has libFuzzer's coverage instrumentation and no sanitizer: it needs only
# the stable toolchain and a C++ compiler (libfuzzer-sys builds libFuzzer), no cargo-fuzz,
# and builds in a fraction of the sanitizer build's time (fuzz/README.md, "CI cost"). The
# flags are the ones cargo-fuzz 0.13.2 passes for `cargo fuzz build -O -s none`. The code
# fuzzed is safe Rust (`unsafe_code = "forbid"`), so what AddressSanitizer adds is a check
# of the dependencies' unsafe code: `--asan` builds that way (`cargo +nightly fuzz build -O`,
# nightly and cargo-fuzz from scripts/setup-fuzz.sh), into fuzz/target.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS=(policy validate import api hierarchy plugin_output)
SECS=10
SMOKE=0
ASAN=0
BUILD_ONLY=0
if [ "${1:-}" = --asan ]; then ASAN=1; shift; fi
case "${1:-}" in
    --smoke) SMOKE=1; shift ;;
    --time) SECS=${2:?--time needs a number of seconds}; shift 2 ;;
    --build) BUILD_ONLY=1; shift ;;
    *) echo "usage: scripts/fuzz.sh [--asan] --smoke | --time SECONDS [TARGET...] | --build" >&2; exit 2 ;;
esac
if [ "$#" -gt 0 ]; then TARGETS=("$@"); fi

TRIPLE=x86_64-unknown-linux-gnu
NICE=${WARDEN_FUZZ_NICE:-0}
start=$(date +%s)
if [ "$ASAN" = 1 ]; then
    export CARGO_TARGET_DIR="${WARDEN_FUZZ_TARGET_DIR:-$PWD/fuzz/target}"
    (cd fuzz && cargo +nightly fuzz build -O)
else
    export CARGO_TARGET_DIR="${WARDEN_FUZZ_TARGET_DIR:-$PWD/fuzz/target-none}"
    sancov="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4"
    sancov+=" -Cllvm-args=-sanitizer-coverage-inline-8bit-counters"
    sancov+=" -Cllvm-args=-sanitizer-coverage-pc-table"
    sancov+=" -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing"
    sancov+=" -Cllvm-args=-simplifycfg-branch-fold-threshold=0"
    sancov+=" -Cllvm-args=-sanitizer-coverage-stack-depth -Ccodegen-units=1"
    # --target keeps the flags off build scripts and proc macros, as cargo-fuzz does.
    RUSTFLAGS="$sancov ${RUSTFLAGS:-}" cargo build --manifest-path fuzz/Cargo.toml --locked \
        --release --config 'profile.release.debug="line-tables-only"' --target "$TRIPLE" --bins
fi
built=$(date +%s)
if [ "$BUILD_ONLY" = 1 ]; then echo "build $((built - start)) s"; exit 0; fi
BIN="$CARGO_TARGET_DIR/$TRIPLE/release"

failed=()
for t in "${TARGETS[@]}"; do
    [ -d "fuzz/corpus/$t" ] || { echo "unknown target $t" >&2; exit 2; }
    if [ "$SMOKE" = 1 ]; then
        work=$(mktemp -d -t "warden-fuzz-$t.XXXXXX")   # new inputs are thrown away
    else
        work="fuzz/corpus-local/$t"
        mkdir -p "$work"
    fi
    mkdir -p "fuzz/artifacts/$t"
    log="fuzz/artifacts/$t.log"
    echo "== $t ($SECS s)"
    if nice -n "$NICE" "$BIN/$t" "$work" "fuzz/corpus/$t" -max_total_time="$SECS" -timeout="${WARDEN_FUZZ_TIMEOUT:-10}" \
        -rss_limit_mb=2048 -artifact_prefix="fuzz/artifacts/$t/" -print_final_stats=1 \
        >"$log" 2>&1; then
        grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" \
            | sed 's/^stat::/   /'
    else
        failed+=("$t")
        grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -20 || true
        echo "   replay: $BIN/$t fuzz/artifacts/$t/<crash-file>   (full log: $log)"
    fi
    if [ "$SMOKE" = 1 ]; then rm -rf "$work"; fi
done
echo "build $((built - start)) s, runs $(($(date +%s) - built)) s"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "FAILED: ${failed[*]}" >&2
    exit 1
fi
