#!/usr/bin/env bash
# slurm_recipe.sh: docs/examples/pscan-slurm.sbatch, run as a user would
# (`bash pscan-slurm.sbatch` outside Slurm: it submits the array and the
# dependent merge job), on the real one-node cluster of tests/lib/slurm.sh,
# with the real pscan (-sS) against this test's own namespace host: the /24
# of tests/lib/shaped.sh (silent hosts, one-port hosts, dropped ports: the
# merge must fold and rebuild, as in merge.sh).
#
# Run A, four shards, stopped part-way the two ways that let pscan save:
#   task 2: scontrol requeue while running (SIGTERM): pscan writes
#           pscan.resume, the second run resumes from it;
#   task 3: SIGUSR1 to the batch shell, as --signal=B:USR1@120 sends before
#           a time limit: the script stops pscan and requeues its own task;
# the merge job (afterok) then runs by itself, and all.jsonl must equal one
# unsharded run with the same seed (tests/tools/jsonl_norm.py), and the
# runs of all shards must have scanned every pair exactly once (their
# summaries: pairs less not scanned, added up).  A finished task requeued
# does not scan again.
# Run B, two shards: task 1 SIGKILLed (nothing saved, the task ends FAILED),
# requeued by hand, starts afresh with its partial output moved aside; the
# afterok merge is cancelled, and `bash pscan-slurm.sbatch merge` merges.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/slurm.sh"
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/syn.sh"
. "$(dirname "$0")/../lib/shaped.sh"

slurm_need
need_cmd jq python3 nft ip
RECIPE=$TEST_ROOT/docs/examples/pscan-slurm.sbatch
NORM=$TEST_ROOT/tests/tools/jsonl_norm.py
[ -f "$RECIPE" ] || bail "no $RECIPE"
need_file "$PSCAN" "pscan"
need_file "$LISTENER" "listener"

shaped_host slurm || bail "cannot set up the test host"
open=("${SH_OPEN[@]}")

slurm_start || bail "the Slurm cluster did not start (see the notes above)"

# 256 hosts x 43 ports; at 800 probes/s a shard of four takes 3-4 s, so
# that a task can be stopped part-way.
PORTS_SPEC="$(tr ' ' ',' <<<"${open[*]}"),1001-1040"
export PSCAN TARGETS=$TB_LOCAL PORTS=$PORTS_SPEC PSCAN_ARGS="-n -sS --max-rate 800"
unset SEED

# lines_in FILE: how many lines FILE has (0 when it does not exist).
lines_in() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }

# wait_lines RUN TASK N: until shard TASK's output has N lines (20 s at most).
wait_lines() {
    local f=$1/shards/$2/shard-$2.jsonl i
    for i in $(seq 200); do
        [ "$(lines_in "$f")" -ge "$3" ] && return 0
        sleep 0.1
    done
    note "shard $2: $(lines_in "$f") lines after 20s"
    return 1
}

# submit_run RUN ARRAY: `bash pscan-slurm.sbatch` with RUN_DIR=RUN; sets
# JOB and MERGE.
submit_run() {
    local sub
    sub=$(cd "$TEST_TMP" && RUN_DIR=$1 ARRAY=$2 bash "$RECIPE" 2>&1)
    note "submit mode: $sub"
    JOB=$(sed -n 's/^array job \([0-9]*\) .*/\1/p' <<<"$sub")
    MERGE=$(sed -n 's/.* merge job \([0-9]*\),.*/\1/p' <<<"$sub")
    [ -n "$JOB" ] && [ -n "$MERGE" ]
}

# check_merged NAME RUN SHARDS JOB: all.jsonl of RUN equals one unsharded
# run with JOB as its seed; the shards' runs scanned every pair once.
check_merged() {
    local name=$1 all=$2/all.jsonl n=$3 ref=$2/ref.jsonl
    check_eq "$name: the shards' seed is the array's job id" \
        "$(jq -r 'select(.type == "scan") | .seed' "$2"/shards/*/shard-*.jsonl 2>/dev/null | sort -u)" "$4"
    check_eq "$name: the merged file says $n shards" \
        "$(jq -r 'select(.type == "scan") | .merged_shards' "$all" 2>/dev/null)" "$n"
    # shellcheck disable=SC2086 # PSCAN_ARGS and TARGETS are lists of words.
    timeout 60 "$PSCAN" --seed "$4" $PSCAN_ARGS --max-rate 100000 -p "$PORTS" -oJ "$ref" $TARGETS >/dev/null 2>&1
    python3 "$NORM" "$ref" >"$2/ref.norm"
    python3 "$NORM" "$all" >"$2/all.norm" 2>&1
    if [ -s "$2/ref.norm" ] && cmp -s "$2/ref.norm" "$2/all.norm"; then
        ok "$name: all.jsonl = one unsharded run ($(grep -c '"type": "host"' "$2/ref.norm") hosts)"
    else
        not_ok "$name: all.jsonl = one unsharded run"
        diff "$2/ref.norm" "$2/all.norm" | head -6 | cut -c1-300 | sed 's/^/#   /'
    fi
    # Every run's own count of the pairs it scanned, over the runs merged
    # (not the moved-aside output of a run that died unsaved).
    check_eq "$name: the shards' runs scanned every pair once" \
        "$(cat "$2"/shards/*/shard-*.jsonl | jq -s '[.[] | select(.type == "summary") |
            .pairs - (.not_scanned | add)] | add')" "$(jq -r 'select(.type == "summary") | .pairs' "$ref")"
}

# ---------------------------------------------------------------------------
# A: four shards; two are stopped part-way the ways that let pscan save
# its state.  The merge job runs by itself.
A=$TEST_TMP/runA
submit_run "$A" 0-3 || bail "bash pscan-slurm.sbatch did not submit the array and the merge"
ok "recipe A: submit mode made array job $JOB and merge job $MERGE"
check_eq "recipe A: the merge job waits for the array" \
    "$(scontrol -o show job "$MERGE" | sed -n 's/.* Dependency=\([^ ]*\) .*/\1/p')" "afterok:${JOB}_*(unfulfilled)"

# Task 2: requeued while running: SIGTERM, pscan saves its state.
if slurm_wait_task "$JOB" 2 RUNNING 30 && wait_lines "$A" 2 1; then
    sleep 0.5
    slurm_requeue "$JOB" 2 || not_ok "recipe A: task 2 requeued"
    for i in $(seq 50); do [ -f "$A/shards/2/pscan.resume" ] && break; sleep 0.1; done
    check_cmd "recipe A: requeued task 2 saved pscan.resume" test -f "$A/shards/2/pscan.resume"
else
    not_ok "recipe A: task 2 ran part-way"
fi
# Task 3: the time-limit warning (what --signal=B:USR1@120 sends).
if slurm_wait_task "$JOB" 3 RUNNING 30 && wait_lines "$A" 3 1; then
    sleep 0.5
    check_cmd "recipe A: SIGUSR1 to task 3's shell" scancel --batch --signal=USR1 "${JOB}_3"
    for i in $(seq 100); do
        [ "$(slurm_task_restarts "$JOB" 3)" = 1 ] && break
        sleep 0.1
    done
    check_eq "recipe A: task 3 requeued itself" "$(slurm_task_restarts "$JOB" 3)" 1
else
    not_ok "recipe A: task 3 ran part-way"
fi

if slurm_wait_job "$JOB" 120; then ok "recipe A: array job $JOB ended"; else not_ok "recipe A: array job $JOB ended within 120s"; fi
if slurm_wait_job "$MERGE" 60; then ok "recipe A: merge job $MERGE ended"; else not_ok "recipe A: merge job $MERGE ended within 60s"; fi
states=""
for t in 0 1 2 3; do states="$states $(slurm_task_state "$JOB" "$t")"; done
check_eq "recipe A: every task COMPLETED" "${states# }" "COMPLETED COMPLETED COMPLETED COMPLETED"
check_eq "recipe A: restarts per task" \
    "$(for t in 0 1 2 3; do printf '%s ' "$(slurm_task_restarts "$JOB" "$t")"; done)" "0 0 1 1 "
check_eq "recipe A: the merge job COMPLETED by itself" "$(_slurm_states "$MERGE" | awk '{ print $2 }')" COMPLETED
for t in 0 1 2 3; do
    check_cmd "recipe A: shard $t marked complete" test -e "$A/shards/$t/shard.done"
done
check_merged "recipe A" "$A" 4 "$JOB"
# Tasks 2 and 3 resumed: lines of two runs, none repeated (check_merged).
for t in 2 3; do
    check_eq "recipe A: task $t's shard has lines of both runs" \
        "$(sed -n 's/.*"run":\([0-9]*\).*/\1/p' "$A/shards/$t/shard-$t.jsonl" 2>/dev/null | sort -u | tr '\n' ' ')" "1 2 "
    check_cmd "recipe A: task $t's log says it resumed" grep -q 'resuming from pscan.resume' "$A/logs/pscan-${JOB}_$t.out"
    check_cmd "recipe A: task $t's spent resume file marked done" test -f "$A/shards/$t/pscan.resume.done"
done

# A finished task requeued (by mistake, or a whole-array requeue) must not
# scan again: it finds shard.done and ends at once.
before=$(lines_in "$A/shards/0/shard-0.jsonl")
if slurm_requeue "$JOB" 0 && slurm_wait_job "$JOB" 60; then
    check_eq "recipe A: requeued finished task 0 COMPLETED again" "$(slurm_task_state "$JOB" 0)" COMPLETED
    check_cmd "recipe A: ...saying its shard was complete" grep -q 'complete already' "$A/logs/pscan-${JOB}_0.out"
    check_eq "recipe A: ...without a line more" "$(lines_in "$A/shards/0/shard-0.jsonl")" "$before"
else
    not_ok "recipe A: finished task 0 requeued and ended again"
fi

# ---------------------------------------------------------------------------
# B: two shards; task 1 is SIGKILLed (no chance to save: it ends FAILED),
# then requeued by hand.  It starts its shard afresh.  Its FAILED end made
# afterok impossible, so the merge job is cancelled; `merge` mode submits
# a new one once both shards are complete.
B=$TEST_TMP/runB
submit_run "$B" 0-1 || bail "bash pscan-slurm.sbatch did not submit run B"
ok "recipe B: array job $JOB and merge job $MERGE"
if slurm_wait_task "$JOB" 1 RUNNING 30 && wait_lines "$B" 1 1; then
    sleep 0.5
    slurm_kill_task "$JOB" 1 kill || not_ok "recipe B: task 1 killed"
    check_eq "recipe B: SIGKILLed task 1 FAILED" "$(slurm_task_state "$JOB" 1)" FAILED
    check_cmd "recipe B: ...and left no resume file" test ! -e "$B/shards/1/pscan.resume"
    slurm_requeue "$JOB" 1 || not_ok "recipe B: task 1 requeued"
else
    not_ok "recipe B: task 1 ran part-way"
fi
if slurm_wait_job "$JOB" 90; then ok "recipe B: array job $JOB ended"; else not_ok "recipe B: array job $JOB ended within 90s"; fi
check_eq "recipe B: both tasks COMPLETED" "$(slurm_task_state "$JOB" 0) $(slurm_task_state "$JOB" 1)" "COMPLETED COMPLETED"
slurm_wait_job "$MERGE" 10 >/dev/null
check_eq "recipe B: the first merge job was cancelled (afterok failed)" "$(_slurm_states "$MERGE" | awk '{ print $2 }')" CANCELLED
check_cmd "recipe B: task 1's partial output moved aside" test -s "$B/shards/1/shard-1.jsonl.partial-1"
check_eq "recipe B: task 1's shard is all from one fresh run" \
    "$(sed -n 's/.*"run":\([0-9]*\).*/\1/p' "$B/shards/1/shard-1.jsonl" 2>/dev/null | sort -u)" 1
sub=$(cd "$TEST_TMP" && RUN_DIR=$B bash "$RECIPE" merge 2>&1)
merge2=$(sed -n 's/^merge job \([0-9]*\),.*/\1/p' <<<"$sub")
if [ -n "$merge2" ] && slurm_wait_job "$merge2" 60; then
    check_eq "recipe B: 'merge' mode's job COMPLETED" "$(_slurm_states "$merge2" | awk '{ print $2 }')" COMPLETED
else
    not_ok "recipe B: 'merge' mode ran a merge job" "$sub"
fi
check_merged "recipe B" "$B" 2 "$JOB"

# 'merge' mode refuses while a shard is not complete.
rm -f "$B/shards/1/shard.done"
check_not "recipe: 'merge' mode refuses an incomplete run" \
    env RUN_DIR="$B" bash "$RECIPE" merge 2>"$TEST_TMP/merge-refused.err"
check_cmd "recipe: ...naming the shard that is not complete" \
    grep -q 'not complete yet: 1 ' "$TEST_TMP/merge-refused.err"
finish
