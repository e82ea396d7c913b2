#!/usr/bin/env bash
# tests/integration/syn_loss.sh: pscan -sS under random packet loss must
# still find every open port, and no port that is not open.
#
# The test host (tests/lib/netns.sh, --local) answers for all of
# 198.19.X.0/24.  One listener on 0.0.0.0 holds three random ports in
# 13..1000 and one high port, so each of the 256 addresses has those four
# open (1,024 open pairs, read back from `ss`); ports 1-12 are closed (RST).
# tests/lib/loss.sh drops, inside the test host, L % of the TCP frames
# arriving on its veth (the probes) and L % of those it sends (the
# answers), each frame drawn on its own.  The answers are dropped on the
# way out of the test host: a drop rule on the ingress of pscan's side would
# not hide them from pscan's packet capture (see tests/lib/loss.sh), and a
# check below makes sure the rule really does.
#
#   - 0 % loss (control), once: every open pair found, nothing dropped;
#   - 5 % and 20 % loss each way, 3 runs each (one lucky run proves
#     little): every open pair found, none false, in every run; the nft
#     counters must show about L % of the probes and of the answers
#     dropped.  A miss is reported with its count (and how the missed
#     ports were reported: filtered, closed or not at all).
#
# Nothing here is timed: pscan's own "syn:" line (probes resent, seconds)
# is printed as a note.  pscan runs on the host side of the veth with -n -v.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/syn.sh"
. "$(dirname "$0")/../lib/loss.sh"
cd "$TEST_TMP" || bail "cannot enter $TEST_TMP"
need_root
need_cmd ip nft ss timeout
need_file "$LISTENER" "listener"
need_file "$PSCAN" "pscan"

tb_create srv --local || bail "cannot create the test host"
for i in 0 1 128 255; do
    tb_route_check "$TB_LOCAL_PFX$i" "$TB_VH" || bail "$TB_LOCAL_PFX$i is not routed via $TB_VH"
done
tb_route_check "$TB_IP4" "$TB_VH" || bail "$TB_IP4 is not routed via $TB_VH"

low=$(syn_ports_between 13 1000 3)
hi=$((10000 + RANDOM % 20000))
read -r -a open <<<"$low $hi"
listener_start -n "$TB_NS" srv 0.0.0.0 "${open[@]}" || bail "listener did not start"
truth=$(listen_ports -n "$TB_NS" 4 "$TB_IP4")
check_set "ss: the listener's four ports are the only open ones" "$truth" "${open[*]}"
ports="1-12,$(tr ' ' ',' <<<"${open[*]}")"
nhosts=256
nopen=$((nhosts * ${#open[@]}))

# The ground truth, one "ADDR PORT" line per open pair, sorted.
for ((i = 0; i < nhosts; i++)); do
    for p in $truth; do echo "$TB_LOCAL_PFX$i $p"; done
done | sort >"$TEST_TMP/truth.txt"

# pairs FILE STATE: "ADDR PORT" for every port the report lists in STATE.
pairs() {
    awk -v st="$2" '/^pscan scan report for / { h = $NF; gsub(/[()]/, "", h) }
        $1 ~ /^[0-9]+\/tcp$/ && $2 == st { split($1, a, "/"); print h, a[1] }' "$1" | sort
}

# pct PART WHOLE: PART / WHOLE in percent, one decimal.
pct() { awk -v p="$1" -v w="$2" 'BEGIN { if (w > 0) printf "%.1f", 100 * p / w; else print "-" }'; }

# lossy_run LOSS TAG: one scan at LOSS % each way, and its checks.
lossy_run() {
    local loss=$1 tag="$1% loss each way, $2" c0 c1
    c0=$(loss_counters "$TB_NS")
    pscan_run "loss-$1-${2// /}" -n -v -sS -p "$ports" "$TB_LOCAL"
    c1=$(loss_counters "$TB_NS")
    check_eq "$tag: exit 0" "$RC" 0
    [ "$RC" -eq 0 ] || show_run
    local got=$TEST_TMP/got.txt missed extra
    pairs "$OUT" open >"$got"
    missed=$(comm -23 "$TEST_TMP/truth.txt" "$got" | wc -l)
    extra=$(comm -13 "$TEST_TMP/truth.txt" "$got" | wc -l)
    if [ "$missed" -eq 0 ]; then
        ok "$tag: every open port found ($nopen of $nopen)"
    else
        local filt closed
        filt=$(comm -12 <(comm -23 "$TEST_TMP/truth.txt" "$got") <(pairs "$OUT" filtered) | wc -l)
        closed=$(comm -12 <(comm -23 "$TEST_TMP/truth.txt" "$got") <(pairs "$OUT" closed) | wc -l)
        not_ok "$tag: every open port found ($nopen of $nopen)" \
            "missed $missed of $nopen open ports ($(pct "$missed" "$nopen")%): $filt reported filtered, $closed closed, $((missed - filt - closed)) not listed (folded into Not shown or no report)
first missed: $(comm -23 "$TEST_TMP/truth.txt" "$got" | head -n 5 | tr '\n' ';')"
    fi
    if [ "$extra" -eq 0 ]; then
        ok "$tag: no port reported open that is not"
    else
        not_ok "$tag: no port reported open that is not" \
            "$extra false open: $(comm -13 "$TEST_TMP/truth.txt" "$got" | head -n 5 | tr '\n' ';')"
    fi
    # The drops really happened (or, at 0 %, did not).
    local a0 a1 d=() i
    read -r -a a0 <<<"$c0"
    read -r -a a1 <<<"$c1"
    for i in 0 1 2 3 4 5; do d[i]=$((a1[i] - a0[i])); done
    note "$tag: $(grep '^syn:' "$ERR"); nft: ${d[1]} of ${d[0]} probes dropped ($(pct "${d[1]}" "${d[0]}")%), ${d[5]} of ${d[4]} answers ($(pct "${d[5]}" "${d[4]}")%)"
    if [ "$loss" -eq 0 ]; then
        check_eq "$tag: nothing dropped" "${d[3]} ${d[5]}" "0 0"
    else
        # Thousands of frames each way: L/2..2L is many standard deviations wide.
        local lo hi
        lo=$((d[0] * loss / 200)) hi=$((d[0] * loss / 50))
        check_cmd "$tag: the nft counters show about $loss% of the probes dropped" \
            test "${d[0]}" -ge 1000 -a "${d[1]}" -ge "$lo" -a "${d[1]}" -le "$hi"
        lo=$((d[4] * loss / 200)) hi=$((d[4] * loss / 50))
        check_cmd "$tag: the nft counters show about $loss% of the answers dropped" \
            test "${d[4]}" -ge 1000 -a "${d[5]}" -ge "$lo" -a "${d[5]}" -le "$hi"
        # Probes were lost, so some must have been sent again.
        local resent
        resent=$(syn_stat "$ERR" resent)
        check_cmd "$tag: pscan resent probes" test "${resent:-0}" -gt 0
    fi
}

# ---------------------------------------- the answers' drop rule hides them
# 100 % of the answers dropped: pscan must see none of them (if the rule sat
# where a packet capture still sees the frame, the port would come out open).
loss_set "$TB_NS" "$TB_VN" 0 100 || bail "cannot install the loss rules"
c0=$(loss_counters "$TB_NS")
pscan_run hide -n -v -sS --max-retries 0 -p "${open[0]}" "$TB_IP4"
c1=$(loss_counters "$TB_NS")
check_eq "all answers dropped: exit 0" "$RC" 0
check_eq "all answers dropped: the open port is not seen open" "$(pairs "$OUT" open | wc -l)" 0
read -r -a a0 <<<"$c0"
read -r -a a1 <<<"$c1"
check_cmd "all answers dropped: the nft counter dropped the answer" test $((a1[5] - a0[5])) -ge 1

# ------------------------------------------------------------- 0, 5, 20 %
loss_set "$TB_NS" "$TB_VN" 0 0 || bail "cannot install the loss rules"
lossy_run 0 "control"
for loss in 5 20; do
    loss_set "$TB_NS" "$TB_VN" "$loss" "$loss" || bail "cannot install the loss rules"
    for run in 1 2 3; do
        lossy_run "$loss" "run $run"
    done
done
loss_clear "$TB_NS"
finish
