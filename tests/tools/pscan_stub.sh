#!/bin/bash
# tests/tools/pscan_stub.sh: a stand-in for pscan in scheduler tests, until
# pscan itself has `--shard auto` and `pscan merge`.  It sends nothing: it
# only walks the probe list its shard owns and writes one JSON line per
# probe, so that a test can check that the shards of a scheduled run cover
# the scan exactly once, resumes included.
#
# What it models (the contract the recipes in docs/examples rely on):
#
#   pscan_stub.sh --shard auto|auto/N|K/N --seed S [-p PORTS] -oJ FILE [other
#                 options, ignored] TARGET...
#       auto: K and N from the environment, as pscan will take them:
#         SLURM_ARRAY_TASK_ID (K = ID - MIN + 1, MIN = SLURM_ARRAY_TASK_MIN
#         or 0) and N = SLURM_ARRAY_TASK_COUNT, or MAX - MIN + 1;
#         else JOB_COMPLETION_INDEX (K = INDEX + 1) with N from auto/N or
#         PSCAN_SHARD_COUNT.
#       The "probes" are the ports of PORTS (a-b ranges and commas, default
#       1-100); shard K owns those at 0-based positions i with i % N == K-1.
#       Each probe takes STUB_DELAY seconds (default 0.02; STUB_DELAY_K for
#       shard K alone) and appends
#         {"shard":K,"shards":N,"seed":S,"port":P,"run":R}
#       to FILE, R counting the runs of that shard (1, 2, ...).
#   SIGTERM or SIGINT: after the probe in flight, writes pscan.resume in the
#       current directory (its arguments and how many probes are done) and
#       exits 4, as pscan does.  (pscan also marks the file of a resumed run
#       that finishes and renames it pscan.resume.done; the stub leaves it,
#       and the recipes set a leftover aside as pscan.resume.used.)
#   pscan_stub.sh --resume FILE: the rest of the interrupted run, appended
#       to the same -oJ FILE.  Must be the only option.
#   pscan_stub.sh merge OUT IN...: the lines of every IN, sorted by port, to
#       OUT; fails if a port appears twice.
#
# Every loop is bounded by the length of the port list (at most 65536).
set -u

die() { echo "pscan_stub: $*" >&2; exit 1; }

if [ "${1:-}" = merge ]; then
    [ $# -ge 3 ] || die "merge OUT IN..."
    out=$2
    shift 2
    sort -t: -k5,5n "$@" >"$out.tmp" || die "cannot read $*"
    dup=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$out.tmp" | sort -n | uniq -d | head -n 5)
    [ -z "$dup" ] || die "ports in more than one input: $dup"
    mv -f "$out.tmp" "$out"
    exit 0
fi

done_before=0
run=1
if [ "${1:-}" = --resume ]; then
    [ $# -eq 2 ] || die "--resume takes one file and no other argument"
    [ -r "$2" ] && [ "$(head -n 1 "$2")" = "pscan-stub-resume 1" ] || die "$2: not a resume file"
    done_before=$(sed -n 's/^done //p' "$2")
    run=$(($(sed -n 's/^run //p' "$2") + 1))
    mapfile -t args < <(sed -n 's/^arg //p' "$2")
    set -- "${args[@]}"
fi
orig_args=("$@")

shard="" seed="" ports=1-100 ojson=""
while [ $# -gt 0 ]; do
    case "$1" in
    --shard) shard=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    -p) ports=$2; shift 2 ;;
    -oJ) ojson=$2; shift 2 ;;
    -*) shift ;;
    *) shift ;;
    esac
done
[ -n "$shard" ] && [ -n "$seed" ] && [ -n "$ojson" ] || die "needs --shard, --seed and -oJ"

case "$shard" in
auto | auto/*)
    if [ -n "${SLURM_ARRAY_TASK_ID:-}" ]; then
        min=${SLURM_ARRAY_TASK_MIN:-0}
        k=$((SLURM_ARRAY_TASK_ID - min + 1))
        if [ -n "${SLURM_ARRAY_TASK_COUNT:-}" ]; then
            n=$SLURM_ARRAY_TASK_COUNT
        elif [ -n "${SLURM_ARRAY_TASK_MAX:-}" ]; then
            n=$((SLURM_ARRAY_TASK_MAX - min + 1))
        else
            die "--shard auto: SLURM_ARRAY_TASK_ID without COUNT or MAX"
        fi
    elif [ -n "${JOB_COMPLETION_INDEX:-}" ]; then
        k=$((JOB_COMPLETION_INDEX + 1))
        n=${shard#auto}
        n=${n#/}
        [ -n "$n" ] || n=${PSCAN_SHARD_COUNT:-}
        [ -n "$n" ] || die "--shard auto: JOB_COMPLETION_INDEX needs auto/N or PSCAN_SHARD_COUNT"
    else
        die "--shard auto: no shard index in the environment"
    fi
    ;;
*/*) k=${shard%/*} n=${shard#*/} ;;
*) die "--shard K/N or auto" ;;
esac
[ "$k" -ge 1 ] && [ "$k" -le "$n" ] 2>/dev/null || die "shard $k of $n is out of range"

# The port list, in order.
plist=()
IFS=, read -r -a parts <<<"$ports"
for part in "${parts[@]}"; do
    case "$part" in
    *-*) for ((p = ${part%-*}; p <= ${part#*-} && p <= 65535; p++)); do plist+=("$p"); done ;;
    *) plist+=("$part") ;;
    esac
done

stop=0
trap 'stop=1' TERM INT
delay_var=STUB_DELAY_$k
delay=${!delay_var:-${STUB_DELAY:-0.02}}

# Probe positions this shard owns, the first done_before of them skipped.
mine=0
done_now=$done_before
for ((i = k - 1; i < ${#plist[@]}; i += n)); do
    mine=$((mine + 1))
    [ "$mine" -le "$done_before" ] && continue
    if [ "$stop" = 1 ]; then
        {
            echo "pscan-stub-resume 1"
            echo "done $done_now"
            echo "run $run"
            for a in "${orig_args[@]}"; do echo "arg $a"; done
        } >pscan.resume
        echo "pscan_stub: interrupted with $done_now probes done; continue with: pscan --resume pscan.resume" >&2
        exit 4
    fi
    sleep "$delay"
    printf '{"shard":%d,"shards":%d,"seed":"%s","port":%d,"run":%d}\n' \
        "$k" "$n" "$seed" "${plist[$i]}" "$run" >>"$ojson"
    done_now=$((done_now + 1))
done
echo "pscan_stub: shard $k/$n done, $done_now probes" >&2
exit 0
