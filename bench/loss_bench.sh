#!/bin/bash
# bench/loss_bench.sh: pscan's SYN scan and its peers under random packet
# loss, on the same work, in one run, on bench/run.sh's test bed.  Root only.
#
#   bench/loss_bench.sh [--loss 0,5,20] [--runs N] [--works a,b]
#                       [--tools pscan,nmap,zmap,masscan] [--timeout S]
#                       [--pscan-alt PATH] [--reply-drop target|scanner]
#                       [--out DIR]
#
# Works (the issue "complete results at 20% loss"):
#   a  198.19.0.0/18 x 80                every host open on 80: 16,384 open
#   b  198.19.64.0/22 x 1-1000,2740      80 and 2740 open on every host,
#                                        the rest closed (RST): 2,048 open
#
# Loss: for every level L of --loss (percent, 0..99), L % of the TCP
# frames are dropped each way, each frame drawn on its own (nftables
# numgen random): the probes on the ingress of the target's end of the
# veth, the answers on its egress (--reply-drop target, the default), or on
# the ingress of the scanner's end (--reply-drop scanner, how the issue
# measured; a packet capture sees a frame there before the drop rule does,
# so raw scanners then lose only their probes; see tests/lib/loss.sh).
#
# For every run, level and work, every tool runs once (in a rotating
# order), measured by bench/lib/runstat (wall, CPU, peak RSS; SIGINT at the
# time limit, SIGKILL 3 s later).  The probes that reached the target are
# counted on its ingress before the drop rule, and the drop counters give
# the loss really applied.  The open ports each tool reported are scored
# against the ground truth.  After the last run pscan runs once more per
# level and work with -v, for its "syn:" line (resends).
#
# --pscan-alt PATH adds the tool "pscan-alt": a second pscan binary run with
# the same command line in the same rounds.
#
# The table (medians) goes to standard output and OUT/table.txt, raw rows to
# OUT/results.tsv, tool outputs under OUT/raw (default bench/out/loss-DATE).
# The test bed is removed on any exit; nothing but 198.19.0.0/16 and the
# target's veth address is ever sent to (bench/lib/testbed.sh).

set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
. "$ROOT/tests/lib/isolate.sh"
isolate_reexec "$ROOT/bench/loss_bench.sh" "$@"
. "$BENCH_DIR/lib/testbed.sh"
. "$BENCH_DIR/lib/tools.sh"

ARGS="$*"
LOSSES=0,5,20
RUNS=3
WORKS=a,b
TOOLS=pscan,nmap,zmap,masscan
TIMEOUT=""
OUT=""
PSCAN_ALT=""
REPLY_DROP=target

usage() {
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 1
}

while [ $# -gt 0 ]; do
    case "$1" in
    --loss) LOSSES=${2:-}; shift 2 ;;
    --runs) RUNS=${2:-}; shift 2 ;;
    --works) WORKS=${2:-}; shift 2 ;;
    --tools) TOOLS=${2:-}; shift 2 ;;
    --timeout) TIMEOUT=${2:-}; shift 2 ;;
    --pscan-alt) PSCAN_ALT=${2:-}; shift 2 ;;
    --reply-drop) REPLY_DROP=${2:-}; shift 2 ;;
    --out) OUT=${2:-}; shift 2 ;;
    -h | --help) usage ;;
    *) echo "loss_bench: unknown argument '$1'" >&2; usage ;;
    esac
done
die() { echo "loss_bench: $*" >&2; exit 1; }
[[ "$RUNS" =~ ^[0-9]+$ ]] && [ "$RUNS" -ge 1 ] && [ "$RUNS" -le 20 ] || die "--runs '$RUNS' is not in 1..20"
[ -z "$TIMEOUT" ] || { [[ "$TIMEOUT" =~ ^[0-9]+$ ]] && [ "$TIMEOUT" -ge 1 ] && [ "$TIMEOUT" -le 1800 ]; } ||
    die "--timeout '$TIMEOUT' is not in 1..1800"
case "$REPLY_DROP" in target | scanner) ;; *) die "--reply-drop '$REPLY_DROP' is neither target nor scanner" ;; esac
IFS=, read -r -a LOSS_LIST <<<"$LOSSES"
[ ${#LOSS_LIST[@]} -ge 1 ] || die "--loss is empty"
for l in "${LOSS_LIST[@]}"; do
    [[ "$l" =~ ^[0-9]+$ ]] && [ "$l" -le 99 ] || die "--loss '$l' is not a percentage in 0..99"
done

# ------------------------------------------------------------ works
# name -> "NET PORTS OPEN TIMEOUT"
declare -A WK=(
    [a]="198.19.0.0/18 80 80 90"
    [b]="198.19.64.0/22 1-1000,2740 80,2740 180"
)
LISTEN_PORTS="80 2740" # the listener's ports: every OPEN above is one of them
IFS=, read -r -a WORK_LIST <<<"$WORKS"
IFS=, read -r -a TOOL_LIST <<<"$TOOLS"
for w in "${WORK_LIST[@]}"; do
    [ -n "${WK[$w]:-}" ] || die "unknown work '$w' (a or b)"
done
for t in "${TOOL_LIST[@]}"; do
    case "$t" in pscan | zmap | masscan | nmap) ;; *) die "unknown tool '$t'" ;; esac
done
if [ -n "$PSCAN_ALT" ]; then
    [ -x "$PSCAN_ALT" ] || die "--pscan-alt '$PSCAN_ALT' is not an executable"
    PSCAN_ALT=$(realpath "$PSCAN_ALT")
    TOOL_LIST+=(pscan-alt)
    TOOLS+=,pscan-alt
fi

[ "$(id -u)" -eq 0 ] || { echo "loss_bench: needs root (namespaces, raw sockets)" >&2; exit 1; }
for c in ip nft ss flock python3 cc make timeout; do
    command -v "$c" >/dev/null || { echo "loss_bench: '$c' is missing (make deps)" >&2; exit 1; }
done
for t in "${TOOL_LIST[@]}"; do
    case "$t" in pscan | pscan-alt) ;; *) command -v "$t" >/dev/null || { echo "loss_bench: '$t' is missing (make deps)" >&2; exit 1; } ;; esac
done

# ------------------------------------------------------------ build
PSCAN=$ROOT/pscan
LISTENER=$ROOT/build/tests/tools/listener
RUNSTAT=$ROOT/build/bench/runstat
make -s -C "$ROOT" pscan build/tests/tools/listener >/dev/null || { echo "loss_bench: build failed" >&2; exit 2; }
mkdir -p "$ROOT/build/bench"
cc -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -o "$RUNSTAT" "$BENCH_DIR/lib/runstat.c" ||
    { echo "loss_bench: building bench/lib/runstat failed" >&2; exit 2; }

OUT=${OUT:-$ROOT/bench/out/loss-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$OUT/raw" "$OUT/scratch" || exit 2
RESULTS=$OUT/results.tsv

# ------------------------------------------------------------ clean-up
# fg_run OUT ERR timeout ... CMD...: CMD in the scratch directory, stdin from
# /dev/null, waited for with `wait`, which a trapped signal interrupts at
# once (a foreground command would hold Ctrl-C back until it ended: timeout
# puts the tool in a process group of its own, out of the terminal's reach).
# The cleanup then stops timeout, which passes the signal to its group.
TOOL_PID=""
fg_run() {
    local out=$1 err=$2
    shift 2
    (cd "$OUT/scratch" && exec "$@") >"$out" 2>"$err" </dev/null &
    TOOL_PID=$!
    wait "$TOOL_PID"
    TOOL_PID=""
}
LPID=""
_cleaned=0
cleanup() {
    [ "$_cleaned" -eq 1 ] && return
    _cleaned=1
    if [ -n "$TOOL_PID" ]; then
        kill -TERM "$TOOL_PID" 2>/dev/null
        local _
        for _ in $(seq 100); do kill -0 "$TOOL_PID" 2>/dev/null || break; sleep 0.05; done
    fi
    [ -n "$LPID" ] && kill "$LPID" 2>/dev/null
    bt_destroy
    rm -rf "$OUT/scratch"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

# ------------------------------------------------------------ test bed
bt_create ns || exit 2
SCN=(ip netns exec "$BT_SCN")

# The listener (at most 3600 s, as its -t allows) is started again whenever
# it has ended, so a long bench never scans a target without it.
listener_up() {
    if [ -n "$LPID" ] && kill -0 "$LPID" 2>/dev/null; then return 0; fi
    : >"$OUT/raw/listener.out"
    # shellcheck disable=SC2086
    bt_tgt "$LISTENER" -t 3600 0.0.0.0 $LISTEN_PORTS >>"$OUT/raw/listener.out" 2>&1 &
    LPID=$!
    local _
    for _ in $(seq 100); do
        grep -q '^ready' "$OUT/raw/listener.out" && break
        sleep 0.02
    done
    grep -q "^ready .* ${LISTEN_PORTS}\$" "$OUT/raw/listener.out" ||
        { echo "loss_bench: listener did not start: $(cat "$OUT/raw/listener.out")" >&2; return 1; }
}
listener_up || exit 2
# Ground truth: the target listens on exactly these ports, on every address.
got=$(bt_tgt ss -ltnH | awk '{ n = split($4, a, ":"); print a[n] }' | sort -n -u | tr '\n' ' ')
[ "$got" = "$LISTEN_PORTS " ] || { echo "loss_bench: the target listens on '$got', not '$LISTEN_PORTS'" >&2; exit 2; }
# First, second, last and a random address of every work leave through our veth.
n2a() { echo "$(($1 >> 24 & 255)).$(($1 >> 16 & 255)).$(($1 >> 8 & 255)).$(($1 & 255))"; }
for w in "${WORK_LIST[@]}"; do
    read -r net _ <<<"${WK[$w]}"
    base=${net%/*} bits=${net#*/}
    IFS=. read -r o1 o2 o3 o4 <<<"$base"
    lo=$((((o1 * 256 + o2) * 256 + o3) * 256 + o4)) hi=$((lo + (1 << (32 - bits)) - 1))
    for a in "$(n2a "$lo")" "$(n2a $((lo + 1)))" "$(n2a "$hi")" "$(n2a $((lo + RANDOM % (hi - lo + 1))))"; do
        bt_route_check "$a" || { echo "loss_bench: refusing to scan: route check failed" >&2; exit 2; }
    done
done
bt_route_check "$BT_GW" || { echo "loss_bench: refusing to scan: route check failed" >&2; exit 2; }

# ------------------------------------------------------------ scoring
# score NET OPEN < "ADDR PORT" lines: prints "found hits fp" (unique pairs),
# as bench/run.sh does.
score() {
    local net=$1 open=$2 base=${1%/*} bits=${1#*/}
    awk -v base="$base" -v bits="$bits" -v open="$open" '
        function ip2n(s,   a) { split(s, a, "."); return ((a[1] * 256 + a[2]) * 256 + a[3]) * 256 + a[4] }
        BEGIN { lo = ip2n(base); size = 2 ^ (32 - bits); n = split(open, o, ","); for (i = 1; i <= n; i++) isopen[o[i]] = 1 }
        NF == 2 && $1 ~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/ && $2 ~ /^[0-9]+$/ && !seen[$1 " " $2]++ {
            found++
            x = ip2n($1)
            if (x >= lo && x < lo + size && ($2 in isopen)) hits++; else fp++
        }
        END { printf "%d %d %d\n", found, hits, fp }'
}

ncount() { # ports spec -> number of ports
    local n=0 part
    for part in ${1//,/ }; do
        if [[ "$part" == *-* ]]; then n=$((n + ${part#*-} - ${part%-*} + 1)); else n=$((n + 1)); fi
    done
    echo "$n"
}

COLS="loss reply_drop work net ports expected_probes truth tool run status timeout wall user sys maxrss_kb probes syn_seen syn_drop in_seen in_drop out_seen out_drop found hits fp load1 note"
echo "$COLS" | tr ' ' '\t' >"$RESULTS"
row() { # key=value ... -> one TSV line in column order
    local -A v=()
    local kv c line=""
    for kv in "$@"; do v[${kv%%=*}]=${kv#*=}; done
    for c in $COLS; do line+="${v[$c]:-}"$'\t'; done
    printf '%s\n' "${line%$'\t'}" >>"$RESULTS"
}

parse_runstat() { # runstat's line in FILE -> RS_wall, RS_user, ...
    local line kv
    line=$(tr '\r' '\n' <"$1" | grep -o 'runstat: .*' | tail -n 1)
    RS_wall="" RS_user="" RS_sys="" RS_maxrss_kb="" RS_status="" RS_timeout=""
    for kv in ${line#runstat: }; do
        case "${kv%%=*}" in
        wall | user | sys | maxrss_kb | status | timeout) printf -v "RS_${kv%%=*}" '%s' "${kv#*=}" ;;
        esac
    done
}

NCPU=$(nproc)
COUNTER=/sys/class/net/$BT_SIF/statistics/tx_packets

# run_tool LOSS WORK TOOL RUN
run_tool() {
    local loss=$1 w=$2 tool=$3 run=$4 net ports open tmo
    read -r net ports open tmo <<<"${WK[$w]}"
    tmo=${TIMEOUT:-$tmo}
    local nh=$((1 << (32 - ${net#*/}))) np nopen
    np=$(ncount "$ports")
    nopen=$(ncount "$open")
    local common=(loss="$loss" reply_drop="$REPLY_DROP" work="$w" net="$net" ports="$ports"
        expected_probes=$((nh * np)) truth=$((nh * nopen)) tool="$tool" run="$run")
    if ! tool_supports "$tool" "$ports"; then
        row "${common[@]}" status=n/a note="$tool $(tool_version "$tool" | awk '{print $2}') scans one port per run"
        return
    fi
    listener_up || exit 2
    local base=$OUT/raw/$loss-$w-$tool-$run result
    result=$base.result
    rm -f "$result"
    tool_cmd "$tool" "$net" "$ports" "$result"
    echo "${CMD[*]}" >"$base.cmd"
    # Answers to an earlier tool's probes (SYN-ACKs the target retransmits
    # because our kernel's RST was lost) die down before the next run.
    sleep 1
    local l p0 p1 c0 c1
    l=$(cut -d' ' -f1 /proc/loadavg)
    p0=$(bt_probes)
    c0=$(bt_loss_counters)
    local out=$base.out
    [ "$tool" = pscan ] || [ "$tool" = pscan-alt ] && out=$result
    fg_run "$out" "$base.err" timeout -k 5 $((tmo + 15)) "${SCN[@]}" "$RUNSTAT" -t "$tmo" -c "$COUNTER" -- "${CMD[@]}"
    p1=$(bt_probes)
    c1=$(bt_loss_counters)
    parse_runstat "$base.err"
    local found hits fp d=()
    read -r found hits fp <<<"$(tool_parse "$tool" "$result" "$ports" | score "$net" "$open")"
    read -r -a a0 <<<"$c0"
    read -r -a a1 <<<"$c1"
    local i
    for i in 0 1 2 3 4 5; do d[i]=$((a1[i] - a0[i])); done
    local note=""
    [ "${RS_timeout:-0}" = 1 ] && note="killed at the time limit ($tmo s)"
    [ $((p1 - p0)) -eq "${d[0]}" ] || note+="${note:+; }probe counter $((p1 - p0)) != loss table's SYNs ${d[0]}"
    row "${common[@]}" status="${RS_status:-?}" timeout="${RS_timeout:-?}" wall="$RS_wall" user="$RS_user" \
        sys="$RS_sys" maxrss_kb="$RS_maxrss_kb" probes=$((p1 - p0)) syn_seen="${d[0]}" syn_drop="${d[1]}" \
        in_seen="${d[2]}" in_drop="${d[3]}" out_seen="${d[4]}" out_drop="${d[5]}" found="$found" hits="$hits" \
        fp="$fp" load1="$l" note="$note"
    printf 'loss_bench: %2d%% %s %-9s run %d: wall %ss, %d probes (%d dropped), %d answers (%d dropped), recall %d/%d, fp %d, status %s%s\n' \
        "$loss" "$w" "$tool" "$run" "$RS_wall" $((p1 - p0)) "${d[1]}" "${d[4]}" "${d[5]}" "$hits" $((nh * nopen)) \
        "$fp" "${RS_status:-?}" "${note:+ ($note)}" >&2
}

# ------------------------------------------------------------ header
{
    echo "pscan under loss, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "machine: $NCPU CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), kernel $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "command: bench/loss_bench.sh $ARGS"
    echo "settings: loss $LOSSES % each way, runs $RUNS, works $WORKS, tools $TOOLS, answers dropped at the $REPLY_DROP${TIMEOUT:+, timeout $TIMEOUT s}"
    echo "pscan: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') ($(tool_version pscan))"
    for t in "${TOOL_LIST[@]}"; do [ "$t" = pscan ] || echo "$t: $(tool_version "$t")"; done
    [ -z "$PSCAN_ALT" ] || echo "pscan-alt: $PSCAN_ALT"
    echo "test bed: scanner $BT_SRC on $BT_SIF (namespace $BT_SCN), target namespace $BT_TGT at $BT_GW, local $BT_RANGE, listener on $LISTEN_PORTS"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
} | tee "$OUT/header.txt"

# ------------------------------------------------------------ runs
: >"$OUT/diag.txt"
for ((run = 1; run <= RUNS; run++)); do
    for loss in "${LOSS_LIST[@]}"; do
        bt_loss_set "$loss" "$REPLY_DROP" || { echo "loss_bench: cannot install the loss rules" >&2; exit 2; }
        for w in "${WORK_LIST[@]}"; do
            n=${#TOOL_LIST[@]}
            for ((i = 0; i < n; i++)); do
                run_tool "$loss" "$w" "${TOOL_LIST[$(((i + run - 1) % n))]}" "$run"
            done
            [ "$run" -eq "$RUNS" ] || continue
            # pscan's own account: probes resent, answers seen.
            read -r net ports open tmo <<<"${WK[$w]}"
            for t in pscan pscan-alt; do
                [[ ",$TOOLS," == *,$t,* ]] || continue
                bin=$PSCAN
                [ "$t" = pscan-alt ] && bin=$PSCAN_ALT
                listener_up || exit 2
                sleep 1
                fg_run /dev/null "$OUT/scratch/diag.err" timeout -k 5 $((${TIMEOUT:-$tmo} + 15)) "${SCN[@]}" "$bin" -v -p "$ports" "$net"
                line=$(grep '^syn:' "$OUT/scratch/diag.err")
                echo "$t -v at $loss% on $w: ${line:-no syn: line}" >>"$OUT/diag.txt"
            done
        done
    done
done
bt_loss_clear

{
    python3 "$BENCH_DIR/lib/loss_report.py" "$RESULTS"
    echo
    cat "$OUT/diag.txt"
    echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/summary.txt"
cat "$OUT/header.txt" "$OUT/summary.txt" >"$OUT/table.txt"
echo
cat "$OUT/summary.txt"
echo
echo "raw results: $RESULTS"
