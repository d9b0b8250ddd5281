#!/usr/bin/env bash
# Differential testing across targets (issue 16, host/tests/differential.rs): generated
# requests decided by the native core, the core component, the portable core module and the
# Node package must give identical outcomes; a difference fails with the minimal case.
#
#   scripts/differential.sh            the targets already built (scripts/test.sh builds them:
#                                      call this after its SDK step)
#   scripts/differential.sh --build    build the component, the module and the Node package first
#
# WARDEN_DIFF_CASES sets the number of generated cases (default 2,000).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--build" ]; then
    scripts/build-components.sh
    scripts/build-module.sh
    scripts/build-wasm.sh
fi
start=$(date +%s)
# --workspace: the features the workspace build already has (`cargo test --workspace` in
# scripts/test.sh), so only warden-host and this test compile here, not the dependencies
# whose features a -p warden-host build would resolve differently (minutes on a fresh CI).
cargo test --workspace --features warden-host/differential --test differential -- --nocapture
echo "differential: $(($(date +%s) - start)) s"
