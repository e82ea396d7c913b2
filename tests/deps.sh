#!/usr/bin/env bash
# tests/deps.sh: every external command the tests, the benchmarks and .ci/run
# call comes from a package that `make deps` installs (or that every Debian
# system has).  tests/run.sh runs this first.  TAP lines, like the others.
#
#   tests/deps.sh            self-tests of the checker, then the real check
#   tests/deps.sh -v         the same, with one note per command: its path and
#                            the package that provides it, and why that counts
#
# The scripts read: tests/**/*.sh, tests/**/*.py, the scripts (files with a #!
# line) in tests/tools/, bench/**/*.sh, bench/**/*.py and .ci/run.  How the
# commands are found in them, and which packages count, is written at the top
# of tests/lib/deps.py: the first word of every simple command (after |, &&,
# ;, $(, a newline, the reserved words, assignments and redirections), looked
# through wrappers (timeout, nice, env, setpriv, `ip netns exec NS`, `sh -c
# STRING`, ..., and the scripts' own functions that run "$@"), plus what the
# scripts require by name (need_cmd, `command -v`, `[ -x /PATH ]`); builtins,
# keywords, the scripts' functions and words holding an expansion are not
# commands.  A package counts when a DEPS_* list of the Makefile names it or it
# is installed as one's dependency, or when it is Essential or of Priority
# required (on every Debian, minimal images included; "important" is not).
#
# Commands the scripts only reach through a variable holding a path (INDIRECT
# below) cannot be read off a command word; they are listed here by hand.
set -u
export LC_ALL=C
cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
VERBOSE=0
[ "${1:-}" = -v ] && VERBOSE=1

# Invoked by path variables, so invisible to the extractor:
#   "$bin/initdb", "$bin/postgres"   tests/lib/daemons.sh (_dm_pg_bin's directory)
INDIRECT=('/usr/lib/postgresql/*/bin/initdb' '/usr/lib/postgresql/*/bin/postgres')

if ! command -v python3 >/dev/null 2>&1; then
    echo "not ok - deps: python3 is not installed (package python3, DEPS_TEST): the checker needs it"
    exit 1
fi
DEPS_PY=$ROOT/tests/lib/deps.py
T=$(mktemp -d "${TMPDIR:-/tmp}/pscan-deps.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT

ok() { echo "ok - $1"; }
not_ok() {
    echo "not ok - $1"
    [ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/#   /'
    return 0
}

# ------------------------------------------------------------ self-tests

# 1. The extractor on a script that uses every construct it must know
# (tests/lib/deps-fixture.txt: not named *.sh, so the real check below does
# not take its made-up commands for the suite's).  Each x_NAME there is a
# command and must come out; no x_notcmdN may.
want="/bin/sh /usr/bin/x_ak awk bash cat env ip nice python3 setpriv sh timeout"
for x in a b c d e f g h i j k l m n o p q r s t u v w x y z aa ab ac ad ae af ag ah ai aj al am an ao ba bb bc; do
    want+=" x_$x"
done
got=$(python3 "$DEPS_PY" extract tests/lib/deps-fixture.txt | cut -f 1 | sort -u | tr '\n' ' ')
want=$(tr ' ' '\n' <<<"$want" | sort -u | tr '\n' ' ')
if [ "$got" = "$want" ]; then
    ok "deps: the extractor finds exactly the command words of the fixture ($(wc -w <<<"$want"))"
else
    not_ok "deps: the extractor finds exactly the command words of the fixture" \
        "missing: $(comm -13 <(tr ' ' '\n' <<<"$got") <(tr ' ' '\n' <<<"$want") | tr '\n' ' ')
extra:   $(comm -23 <(tr ' ' '\n' <<<"$got") <(tr ' ' '\n' <<<"$want") | tr '\n' ' ')"
fi

# 2. A command of a package no DEPS_* list names is reported, with the
# package; ones from a listed package (ip: iproute2), from one every Debian
# has (sed), through an alternative (awk) or a /usr/bin vs /bin split are not.
# jq is in the real DEPS_TEST, so it is installed wherever `make deps` ran;
# this Makefile leaves it out on purpose.
cat >"$T/Makefile" <<'EOF'
DEPS_BUILD := build-essential
DEPS_TEST  := iproute2 \
              python3
EOF
cat >"$T/uses-jq.sh" <<'EOF'
#!/bin/bash
ip -br link | awk '{ print $1 }' | sed 's/x/y/' | jq -R . | sort
EOF
python3 "$DEPS_PY" check --makefile "$T/Makefile" "$T/uses-jq.sh" >"$T/check2.out" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -q '^MISSING jq: .*package jq\b' "$T/check2.out" &&
    [ "$(grep -c '^MISSING' "$T/check2.out")" -eq 1 ]; then
    ok "deps: a command of a package outside DEPS_* (jq) is named with its package, and only it"
elif [ "$rc" -eq 1 ] && grep -q '^MISSING jq: not found' "$T/check2.out" && [ "$(grep -c '^MISSING' "$T/check2.out")" -eq 1 ]; then
    ok "deps: a command outside DEPS_* (jq, not installed here) is named, and only it"
else
    not_ok "deps: a command of a package outside DEPS_* (jq) is named with its package, and only it" \
        "exit $rc; $(cat "$T/check2.out")"
fi

# 3. A command that is not installed at all.
printf '#!/bin/bash\npscan-no-such-command-%s --help\n' "$$" >"$T/uses-nothing.sh"
python3 "$DEPS_PY" check --makefile "$T/Makefile" "$T/uses-nothing.sh" >"$T/check3.out" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -q "^MISSING pscan-no-such-command-$$: not found" "$T/check3.out"; then
    ok "deps: a command found nowhere is reported as not found"
else
    not_ok "deps: a command found nowhere is reported as not found" "exit $rc; $(cat "$T/check3.out")"
fi

# 4. The checker reads the DEPS_* lists as .ci/run does (make -pn deps).
# (Compared as sets: a package may sit in two lists.)
mine=$(python3 "$DEPS_PY" deps Makefile | cut -d' ' -f2- | tr ' ' '\n' | sed '/^$/d' | sort -u)
ci=$(make -pn deps 2>/dev/null | sed -n 's/^DEPS_[A-Z]* := //p' | tr ' ' '\n' | sed '/^$/d' | sort -u)
if [ -n "$mine" ] && [ "$mine" = "$ci" ]; then
    ok "deps: the DEPS_* lists read here are the ones .ci/run reads ($(wc -l <<<"$mine") packages)"
else
    not_ok "deps: the DEPS_* lists read here are the ones .ci/run reads" "here: $(echo $mine)
.ci/run: $(echo $ci)"
fi

# ------------------------------------------------------------ the real check

files=()
while IFS= read -r f; do files+=("$f"); done < <(
    {
        find tests bench -name '*.sh' -type f
        find tests bench -name '*.py' -type f
        for f in tests/tools/*; do
            [ -f "$f" ] && [ "$(head -c 2 "$f")" = '#!' ] && echo "$f"
        done
        echo .ci/run
    } | sort -u)
args=()
for x in "${INDIRECT[@]}"; do args+=(--extra "$x"); done
[ "$VERBOSE" -eq 1 ] && args+=(--notes)
python3 "$DEPS_PY" check "${args[@]}" "${files[@]}" >"$T/real.out" 2>&1
rc=$?
grep -v '^MISSING' "$T/real.out" | sed 's/^\([^#]\)/# \1/'
summary=$(grep '^checked ' "$T/real.out")
if [ "$rc" -eq 0 ] && [ -n "$summary" ]; then
    ok "deps: every command of the tests, benches and .ci/run comes from make deps (${summary#checked })"
else
    not_ok "deps: every command of the tests, benches and .ci/run comes from make deps (${summary#checked })" \
        "$(sed -n 's/^MISSING //p' "$T/real.out")$([ -z "$summary" ] && cat "$T/real.out")"
fi
