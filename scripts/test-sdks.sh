#!/usr/bin/env bash
# Builds the portable core module and runs the SDK suites: Python (ruff, pytest on
# wasmtime), Go (gofmt, go vet, go test on wazero) and Java (spotless/google-java-format,
# javac -Xlint -Werror, JUnit on Chicory). Each suite runs every conformance vector of
# tests/vectors through the module.
#
# Usage: scripts/test-sdks.sh [--install-only] [python] [go] [java]   (default: all three)
#
# Installs what the suites need, idempotently: a venv with pinned packages under
# $WARDEN_CACHE (default ~/.cache/warden), Go modules (module cache), Maven artifacts
# (~/.m2). Build outputs stay in gitignored places (target/, sdk/java/target/).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

CACHE=${WARDEN_CACHE:-$HOME/.cache/warden}
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
INSTALL_ONLY=0
if [ "${1:-}" = "--install-only" ]; then
    INSTALL_ONLY=1
    shift
fi
SUITES=("$@")
[ ${#SUITES[@]} -eq 0 ] && SUITES=(python go java)

step() { printf '\n==> %s\n' "$*"; }
t0=$(date +%s)

step "portable core module (scripts/build-module.sh)"
scripts/build-module.sh
if [ "$INSTALL_ONLY" = 1 ] && [[ " ${SUITES[*]} " != *" python "* ]]; then
    exit 0
fi

python_suite() {
    local venv="$CACHE/sdk-python-venv"
    # The pins: wasmtime-py's API moves with each monthly major.
    local reqs=("wasmtime>=50,<51" "pytest==9.2.0" "ruff==0.17.6" "setuptools==84.2.1" "django==5.2.19")
    local stamp="$venv/.warden-reqs"
    if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "${reqs[*]}" ]; then
        step "python: venv $venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q --disable-pip-version-check "${reqs[@]}"
        echo "${reqs[*]}" > "$stamp"
    fi
    step "python: install sdk/python, ruff, pytest"
    # Installed as a user would (the module is package data), not from the source tree.
    "$venv/bin/pip" install -q --disable-pip-version-check --no-deps --no-build-isolation \
        --force-reinstall "$ROOT/sdk/python"
    rm -rf "$ROOT/sdk/python/build"
    [ "$INSTALL_ONLY" = 1 ] && return 0
    (cd sdk/python && "$venv/bin/ruff" format --check . && "$venv/bin/ruff" check . \
        && "$venv/bin/python" -m pytest -q -p no:cacheprovider tests)
}

go_suite() {
    step "go: gofmt, go vet, go test"
    (
        cd sdk/go
        unformatted=$("${GO%/go}/gofmt" -l . 2>/dev/null || gofmt -l .)
        if [ -n "$unformatted" ]; then
            echo "gofmt: not formatted: $unformatted" >&2
            exit 1
        fi
        "$GO" vet ./...
        WARDEN_WAZERO_CACHE="$CACHE/wazero" "$GO" test -count=1 ./...
    )
}

java_suite() {
    step "java: spotless (google-java-format), javac -Xlint:all -Werror, JUnit"
    (cd sdk/java && mvn -q -B spotless:check test)
}

for s in "${SUITES[@]}"; do
    ts=$(date +%s)
    case "$s" in
        python) python_suite ;;
        go) go_suite ;;
        java) java_suite ;;
        *) echo "unknown suite $s (python, go, java)" >&2; exit 2 ;;
    esac
    echo "--- $s: $(( $(date +%s) - ts )) s"
done
echo "--- SDK suites passed in $(( $(date +%s) - t0 )) s"
