#!/usr/bin/env bash
# Coverage-guided fuzzing of Warden's untrusted inputs (fuzz/, cargo-fuzz + libFuzzer on
# nightly; install once with scripts/setup-fuzz.sh). See fuzz/README.md.
#
#   scripts/fuzz.sh --smoke                 every target for 20 s on the committed seed corpus
#                                           (CI: fails on any crash or broken invariant)
#   scripts/fuzz.sh --time SECONDS [T...]   each target (or the ones named) for SECONDS, new
#                                           inputs kept in fuzz/corpus-local/TARGET (not committed)
#
# Targets: policy validate import api hierarchy plugin_output. The build is cargo-fuzz's
# default (release with debug assertions, AddressSanitizer); plugin_output links the plugin
# host without its `runtime` feature, so no wasmtime. A panic (a
# broken invariant), an abort, a timeout or running out of memory fails the run.
# A crash leaves its input in fuzz/artifacts/TARGET/ and prints how to replay it.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS=(policy validate import api hierarchy plugin_output)
SECS=20
SMOKE=0
case "${1:-}" in
    --smoke) SMOKE=1; shift ;;
    --time) SECS=${2:?--time needs a number of seconds}; shift 2 ;;
    *) echo "usage: scripts/fuzz.sh --smoke | --time SECONDS [TARGET...]" >&2; exit 2 ;;
esac
if [ "$#" -gt 0 ]; then TARGETS=("$@"); fi

export CARGO_TARGET_DIR="${WARDEN_FUZZ_TARGET_DIR:-$PWD/fuzz/target}"
NICE=${WARDEN_FUZZ_NICE:-0}
start=$(date +%s)
(cd fuzz && cargo +nightly fuzz build -O)
built=$(date +%s)
BIN="$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release"

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
