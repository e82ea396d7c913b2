#!/usr/bin/env bash
# structure.sh: the source tree keeps its shape (tests/tools/structure_check.py):
# no link-level cycle between folders or files, no source file over 600
# lines, no function over 80.  First proves the checker catches each of
# those on a small tree made here, then runs it on src/.
. "$(dirname "$0")/../lib/common.sh"
need_cmd nm
need_cmd python3
CHECK=$TEST_ROOT/tests/tools/structure_check.py
OBJ_DIR=${OBJ_DIR:-$TEST_ROOT/build/obj}

# A tree with every defect: a/x.c and b/y.c call each other (a folder
# cycle), a/big.c has 601 lines, b/y.c has an 81-line function.
T=$TEST_TMP/tree
mkdir -p "$T/src/a" "$T/src/b" "$T/obj/a" "$T/obj/b"
printf 'int y(void);\nint x(void) { return y(); }\nint x2(void) { return 2; }\n' >"$T/src/a/x.c"
{
    printf 'int x2(void);\nint y(void)\n{\n'
    for i in $(seq 79); do printf '    (void)%d;\n' "$i"; done
    printf '    return x2();\n}\n'
} >"$T/src/b/y.c"
{ printf 'int big(void);\n'; for i in $(seq 600); do printf '/* %d */\n' "$i"; done; } >"$T/src/a/big.c"
ok_build=1
for f in a/x b/y a/big; do cc -c -o "$T/obj/$f.o" "$T/src/$f.c" 2>/dev/null || ok_build=0; done
if [ "$ok_build" = 1 ]; then
    (cd "$T" && python3 "$CHECK" obj src) >"$TEST_TMP/bad.out" 2>&1
    check_eq "checker: a bad tree fails" "$?" 1
    check_cmd "checker: names the folder cycle" grep -q 'cycle: a <-> b' "$TEST_TMP/bad.out"
    check_cmd "checker: names the file cycle" grep -q 'cycle: a/x.c <-> b/y.c' "$TEST_TMP/bad.out"
    check_cmd "checker: names the long file" grep -q 'src/a/big.c (601 lines)' "$TEST_TMP/bad.out"
    check_cmd "checker: names the long function" grep -q 'src/b/y.c:2 y (83 lines)' "$TEST_TMP/bad.out"
else
    not_ok "checker: cannot compile the test tree"
fi

# The real tree, from the objects of this build.
if [ -d "$OBJ_DIR" ]; then
    (cd "$TEST_ROOT" && python3 "$CHECK" "$OBJ_DIR" src) >"$TEST_TMP/real.out" 2>&1
    rc=$?
    sed -n 's/^\(ok\|not ok\) - /& src: /p' "$TEST_TMP/real.out" | sed 's/ src: / /'
    grep '^#' "$TEST_TMP/real.out"
    check_eq "src/ keeps its shape" "$rc" 0
else
    not_ok "src/ keeps its shape" "no objects in $OBJ_DIR (run make first)"
fi
