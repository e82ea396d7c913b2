#!/usr/bin/env bash
# tests/run.sh: the whole suite, as `make test` runs it.
#
# Runs tests/deps.sh first (every command the tests, benches and .ci/run
# call comes from `make deps`), then every unit test binary
# (build/tests/test_*) and every integration script (tests/integration/*.sh).  Each prints TAP-style lines, "ok - name"
# or "not ok - name" (and "ok - name # SKIP why" for a skip); this script
# echoes them, counts them and ends with the line "N passed, N failed".
# A test program that crashes or exits non-zero without reporting a failure
# counts as one failure of its own.
set -u
cd "$(dirname "$0")/.."
export PSCAN=${PSCAN:-$PWD/pscan}

passed=0 failed=0 skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_one() {
    local name=$1; shift
    local rc
    echo "# $name"
    timeout 600 "$@" >"$log" 2>&1
    rc=$?
    cat "$log"
    local p f s
    p=$(grep -c '^ok - ' "$log" | tr -d ' ')
    s=$(grep -c '^ok - .*# SKIP' "$log" | tr -d ' ')
    f=$(grep -c '^not ok - ' "$log" | tr -d ' ')
    p=$((p - s))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "not ok - $name exited with status $rc"
        f=1
    fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

run_one "deps: tests/deps.sh" bash tests/deps.sh

for t in "${UNIT_DIR:-build/tests}"/test_*; do
    [ -x "$t" ] || continue
    run_one "unit: $(basename "$t")" "$t"
done

for t in tests/integration/*.sh; do
    [ -f "$t" ] || continue
    run_one "integration: $(basename "$t")" bash "$t"
done

echo
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
