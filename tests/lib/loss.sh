# shellcheck shell=bash
# tests/lib/loss.sh: random packet loss on one veth, with nftables (this
# kernel has no netem).  Used by bench/loss_bench.sh (through bt_loss_set in
# bench/lib/testbed.sh) and tests/integration/syn_loss.sh.
#
#   loss_set NS DEV FWD REV [RNS RDEV]
#       In namespace NS ("" = here), on the target's end DEV of a veth:
#       drop FWD % of the TCP frames arriving on DEV (the probes), and REV %
#       of the TCP frames DEV sends (the answers), each frame drawn on its
#       own (numgen random).  FWD and REV are 0..100.  Replaces an earlier
#       loss_set of NS.  With RNS and RDEV the answers are dropped instead on
#       the ingress of RDEV in namespace RNS (the scanner's end of the veth;
#       see "Where the answers are dropped" below).
#   loss_clear NS [RNS]
#       removes the rules (and their counters); safe to call twice.  Give
#       RNS (even "") when loss_set was given one.
#   loss_counters NS [RNS]
#       prints "syn_seen syn_drop in_seen in_drop out_seen out_drop":
#       SYNs without ACK (probes) that arrived on DEV and how many of them
#       were dropped, all TCP frames that arrived and were dropped, TCP frames
#       sent the other way and dropped.  Counters only grow: take deltas.
#
# Only IPv4 TCP is dropped.  ARP is not (a lost ARP reply would stall all
# answers for a second, which is not the loss being measured), nor ICMP.
#
# The chains run at priority 10 on their hooks, after any chain of priority
# 0 on the same hook: bench/lib/testbed.sh counts probes on DEV's ingress at
# priority 0, so that counter sees every probe, dropped or not.  syn_seen is
# the same count from inside the loss table; the two must agree.
#
# Where the answers are dropped.  A packet socket (pscan's capture, libpcap
# under nmap, zmap and masscan) gets its copy of an arriving frame in
# __netif_receive_skb_core *before* the netdev ingress hook runs.  A drop
# rule on the ingress of the scanner's end of the veth therefore hides the
# answer from the scanner's kernel but not from a raw scanner: with 100 %
# of TCP dropped there, pscan still found every open port (tried on this
# kernel, 6.18).  So by default the answers are dropped on the egress hook
# of the target's end, before they cross the veth: lost for everyone, as on
# a real network.  RNS/RDEV give the other placement, for comparison.

_loss_in() {
    local ns=$1
    shift
    if [ -n "$ns" ]; then ip netns exec "$ns" "$@"; else "$@"; fi
}

# _loss_rule PCT COUNTER: the body of a rule dropping PCT % of TCP frames.
_loss_rule() {
    local pct=$1 name=$2
    if [ "$pct" -ge 100 ]; then
        echo "ip protocol tcp counter name \"$name\" drop"
    elif [ "$pct" -gt 0 ]; then
        echo "ip protocol tcp numgen random mod 100 < $pct counter name \"$name\" drop"
    fi
}

loss_set() {
    local ns=$1 dev=$2 fwd=$3 rev=$4 rns=${5:-} rdev=${6:-} split=0
    local p
    for p in "$fwd" "$rev"; do
        [[ "$p" =~ ^[0-9]+$ ]] && [ "$p" -le 100 ] || { echo "loss_set: '$p' is not a percentage 0..100" >&2; return 1; }
    done
    [ -n "$rdev" ] && split=1
    if [ "$split" -eq 1 ]; then loss_clear "$ns" "$rns"; else loss_clear "$ns"; fi
    local fwd_drop="" rev_rule
    # The random draw and the drop are one rule; the SYN count of the
    # dropped frames is taken in a chain the rule jumps to.
    if [ "$fwd" -ge 100 ]; then
        fwd_drop="ip protocol tcp jump lose_probe"
    elif [ "$fwd" -gt 0 ]; then
        fwd_drop="ip protocol tcp numgen random mod 100 < $fwd jump lose_probe"
    fi
    rev_rule=$(_loss_rule "$rev" out_drop)
    _loss_in "$ns" nft -f - <<EOF || return 1
table netdev psloss {
    counter syn_seen { }
    counter syn_drop { }
    counter in_seen { }
    counter in_drop { }
    counter out_seen { }
    counter out_drop { }
    chain probes_in {
        type filter hook ingress device "$dev" priority 10; policy accept;
        ip protocol tcp counter name "in_seen"
        tcp flags & (syn | ack) == syn counter name "syn_seen"
        $fwd_drop
    }
    chain lose_probe {
        tcp flags & (syn | ack) == syn counter name "syn_drop"
        counter name "in_drop" drop
    }
$(if [ "$split" -eq 0 ]; then cat <<EOR
    chain answers_out {
        type filter hook egress device "$dev" priority 10; policy accept;
        ip protocol tcp counter name "out_seen"
        $rev_rule
    }
EOR
fi)
}
EOF
    [ "$split" -eq 1 ] || return 0
    _loss_in "$rns" nft -f - <<EOF || return 1
table netdev psloss {
    counter out_seen { }
    counter out_drop { }
    chain answers_in {
        type filter hook ingress device "$rdev" priority 10; policy accept;
        ip protocol tcp counter name "out_seen"
        $rev_rule
    }
}
EOF
}

loss_clear() {
    _loss_in "$1" nft delete table netdev psloss 2>/dev/null
    [ $# -lt 2 ] || _loss_in "$2" nft delete table netdev psloss 2>/dev/null
    return 0
}

# _loss_read NS: "NAME PACKETS" for every counter of NS's psloss table.
_loss_read() {
    _loss_in "$1" nft list counters table netdev psloss 2>/dev/null | awk '
        $1 == "counter" { name = $2 }
        /packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print name, $(i + 1) }'
}

loss_counters() {
    # With two arguments the second namespace ("" = here) holds the
    # answers' counters (loss_set ... RNS RDEV).
    { _loss_read "$1"; [ $# -lt 2 ] || _loss_read "$2"; } | awk '
        { v[$1] = $2 }
        END { printf "%d %d %d %d %d %d\n", v["syn_seen"], v["syn_drop"], v["in_seen"], v["in_drop"], v["out_seen"], v["out_drop"] }'
}
