#!/usr/bin/env bash
# Decision servers side by side (issue 19; a benchmark, not a test: CI does not run it):
# Warden's server against OPA (Rego, data API and compile API) and OpenFGA (Check,
# ListObjects, StreamedListObjects), same machine, same run, same generated directory.
#
# Per size (BENCH_SIZES, default "1000 100000"; WARDEN_BENCH_FULL=1 adds 1000000):
#   1. a fresh PostgreSQL database bench_ds_N for Warden (and the `opa_users` table OPA's
#      SQL filters run against) and bench_fga_N for OpenFGA's datastore;
#   2. warden-server (`serve --demo`: its hr-platform tenant, and an admin key made with
#      `warden-server key create`), `opa run --server` (bench/decision-servers/*.rego) and
#      `openfga run` (PostgreSQL datastore, bench/decision-servers/model.fga) on 127.0.0.1;
#   3. bench/decision-servers/run.py: generates the directory, replaces the tenant's policy
#      (API) and loads the users into Warden (COPY + closure table), OPA and OpenFGA (all
#      timed), asserts equal verdicts on a sample (fails and prints the cases otherwise),
#      wrk rounds on decisions, lists for three actors, resident memory and database sizes;
#   4. every server stopped by pid, the databases dropped.
# Then bench/decision-servers/report.py writes bench/decision-servers.md and splices it into
# BENCHMARKS.md as section 9 (bench/report.mjs includes it when bench-all.sh regenerates).
#
# Tools: OPA and OpenFGA at pinned versions, `go install`ed into target/bench-tools/bin
# (skipped when the right version is there; ~4 min the first time on 2 cores), plus
# fga-transform (OpenFGA's DSL-to-JSON transformer, bench/decision-servers/fga-transform).
# Needs Go, wrk, psql and the PostgreSQL on 127.0.0.1:5432 (role warden/warden, CREATEDB).
#
# Env: BENCH_SIZES, WARDEN_BENCH_FULL=1, BENCH_SECONDS (wrk round, default 10),
# BENCH_CONNECTIONS (default 16), BENCH_THREADS (default 2), BENCH_SAMPLE (requests per
# scenario, default 200), BENCH_SKIP_BUILD=1 (use the binaries already built),
# CARGO_TARGET_DIR (default target).
set -euo pipefail
cd "$(dirname "$0")/.."

OPA_VERSION=v1.22.4
OPENFGA_VERSION=v1.22.1
SIZES="${BENCH_SIZES:-1000 100000}"
if [ "${WARDEN_BENCH_FULL:-0}" = 1 ] && [ -z "${BENCH_SIZES:-}" ]; then
  SIZES="1000 100000 1000000"
fi
SECONDS_EACH="${BENCH_SECONDS:-10}"
CONNECTIONS="${BENCH_CONNECTIONS:-16}"
THREADS="${BENCH_THREADS:-2}"
SAMPLE="${BENCH_SAMPLE:-200}"
TARGET="${CARGO_TARGET_DIR:-target}"
TOOLS="$PWD/target/bench-tools"
HERE=bench/decision-servers
PGHOST=127.0.0.1
export PGPASSWORD=warden
PSQL=(psql -h "$PGHOST" -U warden -d warden -X -q -v ON_ERROR_STOP=1)
START="$(date +%s)"

for tool in go wrk psql; do
  command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }
done

# ---- tools, pinned
mkdir -p "$TOOLS/bin"
if ! "$TOOLS/bin/opa" version 2>/dev/null | grep -q "^Version: ${OPA_VERSION#v}$"; then
  echo "installing OPA ${OPA_VERSION} (go install)" >&2
  GOBIN="$TOOLS/bin" go install "github.com/open-policy-agent/opa@${OPA_VERSION}"
fi
if [ "$(cat "$TOOLS/openfga.version" 2>/dev/null)" != "$OPENFGA_VERSION" ] || [ ! -x "$TOOLS/bin/openfga" ]; then
  echo "installing OpenFGA ${OPENFGA_VERSION} (go install)" >&2
  GOBIN="$TOOLS/bin" go install "github.com/openfga/openfga/cmd/openfga@${OPENFGA_VERSION}"
  echo "$OPENFGA_VERSION" >"$TOOLS/openfga.version"
fi
if [ ! -x "$TOOLS/bin/fga-transform" ] || [ "$HERE/fga-transform/main.go" -nt "$TOOLS/bin/fga-transform" ]; then
  (cd "$HERE/fga-transform" && go build -o "$TOOLS/bin/fga-transform" .)
fi

# ---- Warden
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  cargo build -q --release -p warden-server --bin warden-server
fi
BIN="${TARGET}/release"

WORK="$(mktemp -d)"
PIDS=()
DBS=()
stop_all() {
  for p in "${PIDS[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  PIDS=()
}
cleanup() {
  stop_all
  for d in "${DBS[@]}"; do
    "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

# free_port, wait_up
source "$(dirname "${BASH_SOURCE[0]}")/bench-net.sh"

"$TOOLS/bin/fga-transform" <"$HERE/model.fga" >"$WORK/model.json"
LOAD_START="$(cut -d' ' -f1 /proc/loadavg)"
for n in $SIZES; do
  db="bench_ds_${n}"
  fdb="bench_fga_${n}"
  for d in "$db" "$fdb"; do
    "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $d WITH (FORCE)"
    "${PSQL[@]}" -c "CREATE DATABASE $d"
    DBS+=("$d")
  done
  url="postgres://warden:warden@${PGHOST}:5432/${db}"
  furl="postgres://warden:warden@${PGHOST}:5432/${fdb}?sslmode=disable"
  echo "== ${n} users" >&2

  WPORT="$(free_port)"
  RUST_LOG=warn "${BIN}/warden-server" serve --database "$url" --demo --listen "127.0.0.1:${WPORT}" \
    >"$WORK/warden.out" 2>"$WORK/warden.err" &
  WPID=$!
  PIDS+=("$WPID")
  OPORT="$(free_port)"
  "$TOOLS/bin/opa" run --server --addr "127.0.0.1:${OPORT}" --skip-version-check --log-level error \
    "$HERE/warden.rego" "$HERE/filters.rego" >"$WORK/opa.out" 2>"$WORK/opa.err" &
  OPID=$!
  PIDS+=("$OPID")
  "$TOOLS/bin/openfga" migrate --datastore-engine postgres --datastore-uri "$furl" >"$WORK/fga-migrate.log" 2>&1
  FPORT="$(free_port)"
  GPORT="$(free_port)"
  "$TOOLS/bin/openfga" run --datastore-engine postgres --datastore-uri "$furl" \
    --http-addr "127.0.0.1:${FPORT}" --grpc-addr "127.0.0.1:${GPORT}" \
    --playground-enabled=false --metrics-enabled=false --log-level error \
    >"$WORK/openfga.out" 2>"$WORK/openfga.err" &
  FPID=$!
  PIDS+=("$FPID")
  wait_up "$WPORT" warden
  wait_up "$OPORT" opa
  wait_up "$FPORT" openfga
  KEY="$("${BIN}/warden-server" key create --database "$url" --tenant hr-platform --role admin --name bench |
    sed -n 's/^key .* for hr-platform: //p')"

  python3 "$HERE/run.py" --users "$n" --key "$KEY" --policy "$HERE/policy.json" \
    --warden-port "$WPORT" --opa-port "$OPORT" --fga-port "$FPORT" --pids "${WPID},${OPID},${FPID}" \
    --db "$db" --fga-db "$fdb" --model "$WORK/model.json" --seconds "$SECONDS_EACH" \
    --connections "$CONNECTIONS" --threads "$THREADS" --sample "$SAMPLE" --out "$WORK/result-${n}.json"
  cp "$WORK/result-${n}.json" "target/bench-tools/decision-servers-${n}.json"
  stop_all
  for d in "$db" "$fdb"; do
    "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $d WITH (FORCE)"
  done
done
LOAD_END="$(cut -d' ' -f1 /proc/loadavg)"

results=()
for n in $SIZES; do results+=("$WORK/result-${n}.json"); done
python3 "$HERE/report.py" --opa "${OPA_VERSION}" --openfga "${OPENFGA_VERSION}" \
  --warden "$(git rev-parse --short HEAD)" --seconds "$SECONDS_EACH" --connections "$CONNECTIONS" \
  --threads "$THREADS" --sample "$SAMPLE" --load "$LOAD_START" --load-after "$LOAD_END" \
  --elapsed "$(($(date +%s) - START))" --sizes "$SIZES" "${results[@]}"
