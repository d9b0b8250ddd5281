#!/usr/bin/env bash
# Peak memory of each adversarial-size test (core/tests/adversarial_sizes.rs), one test per
# process so that each figure is that test's own: /usr/bin/time's maximum resident set size
# (VmHWM). Prints a Markdown table for fuzz/README.md. Pass --release to measure an
# optimised build (the default is the debug build `cargo test` uses).
set -euo pipefail
cd "$(dirname "$0")/.."
profile=()
[ "${1:-}" = "--release" ] && profile=(--release)
bin=$(cargo test "${profile[@]}" -p warden-core --test adversarial_sizes --no-run --message-format=json 2>/dev/null \
    | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n1)
[ -x "$bin" ] || { echo "could not build the adversarial_sizes test" >&2; exit 1; }
echo "| test | peak RSS | wall time |"
echo "|---|---:|---:|"
for name in $("$bin" --list 2>/dev/null | sed -n 's/: test$//p'); do
    stats=$(mktemp)
    if ! /usr/bin/time -v -o "$stats" "$bin" --exact "$name" --test-threads=1 >/dev/null 2>&1; then
        echo "| \`$name\` | FAILED | |"; rm -f "$stats"; continue
    fi
    out=$(cat "$stats"); rm -f "$stats"
    rss=$(printf '%s\n' "$out" | sed -n 's/.*Maximum resident set size (kbytes): //p')
    wall=$(printf '%s\n' "$out" | sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p')
    echo "| \`$name\` | $((rss / 1024)) MiB | $wall |"
done
