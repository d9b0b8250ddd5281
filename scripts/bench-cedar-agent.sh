#!/usr/bin/env bash
# Warden side by side with cedar-agent (issue 12; a benchmark, not a test: CI does not run
# it): AuthZEN evaluation throughput and latency of warden-server against cedar-agent
# (crates.io, Permit.io's HTTP server around cedar-policy), same machine, same run, same
# generated directory, same scenario, verdicts asserted equal first.
#
# Per size (BENCH_SIZES, default "1000 10000"; 100,000 loads, but cedar-agent then spends about
# a second of CPU per decision on these machines, so a 10 s wrk round completes a handful of
# requests: see BENCHMARKS.md §11):
#   1. a fresh SQLite data folder for Warden (`serve --demo` once: its hr-platform tenant;
#      an admin and a service key made with `warden-server key create`), the generated
#      directory written into it while the server is stopped (bench/cedar-agent/run.py
#      load-warden: users and closure table);
#   2. warden-server on that folder and cedar-agent (empty, `--authentication`: a static
#      bearer key) on 127.0.0.1;
#   3. bench/cedar-agent/run.py bench: Warden's policy (bench/decision-servers/policy.json,
#      the scenario of §4 and §9) through `PUT /api/v1/policy`; cedar-agent's policies
#      (bench/cedar-agent/policies.cedar) and the same directory as Cedar entities through
#      its API; equal verdicts asserted on a sample (fails and prints the cases otherwise);
#      wrk rounds on both; resident memory;
#   4. both servers stopped by pid.
# Then bench/cedar-agent/report.py writes bench/cedar-agent.md and splices it into
# BENCHMARKS.md as section 11 (bench/report.mjs includes it when bench-all.sh regenerates).
#
# cedar-agent is `cargo install`ed once at a pinned version into a cache
# ($WARDEN_CACHE, default ~/.cache/warden, then cedar-agent/; its build in
# target/cedar-agent-build; ~5 min on 2 cores), skipped when that version is there.
# Needs wrk (Debian's package; installed with apt-get when missing) and python3.
#
# Env: BENCH_SIZES, BENCH_SECONDS (wrk round, default 10), BENCH_CONNECTIONS (default 16),
# BENCH_THREADS (default 2), BENCH_SAMPLE (requests per scenario, default 200 up to 1,000
# users, 25 above: each cedar-agent decision costs more with the directory),
# BENCH_SKIP_BUILD=1 (use the warden-server already built), CARGO_TARGET_DIR (default target),
# BENCH_NO_WRITE=1 (print the section, leave BENCHMARKS.md and bench/cedar-agent.md alone).
set -euo pipefail
cd "$(dirname "$0")/.."

# The newest cedar-agent on crates.io. Its releases since 0.2.1 carry the target in the
# version's pre-release part (`0.2.2-x86.64-unknown-linux-gnu`; the last plain one is 0.2.0);
# they are source crates all the same, built here with their own Cargo.lock (--locked).
AGENT_VERSION=0.2.2-x86.64-unknown-linux-gnu
SIZES="${BENCH_SIZES:-1000 10000}"
SECONDS_EACH="${BENCH_SECONDS:-10}"
CONNECTIONS="${BENCH_CONNECTIONS:-16}"
THREADS="${BENCH_THREADS:-2}"
SAMPLE="${BENCH_SAMPLE:-}"
TARGET="${CARGO_TARGET_DIR:-target}"
PROFILE=bench-host
CACHE="${WARDEN_CACHE:-$HOME/.cache/warden}/cedar-agent"
AGENT="$CACHE/bin/cedar-agent"
HERE=bench/cedar-agent
START="$(date +%s)"

command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
command -v python3 >/dev/null || { echo "needs python3" >&2; exit 1; }

# ---- cedar-agent, pinned, built once
if [ "$(cat "$CACHE/version" 2>/dev/null)" != "$AGENT_VERSION" ] || [ ! -x "$AGENT" ]; then
  echo "installing cedar-agent ${AGENT_VERSION} (cargo install --locked; minutes)" >&2
  CARGO_TARGET_DIR="$PWD/target/cedar-agent-build" nice -n 10 \
    cargo install cedar-agent --version "$AGENT_VERSION" --locked --root "$CACHE"
  echo "$AGENT_VERSION" >"$CACHE/version"
fi
# The versions it was built with: its packaged Cargo.lock.
AGENT_LOCK="$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"cedar-agent-${AGENT_VERSION}/Cargo.lock" 2>/dev/null | head -1 || true)"
lock_version() { # FILE CRATE: the first version of CRATE in a Cargo.lock
  awk -v n="$2" '$1 == "name" && $3 == "\"" n "\"" { getline; gsub(/"/, "", $3); print $3; exit }' "$1" 2>/dev/null || true
}

# ---- Warden
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  cargo build -q --profile "$PROFILE" -p warden-server --bin warden-server
fi
BIN="${TARGET}/${PROFILE}"

WORK="$(mktemp -d)"
PIDS=()
stop_pid() {
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
stop_all() {
  for p in "${PIDS[@]}"; do stop_pid "$p"; done
  PIDS=()
}
cleanup() {
  stop_all
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

# free_port, wait_up
source "$(dirname "${BASH_SOURCE[0]}")/bench-net.sh"
key() { # DATA ROLE NAME: a new key of the hr-platform tenant
  "${BIN}/warden-server" key create --data "$1" --tenant hr-platform --role "$2" --name "$3" |
    sed -n 's/^key .* for hr-platform: //p'
}

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
for n in $SIZES; do
  echo "== ${n} users" >&2
  s="$SAMPLE"
  [ -n "$s" ] || { if [ "$n" -le 1000 ]; then s=200; else s=25; fi; }
  DATA="$WORK/warden-${n}"
  WPORT="$(free_port)"
  # Once with --demo: the database and its hr-platform tenant; then the directory goes in
  # with the server stopped.
  RUST_LOG=warn "${BIN}/warden-server" serve --data "$DATA" --demo --listen "127.0.0.1:${WPORT}" \
    >"$WORK/warden-setup.out" 2>"$WORK/warden-setup.err" &
  WPID=$!
  PIDS=("$WPID")
  wait_up "$WPORT" "warden (setup)"
  stop_all
  ADMIN_KEY="$(key "$DATA" admin bench-admin)"
  KEY="$(key "$DATA" service bench)"
  [ -n "$ADMIN_KEY" ] && [ -n "$KEY" ] || { echo "no key from warden-server key create" >&2; exit 1; }
  python3 "$HERE/run.py" load-warden --users "$n" --data "$DATA" >"$WORK/load-${n}.json"

  RUST_LOG=warn "${BIN}/warden-server" serve --data "$DATA" --listen "127.0.0.1:${WPORT}" \
    >"$WORK/warden.out" 2>"$WORK/warden.err" &
  WPID=$!
  PIDS+=("$WPID")
  APORT="$(free_port)"
  AGENT_KEY="Bearer cedar-agent-bench-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  # A clean environment: cedar-agent also reads unprefixed variables (PORT, DATA, ...) and
  # lets them override its flags. Rocket's default JSON limit (1 MiB) would refuse the data.
  env -i PATH="$PATH" HOME="$HOME" ROCKET_LIMITS='{json="1GiB"}' ROCKET_LOG_LEVEL=critical \
    ROCKET_CLI_COLORS=false "$AGENT" --addr 127.0.0.1 --port "$APORT" --log-level error \
    --authentication "$AGENT_KEY" >"$WORK/cedar-agent.out" 2>"$WORK/cedar-agent.err" &
  APID=$!
  PIDS+=("$APID")
  wait_up "$WPORT" warden
  wait_up "$APORT" cedar-agent

  python3 "$HERE/run.py" bench --users "$n" --key "$KEY" --admin-key "$ADMIN_KEY" --agent-key "$AGENT_KEY" \
    --policy bench/decision-servers/policy.json --cedar "$HERE/policies.cedar" \
    --warden-port "$WPORT" --agent-port "$APORT" --pids "${WPID},${APID}" \
    --seconds "$SECONDS_EACH" --connections "$CONNECTIONS" --threads "$THREADS" --sample "$s" \
    --out "$WORK/result-${n}.json"
  python3 - "$WORK/result-${n}.json" "$WORK/load-${n}.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); r.update(json.load(open(sys.argv[2])))
json.dump(r, open(sys.argv[1], "w"), indent=1)
PY
  mkdir -p target/bench-tools
  cp "$WORK/result-${n}.json" "target/bench-tools/cedar-agent-${n}.json"
  stop_all
  rm -rf "$DATA"
done
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"

results=()
for n in $SIZES; do results+=("$WORK/result-${n}.json"); done
python3 "$HERE/report.py" --agent "$AGENT_VERSION" \
  --agent-cedar "$( [ -n "$AGENT_LOCK" ] && lock_version "$AGENT_LOCK" cedar-policy || echo '?')" \
  --agent-rocket "$( [ -n "$AGENT_LOCK" ] && lock_version "$AGENT_LOCK" rocket || echo '?')" \
  --axum "$(lock_version Cargo.lock axum)" --sqlx "$(lock_version Cargo.lock sqlx)" \
  --warden "$(git rev-parse --short HEAD)" --seconds "$SECONDS_EACH" --connections "$CONNECTIONS" \
  --threads "$THREADS" --load "$LOAD_START" --load-after "$LOAD_END" \
  --elapsed "$(($(date +%s) - START))" --sizes "$SIZES" --no-write "${BENCH_NO_WRITE:-0}" "${results[@]}"
