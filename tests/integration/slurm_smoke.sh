#!/usr/bin/env bash
# slurm_smoke.sh: tests/lib/slurm.sh brings up a real one-node Slurm
# cluster, runs job arrays on it with the environment a shard needs
# (SLURM_ARRAY_TASK_ID/COUNT/MIN/MAX), and requeues a task killed part-way
# so that its second run finds what the first left in its working directory
# (the model of pscan's per-shard resume file).  Then everything is stopped
# and nothing of the cluster may be left.
#
# No pscan here: this proves the scheduler side only.  No packet leaves
# loopback (slurmctld and slurmd talk over 127.0.0.1).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/slurm.sh"

slurm_need

slurm_start || bail "the Slurm cluster did not start (see the notes above)"
ok "slurm: one-node cluster up, node $SLURM_NODE idle"

# -------------------------------------------- 1. an array and its environment
W=$TEST_TMP/array
mkdir -p "$W"
cat >"$W/env.sh" <<'EOF'
#!/bin/bash
# One line per task, in its working directory: what a shard is told.
echo "$SLURM_ARRAY_TASK_ID ${SLURM_ARRAY_TASK_COUNT:-unset} ${SLURM_ARRAY_TASK_MIN:-unset} ${SLURM_ARRAY_TASK_MAX:-unset}" \
    >"task-$SLURM_ARRAY_TASK_ID.env"
pwd >"task-$SLURM_ARRAY_TASK_ID.pwd"
EOF
chmod +x "$W/env.sh"

job=$(slurm_submit_array --array=0-3 --chdir="$W" --output="$W/out-%A_%a.txt" \
    --job-name=smoke-env "$W/env.sh")
if [ -z "$job" ]; then
    not_ok "slurm: sbatch --array=0-3 accepted"
else
    ok "slurm: sbatch --array=0-3 accepted (job $job)"
    t0=$SECONDS
    if slurm_wait_job "$job" 60; then
        ok "slurm: array job $job ended (in $((SECONDS - t0))s)"
    else
        not_ok "slurm: array job $job ended within 60s"
    fi
    states=""
    for t in 0 1 2 3; do states="$states $(slurm_task_state "$job" "$t")"; done
    check_eq "slurm: every task COMPLETED" "${states# }" "COMPLETED COMPLETED COMPLETED COMPLETED"
    ran=$(cd "$W" && ls task-*.env 2>/dev/null | sed 's/task-\([0-9]*\)\.env/\1/')
    check_set "slurm: tasks 0-3 ran, once each" "$ran" "0 1 2 3"
    for t in 0 1 2 3; do
        check_eq "slurm: task $t sees ID/COUNT/MIN/MAX" "$(cat "$W/task-$t.env" 2>/dev/null)" "$t 4 0 3"
    done
    check_eq "slurm: tasks run in the --chdir directory" \
        "$(sort -u "$W"/task-*.pwd 2>/dev/null)" "$W"
fi

# ------------------------------------------------ 2. kill part-way, requeue
# The task script works in shards/$SLURM_ARRAY_TASK_ID, as a shard of pscan
# does.  The slow task writes a state file, then sleeps until killed; run
# again, it finds the state file and finishes from it.
R=$TEST_TMP/requeue
mkdir -p "$R"
cat >"$R/shard.sh" <<'EOF'
#!/bin/bash
d=shards/$SLURM_ARRAY_TASK_ID
mkdir -p "$d" && cd "$d" || exit 1
echo "run restart=${SLURM_RESTART_COUNT:-0}" >>runs.log
if [ "$SLURM_ARRAY_TASK_ID" = "${SLOW_TASK:-none}" ]; then
    if [ -f state ]; then
        echo "resumed from $(cat state)" >result
        exit 0
    fi
    echo "half-way" >state
    # Killed long before this ends; bounded all the same.
    sleep 120
    echo "never killed" >result
    exit 0
fi
echo "fresh" >result
EOF
chmod +x "$R/shard.sh"

# requeue_case NAME HOW ARRAY SLOW: one array in $R/NAME whose task SLOW is
# ended by HOW (kill: SIGKILL to its script; cancel: scancel; requeue:
# scontrol requeue of the running task) once it has written its state file,
# then requeued.  Checks the second run resumed and the others ran once.
requeue_case() {
    local name=$1 how=$2 array=$3 slow=$4 dir=$R/$1 job t i st others t0=$SECONDS t1
    mkdir -p "$dir"
    job=$(SLOW_TASK=$slow slurm_submit_array --array="$array" --requeue \
        --chdir="$dir" --output="$dir/out-%A_%a.txt" --job-name="smoke-$name" \
        --export=ALL,SLOW_TASK="$slow" "$R/shard.sh")
    if [ -z "$job" ]; then
        not_ok "slurm $name: sbatch --array=$array --requeue accepted"
        return
    fi
    if ! slurm_wait_task "$job" "$slow" RUNNING 30; then
        not_ok "slurm $name: task $slow started"
        return
    fi
    # Part-way: the state file is there (5 s at most).
    for i in $(seq 50); do
        [ -f "$dir/shards/$slow/state" ] && break
        sleep 0.1
    done
    check_cmd "slurm $name: task $slow left its state file" test -f "$dir/shards/$slow/state"
    case "$how" in
    kill | cancel)
        if slurm_kill_task "$job" "$slow" "$how"; then
            st=$(slurm_task_state "$job" "$slow")
            if [ "$how" = kill ]; then
                check_eq "slurm $name: SIGKILLed task $slow ends FAILED" "$st" FAILED
            else
                check_eq "slurm $name: scancelled task $slow ends CANCELLED" "$st" CANCELLED
            fi
        else
            not_ok "slurm $name: task $slow ended part-way"
        fi
        ;;
    esac
    t1=$SECONDS
    check_cmd "slurm $name: scontrol requeue ${job}_$slow" slurm_requeue "$job" "$slow"
    if slurm_wait_job "$job" 60; then
        ok "slurm $name: job $job ended after the requeue ($((SECONDS - t1))s after it, $((SECONDS - t0))s in all)"
    else
        not_ok "slurm $name: job $job ended within 60s of the requeue"
    fi
    st=$(slurm_task_state "$job" "$slow")
    check_eq "slurm $name: task $slow COMPLETED the second time" "$st" COMPLETED
    if [ "$st" != COMPLETED ]; then
        note "scontrol: $(SLURM_CONF=$SLURM_CONF scontrol -o show job "${job}_$slow")"
        note "its output: $(cat "$dir"/out-*_"$slow".txt 2>/dev/null)"
        grep -h "$job" "$SLURM_DIR"/log/slurmd.log "$SLURM_DIR"/log/slurmctld.log 2>/dev/null |
            tail -n 30 | while IFS= read -r l; do note "$l"; done
    fi
    check_eq "slurm $name: Slurm counts one restart" "$(slurm_task_restarts "$job" "$slow")" 1
    check_eq "slurm $name: the second run saw the first run's state file" \
        "$(cat "$dir/shards/$slow/result" 2>/dev/null)" "resumed from half-way"
    check_eq "slurm $name: task $slow ran twice (SLURM_RESTART_COUNT 0, 1)" \
        "$(tr '\n' ' ' <"$dir/shards/$slow/runs.log" 2>/dev/null)" "run restart=0 run restart=1 "
    others=""
    for t in $(seq "${array%-*}" "${array#*-}"); do
        [ "$t" = "$slow" ] && continue
        others="$others $t:$(slurm_task_state "$job" "$t"):$(cat "$dir/shards/$t/result" 2>/dev/null):$(wc -l <"$dir/shards/$t/runs.log" 2>/dev/null)"
    done
    local want=""
    for t in $(seq "${array%-*}" "${array#*-}"); do
        [ "$t" = "$slow" ] || want="$want $t:COMPLETED:fresh:1"
    done
    check_eq "slurm $name: the other tasks ran once, untouched" "${others# }" "${want# }"
    # Nothing of the first run may still be running (its sleep 120): once
    # the job has ended, no process outside this shell carries the cluster's
    # SLURM_CONF (slurmstepd exits a moment after its job: 5 s at most).
    local left=""
    for i in $(seq 50); do
        left=$(_slurm_marked)
        [ -z "$left" ] && break
        sleep 0.1
    done
    if [ -n "$left" ]; then
        not_ok "slurm $name: the killed run's processes are gone" \
            "$(ps -o pid,stat,args -p "$(tr '\n' ',' <<<"$left" | sed 's/,$//')")"
    else
        ok "slurm $name: the killed run's processes are gone"
    fi
}

requeue_case kill kill 0-3 2
requeue_case cancel cancel 0-1 1
requeue_case running requeue 0-1 1

# ------------------------------------------------------------ 3. teardown
ctld_port=$SLURM_CTLD_PORT
d_port=$SLURMD_PORT
slurm_stop
slurm_stop # twice: idempotent
left=$(_slurm_marked)
check_eq "slurm: no process of the cluster left after slurm_stop" "$left" ""
check_not "slurm: nothing listens on slurmctld's port any more" slurm_port_listening "$ctld_port"
check_not "slurm: nor on slurmd's" slurm_port_listening "$d_port"
check_cmd "slurm: munged's socket is gone" test ! -S "$SLURM_DIR/munge-run/munge.sock"

finish
