#!/usr/bin/env bash
# tests/integration/local_truth.sh: pscan names the process behind each open
# port of this machine, end to end through its outputs (-oJ, -oN, -oX).
#
# Runs in a namespace with only lo, so the listeners there are ours: one on
# 127.0.0.1 (as root), one bound to 127.0.0.2 only, one IPv6-only on ::1 and
# one run as nobody.  A namespace reached over a veth is not this machine:
# its open port gets no process.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
# Whatever pscan writes in its working directory (pscan.resume when it is
# stopped, -oA files) lands in the test's own directory, never in the work tree.
cd "$TEST_TMP" || bail "cannot enter $TEST_TMP"
need_root
need_cmd ip jq setpriv xmllint
need_file "$LISTENER" "listener"
need_file "$PSCAN" "pscan"

tb_create lt --isolated || bail "cannot create the namespace"
PSCAN_NS=$TB_NS
for a in 127.0.0.1 127.0.0.2 ::1; do
    tb_route_check -n "$TB_NS" "$a" lo || bail "$a is not routed via lo"
done

start() { listener_start -n "$TB_NS" "$@" || bail "listener $1 did not start"; }
start root 127.0.0.1 0
p_root=${L_PORTS[0]} pid_root=$L_PID
start only2 127.0.0.2 0
p_two=${L_PORTS[0]} pid_two=$L_PID
start v6 -6 -o ::1 0
p_v6=${L_PORTS[0]} pid_v6=$L_PID
# The listener binary must be reachable by nobody: copy it to a 755 place.
cp "$LISTENER" "$TEST_TMP/listener-nobody" && chmod 755 "$TEST_TMP" "$TEST_TMP/listener-nobody"
LISTENER_SAVED=$LISTENER
printf '#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups %s "$@"\n' "$TEST_TMP/listener-nobody" >"$TEST_TMP/as-nobody"
chmod 755 "$TEST_TMP/as-nobody"
LISTENER=$TEST_TMP/as-nobody
start nobody 127.0.0.1 0
p_nobody=${L_PORTS[0]}
LISTENER=$LISTENER_SAVED
pid_nobody=$(ip netns exec "$TB_NS" ss -ltnpH "sport = :$p_nobody" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)

pscan_run v4 -sT -p "$p_root,$p_two,$p_nobody" 127.0.0.1 -oJ "$TEST_TMP/v4.jsonl" -oX "$TEST_TMP/v4.xml"
check_eq "127.0.0.1: exit 0" "$RC" 0
proc() { jq -r --argjson p "$2" 'select(.type=="host") | .ports[] | select(.port==$p) | .process | "\(.pid) \(.name) \(.user) \(.bind)"' "$1"; }
check_eq "root listener: pid, name, user, bind" "$(proc "$TEST_TMP/v4.jsonl" "$p_root")" "$pid_root listener root 127.0.0.1"
check_eq "nobody's listener: user nobody" "$(proc "$TEST_TMP/v4.jsonl" "$p_nobody" | cut -d' ' -f1,3)" "$pid_nobody nobody"
check_eq "127.0.0.2-only port is closed on 127.0.0.1 and has no process" \
    "$(jq -r --argjson p "$p_two" 'select(.type=="host") | .ports[] | select(.port==$p) | "\(.state) \(.process // "none")"' "$TEST_TMP/v4.jsonl")" \
    "closed none"
check_cmd "normal output has a PROCESS column naming the listener" \
    grep -Eq "^$p_root/tcp +open .*$pid_root/listener" "$OUT"
check_cmd "XML carries the process and validates against nmap.dtd" \
    sh -c "grep -q '<table key=\"process\"><elem key=\"pid\">$pid_root</elem>' '$TEST_TMP/v4.xml' && xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd '$TEST_TMP/v4.xml'"

pscan_run v4b -sT -p "$p_two" 127.0.0.2 -oJ "$TEST_TMP/v4b.jsonl"
check_eq "127.0.0.2: the listener bound there only" "$(proc "$TEST_TMP/v4b.jsonl" "$p_two")" "$pid_two listener root 127.0.0.2"

pscan_run v6 -sT -p "$p_v6" ::1 -oJ "$TEST_TMP/v6.jsonl"
check_eq "::1: the IPv6-only listener" "$(proc "$TEST_TMP/v6.jsonl" "$p_v6")" "$pid_v6 listener root ::1"

pscan_run off -sT -p "$p_root" 127.0.0.1 --no-local-info -oJ "$TEST_TMP/off.jsonl"
check_eq "--no-local-info: no process" \
    "$(jq -r 'select(.type=="host") | .ports[0].process // "none"' "$TEST_TMP/off.jsonl")" "none"

# As nobody, root's listener is found but its owner cannot be read: said once.
# (nobody cannot write to the test's directory: JSON goes to standard output.)
cp "$PSCAN" "$TEST_TMP/pscan-nobody" && chmod 755 "$TEST_TMP/pscan-nobody"
ip netns exec "$TB_NS" timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$TEST_TMP/pscan-nobody" -sT -p "$p_root" 127.0.0.1 -oJ - >"$TEST_TMP/nb.jsonl" 2>"$TEST_TMP/nb.err"
check_eq "as nobody: exit 0" "$?" 0
check_eq "as nobody: one note that owners are hidden" "$(grep -c 'cannot see the owners' "$TEST_TMP/nb.err")" 1
check_eq "as nobody: the socket is still attributed to its bind address" \
    "$(jq -r 'select(.type=="host") | .ports[0].process.bind // "none"' "$TEST_TMP/nb.jsonl")" "127.0.0.1"

# A test host behind a veth is not this machine.
tb_create ltr || bail "cannot create the remote test host"
listener_start -n "$TB_NS" remote "$TB_IP4" 0 || bail "remote listener"
p_remote=${L_PORTS[0]}
tb_route_check "$TB_IP4" "$TB_VH" || bail "route to $TB_IP4 does not use our veth"
PSCAN_NS="" pscan_run remote -sT -p "$p_remote" "$TB_IP4" -oJ "$TEST_TMP/remote.jsonl"
check_eq "remote host over veth: open, no local process" \
    "$(jq -r 'select(.type=="host") | .ports[0] | "\(.state) \(.process // "none")"' "$TEST_TMP/remote.jsonl")" "open none"
finish
