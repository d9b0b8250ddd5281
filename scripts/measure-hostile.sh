#!/usr/bin/env bash
# Measures the bound the plugin host enforces for each class of hostile tenant (issue 15):
# wall time, peak resident memory of the process and bytes produced, one scenario per
# process (host/benches/hostile.rs). Needs scripts/build-components.sh first. The CPU
# scenarios (cpu-alone, cpu-attacked, cpu-attacked-no-admission) give a victim tenant's
# latency (p50, p99, max) and faults with and without an attacker saturating the CPU.
# The figures and what they say: host/README.md.
#
#   scripts/measure-hostile.sh [PROFILE]     # PROFILE: dev (default) or bench-host
#
# The dev profile builds in seconds once the tests are built and compiles Cranelift at
# opt-level 2 (workspace profile), so compile times are close to a release build's; the
# host's own code is unoptimised, so its wall times are upper bounds.
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${1:-dev}
cargo bench -q -p warden-host --profile "$PROFILE" --bench hostile -- list >/dev/null
for s in $(cargo bench -q -p warden-host --profile "$PROFILE" --bench hostile -- list); do
    cargo bench -q -p warden-host --profile "$PROFILE" --bench hostile -- "$s" 2>&1 | grep -v '^$' || true
done
