#!/usr/bin/env bash
# tests/integration/harness.sh: the test harness checks itself, without pscan.
#
# A test host is built and torn down, the route check accepts what it should
# and refuses the rest, the listener is ready when it says so and answers
# (bash's /dev/tcp is the client), tb_drop really drops, and cleanup leaves
# nothing behind, also when the script is killed.  If these fail, the pscan
# tests' verdicts mean nothing.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
# Whatever pscan writes in its working directory (pscan.resume when it is
# stopped, -oA files) lands in the test's own directory, never in the work tree.
cd "$TEST_TMP" || bail "cannot enter $TEST_TMP"
need_root
need_cmd ip nft ss flock timeout
need_file "$LISTENER" "listener"

# tcp_probe ADDR PORT: "open BANNER", "closed" or "timeout" (2 s bound).
tcp_probe() {
    local r
    # shellcheck disable=SC2016 # $1 and $2 belong to the inner bash
    r=$(timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2" || exit 3; head -n 1 <&3 | tr -d "\r"' _ "$1" "$2" 2>/dev/null)
    case $? in
    0) echo "open $r" ;;
    124) echo timeout ;;
    *) echo closed ;;
    esac
}

tb_create srv --local || bail "cannot create the test host"
ok "tb_create makes $TB_NS, $TB_VH ($TB_IP4, $TB_IP6, $TB_LOCAL)"
ns=$TB_NS vh=$TB_VH ip4=$TB_IP4

check_cmd "route check: $TB_IP4 via $TB_VH" tb_route_check "$TB_IP4" "$TB_VH"
check_cmd "route check: $TB_IP6 via $TB_VH" tb_route_check "$TB_IP6" "$TB_VH"
check_cmd "route check: ${TB_LOCAL_PFX}77 via $TB_VH" tb_route_check "${TB_LOCAL_PFX}77" "$TB_VH"
check_cmd "route check: 127.0.0.1 via lo in the namespace" tb_route_check -n "$TB_NS" 127.0.0.1 lo
check_cmd "route check: ::1 via lo" tb_route_check ::1 lo

refuse() { check_not "route check refuses $1 via $2" tb_route_check "$1" "$2"; }
refuse "$TB_IP4" lo
refuse 127.0.0.1 "$TB_VH"
refuse 192.0.2.1 "$TB_VH"
refuse 198.18.255.254 "$TB_VH"
refuse 2001:db8:ffff::9 "$TB_VH"
refuse 1.2.3 lo

listener_start -n "$TB_NS" dual -6 -b "hello" :: 0 0 0 || bail "listener did not start"
lpid=$L_PID
ports=("${L_PORTS[@]}")
check_eq "listener reports 3 bound ports" "${#ports[@]}" 3
check_set "ss in the namespace sees the listener (IPv4 view)" "$(listen_ports -n "$TB_NS" 4 "$TB_IP4")" "${ports[*]}"
check_set "ss in the namespace sees the listener (IPv6 view)" "$(listen_ports -n "$TB_NS" 6 "$TB_IP6")" "${ports[*]}"
check_not "host's ss does not see the namespace's sockets" grep -q "pid=$lpid," <(ss -ltnpH)
check_cmd "the namespace's ss does" grep -q "pid=$lpid," <(tb_run_ns ss -ltnpH)

check_eq "banner over IPv4" "$(tcp_probe "$TB_IP4" "${ports[0]}")" "open hello"
check_eq "banner over IPv6" "$(tcp_probe "$TB_IP6" "${ports[1]}")" "open hello"
check_eq "banner from the local range" "$(tcp_probe "${TB_LOCAL_PFX}200" "${ports[2]}")" "open hello"

closed=1
while [[ " ${ports[*]} " == *" $closed "* ]]; do closed=$((closed + 1)); done
check_eq "closed port refuses" "$(tcp_probe "$TB_IP4" "$closed")" "closed"

check_not "listener on an address it does not own fails" listener_start -n "$TB_NS" quick 198.18.0.0 0

check_cmd "tb_drop installs its table" tb_drop "${ports[0]}, $closed"
check_eq "tb_drop: open port times out" "$(tcp_probe "$TB_IP4" "${ports[0]}")" "timeout"
check_eq "tb_drop: closed port times out" "$(tcp_probe "$TB_IP4" "$closed")" "timeout"
check_eq "tb_drop: other port still answers" "$(tcp_probe "$TB_IP4" "${ports[1]}")" "open hello"
tb_undrop
check_eq "tb_undrop: port answers again" "$(tcp_probe "$TB_IP4" "${ports[0]}")" "open hello"

tb_create iso --isolated || bail "cannot create the isolated namespace"
check_not "isolated namespace has no route out" tb_route_check -n "$TB_NS" "$ip4" "$vh"
if timeout 5 ip netns exec "$TB_NS" getent hosts nosuchhost.invalid >/dev/null; then
    not_ok "isolated namespace resolves nothing"
else
    ok "isolated namespace resolves nothing"
fi
iso=$TB_NS

tb_destroy srv
tb_destroy srv
ns_exists() { ip netns list | grep -q "^$1\b"; }
link_exists() { ip link show "$1" >/dev/null 2>&1; }
alive() { kill -0 "$1" 2>/dev/null; }
check_not "tb_destroy removes $ns (twice is harmless)" ns_exists "$ns"
check_not "tb_destroy removes $vh" link_exists "$vh"
check_not "tb_destroy ends the namespace's processes" alive "$lpid"
check_not "tb_destroy removes /etc/netns/$ns" test -e "/etc/netns/$ns"

# A script killed half-way still cleans up.
child=$TEST_TMP/child.sh
cat >"$child" <<EOF
. "$TEST_ROOT/tests/lib/common.sh"
. "$TEST_ROOT/tests/lib/netns.sh"
tb_create victim --local || exit 3
listener_start -n "\$TB_NS" v 127.0.0.1 0 || exit 4
echo "\$TB_NS \$TB_VH \$L_PID \$TEST_TMP"
kill -TERM \$\$
sleep 30
EOF
timeout 20 bash "$child" >"$TEST_TMP/child.out" 2>&1
read -r cns cvh cpid ctmp <"$TEST_TMP/child.out"
if [ -z "${cns:-}" ]; then
    not_ok "killed script: setup" "the child script printed nothing"
else
    check_not "killed script: namespace removed" ns_exists "$cns"
    check_not "killed script: veth removed" link_exists "$cvh"
    check_not "killed script: listener ended" alive "$cpid"
    check_not "killed script: temp dir removed" test -e "$ctmp"
fi

tb_destroy
check_not "tb_destroy with no name removes the rest" ns_exists "$iso"
finish
