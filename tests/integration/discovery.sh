#!/usr/bin/env bash
# tests/integration/discovery.sh: host discovery (src/discover*.c) on a
# small test network, through tests/tools/discover_drive, checked against
# the set of hosts known to be up, and compared with `nmap -sn`.
#
# One namespace (tests/lib/netns.sh, slot X) plays several hosts:
#   on-link IPv4   198.18.X.64/26: we are .65; the namespace holds .66
#                  (plain), .67 (ICMP echo dropped, TCP 443 open), .68 (all
#                  IP dropped: only ARP proves it); .69 and .70 are not
#                  configured (down).
#   on-link IPv6   2001:db8:X::/64: we are ::1; the namespace holds ::2, ::3,
#                  ::4 (all IP dropped; NDP still answers); ::5, ::6 down.
#   routed IPv4    198.19.X.0/24 via 198.18.X.2 (the namespace answers for
#                  all of it): .1 plain, .2 echo+timestamp dropped but 443
#                  open, .3 everything dropped but TCP 80 (ACK -> reset),
#                  .4 everything dropped but ICMP timestamp, .5 and .6 all
#                  dropped (down).
#   routed IPv6    2001:db8:X:1::/64 via ::2, answered the same way: ::1
#                  plain, ::2 all dropped (down).
# nftables filters input in the namespace only; ARP is not IP and passes.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
# Whatever pscan writes in its working directory (pscan.resume when it is
# stopped, -oA files) lands in the test's own directory, never in the work tree.
cd "$TEST_TMP" || bail "cannot enter $TEST_TMP"
need_root
need_cmd ip nft timeout setpriv
DRIVE=${DRIVE:-$TEST_ROOT/build/tests/tools/discover_drive}
need_file "$DRIVE" "discover_drive"
need_file "$LISTENER" "listener"

tb_create disc --local || bail "cannot create the test host"
X=${TB_IP4#198.18.}
X=${X%.2}
HX=$(printf '%x' "$X")
L4=198.18.$X R4=198.19.$X L6=2001:db8:$HX: R6=2001:db8:$HX:1:

# The on-link /26 and the routed IPv6 /64, on top of what tb_create made.
ip addr add "$L4.65/26" dev "$TB_VH" || bail "cannot add $L4.65/26"
for a in 66 67 68; do
    tb_run_ns ip addr add "$L4.$a/26" dev "$TB_VN" || bail "cannot add $L4.$a"
done
for a in 3 4; do
    tb_run_ns ip -6 addr add "$L6:$a/64" dev "$TB_VN" nodad || bail "cannot add $L6:$a"
done
tb_run_ns ip -6 route add local "$R6:/64" dev lo || bail "cannot add the local IPv6 range"
ip -6 route add "$R6:/64" via "$L6:2" dev "$TB_VH" || bail "cannot route $R6:/64"
# Port unreachables are rate-limited per peer by default; the UDP checks
# below ask several addresses at once.
tb_run_ns sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0

for a in "$L4.66" "$L4.67" "$L4.68" "$L4.69" "$L4.70" "$R4.1" "$R4.6" "$L6:2" "$L6:6" "$R6:1" "$R6:2"; do
    tb_route_check "$a" "$TB_VH" || bail "$a is not routed via $TB_VH"
done
# Neighbour entries left by the set-up would let nothing be learnt from ARP.
ip neigh flush dev "$TB_VH" 2>/dev/null

listener_start -n "$TB_NS" l67 "$L4.67" 443 || bail "listener on $L4.67:443 did not start"
listener_start -n "$TB_NS" r2 "$R4.2" 443 || bail "listener on $R4.2:443 did not start"

tb_run_ns nft -f - <<EOF || bail "nft rules failed"
table inet pscandisc {
    chain input {
        type filter hook input priority 0; policy accept;
        ip daddr $L4.67 icmp type echo-request drop
        ip daddr $L4.68 drop
        ip daddr $R4.2 icmp type { echo-request, timestamp-request } drop
        ip daddr $R4.3 tcp dport 80 accept
        ip daddr $R4.3 drop
        ip daddr $R4.4 icmp type timestamp-request accept
        ip daddr $R4.4 drop
        ip daddr { $R4.5, $R4.6 } drop
        ip6 daddr { $L6:4, $R6:2 } drop
        ip daddr $R4.128/25 drop
    }
}
EOF

# Short timeouts: every host is one veth away.
FAST=(-i 300 -l 100 -x 500 -r 2)

# drive TAG ARGS...: run the driver; UP (file) gets "addr reason mac" lines.
drive() {
    local tag=$1
    shift
    OUT=$TEST_TMP/$tag.out ERR=$TEST_TMP/$tag.err
    local t0 t1
    t0=$(date +%s%N)
    timeout 60 "$DRIVE" "$@" >"$OUT" 2>"$ERR"
    RC=$?
    t1=$(date +%s%N)
    MS=$(((t1 - t0) / 1000000))
}
up_set() { awk '$1 == "UP" { print $2 }' "$OUT" | sort | tr '\n' ' ' | sed 's/ $//'; }
up_reasons() { awk '$1 == "UP" { print $2 "=" $3 }' "$OUT" | sort | tr '\n' ' ' | sed 's/ $//'; }
norm() { tr ' ' '\n' <<<"$*" | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//'; }
check_drive() { # NAME WANT
    check_eq "$1: exit 0" "$RC" 0
    [ "$RC" -eq 0 ] || { note "stderr: $(cat "$ERR")"; }
    check_eq "$1: hosts up" "$(up_set)" "$(norm "$2")"
}
vn_mac=$(tb_run_ns cat "/sys/class/net/$TB_VN/address")

# ---- on-link IPv4: ARP only ------------------------------------------------
drive arp "${FAST[@]}" "$L4.65-70"
check_drive "on-link IPv4 (ARP)" "$L4.65 $L4.66 $L4.67 $L4.68"
check_eq "on-link IPv4: reasons" "$(up_reasons)" \
    "$(norm "$L4.65=localhost-response $L4.66=arp-response $L4.67=arp-response $L4.68=arp-response")"
check_eq "on-link IPv4: MACs are the namespace's" \
    "$(awk '$1 == "UP" && $3 == "arp-response" { print $4 }' "$OUT" | sort -u)" "$vn_mac"
check_eq "on-link IPv4: only ARP sent (3 tries at most per host)" \
    "$(sed -n 's/.* sent=\([0-9]*\) .*/\1/p' "$ERR")" 5
T_ARP=$MS

# The same hosts by IP methods only: echo finds .66 alone, SYN to 443 finds
# .66 (reset) and .67 (syn-ack); .68 drops all IP.
drive onlink-echo "${FAST[@]}" -m echo "$L4.66-70"
check_drive "on-link IPv4, echo only" "$L4.66"
drive onlink-syn "${FAST[@]}" -m syn "$L4.66-70"
check_drive "on-link IPv4, SYN only" "$L4.66 $L4.67"
check_eq "on-link IPv4, SYN only: reasons" "$(up_reasons)" "$L4.66=reset $L4.67=syn-ack"
check_eq "on-link IPv4, SYN only: MAC seen" \
    "$(awk '$1 == "UP" { print $4 }' "$OUT" | sort -u)" "$vn_mac"

# ---- on-link IPv6: neighbour discovery --------------------------------------
drive nd "${FAST[@]}" "$L6:1" "$L6:2" "$L6:3" "$L6:4" "$L6:5" "$L6:6"
check_drive "on-link IPv6 (NDP)" "$L6:1 $L6:2 $L6:3 $L6:4"
check_eq "on-link IPv6: reasons" "$(up_reasons)" \
    "$(norm "$L6:1=localhost-response $L6:2=nd-response $L6:3=nd-response $L6:4=nd-response")"
T_ND=$MS

# ---- routed IPv4: echo, SYN 443, ACK 80, timestamp ---------------------------
drive routed "${FAST[@]}" "$R4.1-6"
check_drive "routed IPv4 (default methods)" "$R4.1 $R4.2 $R4.3 $R4.4"
check_eq "routed IPv4: .3 by reset, .4 by timestamp" \
    "$(up_reasons | tr ' ' '\n' | grep -E "^$R4\.[34]=" | tr '\n' ' ' | sed 's/ $//')" \
    "$R4.3=reset $R4.4=timestamp-reply"
check_eq "routed IPv4: no MAC behind a gateway" "$(awk '$1 == "UP" { print $4 }' "$OUT" | sort -u)" "-"
check_eq "routed IPv4: no bad cookies" "$(sed -n 's/.* bad_cookie=\([0-9]*\) .*/\1/p' "$ERR")" 0
T_ROUTED=$MS

for m in echo:"$R4.1=echo-reply $R4.3=- $R4.4=-" ts:"$R4.1=timestamp-reply $R4.4=timestamp-reply" \
    syn:"$R4.1=reset $R4.2=syn-ack" ack:"$R4.1=reset $R4.2=reset $R4.3=reset"; do
    meth=${m%%:*} want=${m#*:}
    want=$(tr ' ' '\n' <<<"$want" | grep -v '=-$' | tr '\n' ' ' | sed 's/ $//')
    drive "routed-$meth" "${FAST[@]}" -m "$meth" "$R4.1-6"
    check_eq "routed IPv4, $meth only: exit 0" "$RC" 0
    check_eq "routed IPv4, $meth only: hosts and reasons" "$(up_reasons)" "$(norm "$want")"
done

# UDP to a closed port: the port unreachable proves the host (.2 drops
# only ICMP requests).  The IPv6 range answers from the namespace's own
# address, not the target's: a port unreachable still counts.
drive routed-udp "${FAST[@]}" -m udp -U 40125 "$R4.1-6" "$R6:1" "$R6:2"
check_drive "routed, UDP only" "$R4.1 $R4.2 $R6:1"
check_eq "routed, UDP only: reasons" "$(up_reasons)" \
    "$(norm "$R4.1=port-unreach $R4.2=port-unreach $R6:1=port-unreach")"
# Several SYN ports: 22 and 443; .2 answers on 443.
drive routed-syn2 "${FAST[@]}" -m syn -S 22,443 "$R4.2-3"
check_eq "routed, SYN to 22 and 443: hosts up" "$(up_set)" "$R4.2"

# ---- routed IPv6 ---------------------------------------------------------------
drive routed6 "${FAST[@]}" "$R6:1" "$R6:2" "$R6:3"
check_drive "routed IPv6 (default methods)" "$R6:1 $R6:3"

# ---- everything at once, with localhost ------------------------------------
drive all "${FAST[@]}" 127.0.0.1 "$L4.65-70" "$R4.1-6" "$L6:2" "$L6:4" "$L6:5" "$R6:1" "$R6:2"
check_drive "all at once" "127.0.0.1 $L4.65 $L4.66 $L4.67 $L4.68 $R4.1 $R4.2 $R4.3 $R4.4 $L6:2 $L6:4 $R6:1"
ALL_SET=$(up_set)
T_ALL=$MS

# A rate limit slows it down but finds the same hosts: 24 first probes at
# 50 per second take about half a second.
drive rate "${FAST[@]}" -R 50 "$R4.1-6"
check_drive "--max-rate 50" "$R4.1 $R4.2 $R4.3 $R4.4"
check_cmd "--max-rate 50: paced (${MS} ms >= 350 ms)" test "$MS" -ge 350

# A stop request ends a long run at once: 128 dropped hosts, 1 s timeouts
# and 5 retries would take over 6 s.
OUT=$TEST_TMP/stop.out ERR=$TEST_TMP/stop.err
t0=$(date +%s%N)
timeout 60 "$DRIVE" -i 1000 -l 1000 -r 5 "$R4.128/25" >"$OUT" 2>"$ERR" &
dpid=$!
track_pid "$dpid"
sleep 0.4
kill -INT "$dpid"
wait "$dpid"
RC=$?
MS=$((($(date +%s%N) - t0) / 1000000))
check_eq "SIGINT: exit 0" "$RC" 0
check_cmd "SIGINT: ended promptly (${MS} ms < 1500 ms)" test "$MS" -lt 1500
check_eq "SIGINT: nobody up" "$(up_set)" ""

# Targets that leave by two interfaces are refused before anything is sent.
if tb_create disc2; then
    tb_route_check "$TB_IP4" "$TB_VH" || bail "$TB_IP4 is not routed via $TB_VH"
    drive twoif "$L4.66" "$TB_IP4"
    check_eq "two interfaces: exit 1" "$RC" 1
    check_cmd "two interfaces: says so" grep -q "different interfaces" "$ERR"
    check_eq "two interfaces: nothing sent" "$(sed -n 's/.* sent=\([0-9]*\) .*/\1/p' "$ERR")" 0
    # The other interface between two of this one (in target order, when
    # its slot number is higher): found mid-run, still an error.
    drive twoif-mid "$L4.66" "$TB_IP4" "$R4.1"
    check_eq "two interfaces, one in the middle: exit 1" "$RC" 1
    check_cmd "two interfaces, one in the middle: says so" grep -q "different interfaces" "$ERR"
    tb_use disc
else
    not_ok "two interfaces: cannot create a second test host"
fi

# Bad input: a source address that is not one.
drive badsrc -s 999.1.1.1 "$R4.1"
check_eq "bad --source-ip: exit 1" "$RC" 1
check_cmd "bad --source-ip: message names it" grep -q "'999.1.1.1'" "$ERR"

# ---- unprivileged: connect() to 80 and 443 ----------------------------------
if cp "$DRIVE" "$TEST_TMP/drive" && chmod 755 "$TEST_TMP" "$TEST_TMP/drive"; then
    OUT=$TEST_TMP/unpriv.out ERR=$TEST_TMP/unpriv.err
    timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
        "$TEST_TMP/drive" "${FAST[@]}" "$L4.65-70" "$R4.1-6" >"$OUT" 2>"$ERR"
    RC=$?
    check_drive "unprivileged (connect)" "$L4.65 $L4.66 $L4.67 $R4.1 $R4.2 $R4.3"
    check_cmd "unprivileged: the fallback ran" grep -q 'unprivileged=1' "$ERR"
    # .67 and .2 answer on 443 and refuse on 80: either may come first.
    check_eq "unprivileged: reasons" "$(up_reasons | tr ' ' '\n' | grep -v -e "^$L4.67=" -e "^$R4.2=" | tr '\n' ' ' | sed 's/ $//')" \
        "$(norm "$L4.65=localhost-response $L4.66=conn-refused $R4.1=conn-refused $R4.3=conn-refused")"
    UNPRIV_SET=$(up_set)
else
    not_ok "unprivileged: cannot copy the driver for nobody"
fi

# ---- nmap -sn on the same hosts ---------------------------------------------
nmap_up() { # ARGS...: addresses nmap -sn calls up
    timeout 120 nmap -n -sn -oG - "$@" 2>/dev/null | awk '/Status: Up/ { print $2 }' | sort | tr '\n' ' ' | sed 's/ $//'
}
if command -v nmap >/dev/null; then
    t0=$(date +%s%N)
    n4=$(nmap_up 127.0.0.1 "$L4.65-70" "$R4.1-6")
    t1=$(date +%s%N)
    n6=$(nmap_up -6 "$L6:2" "$L6:4" "$L6:5" "$R6:1" "$R6:2")
    t2=$(date +%s%N)
    check_eq "nmap -sn agrees (all at once)" "$(norm "$n4 $n6")" "$ALL_SET"
    note "timing: pscan all-at-once ${T_ALL} ms (timeouts 100-500 ms, 2 retries); nmap -sn IPv4 $(((t1 - t0) / 1000000)) ms + IPv6 $(((t2 - t1) / 1000000)) ms"
    note "timing (same short timeouts): pscan ARP $T_ARP ms, NDP $T_ND ms, routed $T_ROUTED ms"
    if [ -n "${UNPRIV_SET:-}" ]; then
        n_unpriv=$(timeout 120 setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
            --bounding-set=-all nmap -n -sn -oG - "$L4.65-70" "$R4.1-6" 2>/dev/null |
            awk '/Status: Up/ { print $2 }' | sort | tr '\n' ' ' | sed 's/ $//')
        check_eq "nmap -sn unprivileged agrees" "$n_unpriv" "$UNPRIV_SET"
    fi
else
    skip "nmap comparison" "nmap not installed"
fi

# ---- a larger mix, default timing, against nmap's defaults -----------------
# 198.19.X.0/24 (its upper half dropped) and the whole on-link /26.
big_want=""
for i in $(seq 0 127); do
    case $i in 5 | 6) ;; *) big_want+="$R4.$i " ;; esac
done
big_want+="$L4.65 $L4.66 $L4.67 $L4.68"
ip neigh flush dev "$TB_VH" 2>/dev/null
drive big "$R4.0/24" "$L4.64/26"
check_drive "/24 routed + /26 on-link, default timing" "$big_want"
T_BIG=$MS
if command -v nmap >/dev/null; then
    ip neigh flush dev "$TB_VH" 2>/dev/null
    t0=$(date +%s%N)
    n_big=$(nmap_up "$R4.0/24" "$L4.64/26")
    t1=$(date +%s%N)
    check_eq "nmap -sn agrees (/24 + /26)" "$n_big" "$(norm "$big_want")"
    note "timing: /24 routed + /26 on-link (320 addresses, 130 up): pscan $T_BIG ms, nmap -sn $(((t1 - t0) / 1000000)) ms"
fi


# ---- the same through pscan itself (-sn, -P options, discovery + port scan) --
PFAST=(--initial-rtt-timeout 300ms --min-rtt-timeout 100ms --max-rtt-timeout 500ms --max-retries 2)
pscan_up() { awk '/^pscan scan report for / { print $NF }' "$OUT" | tr -d '()' | sort | tr '\n' ' ' | sed 's/ $//'; }
ip neigh flush dev "$TB_VH" 2>/dev/null
PSCAN_NS="" pscan_run psn -sn "${PFAST[@]}" "$L4.65-70" -oJ "$TEST_TMP/psn.jsonl"
check_eq "pscan -sn on-link: exit 0" "$RC" 0
check_eq "pscan -sn on-link: hosts up" "$(pscan_up)" "$(norm "$L4.65 $L4.66 $L4.67 $L4.68")"
check_eq "pscan -sn on-link: MAC line" "$(grep -A2 "report for $L4.66\$" "$OUT" | sed -n 's/^MAC Address: //p')" \
    "$(tr a-f A-F <<<"$vn_mac")"
check_eq "pscan -sn on-link: -oJ up_reason" \
    "$(jq -r --arg h "$L4.66" 'select(.type=="host" and .host==$h) | .up_reason' "$TEST_TMP/psn.jsonl")" arp-response
check_cmd "pscan -sn: done line counts every address asked" grep -q "^pscan done: 6 IP addresses (4 hosts up)" "$OUT"
PSCAN_NS="" pscan_run psn2 -sn "${PFAST[@]}" "$R4.1-6"
check_eq "pscan -sn routed: hosts up" "$(pscan_up)" "$(norm "$R4.1 $R4.2 $R4.3 $R4.4")"
# -PE alone: only .1 answers echo; the port scan then covers .1 only.
PSCAN_NS="" pscan_run ppe -PE "${PFAST[@]}" -p 443 "$R4.1-6"
check_eq "pscan -PE -p 443: only the echo-answering host is port-scanned" "$(pscan_up)" "$R4.1"
check_cmd "pscan -PE -p 443: its port is reported" grep -Eq "^443/tcp +closed" "$OUT"
PSCAN_NS="" pscan_run pps -PS443 "${PFAST[@]}" -p 443 "$R4.1-6"
check_eq "pscan -PS443 -p 443: hosts found by SYN" "$(pscan_up)" "$(norm "$R4.1 $R4.2")"
check_cmd "pscan -PS443 -p 443: .2's listener is open" grep -Eq "^443/tcp +open" "$OUT"
PSCAN_NS="" pscan_run pnone -PE "${PFAST[@]}" -p 443 "$R4.5-6"
check_eq "nothing answers: exit 0" "$RC" 0
check_cmd "nothing answers: a note suggests -Pn" grep -q -- "-Pn" "$ERR"
check_cmd "nothing answers: done line says 0 hosts up" grep -q "^pscan done: 2 IP addresses (0 hosts up)" "$OUT"

finish
