# shellcheck shell=bash
# tests/lib/shaped.sh: a namespace /24 that answers in every shape a merge
# of sharded scans must put back together.  Source after common.sh,
# netns.sh and syn.sh.
#
#   shaped_host NAME   tb_create NAME --local, its routes checked, a
#                      listener on three random ports of 100-900 (SH_OPEN,
#                      an array) on every address, and these rules:
#     .200-.255   silent on every TCP port (down without -Pn);
#     .100-.149   answer on SH_OPEN[0] only (every other port dropped);
#     .0-.49      ports 2001-2030 dropped (no-response);
#     .50-.59     ports 1001-1005 rejected with admin-prohibited.
#                      Sets SH_P, the /24's first three octets ("198.19.X").
#                      Returns 1 (with a note) when any step fails.
SH_OPEN=()
SH_P=""

shaped_host() {
    tb_create "$1" --local || return 1
    local a
    for a in "${TB_LOCAL_PFX}0" "${TB_LOCAL_PFX}255"; do
        tb_route_check "$a" "$TB_VH" || return 1
    done
    read -r -a SH_OPEN <<<"$(syn_ports_between 100 900 3)"
    listener_start -n "$TB_NS" "$1" 0.0.0.0 "${SH_OPEN[@]}" || return 1
    syn_icmp_unlimited || return 1
    SH_P=${TB_LOCAL_PFX%.}
    tb_run_ns nft -f - <<EOF
table inet pscantest {
    chain input {
        type filter hook input priority 0; policy accept;
        ip daddr $SH_P.200-$SH_P.255 meta l4proto tcp drop
        ip daddr $SH_P.100-$SH_P.149 tcp dport != ${SH_OPEN[0]} drop
        ip daddr $SH_P.0-$SH_P.49 tcp dport 2001-2030 drop
        ip daddr $SH_P.50-$SH_P.59 tcp dport 1001-1005 reject with icmp type admin-prohibited
    }
}
EOF
}
