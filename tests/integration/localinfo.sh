#!/usr/bin/env bash
# tests/integration/localinfo.sh: naming the process behind a local port.
#
# The library is driven through build/tests/test_localinfo's query mode
# ("query ADDR PORT tcp|udp" prints found=, visible=, pid=, user=, ...), so
# the sanitized build is the one tested under SANITIZE.  Nothing is scanned:
# the lookups only read the kernel's tables.
#
# Part 1, in a namespace with only lo (so no other test's listener can share
# a port): listeners with known PIDs on 0.0.0.0, 127.0.0.2 only, ::1 v6-only,
# :: dual-stack, :: v6-only, UDP 127.0.0.1, one run as nobody, one with escape bytes in
# its argv; asked as root (everything visible) and as nobody (root's sockets
# found but their owner hidden, complete=0).
# Part 2, a namespace reached over a veth: its address is not local, and its
# listener, absent from our namespace, is reported as other_netns with its PID.
# Part 3: the cost of a snapshot on this machine.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
# Whatever pscan writes in its working directory (pscan.resume when it is
# stopped, -oA files) lands in the test's own directory, never in the work tree.
cd "$TEST_TMP" || bail "cannot enter $TEST_TMP"
need_root
need_cmd ip setpriv ss timeout

UNIT_DIR=${UNIT_DIR:-build/tests}
case "$UNIT_DIR" in /*) ;; *) UNIT_DIR=$TEST_ROOT/$UNIT_DIR ;; esac
need_file "$UNIT_DIR/test_localinfo" "test_localinfo"
need_file "$LISTENER" "listener"
need_file "$TEST_ROOT/build/tests/tools/udp_bind" "udp_bind"

# Copies nobody can run (the worktree may not be reachable by other users).
BIN=$TEST_TMP/bin
mkdir -p "$BIN" && chmod 755 "$TEST_TMP" "$BIN"
cp "$UNIT_DIR/test_localinfo" "$BIN/q" && cp "$LISTENER" "$BIN/listener" &&
    cp "$TEST_ROOT/build/tests/tools/udp_bind" "$BIN/udp_bind" || bail "cannot copy the test binaries"
chmod 755 "$BIN"/*
cat >"$BIN/as_nobody" <<EOF
#!/bin/sh
exec setpriv --reuid=65534 --regid=65534 --clear-groups "\$@"
EOF
cat >"$BIN/listener_nobody" <<EOF
#!/bin/sh
exec setpriv --reuid=65534 --regid=65534 --clear-groups $BIN/listener "\$@"
EOF
chmod 755 "$BIN/as_nobody" "$BIN/listener_nobody"
LISTENER=$BIN/listener
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

# q [-n NS] [--nobody] ARGS...: one query; the line in Q.
q() {
    local ns="" pre=()
    if [ "$1" = "-n" ]; then ns=$2; shift 2; fi
    if [ "$1" = "--nobody" ]; then pre=("$BIN/as_nobody"); shift; fi
    Q=$(in_ns "$ns" timeout 20 "${pre[@]}" "$BIN/q" "$@" 2>"$TEST_TMP/q.err") ||
        note "q $*: status $? $(cat "$TEST_TMP/q.err")"
}

# field NAME: NAME's value in $Q (cmdline is last and may hold spaces).
field() {
    if [ "$1" = cmdline ]; then sed -n 's/.* cmdline=//p' <<<"$Q"; return; fi
    tr ' ' '\n' <<<"${Q% cmdline=*}" | sed -n "s/^$1=//p"
}

# expect NAME KEY=VALUE...: every KEY of $Q has VALUE.
expect() {
    local name=$1 kv k v got bad=""
    shift
    for kv in "$@"; do
        k=${kv%%=*} v=${kv#*=}
        got=$(field "$k")
        [ "$got" = "$v" ] || bad+="$k: got '$got', want '$v'"$'\n'
    done
    if [ -z "$bad" ]; then ok "$name"; else not_ok "$name" "${bad}line: $Q"; fi
}

# ------------------------------------------------------------------ part 1
tb_create lo --isolated || bail "cannot create the namespace"
NS=$TB_NS

start() { listener_start -n "$NS" "$@" || bail "listener $1 did not start"; }
start any4 0.0.0.0 0
any4=${L_PORTS[0]} any4_pid=$L_PID
start lo2 127.0.0.2 0
lo2=${L_PORTS[0]} lo2_pid=$L_PID
start v6o -6 -o ::1 0
v6o=${L_PORTS[0]} v6o_pid=$L_PID
start dual -6 :: 0
dual=${L_PORTS[0]} dual_pid=$L_PID
start any6o -6 -o :: 0
any6o=${L_PORTS[0]} any6o_pid=$L_PID
start evil -b $'\e[2J\e]0;pwned\a' 127.0.0.1 0
evil=${L_PORTS[0]} evil_pid=$L_PID
LISTENER=$BIN/udp_bind start udp 127.0.0.1 0
udp=${L_PORTS[0]} udp_pid=$L_PID
LISTENER=$BIN/udp_bind start udp6 -6 -o ::1 0
udp6=${L_PORTS[0]} udp6_pid=$L_PID
LISTENER=$BIN/listener_nobody start nob 127.0.0.1 0
nob=${L_PORTS[0]} nob_pid=$L_PID

q -n "$NS" query 127.0.0.1 "$any4" tcp
expect "0.0.0.0 listener, asked at 127.0.0.1" found=1 visible=1 other_netns=0 complete=1 local=1 \
    pid="$any4_pid" user=root name=listener bind=0.0.0.0 cmdline="$BIN/listener -t 120 0.0.0.0 0"
q -n "$NS" query ::1 "$any4" tcp
expect "0.0.0.0 listener is not IPv6" found=0 other_netns=0

q -n "$NS" query 127.0.0.1 "$lo2" tcp
expect "127.0.0.2-only listener not attributed at 127.0.0.1" found=0
q -n "$NS" query 127.0.0.2 "$lo2" tcp
expect "127.0.0.2-only listener attributed at 127.0.0.2" found=1 visible=1 pid="$lo2_pid" bind=127.0.0.2 \
    user=root name=listener

q -n "$NS" query ::1 "$v6o" tcp
expect "v6-only ::1 listener at ::1" found=1 visible=1 pid="$v6o_pid" bind=::1 user=root name=listener
q -n "$NS" query 127.0.0.1 "$v6o" tcp
expect "v6-only ::1 listener not attributed at 127.0.0.1" found=0

q -n "$NS" query 127.0.0.1 "$dual" tcp
expect "dual-stack :: listener at 127.0.0.1" found=1 pid="$dual_pid" bind=::
q -n "$NS" query ::1 "$dual" tcp
expect "dual-stack :: listener at ::1" found=1 pid="$dual_pid" bind=::

q -n "$NS" query 127.0.0.1 "$any6o" tcp
expect "v6-only :: listener not attributed at 127.0.0.1 (sock_diag's v6only flag)" found=0
q -n "$NS" query ::1 "$any6o" tcp
expect "v6-only :: listener at ::1" found=1 pid="$any6o_pid" bind=::

q -n "$NS" query 127.0.0.1 "$udp" udp
expect "UDP socket on 127.0.0.1" found=1 visible=1 pid="$udp_pid" name=udp_bind user=root bind=127.0.0.1 \
    cmdline="$BIN/udp_bind -t 120 127.0.0.1 0"
q -n "$NS" query 127.0.0.1 "$udp" tcp
expect "UDP socket is not a TCP listener" found=0
q -n "$NS" query ::1 "$udp6" udp
expect "UDP v6-only socket on ::1" found=1 pid="$udp6_pid" bind=::1
q -n "$NS" query 127.0.0.1 "$udp6" udp
expect "UDP v6-only socket not attributed at 127.0.0.1" found=0

q -n "$NS" query 127.0.0.1 "$nob" tcp
expect "listener run as nobody" found=1 visible=1 pid="$nob_pid" user=nobody name=listener bind=127.0.0.1

q -n "$NS" query 127.0.0.1 "$evil" tcp
expect "escape bytes in argv are escaped" found=1 pid="$evil_pid" \
    cmdline="$BIN/listener -t 120 -b \\x1b[2J\\x1b]0;pwned\\x07 127.0.0.1 0"
check_not "no raw ESC byte in the output" grep -q $'\e' <<<"$Q"

# Program names longer than comm's 15 bytes: from the executable's path
# (a copy of the listener), or from argv[0] (a link to it, whose exe is
# "listener"); a process that renamed itself keeps its comm.
cp "$LISTENER" "$TEST_TMP/pscan-bar8-listener-full"
ln -s "$LISTENER" "$TEST_TMP/pscan-bar8-listener-link"
LISTENER=$TEST_TMP/pscan-bar8-listener-full start longexe 127.0.0.1 0
longexe=${L_PORTS[0]}
LISTENER=$TEST_TMP/pscan-bar8-listener-link start longarg 127.0.0.1 0
longarg=${L_PORTS[0]}
q -n "$NS" query 127.0.0.1 "$longexe" tcp
expect "a 24-byte program name, from /proc/PID/exe" found=1 name=pscan-bar8-listener-full name_source=exe
q -n "$NS" query 127.0.0.1 "$longarg" tcp
expect "a 24-byte program name, from argv[0]" found=1 name=pscan-bar8-listener-link name_source=cmdline
q -n "$NS" query 127.0.0.1 "$any4" tcp
expect "a short name stays comm" found=1 name=listener name_source=comm
PSCAN_NS=$NS pscan_run longname -sT --no-privdrop 127.0.0.1 -p "$longexe,$longarg" -oJ "$TEST_TMP/long.jsonl"
check_cmd "scan: the text shows the whole name" grep -q "/pscan-bar8-listener-full (root)" "$OUT"
check_cmd "scan: and the one from argv[0]" grep -q "/pscan-bar8-listener-link (root)" "$OUT"
check_cmd "scan: JSONL says where the name came from" \
    grep -q '"name":"pscan-bar8-listener-full","name_source":"exe"' "$TEST_TMP/long.jsonl"

# Without rights: root's sockets are there, their owner is not.
q -n "$NS" --nobody query 127.0.0.1 "$any4" tcp
expect "as nobody: root's listener found, owner hidden" found=1 visible=0 complete=0 pid=0 name= user=root \
    bind=0.0.0.0
q -n "$NS" --nobody query 127.0.0.1 "$nob" tcp
expect "as nobody: its own listener fully visible" found=1 visible=1 complete=0 pid="$nob_pid" user=nobody \
    name=listener
q -n "$NS" --nobody query 127.0.0.1 "$lo2" tcp
expect "as nobody: 127.0.0.2-only still not attributed at 127.0.0.1" found=0

# Closed port: nothing anywhere.
q -n "$NS" query 127.0.0.1 1 tcp
expect "nothing on port 1" found=0 other_netns=0

# ------------------------------------------------------------------ part 2
tb_create li || bail "cannot create the veth test host"
tb_route_check "$TB_IP4" "$TB_VH" || bail "$TB_IP4 is not routed via $TB_VH"
listener_start -n "$TB_NS" far "$TB_IP4" 0 || bail "listener in $TB_NS did not start"
far=${L_PORTS[0]} far_pid=$L_PID
if timeout 3 bash -c "exec 3<>/dev/tcp/$TB_IP4/$far" 2>/dev/null; then
    ok "namespace listener $TB_IP4:$far reachable over the veth"
else
    not_ok "namespace listener $TB_IP4:$far reachable over the veth"
fi
q local "$TB_IP4"
expect "namespace address $TB_IP4 is not local" local=0
q local "$TB_IP6"
expect "namespace address $TB_IP6 is not local" local=0
q local "$TB_HOST4"
expect "our veth address $TB_HOST4 is local" local=1
q local "$TB_HOST6"
expect "our veth address $TB_HOST6 is local" local=1
if [ -n "$(ss -ltnH "sport = :$far")" ]; then
    skip "port $far in another namespace" "port $far also listens here"
else
    q query 127.0.0.1 "$far" tcp
    expect "listener of another namespace: found=0, other_netns=1 with its pid" found=0 other_netns=1 \
        pid="$far_pid" name=listener bind="$TB_IP4"
fi

# ------------------------------------------------------------------ part 3
q bench 20
note "snapshot, root:   $Q"
case "$Q" in snapshots=20*) ok "snapshot benchmark (root)" ;; *) not_ok "snapshot benchmark (root)" "$Q" ;; esac
q --nobody bench 20
note "snapshot, nobody: $Q"
case "$Q" in snapshots=20*) ok "snapshot benchmark (nobody)" ;; *) not_ok "snapshot benchmark (nobody)" "$Q" ;; esac

finish
