#!/usr/bin/env bash
# docs.sh: the committed docs/usage.md and docs/pscan.1 are what the option
# table generates (`make docs`), and every option the parser knows is in them.
set -u
cd "$(dirname "$0")/../.."
PSCAN=${PSCAN:-./pscan}

if $PSCAN --help-format=markdown | diff -q docs/usage.md - >/dev/null; then
    echo "ok - docs/usage.md matches the option table"
else
    echo "not ok - docs/usage.md is stale: run 'make docs'"
fi
if $PSCAN --help-format=man | diff -q docs/pscan.1 - >/dev/null; then
    echo "ok - docs/pscan.1 matches the option table"
else
    echo "not ok - docs/pscan.1 is stale: run 'make docs'"
fi
# Every option in --help appears in the manual page.
missing=0
for opt in $($PSCAN --help | grep -oE '^  (-[A-Za-z0-9]+, )?--?[A-Za-z][A-Za-z0-9-]*' | awk '{print $NF}'); do
    grep -q -- "$(printf '%s' "$opt" | sed 's/-/\\\\-/g')" docs/pscan.1 || { echo "#   $opt missing from pscan.1"; missing=1; }
done
[ $missing = 0 ] && echo "ok - every --help option is in the man page" || echo "not ok - options missing from the man page"
if $PSCAN --version | grep -qE '^pscan [0-9]+\.[0-9]+\.[0-9]+$'; then
    echo "ok - --version prints the version"
else
    echo "not ok - --version output: $($PSCAN --version)"
fi
