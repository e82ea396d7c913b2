#!/usr/bin/env bash
# tests/run.sh: the whole suite, as `make test` runs it.
#
# Runs, in this order: tests/deps.sh (every command the tests, benches and
# .ci/run call comes from `make deps`), every unit test binary
# (build/tests/test_*), every integration script (tests/integration/*.sh),
# and a last check that the suite left nothing new in the git work tree.
# Each prints TAP-style lines, "ok - name" or "not ok - name" (and "ok - name
# # SKIP why" for a skip); this script echoes them, counts them and ends with
# the line "N passed, N failed".  A test program that crashes or exits
# non-zero without reporting a failure counts as one failure of its own.
#
# As root, each integration script runs in a network namespace of its own
# (tests/lib/isolate.sh): only lo, no route out at all, nothing of the host's
# links, routes or loopback listeners.  The test hosts it builds live inside.
# The first line after the unit tests checks that such a namespace really has
# no way out.
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

# What git shows before: the last check compares with it.  (--ignored: a
# state file such as pscan.resume is ignored, and must not appear either.)
git_state() { git status --porcelain --ignored 2>/dev/null | LC_ALL=C sort; }
in_git=0
if command -v git >/dev/null 2>&1 && git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    in_git=1
    git_before=$(git_state)
fi

run_one "deps: tests/deps.sh" bash tests/deps.sh

for t in "${UNIT_DIR:-build/tests}"/test_*; do
    [ -x "$t" ] || continue
    run_one "unit: $(basename "$t")" "$t"
done

ISOLATE=()
if [ "$(id -u)" -eq 0 ]; then
    ISOLATE=(tests/lib/isolate.sh)
    # The namespace an integration script gets: not this one, only lo, and
    # no route to anywhere but loopback (route lookups only: nothing is sent).
    run_one "isolation: tests/lib/isolate.sh" "${ISOLATE[@]}" bash -c '
        outer=$1
        links=$(ip -o link show | awk -F": " "{ print \$2 }" | tr "\n" " ")
        routes=$(ip route show; ip -6 route show | grep -v "^fe80::/64\|^::1 ")
        if [ "$(readlink /proc/self/ns/net)" != "$outer" ] && [ "$links" = "lo " ] && [ -z "$routes" ] &&
            ! ip route get 192.0.2.1 >/dev/null 2>&1 && ! ip -6 route get 2001:4860::1 >/dev/null 2>&1 &&
            [ "$(cat /sys/class/net/lo/ifindex)" = 1 ] && [ "$(ls /sys/class/net)" = lo ]; then
            echo "ok - isolation: integration scripts run in a namespace of their own with only lo and no route out"
        else
            echo "not ok - isolation: integration scripts run in a namespace of their own with only lo and no route out"
            echo "#   netns $(readlink /proc/self/ns/net) (outer $outer); links: $links; /sys: $(ls /sys/class/net | tr "\n" " ")"
            printf "#   route: %s\n" $routes
        fi' _ "$(readlink /proc/self/ns/net)"
fi

for t in tests/integration/*.sh; do
    [ -f "$t" ] || continue
    run_one "integration: $(basename "$t")" "${ISOLATE[@]}" bash "$t"
done

# Tests write their state and output under their own temporary directory
# (TEST_TMP): nothing may appear in the work tree, ignored files included.
if [ "$in_git" -eq 1 ]; then
    echo "# git: nothing new in the work tree"
    new=$(LC_ALL=C comm -13 <(echo "$git_before") <(git_state))
    if [ -z "$new" ]; then
        echo "ok - the suite left nothing new in the work tree (git status --ignored)"
        passed=$((passed + 1))
    else
        echo "not ok - the suite left files in the work tree:"
        printf '%s\n' "$new" | sed 's/^/#   /'
        failed=$((failed + 1))
    fi
fi

echo
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
