#!/usr/bin/env bash
# tests/integration/resume.sh: an interrupted scan leaves valid partial
# output and a state file; `pscan --resume` finishes the same scan without
# repeating what was done.
#
# Target: the test host's 198.19.X.0/24 (256 addresses answering) x ports
# 1-400, with a listener holding three of them on every address.  Each scan
# is slowed with --max-rate so that a SIGINT lands in the middle; the first
# run's JSON Lines and the resumed run's must together hold exactly the
# 768 open host:port pairs, and no pair may appear in both runs: the
# interrupted run shows only what it finished, and the resumed run only
# what it did.  Their results together must equal an uninterrupted run's:
# per host and state, the same counts, and the same open ports (facts).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
# Whatever pscan writes in its working directory (pscan.resume when it is
# stopped, -oA files) lands in the test's own directory, never in the work tree.
cd "$TEST_TMP" || bail "cannot enter $TEST_TMP"
need_root
need_cmd ip jq timeout
need_file "$LISTENER" "listener"
need_file "$PSCAN" "pscan"

tb_create resume --local || bail "cannot create the test host"
for a in "${TB_LOCAL_PFX}0" "${TB_LOCAL_PFX}255"; do
    tb_route_check "$a" "$TB_VH" || bail "$a is not routed via $TB_VH"
done
listener_start -n "$TB_NS" res 0.0.0.0 22 80 333 || bail "listener did not start"
want=768

# facts FILE: per host, protocol and state, how many ports (shown rows and
# "Not shown" counts together, over every run in FILE), and every open port.
facts() {
    jq -r 'select(.type=="host") | .host as $h |
        (.ports[] | "\($h) \(.proto) \(.state) 1 \(if .state == "open" then .port else "-" end)"),
        (.hidden[] | "\($h) \(.proto) \(.state) \(.count) -")' "$1" |
        awk '{ n[$1 " " $2 " " $3] += $4; if ($5 != "-") print "open", $1, $2, $5 }
             END { for (k in n) print "count", k, n[k] }' | sort
}

# check_facts TAG DIR ARGS...: an uninterrupted run of ARGS in DIR/ref gives
# the same facts as the interrupted run and its resumption together.
check_facts() {
    local tag=$1 dir=$2
    shift 2
    mkdir -p "$dir/ref"
    (cd "$dir/ref" && timeout 120 "$PSCAN" "$@" -oJ ref.jsonl >/dev/null 2>&1)
    facts "$dir/ref/ref.jsonl" >"$dir/ref.facts"
    facts "$dir/out.jsonl" >"$dir/both.facts"
    check_eq "$tag: both runs together = one uninterrupted run (per host and state, and every open port)" \
        "$(diff "$dir/both.facts" "$dir/ref.facts" | head -5)" ""
    check_cmd "$tag: ... an uninterrupted run that found something ($(grep -c '^count' "$dir/ref.facts") host/state counts)" \
        test "$(grep -c '^count' "$dir/ref.facts")" -gt 0
}

# open_pairs FILE...: "host port" of every open port in JSON Lines files.
open_pairs() { jq -r 'select(.type=="host") | .host as $h | .ports[] | select(.state=="open") | "\($h) \(.port)"' "$@" | sort; }

# run_interrupted TAG DIR PAUSE ARGS...: pscan ARGS in DIR (JSON Lines to
# out.jsonl), stopped with SIGINT after PAUSE seconds; checks it exits 4
# (interrupted).
run_interrupted() {
    local tag=$1 dir=$2 pause=$3
    shift 3
    mkdir -p "$dir"
    (
        cd "$dir" || exit 1
        timeout 60 "$PSCAN" "$@" -oJ out.jsonl >run1.out 2>run1.err &
        pid=$!
        sleep "$pause"
        kill -INT "$pid"
        wait "$pid"
        echo $? >run1.rc
    )
    check_eq "$tag: interrupted run exits 4" "$(cat "$dir/run1.rc")" 4
}

# run_resumed TAG DIR: pscan --resume in DIR; checks it exits 0.
run_resumed() {
    local tag=$1 dir=$2
    (cd "$dir" && timeout 120 "$PSCAN" --resume pscan.resume >run2.out 2>run2.err; echo $? >run2.rc)
    check_eq "$tag: resumed run exits 0" "$(cat "$dir/run2.rc")" 0
    [ "$(cat "$dir/run2.rc")" = 0 ] || sed 's/^/#   /' "$dir/run2.err"
}

for engine in -sS -sT; do
    tag=${engine#-}
    dir=$TEST_TMP/$tag
    run_interrupted "$tag" "$dir" 0.8 "$engine" -v -n -p 1-400 --max-rate 40000 "$TB_LOCAL"
    check_cmd "$tag: it says how to continue" grep -q 'pscan --resume pscan.resume' "$dir/run1.err"
    check_cmd "$tag: its JSON Lines are valid up to the summary" \
        sh -c "jq -e . '$dir/out.jsonl' >/dev/null && tail -n 1 '$dir/out.jsonl' | jq -e 'select(.type==\"summary\")' >/dev/null"
    open_pairs "$dir/out.jsonl" >"$dir/first.pairs"
    first=$(wc -l <"$dir/first.pairs")
    check_cmd "$tag: the first run found part of the ports ($first of $want)" test "$first" -lt "$want"

    check_cmd "$tag: the resume file names the run that wrote it" grep -qx 'run 1' "$dir/pscan.resume"
    run_resumed "$tag" "$dir"
    # The resumed run appends its lines to the same file.
    open_pairs "$dir/out.jsonl" >"$dir/all.pairs"
    check_eq "$tag: both runs together found every open port" "$(sort -u "$dir/all.pairs" | wc -l)" "$want"
    check_eq "$tag: no pair was reported by both runs" "$(uniq -d "$dir/all.pairs" | wc -l)" 0
    check_eq "$tag: the scan lines count the runs, with one seed and spec" \
        "$(jq -r 'select(.type=="scan") | "\(.run) \(.seed) \(.spec)"' "$dir/out.jsonl" | awk '{print $1; s[$2" "$3]=1} END {print length(s)}' | tr '\n' ' ')" "1 2 1 "
    check_cmd "$tag: the finished resume file names the run that finished it" grep -qx 'run 2' "$dir/pscan.resume.done"
    if [ "$tag" = sS ]; then
        sent1=$(sed -n 's/^syn: \([0-9]*\) probes sent.*/\1/p' "$dir/run1.err")
        sent2=$(sed -n 's/^syn: \([0-9]*\) probes sent.*/\1/p' "$dir/run2.err")
        check_cmd "$tag: the resumed run sent only what was left ($sent1 + $sent2 of 102400)" \
            test "$((sent1 + sent2))" -le 102400 -a "$sent2" -lt 102400
    fi
    check_facts "$tag" "$dir" "$engine" -n -p 1-400 "$TB_LOCAL"
done

# UDP, alone and after a TCP scan.  Every address holds UDP ports 53 and
# 99 without answering (open|filtered); the rest of 1-100 are closed, with
# the namespace's ICMP limits lifted so the closed ports are quick.  The
# scan of -sU is host-exact: a host the stop cut is scanned again in full,
# so every host must come out complete (all 101 UDP ports accounted for) in
# one of the two runs.  The TCP+UDP run is stopped in its UDP phase; its
# resumed run must not repeat the TCP phase.
# (All 256 addresses share one kernel and so one ICMP budget: left at its
# default, hosts starve each other; see docs/udp.md.)
tb_run_ns sysctl -q -w net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=1000000 net.ipv4.icmp_msgs_burst=1000000
UDP_BIND=$(dirname "$LISTENER")/udp_bind
if [ -x "$UDP_BIND" ]; then
    ip netns exec "$TB_NS" "$UDP_BIND" -t 300 0.0.0.0 53 99 >"$TEST_TMP/udp_bind.out" 2>&1 &
    track_pid $!
    for i in $(seq 100); do grep -q ready "$TEST_TMP/udp_bind.out" && break; sleep 0.05; done
fi
# udp_complete FILE: addresses whose host line has the whole UDP truth:
# 53 and 99 open|filtered, the other 99 closed.  (A host the stop cut is
# not shown by the interrupted run at all.)
udp_complete() {
    jq -r 'select(.type=="host") |
           select(([.ports[] | select(.proto=="udp" and .state=="open|filtered") | .port] == [53, 99]) and
                  ([.ports[], (.hidden // [])[] | select(.proto=="udp" and .state=="closed") | (.count // 1)] | add) == 99) |
           .host' "$1" | sort -u
}
for engines in "-sU" "-sT -sU"; do
    tag=$(echo "$engines" | tr -d ' -')
    dir=$TEST_TMP/$tag
    # -sU alone is stopped half-way through; -sT -sU in its UDP phase.
    [ "$tag" = sU ] && pause=1.5 || pause=7.5
    # shellcheck disable=SC2086
    run_interrupted "$tag" "$dir" "$pause" $engines -n -Pn -p 1-100,333 --max-rate 5000 "$TB_LOCAL"
    check_cmd "$tag: it was stopped in the UDP scan" grep -q 'interrupted in the udp scan' "$dir/run1.err"
    [ -s "$dir/pscan.resume" ] || sed 's/^/#   /' "$dir/run1.err"
    first=$(udp_complete "$dir/out.jsonl" | wc -l)
    check_cmd "$tag: the first run finished part of the hosts ($first of 256)" test "$first" -lt 256
    if [ "$tag" = sTsU ]; then
        tcp1=$(open_pairs "$dir/out.jsonl" | wc -l)
        check_eq "$tag: its TCP phase was complete" "$tcp1" "$want"
    fi
    run_resumed "$tag" "$dir"
    n=$(udp_complete "$dir/out.jsonl" | wc -l)
    check_eq "$tag: both runs together finished every host" "$n" 256
    if [ "$tag" = sTsU ]; then
        check_eq "$tag: the resumed run did not repeat the TCP scan" "$(open_pairs "$dir/out.jsonl" | wc -l)" "$want"
    fi
    # shellcheck disable=SC2086
    check_facts "$tag" "$dir" $engines -n -Pn -p 1-100,333 "$TB_LOCAL"
done

check_cmd "a bad resume file is refused with one line" \
    sh -c "printf 'nonsense\n' >'$TEST_TMP/bad.resume'; '$PSCAN' --resume '$TEST_TMP/bad.resume' 2>'$TEST_TMP/bad.err'; test \$? = 1 && test \$(wc -l <'$TEST_TMP/bad.err') = 1"
finish
