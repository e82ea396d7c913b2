#!/usr/bin/env bash
# route_errors.sh: -e and -S that no reply could come back through are one
# clear error before anything is sent, for every kind of scan; right ones
# still work, and -S is the source of -sT and -sU sockets too.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
cd "$TEST_TMP" || bail "cannot enter $TEST_TMP"
need_root
need_cmd ip timeout ss
need_file "$PSCAN" "pscan"
need_file "$LISTENER" "listener"

tb_create rerr || bail "cannot create the test host"
tb_route_check "$TB_IP4" "$TB_VH" || bail "$TB_IP4 is not routed via $TB_VH"
listener_start -n "$TB_NS" far "$TB_IP4" 0 || bail "listener did not start"
PORT=${L_PORTS[0]}
need_cmd nft
# Every IPv4 packet that reaches the test host is counted (the kernel's own
# IPv6 neighbour traffic on the veth is not ours, so not counted).
ip netns exec "$TB_NS" nft -f - <<NFT || bail "cannot add the nftables counters"
table inet pscan_rerr {
    chain input {
        type filter hook input priority 0;
        meta nfproto ipv4 counter
        ip saddr 198.18.255.5 tcp dport $PORT counter
        ip saddr 198.18.255.5 udp dport 53 counter
    }
}
NFT
counted() {
    ip netns exec "$TB_NS" nft list chain inet pscan_rerr input | grep -- "$1" | grep -o 'packets [0-9]*' | cut -d' ' -f2
}
tx() { counted 'meta nfproto ipv4'; }

n=0
refused() {
    local name=$1 want=$2 before ports=(-p "$PORT")
    shift 2
    n=$((n + 1))
    before=$(tx)
    [[ " $* " == *" -sn "* ]] && ports=() # -sn scans no port: -p is refused with it
    pscan_run "bad$n" "$@" "${ports[@]}" "$TB_IP4" </dev/null
    if [ "$RC" -eq 1 ] && [ ! -s "$OUT" ] && [ "$(grep -c '' "$ERR")" -eq 1 ] && grep -Eq -- "$want" "$ERR"; then
        ok "$name: one clear error"
    else
        not_ok "$name: one clear error" "exit $RC; stderr: $(head -3 "$ERR"); stdout: $(head -3 "$OUT")"
    fi
    check_eq "$name: nothing sent" "$(tx)" "$before"
}
for kind in -sS -sT -sU -sn; do
    args=("$kind")
    [ "$kind" = -sn ] && args=(-sn -PE)
    refused "$kind -e lo" "-e lo: $TB_IP4 is routed through $TB_VH, not lo" "${args[@]}" -e lo
    refused "$kind -S 127.0.0.1" "-S 127.0.0.1: a loopback source cannot get answers from $TB_IP4" \
        "${args[@]}" -S 127.0.0.1
done
refused "-sS -S of another machine" "not an address of this machine" -sS -S 198.18.255.1

# The right interface and source work, for -sS and for -sT.
for kind in -sS -sT; do
    pscan_run "good$kind" "$kind" -e "$TB_VH" -S "$TB_HOST4" -p "$PORT" "$TB_IP4" </dev/null
    check_cmd "$kind -e $TB_VH -S $TB_HOST4: the open port" grep -q "^$PORT/tcp *open" "$OUT"
done

# -sT and -sU bind their sockets to -S: with a second address on our end
# of the veth, the test host counts packets from it.
ip addr add 198.18.255.5/32 dev "$TB_VH" || bail "cannot add a second address"
at_exit ip addr del 198.18.255.5/32 dev "$TB_VH"
ip -n "$TB_NS" route add 198.18.255.5/32 dev "$TB_VN" || bail "cannot route the second address back"
pscan_run bound -sT -S 198.18.255.5 -p "$PORT" "$TB_IP4" </dev/null
check_cmd "-sT -S 198.18.255.5: the port is open" grep -q "^$PORT/tcp *open" "$OUT"
check_cmd "-sT -S 198.18.255.5: the probes came from it" test "$(counted 'tcp dport')" -gt 0
pscan_run bound_udp -sU -S 198.18.255.5 -p 53 "$TB_IP4" </dev/null
check_cmd "-sU -S 198.18.255.5: the probes came from it" test "$(counted 'udp dport')" -gt 0
finish
