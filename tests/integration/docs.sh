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
# The exit statuses (3: --expect, 4: interrupted) and the other commands
# (pscan diff, pscan --resume) are in --help, usage.md and the man page.
man=$(sed 's/\\-/-/g; s/\\f[BIR]//g' docs/pscan.1)
for want in "3 --expect" "4 interrupted" "pscan diff OLD NEW" "pscan --resume FILE"; do
    set -- $want
    case $1 in
    [0-9]) h="  $1  $2" u="- \`$1\`: $2" m=$(printf '%s\n' "$man" | grep -A1 -x "\.B $1" | tail -n 1 | grep -c "^$2") ;;
    *) h=$want u=$want m=$(printf '%s\n' "$man" | tr '\n' ' ' | grep -c "\.B $1 $2 $3") ;;
    esac
    if $PSCAN --help | grep -qF -- "$h" && grep -qF -- "$u" docs/usage.md && [ "$m" = 1 ]; then
        echo "ok - --help, usage.md and pscan.1 give: $want"
    else
        echo "not ok - --help, usage.md or pscan.1 lacks: $want"
    fi
done
if $PSCAN --version | grep -qE '^pscan [0-9]+\.[0-9]+\.[0-9]+$'; then
    echo "ok - --version prints the version"
else
    echo "not ok - --version output: $($PSCAN --version)"
fi
# docs/architecture.md is the module map: every folder of src/ has its row,
# and every source file is named in it (and every file it names exists).
arch=docs/architecture.md
bad=0
for d in src/*/; do
    d=${d#src/}
    grep -q "^| \`$d\` |" "$arch" || { echo "#   folder $d has no row in $arch"; bad=1; }
done
for f in $(cd src && ls */*.c */*.h); do
    grep -q "\`$(basename "$f")\`" "$arch" || { echo "#   $f is not in $arch"; bad=1; }
done
for f in $(sed -n 's/^| `\([a-z]*\)\/` |.*| \(.*\) |$/\1 \2/p' "$arch" | awk '{d=$1; for (i = 2; i <= NF; i++) { gsub(/`/, "", $i); print d "/" $i }}'); do
    [ -f "src/$f" ] || { echo "#   $arch names src/$f, which does not exist"; bad=1; }
done
[ $bad = 0 ] && echo "ok - docs/architecture.md maps every folder and file of src/" || echo "not ok - docs/architecture.md does not match src/"
