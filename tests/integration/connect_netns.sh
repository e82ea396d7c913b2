#!/usr/bin/env bash
# tests/integration/connect_netns.sh: pscan -sT against a test host in a namespace.
#
# The host (tests/lib/netns.sh) answers on 198.18.X.2, 2001:db8:X::2 and all
# of 198.19.X.0/24.  Three listeners on random ports in 1..1000, bound to the
# dual-stack wildcard so every address and family sees them, give the ground
# truth; nftables inside the namespace then drops five ports (one of them
# open) to make filtered ones.  pscan runs here, on the host side of the veth,
# with -n (no DNS anywhere).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
# Whatever pscan writes in its working directory (pscan.resume when it is
# stopped, -oA files) lands in the test's own directory, never in the work tree.
cd "$TEST_TMP" || bail "cannot enter $TEST_TMP"
need_root
need_cmd ip nft ss timeout
need_file "$LISTENER" "listener"
need_file "$PSCAN" "pscan"

tb_create srv --local || bail "cannot create the test host"
routed() { tb_route_check "$1" "$TB_VH" || bail "$1 is not routed via $TB_VH"; }
routed "$TB_IP4"
routed "$TB_IP6"
for i in 0 1 2 3; do routed "$TB_LOCAL_PFX$i"; done

# Three distinct random ports in 1..1000.
open=()
while [ ${#open[@]} -lt 3 ]; do
    p=$((RANDOM % 1000 + 1))
    [[ " ${open[*]} " == *" $p "* ]] || open+=("$p")
done
listener_start -n "$TB_NS" srv -6 -b "220 pscan test" :: "${open[@]}" || bail "listener did not start"
check_set "ss in the namespace: the three listeners, nothing else" \
    "$(listen_ports -n "$TB_NS" 4 "$TB_IP4")" "${open[*]}"

# Four closed ports to drop, plus the first open one.
dropped_closed=()
while [ ${#dropped_closed[@]} -lt 4 ]; do
    p=$((RANDOM % 1000 + 1))
    [[ " ${open[*]} ${dropped_closed[*]} " == *" $p "* ]] || dropped_closed+=("$p")
done
dropped=("${open[0]}" "${dropped_closed[@]}")

# one_host TAG ADDR OPEN FILTERED CLOSED: checks on HOST's report in $OUT.
one_host() {
    local tag=$1 addr=$2
    check_set "$tag: open" "$(report_ports "$OUT" "$addr" open)" "$3"
    check_set "$tag: filtered" "$(report_ports "$OUT" "$addr" filtered)" "$4"
    check_eq "$tag: Not shown closed" "$(report_notshown "$OUT" "$addr" closed)" "$5"
    check_eq "$tag: no closed port listed" "$(report_ports "$OUT" "$addr" closed)" ""
}

for addr in "$TB_IP4" "$TB_IP6"; do
    pscan_run "plain-$addr" -n -sT -p 1-1000 "$addr"
    check_eq "$addr 1-1000: exit 0" "$RC" 0
    [ "$RC" -eq 0 ] || show_run
    check_eq "$addr 1-1000: one report" "$(report_hosts "$OUT" | tr '\n' ' ')" "$addr "
    one_host "$addr 1-1000" "$addr" "${open[*]}" "" 997
    check_eq "$addr 1-1000: Not shown line" "$(grep '^Not shown' "$OUT")" \
        "Not shown: 997 closed tcp ports (conn-refused)"
    check_eq "$addr 1-1000: done line" "$(report_done "$OUT")" "pscan done: 1 IP address (1 host up)"
done

tb_drop "${dropped[@]}" || bail "tb_drop failed"
for addr in "$TB_IP4" "$TB_IP6"; do
    pscan_run "drop-$addr" -n -sT -p 1-1000 "$addr"
    check_eq "$addr 1-1000 with 5 dropped: exit 0" "$RC" 0
    [ "$RC" -eq 0 ] || show_run
    one_host "$addr 1-1000 with 5 dropped" "$addr" "${open[*]:1}" "${dropped[*]}" 993
done
tb_undrop

# Several targets: the namespace's own address and four of its local range.
plist="${open[*]} ${dropped_closed[0]} ${dropped_closed[1]}"
plist=${plist// /,}
base=$TB_LOCAL_PFX
closed2="${dropped_closed[0]} ${dropped_closed[1]}"
multi_check() {
    local tag=$1 want=$2 h
    check_eq "$tag: exit 0" "$RC" 0
    [ "$RC" -eq 0 ] || show_run
    check_eq "$tag: reports for" "$(report_hosts "$OUT" | sort | tr '\n' ' ')" "$(tr ' ' '\n' <<<"$want" | sort | tr '\n' ' ')"
    for h in $want; do
        check_set "$tag: $h open" "$(report_ports "$OUT" "$h" open)" "${open[*]}"
        check_set "$tag: $h closed" "$(report_ports "$OUT" "$h" closed)" "$closed2"
    done
    local n
    n=$(wc -w <<<"$want")
    check_eq "$tag: done line" "$(report_done "$OUT")" "pscan done: $n IP addresses ($n hosts up)"
}

pscan_run multi -n -sT -p "$plist" "$TB_IP4" "${base}0/30"
multi_check "two targets, one a /30" "$TB_IP4 ${base}0 ${base}1 ${base}2 ${base}3"

pscan_run exclude -n -sT -p "$plist" "$TB_IP4" "${base}0/30" --exclude "${base}1,${base}2"
multi_check "--exclude two addresses" "$TB_IP4 ${base}0 ${base}3"

pscan_run exclude-cidr -n -sT -p "$plist" "$TB_IP4" "${base}0/30" --exclude "${base}0/31"
multi_check "--exclude a /31" "$TB_IP4 ${base}2 ${base}3"

printf '# excluded\n%s\n%s\n' "${base}3" "$TB_IP4" >"$TEST_TMP/exclude.txt"
pscan_run excludefile -n -sT -p "$plist" "$TB_IP4" "${base}0/30" --excludefile "$TEST_TMP/exclude.txt"
multi_check "--excludefile" "${base}0 ${base}1 ${base}2"

printf '# targets\n%s\n%s %s\n\n' "$TB_IP4" "${base}3" "${base}1" >"$TEST_TMP/targets.txt"
pscan_run il -n -sT -p "$plist" -iL "$TEST_TMP/targets.txt"
multi_check "-iL file" "$TB_IP4 ${base}3 ${base}1"

pscan_run il-stdin -n -sT -p "$plist" -iL - <"$TEST_TMP/targets.txt"
multi_check "-iL - (stdin)" "$TB_IP4 ${base}3 ${base}1"

pscan_run il-excl -n -sT -p "$plist" -iL "$TEST_TMP/targets.txt" --exclude "$TB_IP4"
multi_check "-iL with --exclude" "${base}3 ${base}1"

# A host that answers nothing: every probe to ${base}9 dropped.  Not listed,
# unless -Pn.
tb_run_ns nft -f - <<EOF || bail "nft rule for ${base}9 failed"
table inet pscantest {
    chain input {
        type filter hook input priority 0; policy accept;
        ip daddr ${base}9 drop
    }
}
EOF
routed "${base}9"
p3="${open[0]},${dropped_closed[0]}"
pscan_run silent -n -sT -p "$p3" "$TB_IP4" "${base}9"
check_eq "silent host: exit 0" "$RC" 0
check_eq "silent host: not listed" "$(report_hosts "$OUT" | tr '\n' ' ')" "$TB_IP4 "
check_eq "silent host: done line" "$(report_done "$OUT")" "pscan done: 2 IP addresses (1 host up)"
pscan_run silent-pn -n -Pn -sT -p "$p3" "$TB_IP4" "${base}9"
check_eq "silent host -Pn: exit 0" "$RC" 0
check_eq "silent host -Pn: listed" "$(report_hosts "$OUT" | tr '\n' ' ')" "$TB_IP4 ${base}9 "
check_set "silent host -Pn: both ports filtered" "$(report_ports "$OUT" "${base}9" filtered)" "${p3/,/ }"
tb_undrop

finish
