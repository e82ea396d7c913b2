#!/usr/bin/env bash
# k8s_manifest.sh: docs/examples/pscan-indexed-job.yaml passes
# tests/tools/k8s_check.py (python3-kubernetes' models, unknown fields
# rejected, the fields the recipe needs); broken copies of it are rejected
# with a message that names the problem; and the pods' command lines, as the
# checker prints them for each completion index, run here with the real
# pscan against this test's namespace host: `pscan merge` of the four
# shards equals one unsharded run, and a pod stopped by SIGTERM (to its
# shell only, as the kubelet signals a container's PID 1) or by SIGKILL is
# resumed, or started afresh, by the next pod of its index, the merge still
# equal.  No cluster, no API server; packets only to the namespace.
. "$(dirname "$0")/../lib/common.sh"

PY=/usr/bin/python3 # Debian's: python3-yaml and python3-kubernetes
CHECK=$TEST_ROOT/tests/tools/k8s_check.py
MANIFEST=$TEST_ROOT/docs/examples/pscan-indexed-job.yaml
need_cmd timeout setsid
if ! [ -x "$PY" ] || ! "$PY" -c 'import yaml, kubernetes.client' 2>/dev/null; then
    skip "$TEST_NAME" "needs Debian's python3-yaml and python3-kubernetes"
    exit 0
fi
[ -f "$MANIFEST" ] || bail "no $MANIFEST"

check() { "$PY" "$CHECK" "$@"; }

# ------------------------------------------------------------- the manifest
if out=$(check "$MANIFEST" 2>&1); then
    ok "k8s: the example manifest passes ($out)"
else
    not_ok "k8s: the example manifest passes" "$out"
fi
check_cmd "k8s: ...with --shards 4" check "$MANIFEST" --shards 4 >/dev/null
check_not "k8s: ...but not with --shards 3" check "$MANIFEST" --shards 3 2>/dev/null
check_not "k8s: --command refuses index 4 of 0..3" check "$MANIFEST" --command 4 2>/dev/null
check_eq "k8s: --env gives the index" "$(check "$MANIFEST" --env 3 | grep '^JOB_COMPLETION_INDEX=')" "JOB_COMPLETION_INDEX=3"
cmd2=$(check "$MANIFEST" --command 2)
if [[ "$cmd2" == *'out="shard-2.jsonl"'* ]] && [[ "$cmd2" != *'$(JOB_COMPLETION_INDEX)'* ]]; then
    ok "k8s: --command 2 has \$(JOB_COMPLETION_INDEX) replaced by 2"
else
    not_ok "k8s: --command 2 has \$(JOB_COMPLETION_INDEX) replaced by 2" "$cmd2"
fi

# ---------------------------------------------------------- broken copies
# reject NAME WANT SED-EXPR: a copy edited by SED-EXPR must be refused, with
# WANT (a fixed string) in the message.
reject() {
    local name=$1 want=$2 expr=$3 copy=$TEST_TMP/broken.yaml err=$TEST_TMP/broken.err
    sed -e "$expr" "$MANIFEST" >"$copy"
    if cmp -s "$copy" "$MANIFEST"; then
        not_ok "k8s rejects $name" "the edit '$expr' changed nothing"
        return
    fi
    if check "$copy" >/dev/null 2>"$err"; then
        not_ok "k8s rejects $name" "the checker accepted it"
    elif grep -qF -- "$want" "$err"; then
        ok "k8s rejects $name: $(grep -F -- "$want" "$err" | head -n 1 | sed 's/^k8s_check: [^:]*: //')"
    else
        not_ok "k8s rejects $name, naming '$want'" "$(cat "$err")"
    fi
}
reject "a misspelt spec field" "spec.parallelizm: unknown field (did you mean 'parallelism'?)" \
    's/^  parallelism: 4$/  parallelizm: 4/'
reject "a misspelt field deep down" "volumeMounts[0].mountpath: unknown field" \
    's/mountPath: \/results/mountpath: \/results/'
reject "completionMode NonIndexed" "completionMode must be Indexed" \
    's/completionMode: Indexed/completionMode: NonIndexed/'
reject "no NET_RAW" "lacks NET_RAW" 's/add: \["NET_RAW", "NET_ADMIN"\]/add: ["NET_ADMIN"]/'
reject "parallelism != completions" "parallelism (3) must equal spec.completions (4)" \
    's/^  parallelism: 4$/  parallelism: 3/'
reject "--shard auto/N not matching completions" "--shard auto/3 does not match spec.completions (4)" \
    's/--shard auto\/4/--shard auto\/3/'
reject "a fixed --shard" "--shard 1/4: each pod must take its part from its index" \
    's/--shard auto\/4/--shard 1\/4/'
reject "an env value that is not a string" "value: must be a string, not int 20240601" \
    's/value: "20240601"/value: 20240601/'
reject "another claim" "claim other-claim, not pscan-results" 's/claimName: pscan-results/claimName: other-claim/'
reject "a field newer than the client's API (backoffLimitPerIndex)" "spec.backoffLimitPerIndex: unknown field" \
    's/^  backoffLimit: 8$/  backoffLimit: 8\n  backoffLimitPerIndex: 2/'
reject "a container without a name (deserialize's own check)" "not a valid V1Job" \
    's/^        - name: pscan$/        - stdin: false/'
reject "an unknown kind" "not one this checker knows" 's/^kind: PersistentVolumeClaim$/kind: PersistentVolumeClaimX/'

# ----------------------------------------------- the pods' commands, here
# The real pscan (-sS) against this test's own namespace host, as each pod
# of the Job would run it: a /24 with three open ports, silent hosts and
# one-port hosts.  Merged, the four indexes must equal one unsharded run.
need_root
need_cmd ip nft jq python3
need_file "$PSCAN" "pscan"
need_file "$LISTENER" "listener"
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/syn.sh"
. "$(dirname "$0")/../lib/shaped.sh"
NORM=$TEST_ROOT/tests/tools/jsonl_norm.py
shaped_host k8s || bail "cannot set up the test host"
open=("${SH_OPEN[@]}")
PORTS_SPEC="$(tr ' ' ',' <<<"${open[*]}"),1001-1040"
BIN=$TEST_TMP/bin
mkdir -p "$BIN"
ln -s "$PSCAN" "$BIN/pscan"

# pod_start RESULTS I [RATE]: the command of index I, in the background in
# its own session (like a container: one signal to its PID 1, or SIGKILL to
# all of it), with the container's environment as the checker gives it, but
# this test's targets and ports, at RATE probes/s (fast by default).  Sets
# POD_PID; the pod's output goes to RESULTS/pod-I.log.
pod_start() {
    local res=$1 i=$2 rate=${3:-100000} envs=() argv=()
    mapfile -t envs < <(check "$MANIFEST" --env "$i")
    mapfile -d '' -t argv < <(check "$MANIFEST" --argv "$i")
    mkdir -p "$res"
    setsid env -i "${envs[@]}" PATH="$BIN:/usr/bin:/bin" RESULTS="$res" TARGETS="$TB_LOCAL" \
        PORTS="$PORTS_SPEC" PSCAN_ARGS="-n -sS --max-rate $rate" \
        timeout 60 "${argv[@]}" >>"$res/pod-$i.log" 2>&1 &
    POD_PID=$!
}

# pod_run RESULTS I [RATE]: the same, to the end; returns its status.
pod_run() {
    pod_start "$@"
    wait "$POD_PID"
}

SEED=$(check "$MANIFEST" --env 0 | sed -n 's/^SEED=//p')
REF=$TEST_TMP/ref.jsonl
timeout 60 "$PSCAN" -n -sS --seed "$SEED" -p "$PORTS_SPEC" -oJ "$REF" "$TB_LOCAL" >/dev/null 2>&1
python3 "$NORM" "$REF" >"$TEST_TMP/ref.norm"

# merged_is_ref NAME IN...: pscan merge of IN... equals the unsharded run.
merged_is_ref() {
    local name=$1 all=$TEST_TMP/all.jsonl
    shift
    rm -f "$all"
    "$PSCAN" merge "$all" "$@" 2>"$TEST_TMP/merge.err"
    check_eq "$name: pscan merge exits 0" "$?" 0
    python3 "$NORM" "$all" >"$TEST_TMP/all.norm" 2>&1
    if [ -s "$TEST_TMP/ref.norm" ] && cmp -s "$TEST_TMP/ref.norm" "$TEST_TMP/all.norm"; then
        ok "$name: merged = one unsharded run ($(grep -c '"type": "host"' "$TEST_TMP/ref.norm") hosts)"
    else
        not_ok "$name: merged = one unsharded run" "$(head -3 "$TEST_TMP/merge.err")"
        diff "$TEST_TMP/ref.norm" "$TEST_TMP/all.norm" | head -6 | cut -c1-300 | sed 's/^/#   /'
    fi
}

R=$TEST_TMP/results
rcs=""
for i in 0 1 2 3; do
    pod_run "$R" "$i"
    rcs="$rcs $?"
done
check_eq "k8s pods: indexes 0-3 exit 0" "${rcs# }" "0 0 0 0"
check_eq "k8s pods: shards 1-4 of 4, from JOB_COMPLETION_INDEX" \
    "$(jq -r 'select(.type == "scan") | "\(.shard)/\(.shards)"' "$R"/shard-*/shard-*.jsonl | sort -u | tr '\n' ' ')" \
    "1/4 2/4 3/4 4/4 "
check_eq "k8s pods: one seed for all" "$(jq -r 'select(.type == "scan") | .seed' "$R"/shard-*/shard-*.jsonl | sort -u)" \
    "$SEED"
for i in 0 1 2 3; do
    check_cmd "k8s pods: shard $i complete in $R/shard-$i" test -e "$R/shard-$i/shard.done"
done
merged_is_ref "k8s pods" "$R"/shard-{0,1,2,3}/shard-*.jsonl
pod_run "$R" 0
check_eq "k8s pods: a pod of a complete index does nothing and exits 0" \
    "$?:$(tail -n 1 "$R/pod-0.log")" "0:pscan: shard 0 is complete already"

# wait_lines FILE N: until FILE has N lines (10 s at most).
wait_lines() {
    local i
    for i in $(seq 100); do
        [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

# SIGTERM to the pod's shell alone: it passes it on, pscan saves its state,
# the pod fails (75); the next pod of that index resumes.
S=$TEST_TMP/term
pod_start "$S" 1 800
if wait_lines "$S/shard-1/shard-1.jsonl" 1; then
    sleep 1
    kill -TERM "$POD_PID"
    wait "$POD_PID"
    check_eq "k8s pods: SIGTERM to the shell: the pod fails with 75" "$?" 75
    check_cmd "k8s pods: ...and pscan.resume is saved" test -f "$S/shard-1/pscan.resume"
    pod_run "$S" 1
    check_eq "k8s pods: the next pod of index 1 exits 0" "$?" 0
    check_cmd "k8s pods: ...having resumed" grep -q 'resuming shard 1' "$S/pod-1.log"
    check_eq "k8s pods: ...its shard has both runs" \
        "$(jq -r 'select(.type == "scan") | .run' "$S/shard-1/shard-1.jsonl" | tr '\n' ' ')" "1 2 "
    check_eq "k8s pods: ...which scanned shard 2/4's pairs once" \
        "$(jq -s '[.[] | select(.type == "summary") | .pairs - (.not_scanned | add)] | add' "$S/shard-1/shard-1.jsonl")" \
        "$(jq -s '[.[] | select(.type == "summary") | .pairs - (.not_scanned | add)] | add' "$R/shard-1/shard-1.jsonl")"
    merged_is_ref "k8s pods, index 1 resumed" "$R/shard-0/shard-0.jsonl" "$S/shard-1/shard-1.jsonl" \
        "$R"/shard-{2,3}/shard-*.jsonl
else
    not_ok "k8s pods: index 1 ran part-way" "$(cat "$S/pod-1.log" 2>/dev/null)"
    kill -KILL -- -"$POD_PID" 2>/dev/null
fi

# SIGKILL to the whole pod: nothing saved; the next pod starts afresh.
K=$TEST_TMP/kill
pod_start "$K" 2 800
if wait_lines "$K/shard-2/shard-2.jsonl" 1; then
    sleep 1
    kill -KILL -- -"$POD_PID"
    wait "$POD_PID" 2>/dev/null
    check_cmd "k8s pods: SIGKILLed pod left no resume file" test ! -e "$K/shard-2/pscan.resume"
    pod_run "$K" 2
    check_eq "k8s pods: the next pod of index 2 exits 0" "$?" 0
    check_cmd "k8s pods: ...its partial output set aside" \
        sh -c 'ls "$1"/shard-2/shard-2.jsonl.partial-* >/dev/null 2>&1' _ "$K"
    check_eq "k8s pods: ...and a complete shard from one fresh run" \
        "$(jq -r 'select(.type == "scan") | .run' "$K/shard-2/shard-2.jsonl")" 1
    merged_is_ref "k8s pods, index 2 killed and run again" "$R"/shard-{0,1}/shard-*.jsonl \
        "$K/shard-2/shard-2.jsonl" "$R/shard-3/shard-3.jsonl"
else
    not_ok "k8s pods: index 2 ran part-way" "$(cat "$K/pod-2.log" 2>/dev/null)"
    kill -KILL -- -"$POD_PID" 2>/dev/null
fi

finish
