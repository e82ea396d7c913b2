# tests/lib/slurm.sh: a real one-node Slurm cluster inside one test.
#
# Source after common.sh.  Debian's slurm-wlm (slurmctld, slurmd, the client
# commands) and munge, run as root, with every file under $TEST_TMP/slurm:
#
#   slurm_need                    skip the whole script (exit 0) unless root
#                                 and every program below is installed
#   slurm_start                   munged, slurmctld, slurmd; waits until the
#                                 node is idle.  0 = up; 1 = failed (a note
#                                 says why, with the logs' last lines).
#                                 Registers slurm_stop with at_exit.
#   slurm_stop                    ends exactly what slurm_start started (and
#                                 the job processes of this cluster);
#                                 idempotent, bounded (about 10 s at worst)
#   slurm_submit_array ARGS...    sbatch --parsable ARGS: prints the job id
#   slurm_wait_job JOB SECONDS    until every task of JOB has ended (0), or
#                                 SECONDS pass (1, with a note of the states)
#   slurm_task_state JOB TASK     RUNNING, PENDING, COMPLETED, FAILED, ...
#   slurm_task_restarts JOB TASK  how many times Slurm requeued the task
#   slurm_wait_task JOB TASK STATE SECONDS   until the task is in STATE
#   slurm_kill_task JOB TASK [cancel|kill]   end one running task part-way:
#                                 cancel = scancel JOB_TASK (ends CANCELLED),
#                                 kill = SIGKILL to its batch script, as an
#                                 OOM kill or a crash would (ends FAILED)
#   slurm_requeue JOB TASK        scontrol requeue JOB_TASK: a running task
#                                 is killed and requeued, an ended one is
#                                 put back to PENDING; it runs again after
#                                 the requeue delay (see below)
#   slurm_logs [LINES]            the daemons' last log lines, as notes
#
# After slurm_start: SLURM_CONF is exported (so plain sbatch, squeue,
# scontrol, scancel, sinfo talk to this cluster), SLURM_DIR is the cluster's
# directory, SLURM_NODE its node name, SLURM_PARTITION its partition,
# SLURM_CPUS the node's CPUs, SLURM_CTLD_PORT / SLURMD_PORT its TCP ports.
#
# Layout of $TEST_TMP/slurm (SLURM_DIR):
#   munge/      munge.key (made here with mungekey), seed, log   (0700)
#   munge-run/  munged's socket, lock and pid file               (0755)
#   slurm.conf  plugstack.conf (empty: the system's is not read)
#   state/      StateSaveLocation     spool/  SlurmdSpoolDir
#   log/        slurmctld.log slurmd.log, and their stdout/stderr
#   run/        pid files
#
# Nothing here reads or changes /etc/slurm, /etc/munge, /run/munge or
# /var/lib/munge: munged gets --key-file, --socket, --pid-file, --log-file
# and --seed-file under SLURM_DIR; slurm finds that socket through
# "AuthInfo=socket=..." (used by both auth/munge and cred/munge in 22.05).
# munged insists on a socket directory that everybody may enter (and on
# parents that are not writable by others), hence munge-run/ at 0755 and
# TEST_TMP at 0711.
#
# Network: slurmctld and slurmd listen on all addresses (22.05 has no bind
# address option), but the config names 127.0.0.1 as the address of both the
# controller and the node, so every message goes over loopback.  The two
# ports are picked at random in 10000-29999 among those `ss` shows unused,
# and slurm_start tries again with new ones (3 times at most) if a daemon
# still finds its port taken, so two clusters (two tests) can run at once.
#
# Processes: munged -F, slurmctld -D and slurmd -D are this shell's children
# (their PIDs are kept).  slurmctld forks slurmscriptd; slurmd starts one
# slurmstepd per job, which double-forks (its parent becomes PID 1) and
# survives slurmd.  All of them, and the job scripts, inherit SLURM_CONF set
# to this cluster's own slurm.conf: slurm_stop finds them by that exact
# environment entry (and nothing else has it, the path being under this
# test's private TEST_TMP), after the daemons it started by PID.
#
# Requeue delay: slurmctld makes a requeued job wait until the credential
# of its last run has expired: EligibleTime = requeue time + cred_expire + 1,
# 121 s by default.  The config sets cred_expire=PSCAN_SLURM_CRED_EXPIRE (10 s
# unless set), so a requeued task runs again 11-13 s later.  Do not shorten
# that by `scontrol update JobId=... StartTime=now`: slurmd still holds the
# old credential as revoked, refuses the launch ("Job credential revoked")
# and the task ends FAILED without running.  A user's cluster keeps its own
# delay; the recipe in docs/examples/pscan-slurm.sbatch does not depend on it.

SLURM_DIR=""
SLURM_NODE=""
SLURM_PARTITION=pscan
SLURM_CPUS=1
SLURM_CTLD_PORT=""
SLURMD_PORT=""
PSCAN_SLURM_START_TIMEOUT=${PSCAN_SLURM_START_TIMEOUT:-30}
PSCAN_SLURM_CRED_EXPIRE=${PSCAN_SLURM_CRED_EXPIRE:-10}
# Every call of a client command is bounded by this many seconds.
PSCAN_SLURM_CMD_TIMEOUT=${PSCAN_SLURM_CMD_TIMEOUT:-15}

_slurm_munged_pid=""
_slurm_ctld_pid=""
_slurmd_pid=""
_slurm_hooked=0
_slurm_addr_link=""

# Slurm's daemons resolve their own listening address with AI_ADDRCONFIG,
# which in a namespace that holds only lo (tests/run.sh runs every
# integration script in one) finds no address at all.  Give the namespace
# one: a veth pair with 198.18.255.254/32 on one end.  Both ends stay in
# this namespace, so nothing can leave by it; slurm_stop removes it.
_slurm_need_addr() {
    ip -o addr show scope global 2>/dev/null | grep -q . && return 0
    local l=pslm$$
    ip link add "$l" type veth peer name "${l}p" 2>/dev/null || return 1
    _slurm_addr_link=$l
    ip addr add 198.18.255.254/32 dev "$l" && ip link set "$l" up && ip link set "${l}p" up
}
_slurm_conf_path=""

SLURM_PROGRAMS=(mungekey munged munge unmunge slurmctld slurmd slurmstepd
    sbatch squeue scontrol scancel sinfo ss timeout)

# slurm_need: skip the script unless it can run a cluster at all.
slurm_need() {
    if [ "$(id -u)" -ne 0 ]; then
        skip "$TEST_NAME" "needs root (slurmd runs jobs as root here)"
        exit 0
    fi
    local c
    for c in "${SLURM_PROGRAMS[@]}"; do
        if ! command -v "$c" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$c" ]; then
            skip "$TEST_NAME" "needs $c (Debian packages slurm-wlm, munge)"
            exit 0
        fi
    done
}

# _slurm_run CMD ARGS...: a client command against this cluster, bounded.
_slurm_run() {
    SLURM_CONF=$_slurm_conf_path timeout "$PSCAN_SLURM_CMD_TIMEOUT" "$@"
}

# _slurm_port_used PORT: does any TCP socket (any state) use PORT here?
_slurm_port_used() {
    ss -Htan 2>/dev/null | awk -v p="$1" '
        { n = split($4, a, ":"); if (a[n] == p) f = 1 } END { exit !f }'
}

# slurm_port_listening PORT: does a TCP socket listen on PORT here?
slurm_port_listening() {
    ss -Hltn 2>/dev/null | awk -v p="$1" '
        { n = split($4, a, ":"); if (a[n] == p) f = 1 } END { exit !f }'
}

# _slurm_pick_port [AVOID]: a TCP port nothing uses, at most 50 tries.
_slurm_pick_port() {
    local i p
    for i in $(seq 50); do
        p=$((10000 + RANDOM % 20000))
        [ "$p" = "${1:-}" ] && continue
        _slurm_port_used "$p" || { echo "$p"; return 0; }
    done
    return 1
}

# _slurm_node_line: "CPUs=... RealMemory=..." as slurmd itself will find
# them (slurmd -C), so that the node does not register as INVAL; nproc and
# /proc/meminfo when slurmd -C says nothing useful.
_slurm_node_line() {
    local line cpus mem
    line=$(SLURM_CONF=/dev/null timeout 10 slurmd -C 2>/dev/null | head -n 1)
    case "$line" in
    NodeName=*CPUs=*RealMemory=*)
        # Drop NodeName (we set ours) and keep the topology slurmd reports.
        line=${line#NodeName=* }
        echo "$line"
        return 0
        ;;
    esac
    cpus=$(nproc)
    mem=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
    echo "CPUs=$cpus RealMemory=$mem"
}

# _slurm_write_conf: slurm.conf for the ports chosen.
_slurm_write_conf() {
    local d=$SLURM_DIR node
    node=$(_slurm_node_line)
    SLURM_CPUS=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$node")
    cat >"$_slurm_conf_path" <<EOF
# Written by tests/lib/slurm.sh for one test; everything under $d.
ClusterName=pscantest
SlurmctldHost=$SLURM_NODE(127.0.0.1)
SlurmctldPort=$SLURM_CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root

AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$d/munge-run/munge.sock,cred_expire=$PSCAN_SLURM_CRED_EXPIRE

StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/run/slurmctld.pid
SlurmdPidFile=$d/run/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$d/plugstack.conf

# No systemd, no cgroups: a job is its process group (linuxproc, which
# follows parent links, loses a child whose parent was killed), bind no tasks.
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
MailProg=/bin/true

# One task per core, so that an array runs as many tasks at once as the
# machine has CPUs.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# The main scheduling loop every 2 s (60 by default): array tasks, and a
# requeued task, start within that.
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=2

ReturnToService=2
JobRequeue=1
MaxArraySize=10001
MaxJobCount=20000
# Ended jobs stay visible to squeue/scontrol for an hour (no accounting
# database here), long enough for any test to read their state.
MinJobAge=3600
KillWait=2
InactiveLimit=0

NodeName=$SLURM_NODE NodeAddr=127.0.0.1 NodeHostname=$SLURM_NODE $node State=UNKNOWN
PartitionName=$SLURM_PARTITION Nodes=$SLURM_NODE Default=YES MaxTime=INFINITE State=UP
EOF
}

# slurm_logs [LINES]: the last LINES (20) lines of each daemon's log.
slurm_logs() {
    local n=${1:-20} f
    [ -n "$SLURM_DIR" ] || return 0
    for f in "$SLURM_DIR"/munge/munged.log "$SLURM_DIR"/log/slurmctld.out \
        "$SLURM_DIR"/log/slurmd.out; do
        [ -s "$f" ] || continue
        note "--- ${f#"$SLURM_DIR"/} (last $n lines)"
        tail -n "$n" "$f" | sed 's/^/  /' | while IFS= read -r l; do note "$l"; done
    done
}

# _slurm_start_munge: key, munged -F in the background, a credential
# round-trip.  Bounded: 5 s for the socket.
_slurm_start_munge() {
    local d=$SLURM_DIR i sock=$SLURM_DIR/munge-run/munge.sock
    if ! mungekey --create --bits=1024 --keyfile="$d/munge/munge.key" \
        >"$d/munge/mungekey.out" 2>&1; then
        note "slurm_start: mungekey failed: $(cat "$d/munge/mungekey.out")"
        return 1
    fi
    (cd "$d" && exec munged --foreground --key-file="$d/munge/munge.key" \
        --socket="$sock" --pid-file="$d/munge-run/munged.pid" \
        --log-file="$d/munge/munged.log" --seed-file="$d/munge/munged.seed" \
        >"$d/munge/munged.out" 2>&1) &
    _slurm_munged_pid=$!
    for i in $(seq 100); do
        [ -S "$sock" ] && break
        kill -0 "$_slurm_munged_pid" 2>/dev/null || break
        sleep 0.05
    done
    if [ ! -S "$sock" ] ||
        ! timeout 5 munge --socket="$sock" --no-input 2>"$d/munge/check.err" |
        timeout 5 unmunge --socket="$sock" >/dev/null 2>>"$d/munge/check.err"; then
        note "slurm_start: munged did not come up: $(cat "$d/munge/munged.out" "$d/munge/check.err" 2>/dev/null | tail -n 5)"
        return 1
    fi
    return 0
}

# _slurm_start_daemons: slurmctld -D and slurmd -D, then wait until the node
# is idle.  0 = up; 1 = failed; 3 = a port was taken (try other ports).
_slurm_start_daemons() {
    local d=$SLURM_DIR i state="" deadline
    : >"$d/log/slurmctld.out"
    : >"$d/log/slurmd.out"
    (cd "$d" && SLURM_CONF=$_slurm_conf_path exec slurmctld -D -f "$_slurm_conf_path" \
        >"$d/log/slurmctld.out" 2>&1) &
    _slurm_ctld_pid=$!
    (cd "$d" && SLURM_CONF=$_slurm_conf_path exec slurmd -D -N "$SLURM_NODE" \
        -f "$_slurm_conf_path" >"$d/log/slurmd.out" 2>&1) &
    _slurmd_pid=$!
    deadline=$((SECONDS + PSCAN_SLURM_START_TIMEOUT))
    # Every 0.2 s, at most PSCAN_SLURM_START_TIMEOUT s (and 5 x that many polls).
    for i in $(seq $((PSCAN_SLURM_START_TIMEOUT * 5))); do
        if ! kill -0 "$_slurm_ctld_pid" 2>/dev/null ||
            ! kill -0 "$_slurmd_pid" 2>/dev/null; then
            if grep -qi 'address already in use' "$d/log/slurmctld.out" \
                "$d/log/slurmd.out" 2>/dev/null; then
                return 3
            fi
            note "slurm_start: a daemon exited during start-up"
            return 1
        fi
        state=$(_slurm_run sinfo -h -N -n "$SLURM_NODE" -o '%T' 2>/dev/null | head -n 1)
        [ "$state" = idle ] && return 0
        [ "$SECONDS" -ge "$deadline" ] && break
        sleep 0.2
    done
    note "slurm_start: node $SLURM_NODE not idle within ${PSCAN_SLURM_START_TIMEOUT}s (sinfo says '${state:-nothing}')"
    return 1
}

# slurm_start: see the top of this file.
slurm_start() {
    local attempt rc t0=$SECONDS
    if [ "$_slurm_hooked" -eq 0 ]; then
        at_exit slurm_stop
        _slurm_hooked=1
    fi
    if [ -n "$_slurm_ctld_pid" ]; then
        note "slurm_start: a cluster is already running (stop it first)"
        return 1
    fi
    SLURM_DIR=$TEST_TMP/slurm
    _slurm_conf_path=$SLURM_DIR/slurm.conf
    SLURM_NODE=$(hostname -s 2>/dev/null)
    [ -n "$SLURM_NODE" ] || SLURM_NODE=localhost
    chmod 0711 "$TEST_TMP" || return 1
    rm -rf "$SLURM_DIR"
    mkdir -p "$SLURM_DIR"/{munge,munge-run,state,spool,log,run} || return 1
    chmod 0711 "$SLURM_DIR"
    chmod 0700 "$SLURM_DIR/munge" "$SLURM_DIR/state" "$SLURM_DIR/spool"
    chmod 0755 "$SLURM_DIR/munge-run"
    : >"$SLURM_DIR/plugstack.conf"
    # The client commands and the jobs must not see another cluster's
    # settings (a test run inside a Slurm job, say).
    local v
    for v in $(compgen -e | grep -E '^(SLURM_|SBATCH_|SQUEUE_|SINFO_|SCONTROL_|SALLOC_|SRUN_)'); do
        unset "$v"
    done
    if ! _slurm_need_addr; then
        note "slurm_start: this namespace has no address but lo, and none could be added"
        return 1
    fi
    if ! _slurm_start_munge; then
        slurm_logs 10
        slurm_stop
        return 1
    fi
    for attempt in 1 2 3; do
        if ! SLURM_CTLD_PORT=$(_slurm_pick_port) ||
            ! SLURMD_PORT=$(_slurm_pick_port "$SLURM_CTLD_PORT"); then
            note "slurm_start: no free TCP port found"
            slurm_stop
            return 1
        fi
        _slurm_write_conf
        _slurm_start_daemons
        rc=$?
        [ "$rc" -eq 0 ] && break
        _slurm_stop_daemons
        if [ "$rc" -ne 3 ]; then
            slurm_logs 15
            slurm_stop
            return 1
        fi
        note "slurm_start: port $SLURM_CTLD_PORT or $SLURMD_PORT taken (attempt $attempt of 3), trying others"
    done
    if [ "$rc" -ne 0 ]; then
        note "slurm_start: no free ports after 3 attempts"
        slurm_stop
        return 1
    fi
    export SLURM_CONF=$_slurm_conf_path
    note "slurm: node $SLURM_NODE idle after $((SECONDS - t0))s (ports $SLURM_CTLD_PORT/$SLURMD_PORT, $SLURM_DIR)"
    return 0
}

# _slurm_kill_wait GRACE PID...: SIGTERM, up to GRACE s (0.1 s polls), SIGKILL.
_slurm_kill_wait() {
    local grace=$1 i pid alive
    shift
    [ $# -gt 0 ] || return 0
    kill "$@" 2>/dev/null
    for i in $(seq $((grace * 10))); do
        alive=0
        for pid in "$@"; do
            # A zombie (reparented to PID 1, never reaped) counts as gone.
            if kill -0 "$pid" 2>/dev/null &&
                [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then
                alive=1
            fi
        done
        [ "$alive" -eq 0 ] && break
        sleep 0.1
    done
    kill -KILL "$@" 2>/dev/null
    return 0
}

# _slurm_descends PID: is PID this shell or one of its descendants?
_slurm_descends() {
    local p=$1 i st
    for i in $(seq 64); do
        [ "$p" = "$$" ] && return 0
        [ -z "$p" ] || [ "$p" -le 1 ] && return 1
        st=$(cat "/proc/$p/stat" 2>/dev/null) || return 1
        st=${st##*) }          # the fields after "(comm) "
        p=$(awk '{ print $2 }' <<<"$st")
    done
    return 1
}

# _slurm_marked: PIDs whose environment holds SLURM_CONF=<this cluster's
# slurm.conf> and that are not this test shell's own (slurm_stop runs after
# the export, so the commands it runs carry the entry too): slurmstepd, the
# job scripts and their children, a slurmscriptd that outlived slurmctld.
_slurm_marked() {
    [ -n "$_slurm_conf_path" ] || return 0
    local p pid
    for p in /proc/[0-9]*; do
        pid=${p#/proc/}
        grep -qzxF "SLURM_CONF=$_slurm_conf_path" "$p/environ" 2>/dev/null || continue
        _slurm_descends "$pid" && continue
        echo "$pid"
    done
}

# _slurm_stop_daemons: slurmctld and slurmd (by PID), then what they left.
_slurm_stop_daemons() {
    local pids=() p
    [ -n "$_slurm_ctld_pid" ] && pids+=("$_slurm_ctld_pid")
    [ -n "$_slurmd_pid" ] && pids+=("$_slurmd_pid")
    _slurm_kill_wait 5 "${pids[@]}"
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    _slurm_ctld_pid=""
    _slurmd_pid=""
    # slurmstepd ignores SIGTERM while it tries to reach slurmd: 1 s grace.
    # shellcheck disable=SC2046
    _slurm_kill_wait 1 $(_slurm_marked)
    return 0
}

# slurm_stop: everything this cluster runs, newest first; idempotent.
slurm_stop() {
    # Running jobs first, while slurmctld can still end them cleanly (2 s).
    if [ -n "$_slurm_ctld_pid" ] && kill -0 "$_slurm_ctld_pid" 2>/dev/null; then
        PSCAN_SLURM_CMD_TIMEOUT=3 _slurm_run scancel --user="$(id -un)" >/dev/null 2>&1
        local i deadline=$((SECONDS + 3))
        for i in $(seq 20); do
            [ -z "$(PSCAN_SLURM_CMD_TIMEOUT=2 _slurm_run squeue -h -t running,completing -o %i 2>/dev/null)" ] && break
            [ "$SECONDS" -ge "$deadline" ] && break
            sleep 0.1
        done
    fi
    _slurm_stop_daemons
    if [ -n "$_slurm_munged_pid" ]; then
        _slurm_kill_wait 3 "$_slurm_munged_pid"
        wait "$_slurm_munged_pid" 2>/dev/null
        _slurm_munged_pid=""
    fi
    if [ -n "$_slurm_addr_link" ]; then
        ip link del "$_slurm_addr_link" 2>/dev/null
        _slurm_addr_link=""
    fi
    return 0
}

# slurm_submit_array ARGS...: sbatch --parsable ARGS; prints the job id.
slurm_submit_array() {
    local out rc
    out=$(_slurm_run sbatch --parsable "$@" 2>&1)
    rc=$?
    if [ "$rc" -ne 0 ] || ! [[ "${out%%;*}" =~ ^[0-9]+$ ]]; then
        note "sbatch $* failed (status $rc): $out"
        return 1
    fi
    echo "${out%%;*}"
}

# _slurm_states JOB: "TASK STATE" per line, one line per array task (the
# task part is the job id itself for a job that is no array).
_slurm_states() {
    _slurm_run squeue -h -r -t all -j "$1" -o '%i %T' 2>/dev/null |
        awk '{ n = split($1, a, "_"); print (n > 1 ? a[2] : a[1]), $2 }'
}

_slurm_terminal() {
    case "$1" in
    COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | PREEMPTED | \
        OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | SPECIAL_EXIT) return 0 ;;
    esac
    return 1
}

# slurm_wait_job JOB SECONDS: until no task of JOB is pending, running,
# requeued, ...  Polls every 0.25 s.
slurm_wait_job() {
    local job=$1 limit=${2:-60} i states line deadline=$((SECONDS + ${2:-60})) busy
    for i in $(seq $((limit * 4 + 1))); do
        states=$(_slurm_states "$job")
        busy=0
        if [ -z "$states" ]; then
            busy=1
        else
            while read -r _ line; do
                _slurm_terminal "$line" || busy=1
            done <<<"$states"
        fi
        [ "$busy" -eq 0 ] && return 0
        [ "$SECONDS" -ge "$deadline" ] && break
        sleep 0.25
    done
    note "slurm_wait_job $job: not ended within ${limit}s; states: $(tr '\n' ' ' <<<"${states:-none known}")"
    return 1
}

# slurm_task_state JOB TASK: the task's state, or nothing if unknown.
slurm_task_state() {
    _slurm_run scontrol -o show job "$1_$2" 2>/dev/null | head -n 1 |
        sed -n 's/.* JobState=\([A-Z_]*\).*/\1/p'
}

# slurm_task_restarts JOB TASK: how often the task was requeued.
slurm_task_restarts() {
    _slurm_run scontrol -o show job "$1_$2" 2>/dev/null | head -n 1 |
        sed -n 's/.* Restarts=\([0-9]*\).*/\1/p'
}

# slurm_wait_task JOB TASK STATE SECONDS: until the task is in STATE.
slurm_wait_task() {
    local job=$1 task=$2 want=$3 limit=${4:-30} i st="" deadline=$((SECONDS + ${4:-30}))
    for i in $(seq $((limit * 10 + 1))); do
        st=$(slurm_task_state "$job" "$task")
        [ "$st" = "$want" ] && return 0
        [ "$SECONDS" -ge "$deadline" ] && break
        sleep 0.1
    done
    note "slurm_wait_task ${job}_$task: not $want within ${limit}s (is '${st:-unknown}')"
    return 1
}

# slurm_kill_task JOB TASK [cancel|kill]: end one running task part-way and
# wait (10 s at most) until Slurm has seen it end.
slurm_kill_task() {
    local job=$1 task=$2 how=${3:-cancel} out
    case "$how" in
    cancel) out=$(_slurm_run scancel "${job}_$task" 2>&1) ;;
    kill) out=$(_slurm_run scancel --batch --signal=KILL "${job}_$task" 2>&1) ;;
    *)
        note "slurm_kill_task: unknown way '$how' (cancel or kill)"
        return 1
        ;;
    esac || {
        note "slurm_kill_task ${job}_$task ($how) failed: $out"
        return 1
    }
    local i st="" deadline=$((SECONDS + 10))
    for i in $(seq 100); do
        st=$(slurm_task_state "$job" "$task")
        _slurm_terminal "$st" && return 0
        [ "$SECONDS" -ge "$deadline" ] && break
        sleep 0.1
    done
    note "slurm_kill_task ${job}_$task ($how): still '${st:-unknown}' after 10s"
    return 1
}

# slurm_requeue JOB TASK: scontrol requeue JOB_TASK; waits (10 s at most)
# until the task is PENDING again.  It becomes eligible cred_expire + 1 s
# later (see "Requeue delay" at the top).
slurm_requeue() {
    local job=$1 task=$2 out i st=""
    out=$(_slurm_run scontrol requeue "${job}_$task" 2>&1) || {
        note "scontrol requeue ${job}_$task failed: $out"
        return 1
    }
    # Asynchronous for a running task: COMPLETING first, then PENDING.
    local deadline=$((SECONDS + 10))
    for i in $(seq 100); do
        st=$(slurm_task_state "$job" "$task")
        [ "$st" = PENDING ] && return 0
        # Quick enough to have run again already (a short cred_expire).
        [ "$st" = RUNNING ] || [ "$st" = COMPLETED ] && return 0
        [ "$SECONDS" -ge "$deadline" ] && break
        sleep 0.1
    done
    note "slurm_requeue ${job}_$task: not PENDING 10s after the requeue (is '${st:-unknown}')"
    return 1
}
