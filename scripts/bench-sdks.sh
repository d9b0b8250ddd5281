#!/usr/bin/env bash
# Decision latency through the portable core module from each SDK (a benchmark, not a
# test): cold start (compile the module, load a policy), per call for validating one record
# of the BENCHMARKS.md rule set (benches/compare/compare-policy.json, 0% and 50% invalid)
# and for one authorization, against the native Rust core running the module's own adapter
# in the same run, and against the validator each language's users would pick (pydantic,
# go-playground/validator, Hibernate Validator), verdicts asserted equal record by record
# first. Prints a Markdown table and writes it to target/bench-sdks.md.
#
# Usage: scripts/bench-sdks.sh [python] [go] [java]   (WARDEN_BENCH_N records, default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."

N=${WARDEN_BENCH_N:-1000}
CACHE=${WARDEN_CACHE:-$HOME/.cache/warden}
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
SUITES=("$@")
[ ${#SUITES[@]} -eq 0 ] && SUITES=(python go java)
OUT=target/bench-sdks.md

scripts/build-module.sh >/dev/null
# The venv and the SDK install of scripts/test-sdks.sh, plus pydantic for the anchor.
if [[ " ${SUITES[*]} " == *" python "* ]]; then
    scripts/test-sdks.sh --install-only python >/dev/null
    "$CACHE/sdk-python-venv/bin/pip" install -q --disable-pip-version-check "pydantic==2.14.4"
fi

rows=$(mktemp)
{
    echo "| SDK | work | Warden through the module | anchor | anchor / Warden |"
    echo "|---|---|---:|---:|---:|"
    cargo run --release -q -p warden-component --example native_bench "$N"
    for s in "${SUITES[@]}"; do
        case "$s" in
            python) (cd sdk/python && "$CACHE/sdk-python-venv/bin/python" bench/bench.py "$N") ;;
            go) (cd sdk/go/bench && "$GO" run . "$N") ;;
            java)
                (cd sdk/java && mvn -q -B install -DskipTests >/dev/null)
                (cd sdk/java/bench && mvn -q -B -Dstyle.color=never compile exec:java \
                    -Dexec.args="$N" 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' | grep '^|')
                ;;
            *) echo "unknown SDK $s" >&2; exit 2 ;;
        esac
    done
} | tee "$rows"
{
    echo "# SDK benchmarks ($(date -u +%F), $N records, $(nproc) cores)"
    echo
    echo "Per call: median of 7 rounds of the mean over the records. Ratio above 1: Warden is faster."
    echo
    cat "$rows"
} > "$OUT"
rm -f "$rows"
echo "written: $OUT"
