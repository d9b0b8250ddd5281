#!/usr/bin/env bash
# Runs every test of the project: formatting, lints, the Rust test suites (unit, rule,
# property, conformance vectors, CLI), and — as their issues land — the wasm package's Node
# conformance run, the browser end-to-end tests and the plugin host suites.
#
# Assumes the tools .ci/run installs (see there); on a developer machine run .ci/run once.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step prints the time the previous one took and the running total, so a slow CI run
# says where its minutes went.
last=$SECONDS
step() {
  printf '\n== %s   (previous step %ss; %d min so far)\n' "$*" "$((SECONDS - last))" "$((SECONDS / 60))"
  last=$SECONDS
}

# Background builds. The fuzz targets and the comparison benches build in target folders of
# their own (fuzz/target-none, benches/compare/target), so they need no lock the steps below
# hold: they run from the start at the lowest priority (nice 19), mostly on the cycles the
# foreground leaves idle (a link, a one-unit LTO), and the steps that use them, at the end,
# wait for them. Not free on 2 vCPUs: what runs beside them slows (the server suite took
# 364-409 s beside the job in fresh runs, 236-255 s alone). A failed background build fails
# the run at that step, with its log.
bg_dir=$(mktemp -d -t warden-test-bg.XXXXXX)
declare -A bg_pids=()
bg_start() { # NAME SHELL-COMMAND
  # setsid: a process group of its own, so that an early exit stops the whole job (finish
  # below). A new session is also a scheduling group of its own where the kernel groups
  # by session (autogroup, on by default here), and a nice value then counts only within
  # the group: the group's own nice is raised too, else the job takes half the CPU.
  setsid nice -n 19 bash -c "{ echo 19 > /proc/self/autogroup; } 2>/dev/null || true; $2" \
    >"$bg_dir/$1.log" 2>&1 &
  bg_pids[$1]=$!
}
bg_wait() { # NAME
  local rc=0
  wait "${bg_pids[$1]}" || rc=$?
  unset "bg_pids[$1]"
  printf -- '-- background job %s (exit %s):\n' "$1" "$rc"
  tail -n 40 "$bg_dir/$1.log"
  [ "$rc" = 0 ] || { echo "background job $1 failed: full log in $bg_dir/$1.log" >&2; return 1; }
}
finish() {
  local rc=$? pid
  for pid in "${bg_pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  if [ "$rc" = 0 ]; then rm -rf "$bg_dir"; fi
  printf "\n== end   (last step %ss; %d min %d s in all)\n" "$((SECONDS - last))" "$((SECONDS / 60))" "$((SECONDS % 60))"
}
trap finish EXIT

# The server's API suite runs on SQLite and on the PostgreSQL that scripts/setup.sh starts.
export WARDEN_TEST_POSTGRES=${WARDEN_TEST_POSTGRES:-postgres://warden:warden@127.0.0.1:5432/warden}

step "cargo fmt --check"
cargo fmt --all -- --check

step "background: the fuzz targets (scripts/fuzz.sh --build), then the comparison benches (warden-compare, dev profile)"
bg_start prebuild 'scripts/fuzz.sh --build &&
  cargo bench --manifest-path benches/compare/Cargo.toml --profile dev --no-run'

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo doc (the workspace's own crates; broken or private links are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc -q --workspace --no-deps

step "plugin components (core component, example and hostile plugins -> target/components/)"
scripts/build-components.sh

step "warden-server builds with each database backend alone"
cargo check -q -p warden-server --no-default-features --features sqlite --lib --bins
cargo check -q -p warden-server --no-default-features --features postgres --lib --bins

step "cargo test (workspace)"
cargo test --workspace

step "schemathesis against the served OpenAPI document (a real server on SQLite; no 5xx, no response off the schema)"
WARDEN_SERVER_BIN="${CARGO_TARGET_DIR:-target}/debug/warden-server" scripts/schemathesis.sh

step "the contract: JSON Schema drift (contract/schema.json) and generated TypeScript (wasm/src/contract.d.ts)"
# The workspace's features already include warden-core's `schema` (the server's), so this
# reuses the `cargo test --workspace` build; named, the target fails loudly should that
# feature ever drop out, where the workspace run would skip it.
cargo test --workspace --test contract_schema
node scripts/gen-types.mjs --check

step "cargo test (warden-core without password hashing)"
cargo test -p warden-core --no-default-features --features builtin-blocklist,builtin-presets,builtin-unicode --lib

step "warden-core builds with neither hashing nor the built-in blocklist (browser build)"
cargo build -p warden-core --no-default-features

# The benches compile in the clippy step (`--all-targets`); the comparison benches run at
# smoke size at the end.

# ---- the wasm package, its Node conformance run and the browser console (see wasm/README.md)
step "wasm package (browser + Node builds, sizes)"
scripts/build-wasm.sh

step "TypeScript declarations (tsc --noEmit on a typed example)"
npx --no-install tsc --noEmit -p tests/node/tsconfig.json

step "Node: conformance vectors and package tests through the wasm package"
node --test tests/node/

step "browser end-to-end tests (Chromium, playwright-core)"
node --test --test-concurrency=1 tests/e2e/

step "SDKs: the portable core module, Python, Go and Java suites (every conformance vector)"
scripts/test-sdks.sh

step "differential: native core, core component, portable module and Node package decide alike (generated requests)"
WARDEN_DIFF_CASES=${WARDEN_DIFF_CASES:-500} scripts/differential.sh

# Stable toolchain, no sanitizer, no cargo-fuzz (scripts/fuzz.sh explains why); the build is
# outside the workspace (fuzz/target-none), done by the background job. A crash fails the
# step with its input in fuzz/artifacts/TARGET/.
step "fuzz smoke: every fuzz target 10 s on the committed corpus (scripts/fuzz.sh --smoke)"
bg_wait prebuild
scripts/fuzz.sh --smoke

# Comparison benchmarks (BENCHMARKS.md) at smoke size: keeps them compiling and their
# same-verdict assertions passing; writes to a temp file, never to BENCHMARKS.md.
step "comparison benchmarks, smoke size (scripts/bench-all.sh --smoke)"
scripts/bench-all.sh --smoke --out "$(mktemp -t warden-bench-smoke.XXXXXX.md)"
