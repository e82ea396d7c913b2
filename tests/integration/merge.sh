#!/usr/bin/env bash
# tests/integration/merge.sh: `pscan merge` of a scan's shards gives what
# one unsharded run gives (timing apart), on a test host whose /24 answers
# in every shape a merge must put back together (tests/lib/shaped.sh):
#
#   .200-.255   silent on every TCP port: down (no line) in every shard;
#   .100-.149   answer on one open port only: every shard but the one that
#               holds that pair hears nothing from them and writes no line,
#               yet the merged host lists (or folds) the ports those shards
#               scanned, as no-response;
#   .0-.49      ports 2001-2030 dropped: 30 no-response ports, which fold
#               into "Not shown" on the whole host but are a few rows in
#               each shard;
#   .50-.59     ports 1001-1005 rejected with admin-prohibited (a second
#               reason inside the filtered state).
#
# Compared with tests/tools/jsonl_norm.py: SYN (the cover is by position)
# and connect (by host) scans, -Pn, --open; a shard interrupted and resumed
# (its two runs in one file); a shard SIGKILLed and run again (the attempt
# that did not end is left out).  Then the refusals: other scans (seed,
# ports, version), a shard twice, a shard missing or unfinished (and
# --partial, exit 4), the output among the inputs, input that is not pscan's.
# `pscan diff` and `pscan report` read the merged file like any other.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/syn.sh"
. "$(dirname "$0")/../lib/shaped.sh"
cd "$TEST_TMP" || bail "cannot enter $TEST_TMP"
need_root
need_cmd ip nft python3 timeout
need_file "$LISTENER" "listener"
need_file "$PSCAN" "pscan"
NORM=$TEST_ROOT/tests/tools/jsonl_norm.py
need_file "$NORM" "jsonl_norm.py"

shaped_host merge || bail "cannot set up the test host"
open=("${SH_OPEN[@]}")
P=$SH_P
WIDE="$(tr ' ' ',' <<<"${open[*]}"),1001-1040,2001-2030" # 73 ports: states fold
FEW="$(tr ' ' ',' <<<"${open[*]}"),1001,2001"              # 5 ports: rows stay
SEED=$((RANDOM * 32768 + RANDOM))
note "seed $SEED, open ${open[*]}"

# scan TAG ARGS...: one run into TAG.jsonl; the exit status must be 0.
scan() {
    local tag=$1
    shift
    pscan_run "$tag" -n --seed "$SEED" "$@" -oJ "$TEST_TMP/$tag.jsonl" "$TB_LOCAL"
    [ "$RC" -eq 0 ] || { not_ok "$tag: exit 0" "$RC"; show_run; }
}

# same NAME REF MERGED: the merged file equals the unsharded one.
same() {
    python3 "$NORM" "$2" >"$TEST_TMP/a.norm" && python3 "$NORM" "$3" >"$TEST_TMP/b.norm"
    if cmp -s "$TEST_TMP/a.norm" "$TEST_TMP/b.norm"; then
        ok "$1: merged = one unsharded run ($(grep -c '"type": "host"' "$TEST_TMP/a.norm") hosts)"
    else
        not_ok "$1: merged = one unsharded run"
        diff "$TEST_TMP/a.norm" "$TEST_TMP/b.norm" | head -8 | cut -c1-300 | sed 's/^/#   /'
    fi
}

# sharded NAME N ARGS...: the unsharded run, N shards, their merge.
sharded() {
    local name=$1 n=$2 k ins=()
    shift 2
    scan "$name-ref" "$@"
    for k in $(seq "$n"); do
        scan "$name-$k" --shard "$k/$n" "$@"
        ins+=("$TEST_TMP/$name-$k.jsonl")
    done
    "$PSCAN" merge "$TEST_TMP/$name-all.jsonl" "${ins[@]}" 2>"$TEST_TMP/$name-merge.err"
    check_eq "$name: pscan merge exits 0" "$?" 0
    same "$name" "$TEST_TMP/$name-ref.jsonl" "$TEST_TMP/$name-all.jsonl"
}

sharded syn 4 -sS -p "$WIDE"
check_eq "syn: the reference shows the shapes: hosts up" \
    "$(jq -r 'select(.type == "summary") | .hosts_up' syn-ref.jsonl)" 200
check_cmd "syn: a one-port host in a shard without its line (the case rebuilt)" \
    test "$(cat syn-[1-4].jsonl | jq -r "select(.type == \"host\" and .host == \"$P.120\") | .host" | wc -l)" -lt 4
sharded connect 3 -sT -p "$FEW"
check_cmd "connect: the reference lists no-response rows of one-port hosts" \
    grep -q "\"host\":\"$P.120\".*no-response" connect-ref.jsonl
sharded pn 2 -sS -Pn -p "$FEW"
sharded open 4 -sS --open -p "$WIDE"

# A shard interrupted part-way and resumed: its two runs are in one file.
mkdir -p "$TEST_TMP/r2" && cd "$TEST_TMP/r2" || bail "cd"
timeout 60 "$PSCAN" -n --seed "$SEED" -sS -p "$WIDE" --max-rate 1500 --shard 2/4 -oJ "$TEST_TMP/r2/s2.jsonl" \
    "$TB_LOCAL" >/dev/null 2>&1 &
pid=$!
sleep 1.5
kill -INT "$pid"
wait "$pid"
check_eq "resume: the stopped shard exits 4" "$?" 4
"$PSCAN" merge "$TEST_TMP/x.jsonl" "$TEST_TMP"/syn-1.jsonl s2.jsonl "$TEST_TMP"/syn-[34].jsonl 2>"$TEST_TMP/unf.err" \
    >/dev/null
check_eq "resume: merge refuses the unfinished shard: exit 1" "$?" 1
check_cmd "resume: ...naming it" grep -q "shard 2/4 did not end" "$TEST_TMP/unf.err" || sed 's/^/#   /' "$TEST_TMP/unf.err"
timeout 60 "$PSCAN" --resume pscan.resume >/dev/null 2>&1
check_eq "resume: the resumed run exits 0" "$?" 0
check_eq "resume: the shard's file holds runs 1 and 2" \
    "$(jq -r 'select(.type == "scan") | .run' s2.jsonl | tr '\n' ' ')" "1 2 "
cd "$TEST_TMP" || bail "cd"
"$PSCAN" merge resumed.jsonl syn-1.jsonl r2/s2.jsonl syn-3.jsonl syn-4.jsonl
check_eq "resume: merge exits 0" "$?" 0
same "resume" syn-ref.jsonl resumed.jsonl

# A shard killed outright (no summary, no resume file), then run again.
# (pscan itself, not under timeout: SIGKILL to timeout would leave pscan
# running; the kill below bounds it.  Disowned: bash says nothing of it.)
"$PSCAN" -n --seed "$SEED" -sS -p "$WIDE" --max-rate 1500 --shard 3/4 -oJ killed.jsonl "$TB_LOCAL" \
    >/dev/null 2>&1 &
pid=$!
track_pid "$pid"
disown "$pid"
sleep 1.5
kill -KILL "$pid"
for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
check_not "killed: the shard has no summary" grep -q '"type":"summary"' killed.jsonl
"$PSCAN" merge again.jsonl syn-1.jsonl syn-2.jsonl killed.jsonl syn-3.jsonl syn-4.jsonl 2>killed.err
check_eq "killed: merge with the killed attempt and the new one exits 0" "$?" 0
check_cmd "killed: ...noting the attempt left out" grep -q "did not end is left out" killed.err
same "killed" syn-ref.jsonl again.jsonl

# Refusals: one line, exit 1, no output file.
refuse() {
    local name=$1 want=$2
    shift 2
    rm -f refused.jsonl
    "$PSCAN" merge refused.jsonl "$@" >refuse.out 2>refuse.err
    check_eq "refuse $name: exit 1" "$?" 1
    check_eq "refuse $name: one line on stderr" "$(wc -l <refuse.err)" 1
    check_cmd "refuse $name: says '$want'" grep -q -- "$want" refuse.err
    check_cmd "refuse $name: no output written" test ! -e refused.jsonl
}
scan other-seed -sS -p "$WIDE" --shard 4/4 --seed $((SEED + 1))
scan other-ports -sS -p "$FEW" --shard 4/4
sed 's/"version":"[^"]*"/"version":"0.0.1"/' syn-4.jsonl >old-version.jsonl
refuse seed "its seed is" syn-1.jsonl syn-2.jsonl syn-3.jsonl other-seed.jsonl
refuse ports "its targets and ports" syn-1.jsonl syn-2.jsonl syn-3.jsonl other-ports.jsonl
refuse version "its pscan version is 0.0.1" syn-1.jsonl syn-2.jsonl syn-3.jsonl old-version.jsonl
refuse twice "shard 2/4 is given twice" syn-1.jsonl syn-2.jsonl syn-2.jsonl syn-3.jsonl syn-4.jsonl
refuse missing "shard 4/4 is missing" syn-1.jsonl syn-2.jsonl syn-3.jsonl
refuse killed "shard 3/4 did not end" syn-1.jsonl syn-2.jsonl killed.jsonl syn-4.jsonl
printf 'not json\n' >junk.jsonl
refuse junk "junk.jsonl:1: not JSON" junk.jsonl
"$PSCAN" -n --seed "$SEED" -sS -p "$FEW" --shard 1/2 -oX part.xml "$TB_LOCAL" >/dev/null 2>&1
refuse xml "part.xml is XML: pscan merge reads the parts' -oJ files" part.xml
cp syn-1.jsonl self.jsonl
"$PSCAN" merge self.jsonl self.jsonl syn-2.jsonl syn-3.jsonl syn-4.jsonl 2>self.err
check_eq "refuse the output among the inputs: exit 1" "$?" 1
check_cmd "refuse the output among the inputs: the input is untouched" cmp -s self.jsonl syn-1.jsonl
"$PSCAN" merge 2>usage.err
check_eq "merge without arguments: exit 1" "$?" 1

# --partial: what is there, exit 4, the missing shard named and counted.
"$PSCAN" merge --partial part.jsonl syn-1.jsonl syn-2.jsonl syn-4.jsonl 2>part.err
check_eq "partial: exit 4" "$?" 4
check_cmd "partial: names the missing shard" grep -q "shard 3 of 4 is not in it" part.err
pairs=$(jq -r 'select(.type == "summary") | .pairs' syn-ref.jsonl)
check_eq "partial: the summary counts shard 3's pairs as other-shard and says interrupted" \
    "$(jq -r 'select(.type == "summary") | "\(.not_scanned["other-shard"]) \(.interrupted)"' part.jsonl)" \
    "$(jq -r 'select(.type == "summary") | .not_scanned["other-shard"]' syn-3.jsonl | awk -v p="$pairs" '{ print p - $1 }') true"

# The readers take a merged file like any other.
"$PSCAN" diff syn-ref.jsonl syn-all.jsonl >diff.out
check_eq "pscan diff: reference vs merged: no differences" "$?" 0
"$PSCAN" report --html -o report.html syn-all.jsonl >/dev/null 2>&1
check_eq "pscan report reads the merged file" "$?" 0
printf '* %s\n' "$(tr ' ' ',' <<<"${open[*]}")" >allowed.policy
printf '* %s\n' "${open[0]}" >strict.policy
"$PSCAN" report --junit --expect allowed.policy -o junit.xml syn-all.jsonl >/dev/null 2>&1
check_eq "pscan report --expect: the merged file meets a policy of its open ports" "$?" 0
"$PSCAN" report --junit --expect strict.policy -o junit.xml syn-all.jsonl >/dev/null 2>&1
check_eq "pscan report --expect: ...and breaks one that allows fewer (exit 3)" "$?" 3
finish
