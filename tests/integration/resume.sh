#!/usr/bin/env bash
# tests/integration/resume.sh: an interrupted scan leaves valid partial
# output and a state file; `pscan --resume` finishes the same scan without
# repeating what was done.
#
# Target: the test host's 198.19.X.0/24 (256 addresses answering) x ports
# 1-400, with a listener holding three of them on every address.  Each scan
# is slowed with --max-rate so that a SIGINT lands in the middle; the first
# run's JSON Lines and the resumed run's must together hold exactly the
# 768 open host:port pairs.  For the SYN scan, finished chunks are never
# probed again, so no pair may appear in both runs; the connect scan
# repeats at most the one host it was in the middle of.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
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

# open_pairs FILE...: "host port" of every open port in JSON Lines files.
open_pairs() { jq -r 'select(.type=="host") | .host as $h | .ports[] | select(.state=="open") | "\($h) \(.port)"' "$@" | sort; }

for engine in -sS -sT; do
    tag=${engine#-}
    dir=$TEST_TMP/$tag
    mkdir -p "$dir"
    (
        cd "$dir" || exit 1
        timeout 60 "$PSCAN" "$engine" -v -n -p 1-400 --max-rate 40000 "$TB_LOCAL" -oJ out.jsonl >run1.out 2>run1.err &
        pid=$!
        sleep 0.8
        kill -INT "$pid"
        wait "$pid"
        echo $? >run1.rc
    )
    check_eq "$tag: interrupted run exits 0" "$(cat "$dir/run1.rc")" 0
    check_cmd "$tag: it says how to continue" grep -q 'pscan --resume pscan.resume' "$dir/run1.err"
    check_cmd "$tag: its JSON Lines are valid up to the summary" \
        sh -c "jq -e . '$dir/out.jsonl' >/dev/null && tail -n 1 '$dir/out.jsonl' | jq -e 'select(.type==\"summary\")' >/dev/null"
    open_pairs "$dir/out.jsonl" >"$dir/first.pairs"
    first=$(wc -l <"$dir/first.pairs")
    check_cmd "$tag: the first run found part of the ports ($first of $want)" test "$first" -lt "$want"

    (cd "$dir" && timeout 120 "$PSCAN" --resume pscan.resume >run2.out 2>run2.err; echo $? >run2.rc)
    check_eq "$tag: resumed run exits 0" "$(cat "$dir/run2.rc")" 0
    [ "$(cat "$dir/run2.rc")" = 0 ] || sed 's/^/#   /' "$dir/run2.err"
    # The resumed run appends its lines to the same file.
    open_pairs "$dir/out.jsonl" >"$dir/all.pairs"
    check_eq "$tag: both runs together found every open port" "$(sort -u "$dir/all.pairs" | wc -l)" "$want"
    dups=$(uniq -d "$dir/all.pairs" | wc -l)
    if [ "$tag" = sS ]; then
        check_eq "$tag: no pair was reported by both runs" "$dups" 0
        sent1=$(sed -n 's/^syn: \([0-9]*\) probes sent.*/\1/p' "$dir/run1.err")
        sent2=$(sed -n 's/^syn: \([0-9]*\) probes sent.*/\1/p' "$dir/run2.err")
        check_cmd "$tag: the resumed run sent only what was left ($sent1 + $sent2 of 102400)" \
            test "$((sent1 + sent2))" -le 102400 -a "$sent2" -lt 102400
    else
        check_cmd "$tag: at most one host repeated ($dups pairs)" test "$dups" -le 3
    fi
done

check_cmd "a bad resume file is refused with one line" \
    sh -c "printf 'nonsense\n' >'$TEST_TMP/bad.resume'; '$PSCAN' --resume '$TEST_TMP/bad.resume' 2>'$TEST_TMP/bad.err'; test \$? = 1 && test \$(wc -l <'$TEST_TMP/bad.err') = 1"
finish
