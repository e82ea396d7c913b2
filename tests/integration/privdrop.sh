#!/usr/bin/env bash
# tests/integration/privdrop.sh: pscan gives up root once its raw handles
# are open (privdrop.h, docs/security.md "Privileges").
#
# Everything runs in a namespace of its own with only lo in it, against
# 127.0.0.1, where our listeners are the only ones:
#   1. while a SYN scan with -sV runs as root, every thread of it is nobody
#      with no capability and no_new_privs, and its resume-file keeper (a
#      child) is root;
#   2. SIGINT in that scan, started in a directory nobody may not write,
#      leaves a root-owned pscan.resume, and --resume finishes the scan;
#   3. a dropped run (-sV, with a --probe-db file only root can read) gives
#      the same report as a --no-privdrop run, PROCESS column included;
#   4. --user nosuchuser: exit 1, one line naming it, nothing scanned;
#   5. a copy of pscan with `setcap cap_net_raw,cap_net_admin+eip`, run as
#      nobody, does a SYN scan (not a connect scan), and with -sV holds no
#      capability in any of its three threads while it scans.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
# Whatever pscan writes in its working directory (pscan.resume when it is
# stopped, -oA files) lands in the test's own directory, never in the work tree.
cd "$TEST_TMP" || bail "cannot enter $TEST_TMP"
need_root
need_cmd ip ss timeout setpriv setcap findmnt jq
need_file "$LISTENER" "listener"
need_file "$PSCAN" "pscan"

tb_create privdrop --isolated || bail "cannot create the namespace"
PSCAN_NS=$TB_NS
tb_route_check -n "$TB_NS" 127.0.0.1 lo || bail "127.0.0.1 is not routed via lo"
export PSCAN_PROBES=${PSCAN_PROBES:-$TEST_ROOT/probes}

listener_start -n "$TB_NS" plain 127.0.0.1 0 0 || bail "listener did not start"
plain="${L_PORTS[*]}"
listener_start -n "$TB_NS" banner -b "PSCANTEST-4.2 privdrop" 127.0.0.1 0 || bail "listener did not start"
banner=${L_PORTS[0]}
want="$plain $banner"
check_set "ss: the listeners are what we built" "$(listen_ports -n "$TB_NS" 4 127.0.0.1)" "$want"

# A probe database only root can read (TEST_TMP is 0700): -sV after the
# drop names the banner only if it was loaded before.
cat >"$TEST_TMP/test.probes" <<'EOF'
Probe TCP NULL q||
match pscantest m|^PSCANTEST-([\d.]+) privdrop\r\n| p/pscan privdrop test/ v/$1/
EOF
chmod 600 "$TEST_TMP/test.probes"

# task_status PID: one line per thread: "uid... capprm capeff capinh capamb nnp".
task_status() {
    local t
    for t in /proc/"$1"/task/*; do
        awk '/^Uid:/ { u = $2 " " $3 " " $4 " " $5 }
             /^CapPrm:/ { p = $2 } /^CapEff:/ { e = $2 } /^CapInh:/ { i = $2 } /^CapAmb:/ { a = $2 }
             /^NoNewPrivs:/ { n = $2 }
             END { print u, p, e, i, a, n }' "$t/status" 2>/dev/null
    done
}
DROPPED="65534 65534 65534 65534 0000000000000000 0000000000000000 0000000000000000 0000000000000000 1"

# wait_dropped PID N: poll (at most 5 s) until PID has N threads, each
# showing DROPPED (the receiver thread starts just after the drop); leaves
# the last view in TASKS.  Fails if PID ends first.
wait_dropped() {
    local i
    for i in $(seq 250); do
        kill -0 "$1" 2>/dev/null || return 1
        TASKS=$(task_status "$1")
        [ "$(grep -cxF "$DROPPED" <<<"$TASKS")" = "$2" ] && [ "$(wc -l <<<"$TASKS")" = "$2" ] && return 0
        sleep 0.02
    done
    return 1
}

# stop_wait PID: SIGINT, then wait at most 20 s for the exit; sets SRC.
stop_wait() {
    local i
    kill -INT "$1"
    for i in $(seq 200); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$1" 2>/dev/null
    wait "$1"
    SRC=$?
}

# ---------------------------------------------- 1, 2. a dropped scan, stopped
# Started in a directory nobody cannot even enter; -p- at 3000 probes/s
# takes ~22 s, long enough to look at it and interrupt it.
cwd=$TEST_TMP/cwd
mkdir -p "$cwd"
(cd "$cwd" && exec ip netns exec "$TB_NS" "$PSCAN" -n -v -sV --probe-db "$TEST_TMP/test.probes" -p- \
    --max-rate 3000 127.0.0.1 -oJ run1.jsonl >run1.out 2>run1.err) &
pid=$!
track_pid "$pid"
tag="a running -sS -sV scan as root"
if wait_dropped "$pid" 3; then
    ok "$tag: all three threads (main, receiver, -sV engine) are nobody, no capability, no_new_privs"
else
    not_ok "$tag: all three threads (main, receiver, -sV engine) are nobody, no capability, no_new_privs" "$TASKS"
fi
keeper=$(pgrep -P "$pid" | head -n 1)
check_eq "$tag: its one child, the resume-file keeper, is root" \
    "$(pgrep -P "$pid" | wc -l) $(stat -c %u "/proc/$keeper" 2>/dev/null)" "1 0"
stop_wait "$pid"
tag="SIGINT in a dropped scan"
check_eq "$tag: exit 4 (interrupted)" "$SRC" 4
check_cmd "$tag: it says how to continue" grep -q 'pscan --resume pscan.resume' "$cwd/run1.err"
check_eq "$tag: pscan.resume is root's, mode 600" "$(stat -c '%u %a' "$cwd/pscan.resume" 2>/dev/null)" "0 600"
alive() { kill -0 "$1" 2>/dev/null; }
check_not "$tag: the keeper is gone" alive "${keeper:-0}"
first=$(jq -r 'select(.type=="host") | .ports[] | select(.state=="open") | .port' "$cwd/run1.jsonl" | wc -l)
(cd "$cwd" && ip netns exec "$TB_NS" timeout 120 "$PSCAN" --resume pscan.resume >run2.out 2>run2.err)
rc=$?
tag="--resume after a dropped scan"
check_eq "$tag: exit 0" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$cwd/run2.err"
check_cmd "$tag: the keeper renamed the finished resume file pscan.resume.done (root's, mode 600)" \
    test "$(stat -c '%u %a' "$cwd/pscan.resume.done" 2>/dev/null)" = "0 600" -a ! -e "$cwd/pscan.resume"
check_set "$tag: both runs together found every listener ($first in the first)" \
    "$(jq -r 'select(.type=="host") | .ports[] | select(.state=="open") | .port' "$cwd/run1.jsonl")" "$want"
check_cmd "$tag: -sV named the banner in one of them" \
    grep -q "pscan privdrop test 4.2" "$cwd/run1.out" "$cwd/run2.out"

# ------------------------------------------------------ 3. same as --no-privdrop
# The report without the lines that carry times.
norm() { grep -v '^Starting pscan\|^pscan done\|^Host is up' "$1"; }
plist="1-1000,${want// /,}"
for mode in drop keep; do
    extra=()
    [ "$mode" = keep ] && extra=(--no-privdrop)
    pscan_run "$mode" -n -sV --probe-db "$TEST_TMP/test.probes" -p "$plist" "${extra[@]}" 127.0.0.1
    check_eq "-sV -p 1-1000 and the listeners, $mode: exit 0" "$RC" 0
    [ "$RC" -eq 0 ] || show_run
done
check_eq "dropped and --no-privdrop reports are the same" "$(norm "$TEST_TMP/drop.out")" "$(norm "$TEST_TMP/keep.out")"
check_set "the dropped run found every listener" "$(report_ports "$TEST_TMP/drop.out" 127.0.0.1 open)" "$want"
check_cmd "the dropped run named the banner (-sV)" grep -q "^$banner/tcp .*pscan privdrop test 4.2" "$TEST_TMP/drop.out"
check_cmd "the dropped run names root's listener (PROCESS)" grep -q "^$banner/tcp .*/listener (root)" "$TEST_TMP/drop.out"
check_eq "the dropped run: stderr empty" "$(cat "$TEST_TMP/drop.err")" ""

# -------------------------------------------------------------- 4. --user
pscan_run nouser -n -p 1 --user nosuchuser 127.0.0.1
tag="--user nosuchuser"
check_eq "$tag: exit 1, one line naming it, nothing scanned" \
    "$RC $(wc -l <"$ERR") $(grep -c "'nosuchuser'" "$ERR") $(wc -c <"$OUT")" "1 1 1 0"
pscan_run daemon -n -p "$plist" --user daemon 127.0.0.1
check_set "--user daemon: exit 0, every listener" "$RC $(report_ports "$OUT" 127.0.0.1 open)" "0 $want"

# ---------------------------------------------------- 5. file capabilities
# A copy with the capabilities, in a directory nobody can reach, on a file
# system that honours them (not mounted nosuid) and keeps the xattr.
capsdir=""
for base in "${TMPDIR:-/tmp}" /var/tmp "$TEST_ROOT/build"; do
    [ -d "$base" ] || continue
    case ",$(findmnt -n -o OPTIONS -T "$base")," in *,nosuid,*) continue ;; esac
    d=$(mktemp -d "$base/pscan-privdrop-caps.XXXXXX") || continue
    at_exit rm -rf "$d"
    chmod 755 "$d"
    if cp "$PSCAN" "$d/pscan" && chmod 755 "$d/pscan" && setcap cap_net_raw,cap_net_admin+eip "$d/pscan" 2>/dev/null &&
        setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$d/pscan"; then
        capsdir=$d
        break
    fi
done
if [ -z "$capsdir" ]; then
    skip "file capabilities" "no directory nobody can reach on a file system without nosuid that keeps setcap's xattr"
else
    note "file capabilities: $capsdir ($(findmnt -n -o TARGET,FSTYPE,OPTIONS -T "$capsdir"))"
    asnobody() { in_ns "$TB_NS" setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
    tag="setcap copy as nobody"
    asnobody timeout 60 "$capsdir/pscan" -n -v -p "$plist" 127.0.0.1 >"$TEST_TMP/caps.out" 2>"$TEST_TMP/caps.err" </dev/null
    check_eq "$tag: exit 0" "$?" 0
    check_cmd "$tag: a SYN scan (its stats line)" grep -q '^syn: [0-9]* probes sent' "$TEST_TMP/caps.err"
    check_not "$tag: no fallback to a connect scan" grep -q 'connect scan' "$TEST_TMP/caps.err"
    check_set "$tag: every listener" "$(report_ports "$TEST_TMP/caps.out" 127.0.0.1 open)" "$want"
    check_cmd "$tag: the rest closed (reset, as SYN sees it)" grep -q '^Not shown: [0-9]* closed tcp ports (reset)' \
        "$TEST_TMP/caps.out"
    (exec ip netns exec "$TB_NS" setpriv --reuid=65534 --regid=65534 --clear-groups "$capsdir/pscan" -n -sV -p- \
        --max-rate 3000 127.0.0.1 >/dev/null 2>&1 </dev/null) &
    pid=$!
    track_pid "$pid"
    if wait_dropped "$pid" 3; then
        ok "$tag, -sV, while scanning: no capability left in any of the three threads, no_new_privs"
    else
        not_ok "$tag, -sV, while scanning: no capability left in any of the three threads, no_new_privs" "$TASKS"
    fi
    check_eq "$tag: no keeper (the user does not change)" "$(pgrep -P "$pid" | wc -l)" 0
    stop_wait "$pid"
    check_eq "$tag: SIGINT, exit 4 (interrupted)" "$SRC" 4
fi
finish
