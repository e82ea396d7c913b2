#!/usr/bin/env bash
# k8s_manifest.sh: docs/examples/pscan-indexed-job.yaml passes
# tests/tools/k8s_check.py (python3-kubernetes' models, unknown fields
# rejected, the fields the recipe needs); broken copies of it are rejected
# with a message that names the problem; and the pods' command lines, as the
# checker prints them for each completion index, run here: with pscan
# replaced by tests/tools/pscan_stub.sh (which sends nothing), the four
# shards cover the scan exactly once, and a pod stopped by SIGTERM (to its
# shell only, as the kubelet signals a container's PID 1) or by SIGKILL is
# resumed, or started afresh, by the next pod of its index.
#
# No cluster, no API server, no network.
. "$(dirname "$0")/../lib/common.sh"

PY=/usr/bin/python3 # Debian's: python3-yaml and python3-kubernetes
CHECK=$TEST_ROOT/tests/tools/k8s_check.py
MANIFEST=$TEST_ROOT/docs/examples/pscan-indexed-job.yaml
STUB=$TEST_ROOT/tests/tools/pscan_stub.sh
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
BIN=$TEST_TMP/bin
mkdir -p "$BIN"
ln -s "$STUB" "$BIN/pscan"
NPORTS=40

# pod_start RESULTS I [DELAY]: the command of index I, in the background
# in its own session (like a container: one signal to its PID 1, or SIGKILL
# to all of it), with the container's environment as the checker gives it,
# less the network parts: TARGETS 127.0.0.1, no -sS, and RESULTS given.
# Sets POD_PID; the pod's output goes to RESULTS/pod-I.log.
pod_start() {
    local res=$1 i=$2 delay=${3:-0.01} envs=() argv=()
    mapfile -t envs < <(check "$MANIFEST" --env "$i")
    mapfile -d '' -t argv < <(check "$MANIFEST" --argv "$i")
    mkdir -p "$res"
    setsid env -i "${envs[@]}" PATH="$BIN:/usr/bin:/bin" RESULTS="$res" TARGETS=127.0.0.1 \
        PORTS="1-$NPORTS" PSCAN_ARGS="" STUB_DELAY="$delay" \
        timeout 60 "${argv[@]}" >>"$res/pod-$i.log" 2>&1 &
    POD_PID=$!
}

# pod_run RESULTS I [DELAY]: the same, to the end; returns its status.
pod_run() {
    pod_start "$@"
    wait "$POD_PID"
}

R=$TEST_TMP/results
rcs=""
for i in 0 1 2 3; do
    pod_run "$R" "$i"
    rcs="$rcs $?"
done
check_eq "k8s pods: indexes 0-3 exit 0" "${rcs# }" "0 0 0 0"
merged=$TEST_TMP/all.jsonl
"$STUB" merge "$merged" "$R"/shard-*/shard-*.jsonl 2>/dev/null
check_eq "k8s pods: the merged shards hold every probe once" \
    "$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$merged" 2>/dev/null | sort -n | uniq | wc -l)/$(wc -l <"$merged" 2>/dev/null)" "$NPORTS/$NPORTS"
check_eq "k8s pods: shards 1-4 of 4, from JOB_COMPLETION_INDEX" \
    "$(sed -n 's/.*"shard":\([0-9]*\),"shards":\([0-9]*\).*/\1\/\2/p' "$merged" 2>/dev/null | sort -u | tr '\n' ' ')" "1/4 2/4 3/4 4/4 "
check_eq "k8s pods: one seed for all" "$(sed -n 's/.*"seed":"\([^"]*\)".*/\1/p' "$merged" | sort -u)" 20240601
for i in 0 1 2 3; do
    check_cmd "k8s pods: shard $i complete in $R/shard-$i" test -e "$R/shard-$i/shard.done"
done
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
pod_start "$S" 1 0.2
if wait_lines "$S/shard-1/shard-1.jsonl" 3; then
    kill -TERM "$POD_PID"
    wait "$POD_PID"
    check_eq "k8s pods: SIGTERM to the shell: the pod fails with 75" "$?" 75
    check_cmd "k8s pods: ...and pscan.resume is saved" test -f "$S/shard-1/pscan.resume"
    pod_run "$S" 1
    check_eq "k8s pods: the next pod of index 1 exits 0" "$?" 0
    check_cmd "k8s pods: ...having resumed" grep -q 'resuming shard 1' "$S/pod-1.log"
    check_eq "k8s pods: ...its shard has lines of both runs, none twice" \
        "$(sed -n 's/.*"run":\([0-9]*\).*/\1/p' "$S/shard-1/shard-1.jsonl" | sort -u | tr '\n' ' ')$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$S/shard-1/shard-1.jsonl" | sort | uniq -d | wc -l)" "1 2 0"
    check_eq "k8s pods: ...and all of shard 2/4's $((NPORTS / 4)) probes" "$(wc -l <"$S/shard-1/shard-1.jsonl")" $((NPORTS / 4))
    check_cmd "k8s pods: ...and the spent resume file set aside" test -f "$S/shard-1/pscan.resume.used"
else
    not_ok "k8s pods: index 1 ran part-way" "$(cat "$S/pod-1.log" 2>/dev/null)"
    kill -KILL -- -"$POD_PID" 2>/dev/null
fi

# SIGKILL to the whole pod: nothing saved; the next pod starts afresh.
K=$TEST_TMP/kill
pod_start "$K" 2 0.2
if wait_lines "$K/shard-2/shard-2.jsonl" 3; then
    kill -KILL -- -"$POD_PID"
    wait "$POD_PID" 2>/dev/null
    check_cmd "k8s pods: SIGKILLed pod left no resume file" test ! -e "$K/shard-2/pscan.resume"
    pod_run "$K" 2
    check_eq "k8s pods: the next pod of index 2 exits 0" "$?" 0
    check_cmd "k8s pods: ...its partial output set aside" \
        sh -c 'ls "$1"/shard-2/shard-2.jsonl.partial-* >/dev/null 2>&1' _ "$K"
    check_eq "k8s pods: ...and a complete shard from one fresh run" \
        "$(wc -l <"$K/shard-2/shard-2.jsonl"):$(sed -n 's/.*"run":\([0-9]*\).*/\1/p' "$K/shard-2/shard-2.jsonl" | sort -u)" "$((NPORTS / 4)):1"
else
    not_ok "k8s pods: index 2 ran part-way" "$(cat "$K/pod-2.log" 2>/dev/null)"
    kill -KILL -- -"$POD_PID" 2>/dev/null
fi

finish
