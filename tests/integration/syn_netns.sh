#!/usr/bin/env bash
# tests/integration/syn_netns.sh: pscan -sS against a test host in a namespace.
#
# The host (tests/lib/netns.sh) answers on 198.18.X.2, 2001:db8:X::2, all of
# 198.19.X.0/24 and (syn_local6) all of 2001:db8:X:1::/120.  One listener,
# bound to the dual-stack wildcard so every address and family sees it,
# holds four random ports in 1..1000 and one high port: that, read back
# from `ss`, is the ground truth.  Then:
#   - a scan of 1-1000 plus the high port, over IPv4 and IPv6, must find
#     exactly the listeners open and everything else closed (reset);
#   - nftables DROP of five ports (one open) must make exactly those
#     filtered, and only they may be resent (--max-retries times each);
#   - nftables reject rules give filtered with the ICMP's reason in the
#     "Not shown" line (admin-prohibited, port-unreach, host-unreach,
#     net-unreach), or closed (reset) for "reject with tcp reset", and an
#     ICMP answer is never resent; two ICMP reasons at once keep their own
#     "Not shown" groups;
#   - replies whose ack is not our cookie must be ignored (bad cookie);
#   - a /24 and a /120 (256 hosts each) must each report exactly the
#     listener's ports open on every host, with and without --max-rate,
#     and --max-rate must hold.
# pscan runs here, on the host side of the veth, with -n and -v (for the
# "syn: ..." stats line on stderr).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/syn.sh"
# Whatever pscan writes in its working directory (pscan.resume when it is
# stopped, -oA files) lands in the test's own directory, never in the work tree.
cd "$TEST_TMP" || bail "cannot enter $TEST_TMP"
need_root
need_cmd ip nft ss timeout sysctl jq
need_file "$LISTENER" "listener"
need_file "$PSCAN" "pscan"

tb_create srv --local || bail "cannot create the test host"
syn_local6 || bail "cannot add the IPv6 local range"
syn_icmp_unlimited || bail "cannot lift the ICMP rate limit in the test host"
routed() { tb_route_check "$1" "$TB_VH" || bail "$1 is not routed via $TB_VH"; }
routed "$TB_IP4"
routed "$TB_IP6"
for i in 0 1 128 255; do routed "$TB_LOCAL_PFX$i"; done
for i in 0 1 80 ff; do routed "$TB_LOCAL6_PFX$i"; done

low=$(syn_ports_between 1 1000 4)
hi=$((10000 + RANDOM % 20000))
read -r -a open <<<"$low $hi"
listener_start -n "$TB_NS" srv -6 :: "${open[@]}" || bail "listener did not start"
truth4=$(listen_ports -n "$TB_NS" 4 "$TB_IP4")
truth6=$(listen_ports -n "$TB_NS" 6 "$TB_IP6")
check_set "ss: the IPv4 view is the listener's five ports" "$truth4" "${open[*]}"
check_set "ss: the IPv6 view is the listener's five ports" "$truth6" "${open[*]}"

# stats_check TAG SENT RESENT: the -v stats line of the last run.
stats_check() {
    check_eq "$1: probes sent" "$(syn_stat "$ERR" sent)" "$2"
    [ -n "$3" ] && check_eq "$1: probes resent" "$(syn_stat "$ERR" resent)" "$3"
    check_eq "$1: no bad cookie" "$(syn_stat "$ERR" bad)" 0
    check_eq "$1: capture dropped nothing" "$(syn_stat "$ERR" dropped)" 0
}

# ------------------------------------------------- 1. ground truth, v4 and v6
for addr in "$TB_IP4" "$TB_IP6"; do
    tag="-sS 1-1000,$hi $addr"
    pscan_run "plain-$addr" -n -v -sS -p "1-1000,$hi" "$addr"
    check_eq "$tag: exit 0" "$RC" 0
    [ "$RC" -eq 0 ] || show_run
    check_eq "$tag: one report" "$(report_hosts "$OUT" | tr '\n' ' ')" "$addr "
    check_set "$tag: open = ss's listeners" "$(report_ports "$OUT" "$addr" open)" "$truth4"
    check_eq "$tag: Not shown line: the rest closed (reset)" "$(grep '^Not shown' "$OUT")" \
        "Not shown: 996 closed tcp ports (reset)"
    check_eq "$tag: no port listed but the open ones" "$(report_states "$OUT" "$addr")" "open"
    check_eq "$tag: done line" "$(report_done "$OUT")" "pscan done: 1 IP address (1 host up)"
    stats_check "$tag" 1001 0
    check_eq "$tag: stderr is the stats line only" "$(grep -vc '^syn: ' "$ERR")" 0
done

# ------------------------------------------------------------- 2. DROP rules
dropped_closed=()
while [ ${#dropped_closed[@]} -lt 4 ]; do
    p=$((RANDOM % 1000 + 1))
    [[ " ${open[*]} ${dropped_closed[*]} " == *" $p "* ]] || dropped_closed+=("$p")
done
dropped=("${open[0]}" "${dropped_closed[@]}")
tb_drop "${dropped[@]}" || bail "tb_drop failed"
# (Each retry costs a timeout, 100 ms at least: 0 and 2 retries over IPv4, 2 over IPv6.)
for run in "$TB_IP4 0" "$TB_IP4 2" "$TB_IP6 2"; do
    read -r addr retries <<<"$run"
    tag="-sS --max-retries $retries with ${dropped[*]} dropped, $addr"
    pscan_run "drop-$retries-$addr" -n -v -sS --max-retries "$retries" -p "1-1000,$hi" "$addr"
    check_eq "$tag: exit 0" "$RC" 0
    [ "$RC" -eq 0 ] || show_run
    check_set "$tag: open = listeners not dropped" "$(report_ports "$OUT" "$addr" open)" "${open[*]:1}"
    check_set "$tag: filtered = exactly the dropped ports" \
        "$(report_ports "$OUT" "$addr" filtered)" "${dropped[*]}"
    check_eq "$tag: Not shown" "$(grep '^Not shown' "$OUT")" "Not shown: 992 closed tcp ports (reset)"
    # Only the unanswered probes are sent again, once per retry.
    stats_check "$tag" 1001 $((5 * retries))
done

# Thirty dropped ports fold into "Not shown" with their reason.
tb_drop 1001-1030 || bail "tb_drop failed"
pscan_run drop30 -n -v -sS --max-retries 0 -p 1001-1100 "$TB_IP4"
check_eq "30 of 1001-1100 dropped: exit 0" "$RC" 0
check_eq "30 of 1001-1100 dropped: Not shown line" "$(grep '^Not shown' "$OUT")" \
    "Not shown: 70 closed tcp ports (reset), 30 filtered tcp ports (no-response)"
tb_undrop

# ----------------------------------------------------------- 2b. reject rules
# icmpx types become ICMP type 3 codes 13/3/1/0 for IPv4 and ICMPv6 type 1
# codes 1/4/3/0 for IPv6.
for addr in "$TB_IP4" "$TB_IP6"; do
    for rule in "icmpx type admin-prohibited:filtered:admin-prohibited" \
        "icmpx type port-unreachable:filtered:port-unreach" \
        "icmpx type host-unreachable:filtered:host-unreach" \
        "icmpx type no-route:filtered:net-unreach"; do
        with=${rule%%:*} st=${rule#*:}
        why=${st#*:} st=${st%%:*}
        tag="reject with $with, $addr"
        syn_reject 1001-1030 "$with" || bail "nft reject rule failed"
        pscan_run "reject-$addr" -n -v -sS -p 1001-1100 "$addr"
        check_eq "$tag: exit 0" "$RC" 0
        [ "$RC" -eq 0 ] || show_run
        check_eq "$tag: Not shown: 30 $st ($why)" "$(grep '^Not shown' "$OUT")" \
            "Not shown: 70 closed tcp ports (reset), 30 $st tcp ports ($why)"
        stats_check "$tag" 100 0
    done
    # A few rejected ports, one of them open: listed, filtered.
    syn_reject "${open[1]},1001,1002" "icmpx type admin-prohibited" || bail "nft reject rule failed"
    tag="reject 3 ports (one open), $addr"
    pscan_run "reject3-$addr" -n -v -sS -p "1001-1010,${open[1]},${open[2]}" "$addr"
    check_eq "$tag: exit 0" "$RC" 0
    check_set "$tag: filtered" "$(report_ports "$OUT" "$addr" filtered)" "${open[1]} 1001 1002"
    check_set "$tag: open" "$(report_ports "$OUT" "$addr" open)" "${open[2]}"
    check_set "$tag: closed" "$(report_ports "$OUT" "$addr" closed)" "1003 1004 1005 1006 1007 1008 1009 1010"
    stats_check "$tag" 12 0
    # tcp reset: indistinguishable from a closed port, even for an open one.
    syn_reject "${open[1]},1001-1030" "tcp reset" || bail "nft reject rule failed"
    tag="reject with tcp reset, $addr"
    pscan_run "rst-$addr" -n -v -sS -p "1001-1100,${open[1]},${open[2]}" "$addr"
    check_eq "$tag: exit 0" "$RC" 0
    check_set "$tag: open" "$(report_ports "$OUT" "$addr" open)" "${open[2]}"
    check_eq "$tag: Not shown line" "$(grep '^Not shown' "$OUT")" "Not shown: 101 closed tcp ports (reset)"
    stats_check "$tag" 102 0
done
# Two ICMP reasons at once: each group of filtered ports keeps its own
# reason and count (as nmap's "Not shown" does), whatever came back first.
tb_undrop
tb_run_ns nft -f - <<EOF || bail "nft reject rules failed"
table inet pscantest {
    chain input {
        type filter hook input priority 0; policy accept;
        tcp dport 1001-1030 reject with icmpx type admin-prohibited
        tcp dport 1031-1070 reject with icmpx type port-unreachable
    }
}
EOF
tag="30 ports admin-prohibited, 40 port-unreachable, $TB_IP4"
pscan_run reasons -n -v -sS -p 1001-1100 "$TB_IP4"
check_eq "$tag: exit 0" "$RC" 0
check_eq "$tag: Not shown groups" \
    "$(grep '^Not shown: ' "$OUT" | sed 's/^Not shown: //; s/, /\n/g' | sort | tr '\n' ';')" \
    "30 closed tcp ports (reset);30 filtered tcp ports (admin-prohibited);40 filtered tcp ports (port-unreach);"
stats_check "$tag" 100 0
tb_undrop

# ------------------------------------------------------------ 6. bad cookies
# The test host rewrites the acknowledgement number of its replies from one
# open and one closed port (nft fixes the checksum): the SYN-ACK and the RST
# no longer carry our cookie + 1, so they must be ignored, counted as bad
# cookies, and the ports read filtered (nothing valid came back).
tb_undrop
tb_run_ns nft -f - <<EOF || bail "nft ackseq rule failed"
table inet pscantest {
    chain output {
        type filter hook output priority 0; policy accept;
        tcp sport { ${open[1]}, 1001 } tcp ackseq set 12345
    }
}
EOF
tag="replies with a wrong ack"
pscan_run cookie -n -v -sS --max-retries 1 -p "${open[1]},${open[2]},1001,1002" "$TB_IP4" "$TB_IP6"
check_eq "$tag: exit 0" "$RC" 0
for addr in "$TB_IP4" "$TB_IP6"; do
    check_set "$tag, $addr: filtered" "$(report_ports "$OUT" "$addr" filtered)" "${open[1]} 1001"
    check_set "$tag, $addr: open" "$(report_ports "$OUT" "$addr" open)" "${open[2]}"
    check_set "$tag, $addr: closed" "$(report_ports "$OUT" "$addr" closed)" "1002"
done
check_eq "$tag: probes sent" "$(syn_stat "$ERR" sent)" 8
check_eq "$tag: resent (the 4 unanswered, once)" "$(syn_stat "$ERR" resent)" 4
check_eq "$tag: answered" "$(syn_stat "$ERR" answered)" 4
check_eq "$tag: bad cookies (4 probes x 2 passes)" "$(syn_stat "$ERR" bad)" 8
tb_undrop

# ------------------------------------------------------- 3. 256 hosts at once
# host_summary FILE: "HOST open=P,P closed=N filtered=N" per report, from
# one pass over the file (256 reports).
host_summary() {
    awk '
        function flush() {
            if (h != "") printf "%s open=%s closed=%d filtered=%d\n", h, op, cl, fi
        }
        /^pscan scan report for / { flush(); h = $NF; op = ""; cl = 0; fi = 0; next }
        /^Not shown: / {
            n = split(substr($0, 12), parts, /, /)
            for (i = 1; i <= n; i++) {
                split(parts[i], w, " ")
                if (w[2] == "closed") cl += w[1]
                if (w[2] == "filtered") fi += w[1]
            }
        }
        $1 ~ /^[0-9]+\/tcp$/ {
            split($1, a, "/")
            if ($2 == "open") op = op (op == "" ? "" : ",") a[1]
            if ($2 == "closed") cl++
            if ($2 == "filtered") fi++
        }
        END { flush() }' "$1"
}
openlist=$(tr ' ' '\n' <<<"${open[*]}" | sort -n | tr '\n' ',' | sed 's/,$//')
mports="$openlist,1001-1059"
# (--max-rate over IPv4 only: it costs a third of a second.)
for run in "$TB_LOCAL -" "$TB_LOCAL 50000" "$TB_LOCAL6 -"; do
    read -r net rate <<<"$run"
    [ "$rate" = - ] && rate=""
    tag="-sS -p (5 open, 59 closed) $net${rate:+ --max-rate $rate}"
    pscan_run "multi" -n -v -sS -p "$mports" ${rate:+--max-rate "$rate"} "$net"
    check_eq "$tag: exit 0" "$RC" 0
    [ "$RC" -eq 0 ] || show_run
    host_summary "$OUT" >"$TEST_TMP/summary"
    check_eq "$tag: 256 reports" "$(wc -l <"$TEST_TMP/summary")" 256
    check_eq "$tag: 256 distinct hosts" "$(cut -d' ' -f1 "$TEST_TMP/summary" | sort -u | wc -l)" 256
    bad=$(grep -v " open=$openlist closed=59 filtered=0\$" "$TEST_TMP/summary")
    check_eq "$tag: every host: exactly the listener's ports open, the rest closed" "$bad" ""
    check_eq "$tag: done line" "$(report_done "$OUT")" "pscan done: 256 IP addresses (256 hosts up)"
    stats_check "$tag" 16384 ""
    if [ -n "$rate" ]; then
        secs=$(syn_stat "$ERR" seconds) pps=$(syn_stat "$ERR" rate)
        note "$tag: $secs s, $pps probes/s"
        # 16384 probes at 50000/s take 0.33 s: allow 10% (a first batch
        # goes out at once).
        check_cmd "$tag: rate held ($pps probes/s <= 55000)" \
            awk -v r="$pps" 'BEGIN { exit !(r <= 55000) }'
        check_cmd "$tag: took at least 0.29 s ($secs s)" awk -v s="$secs" 'BEGIN { exit !(s >= 0.29) }'
    fi
done

# Latency is measured per host: each reply's own capture time, not one
# clock reading for everything a capture batch held (which gave every host
# of a small scan the same latency to the microsecond).
pscan_run lat -n -sS -p "$openlist" "${TB_LOCAL_PFX}1-8" -oJ "$TEST_TMP/lat.jsonl"
lat=$(jq -r 'select(.type=="host") | .latency' "$TEST_TMP/lat.jsonl" | sort -u | wc -l)
check_cmd "-sS: 8 hosts have latencies of their own ($lat distinct)" test "$lat" -ge 4

finish
