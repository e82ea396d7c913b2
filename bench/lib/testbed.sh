# shellcheck shell=bash
# bench/lib/testbed.sh: the benchmark's network, built and torn down by bench/run.sh.
#
# Two hosts joined by one veth pair:
#
#   scanner side  BT_SIF  198.18.255.N+1/30   route 198.19.0.0/16 via the target
#   target side   BT_TIF  198.18.255.N+2/30   in namespace BT_TGT
#                         ip route add local 198.19.0.0/16 dev lo
#
# The target namespace answers for all 65,536 addresses of 198.19.0.0/16:
# its `local` route makes every one of them an address of its own, so a
# listener bound to 0.0.0.0 is open on every address at once.
#
# Where the scanner side lives.  By default (BT_SIDE=ns) in a second
# namespace of ours, BT_SCN, and every tool runs there through
# `ip netns exec`.  The host's routing table is shared with every other
# test run on this machine: a 198.19.0.0/16 route there would swallow the
# 198.19.X.0/24 routes of the integration harness (tests/lib/netns.sh),
# which then finds no free slot while a benchmark runs, and a tool that
# routes each target itself (nmap) would send part of the /16 into someone
# else's namespace.  In a namespace of our own the table holds nothing but
# our route.  BT_SIDE=host puts the scanner end in the root namespace
# instead; it refuses to start if any route of the host already overlaps
# 198.19.0.0/16.  Both are a veth pair in the same kernel: the packet
# path and its cost are the same.  (The bench scripts re-exec themselves in
# a network namespace of their own, tests/lib/isolate.sh, so "the host"
# and "the root namespace" here are that private namespace, with only lo
# and no route out, not the machine's.)
#
# bt_create sets BT_TGT, BT_SCN ("" for host), BT_SIF, BT_TIF, BT_SRC (the
# scanner's address), BT_GW (the target's veth address), BT_GW_MAC and
# BT_SRC_MAC.  bt_destroy removes everything and may be called twice.
# bt_scn CMD... runs CMD on the scanner side, bt_tgt CMD... in the target.

BT_RANGE=198.19.0.0/16
BT_LOCK=${BT_LOCK:-/run/lock/pscan-testbed.lock}
BT_TGT="" BT_SCN="" BT_SIF="" BT_TIF="" BT_SRC="" BT_GW="" BT_GW_MAC="" BT_SRC_MAC=""
_bt_host_route=0

bt_say() { printf 'bench: %s\n' "$*" >&2; }

bt_scn() {
    if [ -n "$BT_SCN" ]; then ip netns exec "$BT_SCN" "$@"; else "$@"; fi
}

bt_tgt() { ip netns exec "$BT_TGT" "$@"; }

# _bt_wait_up NS DEV: at most 2 s for DEV's carrier ("" = root namespace).
_bt_wait_up() {
    local _
    for _ in $(seq 100); do
        if [ -n "$1" ]; then
            ip -n "$1" link show "$2" 2>/dev/null | grep -q LOWER_UP && return 0
        else
            ip link show "$2" 2>/dev/null | grep -q LOWER_UP && return 0
        fi
        sleep 0.02
    done
    return 1
}

# In host mode our /30 must be unused, and nothing of the host may already
# route any part of 198.19.0.0/16.
_bt_host_free() {
    local net=$1
    ! ip -4 addr show | grep -q " ${net%.*}\.\(${net##*.}\|$((${net##*.} + 1))\|$((${net##*.} + 2))\)/" &&
        [ -z "$(ip -4 route show root "$BT_RANGE")" ] &&
        [ -z "$(ip -4 route show match "$BT_RANGE" | grep -v '^default')" ] &&
        [ -z "$(ip -4 route show root "$net/30")" ]
}

# bt_create SIDE: SIDE is ns or host.  Non-zero (having said why) on failure;
# whatever was built so far is left for bt_destroy.
bt_create() {
    local side=$1 id=$$ lockfd net
    BT_TGT=psb-t-$id
    BT_SIF=psbs$id BT_TIF=psbt$id
    [ "$side" = ns ] && BT_SCN=psb-s-$id
    # The /30 is 198.18.255.N: fixed in a namespace of ours, chosen in host
    # mode among 64 slots outside the harness's 198.18.1-250.0/30.
    net=198.18.255.0
    exec {lockfd}>"$BT_LOCK" || return 1
    if ! flock -w 10 "$lockfd"; then
        exec {lockfd}>&-
        bt_say "lock $BT_LOCK busy for 10 s"
        return 1
    fi
    if [ "$side" = host ]; then
        local n found=""
        for ((n = 0; n < 256; n += 4)); do
            if _bt_host_free "198.18.255.$n"; then found=$n; break; fi
        done
        if [ -z "$found" ]; then
            exec {lockfd}>&-
            bt_say "host mode: a route of this host already covers part of $BT_RANGE (or no free /30 in 198.18.255.0/24); use BT_SIDE=ns"
            return 1
        fi
        net=198.18.255.$found
    fi
    BT_SRC=${net%.*}.$((${net##*.} + 1)) BT_GW=${net%.*}.$((${net##*.} + 2))
    local rc=0
    {
        ip netns add "$BT_TGT" &&
            mkdir -p "/etc/netns/$BT_TGT" && echo "hosts: files" >"/etc/netns/$BT_TGT/nsswitch.conf" &&
            ip -n "$BT_TGT" link set lo up &&
            if [ -n "$BT_SCN" ]; then
                ip netns add "$BT_SCN" &&
                    mkdir -p "/etc/netns/$BT_SCN" && echo "hosts: files" >"/etc/netns/$BT_SCN/nsswitch.conf" &&
                    ip -n "$BT_SCN" link set lo up &&
                    ip -n "$BT_SCN" link add "$BT_SIF" type veth peer name "$BT_TIF" netns "$BT_TGT"
            else
                ip link add "$BT_SIF" type veth peer name "$BT_TIF" netns "$BT_TGT"
            fi &&
            bt_scn ip addr add "$BT_SRC/30" dev "$BT_SIF" &&
            bt_scn ip link set "$BT_SIF" up &&
            ip -n "$BT_TGT" addr add "$BT_GW/30" dev "$BT_TIF" &&
            ip -n "$BT_TGT" link set "$BT_TIF" up &&
            ip -n "$BT_TGT" route add local "$BT_RANGE" dev lo &&
            bt_scn ip route add "$BT_RANGE" via "$BT_GW" dev "$BT_SIF" &&
            { [ -n "$BT_SCN" ] || _bt_host_route=1; }
    } || rc=1
    exec {lockfd}>&-
    if [ "$rc" -ne 0 ]; then
        bt_say "building the test bed failed"
        return 1
    fi
    if ! _bt_wait_up "$BT_SCN" "$BT_SIF" || ! _bt_wait_up "$BT_TGT" "$BT_TIF"; then
        bt_say "veth $BT_SIF did not come up within 2 s"
        return 1
    fi
    # Every SYN gets its SYN-ACK even when the listen queues overflow.
    bt_tgt sysctl -q -w net.ipv4.tcp_syncookies=1 >/dev/null || return 1
    BT_GW_MAC=$(ip -n "$BT_TGT" -br link show "$BT_TIF" | awk '{ print $3 }')
    BT_SRC_MAC=$(bt_scn ip -br link show "$BT_SIF" | awk '{ print $3 }')
    [ -n "$BT_GW_MAC" ] && [ -n "$BT_SRC_MAC" ] || { bt_say "cannot read the veth MACs"; return 1; }
    # A permanent neighbour entry: no tool's timing includes an ARP exchange.
    bt_scn ip neigh replace "$BT_GW" lladdr "$BT_GW_MAC" dev "$BT_SIF" nud permanent || return 1
    # Probes that reach the target, counted by the target's kernel: SYNs
    # without ACK, on the veth's ingress hook (it sees every frame).
    bt_tgt nft -f - <<EOF || return 1
table netdev psbench {
    counter probes { }
    chain in {
        type filter hook ingress device "$BT_TIF" priority 0; policy accept;
        tcp flags & (syn | ack) == syn counter name "probes"
    }
}
EOF
    return 0
}

# bt_probes: SYNs the target has received so far.
bt_probes() {
    bt_tgt nft list counter netdev psbench probes | awk '/packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}

# Random loss on the veth, for bench/loss_bench.sh.  The rules and their
# counters are tests/lib/loss.sh's: IPv4 TCP only, drawn per frame, at
# priority 10, after the probe counter above (priority 0), so bt_probes
# still counts every probe that reached the target, dropped or not.
#
# bt_loss_set PCT [target|scanner]: drop PCT % (0..100) of the probes on the
# target's ingress and PCT % of the answers: on the target's egress
# (target, the default: the answer never crosses the veth), or on the
# scanner's ingress (scanner: a packet capture still gets its copy there,
# see tests/lib/loss.sh, so only the scanner's kernel loses the answer).
# bt_loss_counters: "syn_seen syn_drop in_seen in_drop out_seen out_drop"
# (loss_counters).  bt_loss_clear removes the rules; bt_destroy does too.
. "$(dirname "${BASH_SOURCE[0]}")/../../tests/lib/loss.sh"
BT_LOSS_AT=target

bt_loss_set() {
    local pct=$1
    BT_LOSS_AT=${2:-target}
    case "$BT_LOSS_AT" in
    target) loss_set "$BT_TGT" "$BT_TIF" "$pct" "$pct" ;;
    scanner) loss_set "$BT_TGT" "$BT_TIF" "$pct" "$pct" "$BT_SCN" "$BT_SIF" ;;
    *) bt_say "bt_loss_set: '$BT_LOSS_AT' is neither target nor scanner"; return 1 ;;
    esac
}

bt_loss_counters() {
    if [ "$BT_LOSS_AT" = scanner ]; then
        loss_counters "$BT_TGT" "$BT_SCN"
    else
        loss_counters "$BT_TGT"
    fi
}

bt_loss_clear() {
    [ -n "$BT_TGT" ] || return 0
    if [ "$BT_LOSS_AT" = scanner ]; then loss_clear "$BT_TGT" "$BT_SCN"; else loss_clear "$BT_TGT"; fi
}

# bt_route_check ADDR: refuse (non-zero, saying why) unless ADDR is ours to
# scan and `ip route get ADDR` on the scanner side leaves through our veth
# (via the target for 198.19.0.0/16, directly for the target's own address).
bt_route_check() {
    local addr=$1 out dev via
    case "$addr" in
    198.19.*.* | "$BT_GW") ;;
    *) bt_say "route check: $addr is outside $BT_RANGE"; return 1 ;;
    esac
    out=$(bt_scn ip -4 route get "$addr" 2>&1 | head -n 1)
    dev=$(awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }' <<<"$out")
    via=$(awk '{ for (i = 1; i < NF; i++) if ($i == "via") { print $(i + 1); exit } }' <<<"$out")
    if [ "$dev" != "$BT_SIF" ]; then
        bt_say "route check: $addr leaves through '${dev:-?}', not $BT_SIF ($out)"
        return 1
    fi
    if [ "$addr" != "$BT_GW" ] && [ "$via" != "$BT_GW" ]; then
        bt_say "route check: $addr does not go via $BT_GW ($out)"
        return 1
    fi
    return 0
}

# bt_destroy: end our processes in the namespaces (by PID), remove the
# route, the veth and the namespaces.  Safe to call twice.
bt_destroy() {
    local ns pid
    for ns in "$BT_TGT" "$BT_SCN"; do
        [ -n "$ns" ] || continue
        if ip netns list | grep -q "^$ns\b"; then
            for pid in $(ip netns pids "$ns" 2>/dev/null); do
                kill "$pid" 2>/dev/null || true
            done
        fi
    done
    if [ "$_bt_host_route" -eq 1 ]; then
        ip route del "$BT_RANGE" via "$BT_GW" dev "$BT_SIF" 2>/dev/null
        _bt_host_route=0
    fi
    if [ -n "$BT_SIF" ]; then
        bt_scn ip link del "$BT_SIF" 2>/dev/null
    fi
    for ns in "$BT_TGT" "$BT_SCN"; do
        [ -n "$ns" ] || continue
        ip netns del "$ns" 2>/dev/null
        rm -rf "/etc/netns/$ns"
    done
    BT_TGT="" BT_SCN="" BT_SIF=""
    return 0
}
