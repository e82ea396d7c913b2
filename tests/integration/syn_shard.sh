#!/usr/bin/env bash
# tests/integration/syn_shard.sh: pscan -sS --shard K/N splits the probe space.
#
# Targets: the test host's 198.19.X.0/24 and 2001:db8:X:1::/120 together
# (512 hosts, both families in one run), fifteen ports: five the listener
# holds, ten closed.  With one --seed, shards 1/3, 2/3 and 3/3 must together
# probe every (host, port) pair exactly once: their "probes sent" add up to
# the full scan's, no pair is answered (listed open or closed) by two
# shards, every pair by one of them, and the union of their open ports is
# the full scan's, which is the ground truth.  A shard's report shows only
# the pairs it probed (its open ports as rows, every other state folded into
# "Not shown", as a part for pscan merge) and counts the others apart, "Not
# scanned: N tcp ports (other-shard)": per host, listed + not shown + not
# scanned = 15.  pscan merge of the three (-oJ) lists every pair once.
#
# The connect scan (-sT) and the UDP scan (-sU) split the same way (issue
# 19: they used to ignore --shard): with the same seed, shard K of either
# covers exactly the pairs shard K of the SYN scan answered.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/syn.sh"
# Whatever pscan writes in its working directory (pscan.resume when it is
# stopped, -oA files) lands in the test's own directory, never in the work tree.
cd "$TEST_TMP" || bail "cannot enter $TEST_TMP"
need_root
need_cmd ip ss timeout jq
need_file "$LISTENER" "listener"
need_file "$PSCAN" "pscan"

tb_create shard --local || bail "cannot create the test host"
syn_local6 || bail "cannot add the IPv6 local range"
for a in "$TB_IP4" "${TB_LOCAL_PFX}0" "${TB_LOCAL_PFX}255" "${TB_LOCAL6_PFX}0" "${TB_LOCAL6_PFX}ff"; do
    tb_route_check "$a" "$TB_VH" || bail "$a is not routed via $TB_VH"
done

read -r -a open <<<"$(syn_ports_between 1 1000 4) $((10000 + RANDOM % 20000))"
listener_start -n "$TB_NS" shard -6 :: "${open[@]}" || bail "listener did not start"
check_set "ss: the listener's five ports" "$(listen_ports -n "$TB_NS" 4 "$TB_IP4")" "${open[*]}"
ports="$(tr ' ' ',' <<<"${open[*]}"),1001-1010"
nports=15 nhosts=512 total=$((15 * 512))
seed=$((RANDOM * 32768 + RANDOM))
note "seed $seed"

# pairs FILE STATE...: "HOST PORT" for every listed port in STATE, one a line.
pairs() {
    local f=$1
    shift
    awk -v want=" $* " '
        /^pscan scan report for / { h = $NF; next }
        $1 ~ /^[0-9]+\/tcp$/ && index(want, " " $2 " ") {
            split($1, a, "/"); print h, a[1]
        }' "$f" | sort
}

pscan_run full -n -v -sS --seed "$seed" -p "$ports" "$TB_LOCAL" "$TB_LOCAL6"
check_eq "full scan: exit 0" "$RC" 0
[ "$RC" -eq 0 ] || show_run
check_eq "full scan: probes sent" "$(syn_stat "$ERR" sent)" "$total"
pairs "$OUT" open >"$TEST_TMP/full.open"
pairs "$OUT" open closed >"$TEST_TMP/full.answered"
check_eq "full scan: $nhosts hosts x 5 open" "$(wc -l <"$TEST_TMP/full.open")" $((nhosts * 5))
check_eq "full scan: every pair answered" "$(wc -l <"$TEST_TMP/full.answered")" "$total"
check_eq "full scan: open = the listener's ports on every host" \
    "$(awk '{ print $2 }' "$TEST_TMP/full.open" | sort -n | uniq -c | awk '{ print $1 "x" $2 }' | tr '\n' ' ')" \
    "$(printf '%s\n' "${open[@]}" | sort -n | sed "s/^/${nhosts}x/" | tr '\n' ' ')"

# listed_plus_unscanned FILE: per host, rows listed + "Not shown" and
# "Not scanned" ports, one line "N" each (15 expected everywhere).
listed_plus_unscanned() {
    awk '
        function flush() { if (h != "") print n }
        /^pscan scan report for / { flush(); h = $NF; n = 0; next }
        /^Not (scanned|shown): / {
            k = split(substr($0, index($0, ": ") + 2), parts, /, /)
            for (i = 1; i <= k; i++) { split(parts[i], w, " "); n += w[1] }
        }
        $1 ~ /^[0-9]+\/(tcp|udp)$/ { n++ }
        END { flush() }' "$1" | sort -u | tr '\n' ' ' | sed 's/ $//'
}

sent_sum=0
: >"$TEST_TMP/shards.open"
for k in 1 2 3; do
    pscan_run "shard$k" -n -v -sS --seed "$seed" --shard "$k/3" -p "$ports" -oJ "$TEST_TMP/shard$k.jsonl" \
        "$TB_LOCAL" "$TB_LOCAL6"
    check_eq "--shard $k/3: exit 0" "$RC" 0
    [ "$RC" -eq 0 ] || show_run
    sent=$(syn_stat "$ERR" sent)
    # A contiguous third of the order: floor or ceiling of total / 3.
    check_cmd "--shard $k/3: sent a third ($sent of $total)" \
        test "${sent:-0}" -ge $((total / 3)) -a "${sent:-0}" -le $(((total + 2) / 3))
    sent_sum=$((sent_sum + ${sent:-0}))
    check_eq "--shard $k/3: no row but open (a shard folds the rest)" \
        "$(awk '$1 ~ /^[0-9]+\/tcp$/ && $2 != "open"' "$OUT" | wc -l)" 0
    check_eq "--shard $k/3: no pair shown filtered (the other shards' are not scanned here, not filtered)" \
        "$(awk '$1 ~ /^[0-9]+\/tcp$/ && $2 == "filtered"' "$OUT" | wc -l)" 0
    check_eq "--shard $k/3: every host: listed + not shown + not scanned (other-shard) = 15" \
        "$(listed_plus_unscanned "$OUT")" 15
    pairs "$OUT" open >>"$TEST_TMP/shards.open"
done
# json_pairs FILE: "HOST PORT STATE" for every row of FILE's host lines.
json_pairs() { jq -r 'select(.type == "host") | .host as $h | .ports[] | "\($h) \(.port) \(.state)"' "$1" | sort; }
"$PSCAN" merge "$TEST_TMP/shards.jsonl" "$TEST_TMP"/shard{1,2,3}.jsonl 2>"$TEST_TMP/merge.err"
check_eq "shards: pscan merge takes the three (no pair in two of them)" "$?" 0
json_pairs "$TEST_TMP/shards.jsonl" | awk '$3 == "open" || $3 == "closed" { print $1, $2 }' >"$TEST_TMP/shards.answered"
check_eq "shards: probes sent add up to the full scan's" "$sent_sum" "$total"
check_eq "shards: no host:port reported open twice" "$(sort "$TEST_TMP/shards.open" | uniq -d | head -5)" ""
check_eq "shards: union of open = full scan's open" \
    "$(sort -u "$TEST_TMP/shards.open" | diff - "$TEST_TMP/full.open" | head -5)" ""
check_eq "shards: union of answered = every pair" \
    "$(sort -u "$TEST_TMP/shards.answered" | diff - "$TEST_TMP/full.answered" | head -5)" ""

# -sT and -sU: the same split.  (UDP over a /27 only: every port is closed
# there, and each closed port costs the test host an ICMP error.)
syn_icmp_unlimited || bail "cannot lift the ICMP rate limit in the test host"
# shape FILE: per host of a shard's -oJ, its open rows and how many ports
# it folded by state: what the same pairs must give whatever the engine.
shape() {
    jq -r 'select(.type == "host") | .host as $h |
        ((.ports[] | "\($h) \(.port) \(.state)"), (.hidden[] | "\($h) \(.state) \(.count)"))' "$1" | sort
}
for k in 1 2 3; do
    pscan_run "tshard$k" -n -sT --seed "$seed" --shard "$k/3" -p "$ports" -oJ "$TEST_TMP/tshard$k.jsonl" \
        "$TB_LOCAL" "$TB_LOCAL6"
    check_eq "-sT --shard $k/3: exit 0" "$RC" 0
    [ "$RC" -eq 0 ] || show_run
    check_eq "-sT --shard $k/3: the very pairs of -sS --shard $k/3" \
        "$(shape "$TEST_TMP/tshard$k.jsonl" | diff - <(shape "$TEST_TMP/shard$k.jsonl") | head -5)" ""
    check_eq "-sT --shard $k/3: every host: listed + not shown + not scanned (other-shard) = 15" \
        "$(listed_plus_unscanned "$OUT")" 15
    mine=$(jq -s '[.[] | select(.type == "host") | .scanned] | add' "$TEST_TMP/shard$k.jsonl")
    check_cmd "-sT --shard $k/3: the summary counts the other shards' pairs" \
        grep -Eq "; $((total - mine)) of $total host-port pairs not scanned \([0-9]+ other-shard\)" "$OUT"
done
"$PSCAN" merge "$TEST_TMP/tshards.jsonl" "$TEST_TMP"/tshard{1,2,3}.jsonl 2>/dev/null
check_eq "-sT shards merged: the pairs and states of the -sS shards merged" \
    "$(json_pairs "$TEST_TMP/tshards.jsonl" | diff - <(json_pairs "$TEST_TMP/shards.jsonl") | head -5)" ""
sub="${TB_LOCAL_PFX}0/27"
pscan_run ufull -n -sU --seed "$seed" -p "$ports" -oJ "$TEST_TMP/udp.full.jsonl" "$sub"
json_pairs "$TEST_TMP/udp.full.jsonl" >"$TEST_TMP/udp.full"
check_eq "-sU full /27: every pair answered closed" "$(grep -c ' closed$' "$TEST_TMP/udp.full")" $((32 * nports))
for k in 1 2 3; do
    pscan_run "ushard$k" -n -sU --seed "$seed" --shard "$k/3" -p "$ports" -oJ "$TEST_TMP/udp$k.jsonl" "$sub"
    check_eq "-sU --shard $k/3: exit 0" "$RC" 0
    [ "$RC" -eq 0 ] || show_run
    n=$(jq -s '[.[] | select(.type == "host") | .scanned] | add' "$TEST_TMP/udp$k.jsonl")
    check_cmd "-sU --shard $k/3: a third of the pairs ($n of $((32 * nports)))" \
        test "$n" -ge $((32 * nports / 3)) -a "$n" -le $(((32 * nports + 2) / 3))
done
"$PSCAN" merge "$TEST_TMP/udp.shards.jsonl" "$TEST_TMP"/udp{1,2,3}.jsonl 2>/dev/null
check_eq "-sU shards: no pair in two shards, together the full scan" \
    "$(json_pairs "$TEST_TMP/udp.shards.jsonl" | diff - "$TEST_TMP/udp.full" | head -5)" ""

# More shards than probes: the empty ones send nothing and still exit 0.
sum=0 opened=""
for k in 1 2 3 4 5; do
    pscan_run "tiny$k" -n -v -sS --seed "$seed" --shard "$k/5" -p "${open[0]},1001" "$TB_IP4"
    check_eq "2 probes, --shard $k/5: exit 0" "$RC" 0
    sent=$(syn_stat "$ERR" sent)
    sum=$((sum + ${sent:-0}))
    opened="$opened $(report_ports "$OUT" "$TB_IP4" open)"
done
check_eq "2 probes in 5 shards: 2 sent in all" "$sum" 2
check_set "2 probes in 5 shards: the open port found once" "$opened" "${open[0]}"

finish
