#!/usr/bin/env bash
# Warden vs Keycloak (issue 20), a benchmark, not a test (not in scripts/test.sh): the same
# work through both servers' admin APIs on this machine in one run, verdicts compared before
# anything is timed. Writes bench/keycloak.md and splices it into BENCHMARKS.md as section 10.
#
#   scripts/bench-keycloak.sh
#
# Fetches the pinned Keycloak distribution once (Maven Central, `mvn dependency:get`) into
# target/bench-tools/keycloak, builds warden-server in release, then runs bench/keycloak/run.mjs
# twice: Keycloak on its embedded H2 (start-dev) vs Warden on SQLite (fidelity, creation,
# start-up, the delegated admin's list at BENCH_KC_USERS and BENCH_KC_USERS_LARGE users, memory),
# then both on the same PostgreSQL (creation), each in a fresh `bench_` database dropped at the
# end. Loopback only; every server is stopped by pid (and killed on exit); Keycloak's data
# folder is deleted at the end.
#
# Knobs: BENCH_KC_USERS (20000), BENCH_KC_USERS_LARGE (100000; 0 skips), BENCH_KC_GROUPS
# (8x24x25 = 5,000 groups in three levels), BENCH_KC_CREATE_SEQ (200), BENCH_KC_CREATE_CONC
# (800), BENCH_KC_SKIP_PG=1, BENCH_KC_PG_RESULTS=FILE (reuse an earlier run's PostgreSQL phase), BENCH_SKIP_BUILD=1, BENCH_KC_NO_WRITE=1 (leave BENCHMARKS.md alone),
# BENCH_KC_LIST_BUDGET (300 s: a Keycloak complete list stops there), BENCH_KC_LOAD_BUDGET (1500 s: a size
# whose extrapolated Keycloak load passes it is skipped). Keycloak's own transaction timeout (300 s) ends
# any single request that runs longer, whatever the budgets.
set -euo pipefail
cd "$(dirname "$0")/.."

KC_VERSION=26.4.7
TOOLS="$PWD/target/bench-tools/keycloak"
KC_HOME="$TOOLS/keycloak-$KC_VERSION"
TARGET="${CARGO_TARGET_DIR:-target}"

if [ ! -x "$KC_HOME/bin/kc.sh" ]; then
  zip="$HOME/.m2/repository/org/keycloak/keycloak-quarkus-dist/$KC_VERSION/keycloak-quarkus-dist-$KC_VERSION.zip"
  if [ ! -s "$zip" ]; then
    mvn -q dependency:get -Dartifact="org.keycloak:keycloak-quarkus-dist:$KC_VERSION:zip" -Dtransitive=false
  fi
  mkdir -p "$TOOLS"
  unzip -q -o "$zip" -d "$TOOLS"
fi
mkdir -p target/bench-tools
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  cargo build -q --release -p warden-server --bin warden-server
  # A copy: another build may share CARGO_TARGET_DIR and replace the binary during the run
  # (BENCH_SKIP_BUILD=1 uses the copy of the last build).
  cp "$TARGET/release/warden-server" "$PWD/target/bench-tools/warden-server"
  git rev-parse --short HEAD >"$PWD/target/bench-tools/warden-server.commit"
fi
WARDEN_BIN="$PWD/target/bench-tools/warden-server"
command -v sqlite3 >/dev/null || apt-get install -y sqlite3 >/dev/null

WORK="$(mktemp -d -t warden-kc.XXXXXX)"
PIDFILE="$WORK/pids"
: >"$PIDFILE"
SUFFIX="$$"
PG_KC="bench_kc_$SUFFIX"
PG_WD="bench_warden_$SUFFIX"
psql_su() { su postgres -c "psql -qtAX -c \"$1\"" >/dev/null; }
cleanup() {
  # Every process the bench started, by pid (the node driver records them as it spawns).
  while read -r p; do
    [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true
  done <"$PIDFILE"
  sleep 2
  while read -r p; do
    [ -n "$p" ] && kill -KILL "$p" 2>/dev/null || true
  done <"$PIDFILE"
  if [ "${BENCH_KC_SKIP_PG:-0}" != 1 ]; then
    psql_su "DROP DATABASE IF EXISTS $PG_KC" || true
    psql_su "DROP DATABASE IF EXISTS $PG_WD" || true
  fi
  rm -rf "$KC_HOME/data"
  rm -rf "$WORK"
}
trap cleanup EXIT

export KC_HOME KC_VERSION WARDEN_BIN BENCH_WORK="$WORK" BENCH_PIDFILE="$PIDFILE"
export JAVA_VERSION="$(java -version 2>&1 | head -1)"
# The commit the benchmarked binary was built from (not HEAD, under BENCH_SKIP_BUILD=1).
export WARDEN_COMMIT="$(cat target/bench-tools/warden-server.commit 2>/dev/null || git rev-parse --short HEAD)"
export RUSTC_VERSION="$(rustc --version)"

# PostgreSQL first (creation only; short), then the embedded databases (everything else).
if [ -n "${BENCH_KC_PG_RESULTS:-}" ]; then
  # The PostgreSQL phase's results of an earlier run (the report says so).
  cp "$BENCH_KC_PG_RESULTS" "$WORK/results-postgres.json"
elif [ "${BENCH_KC_SKIP_PG:-0}" != 1 ]; then
  echo "== Keycloak vs Warden, both on PostgreSQL"
  psql_su "CREATE DATABASE $PG_KC OWNER warden"
  psql_su "CREATE DATABASE $PG_WD OWNER warden"
  BENCH_KC_PG_KC="$PG_KC" BENCH_KC_PG_WARDEN="$PG_WD" node bench/keycloak/run.mjs
fi
rm -rf "$KC_HOME/data"
echo "== Keycloak (H2) vs Warden (SQLite)"
node bench/keycloak/run.mjs
mkdir -p target/bench-tools/keycloak-results
cp "$WORK"/results-*.json target/bench-tools/keycloak-results/
node bench/keycloak/report.mjs "$WORK"
