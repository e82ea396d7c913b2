# tests/lib/netns.sh: test hosts in network namespaces.  Source after common.sh.
#
# A test host is a network namespace "ps-NAME-PID" joined to this host by a
# veth pair.  Each one gets a slot X in 1..250, chosen under a lock file so
# that concurrent runs (other scripts, other worktrees) never share one, and
# skipping slots whose addresses or routes are already in use:
#
#   host side  vhXpPID  198.18.X.1/30   2001:db8:X::1/64   (X in hex for v6)
#   ns side    vnXpPID  198.18.X.2/30   2001:db8:X::2/64
#   --local    inside:  ip route add local 198.19.X.0/24 dev lo
#              host:    ip route add 198.19.X.0/24 via 198.18.X.2 dev vhXpPID
#
# so the namespace answers for all 256 addresses of 198.19.X.0/24 at once.
# (One /24 per slot, not the whole 198.19.0.0/16: the host's routing table is
# shared by every concurrent run.)  The namespace has no default route and no
# DNS (its nsswitch.conf says "hosts: files"), so nothing in it can reach
# anything but this host.  `tb_create NAME --isolated` makes a namespace with
# only lo: somewhere to run pscan against loopback without touching the host's
# loopback services, and where an address pscan should have refused can reach
# nothing.
#
# After tb_create the current host's values are in TB_NS, TB_VH, TB_VN,
# TB_HOST4, TB_IP4, TB_HOST6, TB_IP6, TB_LOCAL (CIDR) and TB_LOCAL_PFX
# ("198.19.X."); with several hosts, tb_use NAME switches.  tb_destroy
# (registered with at_exit, idempotent) removes them all, or one by name.

TB_LOCK=${TB_LOCK:-/run/lock/pscan-testbed.lock}
declare -A _TB_NS=() _TB_VH=() _TB_SLOT=() _TB_LOCAL=()
_tb_hooked=0

_tb_slot_free() {
    local x=$1 hx
    hx=$(printf '%x' "$x")
    # Any route, however wide, already covering our addresses (a run that
    # claimed all of 198.19.0.0/16, say) makes the slot unsafe.
    ! ip -4 route show match "198.18.$x.2" | grep -qv '^default' &&
        ! ip -4 route show match "198.19.$x.1" | grep -qv '^default' &&
        ! ip -6 route show match "2001:db8:$hx::2" | grep -qv '^default' &&
        ! ip -4 addr show | grep -q " 198\.18\.$x\." &&
        ! ip -4 route show | grep -q "198\.1[89]\.$x\." &&
        ! ip -6 addr show | grep -qi " 2001:db8:$hx::" &&
        ! ip -6 route show | grep -qi "^2001:db8:$hx::"
}

# _tb_wait_up NS DEV: wait (at most 2 s) until DEV's carrier is up in NS ("" = here).
_tb_wait_up() {
    local i
    for i in $(seq 100); do
        if [ -n "$1" ]; then
            ip -n "$1" link show "$2" 2>/dev/null | grep -q LOWER_UP && return 0
        else
            ip link show "$2" 2>/dev/null | grep -q LOWER_UP && return 0
        fi
        sleep 0.02
    done
    return 1
}

_tb_ns_common() {
    local ns=$1
    ip netns add "$ns" || return 1
    mkdir -p "/etc/netns/$ns" && echo "hosts: files" >"/etc/netns/$ns/nsswitch.conf"
    ip -n "$ns" link set lo up || return 1
}

tb_use() {
    local name=$1 x
    [ -n "${_TB_NS[$name]:-}" ] || return 1
    TB_NS=${_TB_NS[$name]}
    TB_VH=${_TB_VH[$name]}
    x=${_TB_SLOT[$name]}
    if [ -n "$x" ]; then
        local hx
        hx=$(printf '%x' "$x")
        TB_VN=vn${x}p$$
        TB_HOST4=198.18.$x.1 TB_IP4=198.18.$x.2
        TB_HOST6=2001:db8:$hx::1 TB_IP6=2001:db8:$hx::2
        TB_LOCAL=${_TB_LOCAL[$name]} TB_LOCAL_PFX=198.19.$x.
    else
        TB_VN="" TB_HOST4="" TB_IP4="" TB_HOST6="" TB_IP6="" TB_LOCAL="" TB_LOCAL_PFX=""
    fi
}

# tb_create NAME [--local] [--isolated]: returns non-zero (and says why) on failure.
tb_create() {
    local name=$1 local_range=0 isolated=0 ns x vh vn hx opt lockfd
    shift
    for opt in "$@"; do
        case "$opt" in
        --local) local_range=1 ;;
        --isolated) isolated=1 ;;
        *) note "tb_create: unknown option $opt"; return 1 ;;
        esac
    done
    ns=ps-$name-$$
    if [ "$_tb_hooked" -eq 0 ]; then
        at_exit tb_destroy
        _tb_hooked=1
    fi
    _TB_NS[$name]=$ns _TB_VH[$name]="" _TB_SLOT[$name]="" _TB_LOCAL[$name]=""

    if [ "$isolated" -eq 1 ]; then
        _tb_ns_common "$ns" || { note "tb_create $name: cannot create namespace $ns"; return 1; }
        tb_use "$name"
        return 0
    fi

    # The lock covers choosing a slot and claiming it (addresses on the veth).
    exec {lockfd}>"$TB_LOCK" || return 1
    if ! flock -w 10 "$lockfd"; then
        exec {lockfd}>&-
        note "tb_create $name: lock $TB_LOCK busy for 10 s"
        return 1
    fi
    x=""
    local start=$(($$ % 250)) i c
    for ((i = 0; i < 250; i++)); do
        c=$(((start + i) % 250 + 1))
        if _tb_slot_free "$c"; then x=$c; break; fi
    done
    if [ -z "$x" ]; then
        exec {lockfd}>&-
        note "tb_create $name: no free 198.18.X.0/30 slot"
        return 1
    fi
    hx=$(printf '%x' "$x")
    vh=vh${x}p$$ vn=vn${x}p$$
    _TB_VH[$name]=$vh _TB_SLOT[$name]=$x
    local rc=0
    {
        _tb_ns_common "$ns" &&
            ip link add "$vh" type veth peer name "$vn" netns "$ns" &&
            ip addr add "198.18.$x.1/30" dev "$vh" &&
            ip -6 addr add "2001:db8:$hx::1/64" dev "$vh" nodad &&
            ip link set "$vh" up &&
            ip -n "$ns" addr add "198.18.$x.2/30" dev "$vn" &&
            ip -n "$ns" -6 addr add "2001:db8:$hx::2/64" dev "$vn" nodad &&
            ip -n "$ns" link set "$vn" up
    } || rc=1
    if [ "$rc" -eq 0 ] && [ "$local_range" -eq 1 ]; then
        _TB_LOCAL[$name]=198.19.$x.0/24
        ip -n "$ns" route add local "198.19.$x.0/24" dev lo &&
            ip route add "198.19.$x.0/24" via "198.18.$x.2" dev "$vh" || rc=1
    fi
    exec {lockfd}>&-
    if [ "$rc" -ne 0 ]; then
        note "tb_create $name: setting up $ns / $vh failed"
        return 1
    fi
    if ! _tb_wait_up "" "$vh" || ! _tb_wait_up "$ns" "$vn"; then
        note "tb_create $name: veth $vh did not come up within 2 s"
        return 1
    fi
    tb_use "$name"
    return 0
}

# tb_route_check [-n NS] ADDR DEV: refuse (non-zero, with the reason) unless
# `ip route get ADDR` (in NS if given) leaves through DEV, and ADDR is of the
# kind DEV may carry: loopback (127.0.0.0/8, ::1) for lo, a test address
# (198.18.0.0/15, 2001:db8::/32) for anything else.
tb_route_check() {
    local ns=""
    if [ "$1" = "-n" ]; then
        ns=$2
        shift 2
    fi
    local addr=$1 dev=$2 out got kind
    case "${addr,,}" in
    127.*.*.* | ::1 | 0:0:0:0:0:0:0:1) kind="loopback" ;;
    198.18.*.* | 198.19.*.*) kind="test" ;;
    2001:db8:* | 2001:0db8:*) kind="test" ;;
    *) kind="other" ;;
    esac
    if [ "$dev" = lo ] && [ "$kind" != loopback ]; then
        note "route check: $addr is not a loopback address"
        return 1
    fi
    if [ "$dev" != lo ] && [ "$kind" != test ]; then
        note "route check: $addr is not in 198.18.0.0/15 or 2001:db8::/32"
        return 1
    fi
    if ! out=$(in_ns "$ns" ip route get "$addr" 2>&1); then
        note "route check: ip route get $addr: $out"
        return 1
    fi
    out=$(head -n 1 <<<"$out")
    case "$out" in
    unreachable* | prohibit* | blackhole* | throw*)
        note "route check: $addr: $out"
        return 1
        ;;
    esac
    got=$(awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }' <<<"$out")
    if [ "$got" != "$dev" ]; then
        note "route check: $addr leaves through '${got:-?}', not $dev ($out)"
        return 1
    fi
    return 0
}

# tb_run_ns CMD...: CMD inside the current test host.
tb_run_ns() { ip netns exec "$TB_NS" "$@"; }

# tb_drop PORTS: drop TCP to PORTS (comma or space separated; ranges a-b
# allowed) inside the current host, replacing any earlier tb_drop.
tb_drop() {
    local ports
    ports=$(tr -s ' ,' ',' <<<"$*" | sed 's/^,//; s/,$//; s/,/, /g')
    tb_undrop
    tb_run_ns nft -f - <<EOF
table inet pscantest {
    chain input {
        type filter hook input priority 0; policy accept;
        tcp dport { $ports } drop
    }
}
EOF
}

tb_undrop() { tb_run_ns nft delete table inet pscantest 2>/dev/null || true; }

# tb_destroy [NAME]: remove one test host or all; safe to call twice.
# Processes left in the namespace are ours (the namespace is private to
# this run): they are ended by PID before it goes.
tb_destroy() {
    local names name ns vh pid
    if [ $# -gt 0 ]; then names=("$@"); else names=("${!_TB_NS[@]}"); fi
    for name in "${names[@]}"; do
        ns=${_TB_NS[$name]:-}
        [ -n "$ns" ] || continue
        vh=${_TB_VH[$name]:-}
        if ip netns list | grep -q "^$ns\b"; then
            for pid in $(ip netns pids "$ns" 2>/dev/null); do
                kill "$pid" 2>/dev/null || true
            done
        fi
        [ -n "$vh" ] && ip link del "$vh" 2>/dev/null
        ip netns del "$ns" 2>/dev/null
        rm -rf "/etc/netns/$ns"
        unset "_TB_NS[$name]" "_TB_VH[$name]" "_TB_SLOT[$name]" "_TB_LOCAL[$name]"
    done
    return 0
}
