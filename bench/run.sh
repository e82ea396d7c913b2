#!/bin/bash
# bench/run.sh: pscan's raw SYN scan against zmap, masscan and nmap on the
# same work, in one run, on a test bed of our own.  Root only.
#
#   bench/run.sh [--runs N] [--workloads a,b,c] [--tools pscan,zmap,masscan,nmap]
#                [--side ns|host] [--timeout S] [--nice N] [--out DIR]
#                [--pscan-alt PATH]
#
# Workloads (the issue's):
#   a  198.19.0.0/16 x 80                 every host open: 65,536 open
#   b  198.19.0.0/20 x 1-1000,31337       22, 80, 443, 31337 open: 16,384 open
#   c  198.19.0.0/24 x 1-1000,31337       the same on 256 hosts: a short run
#                                         for nmap, which needs about 2 min for b
#
# For every workload, every tool runs N times (default 3), tools in a
# rotating order so that a change of load on this shared machine does not
# always hit the same tool.  Each run is measured by bench/lib/runstat
# (wall, CPU, peak RSS, sending phase from the veth's tx counter), the
# probes that reached the target are counted by an nftables counter on the
# target's ingress, and the open ports the tool reported are scored against
# the ground truth.  Each round also measures the bare send ceiling
# (tests/tools/netio_probe bench --bogus-mac) and the floor of each
# workload (bench/lib/floor, with and without answers).  Then pscan runs
# once more with -v for its "syn:" line (capture drops, resends).
#
# --pscan-alt PATH adds the tool "pscan-alt": another pscan binary (a
# patched build, an older commit) run with the same command line in the
# same rounds, so the two can be compared under the same load.
#
# The table (medians) goes to standard output and to OUT/table.txt; raw
# rows to OUT/results.tsv, tool outputs and logs under OUT (default
# bench/out/DATE).  The test bed (bench/lib/testbed.sh) is removed on any
# exit, and nothing but 198.19.0.0/16 and the target's own veth address
# is ever sent to: every tool is pinned to our veth, and `ip route get`
# is checked before the first packet.

set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
# Everything below runs in a network namespace of its own (only lo, no route
# out; tests/lib/isolate.sh): nothing on the host can disturb the test bed.
. "$ROOT/tests/lib/isolate.sh"
isolate_reexec "$ROOT/bench/run.sh" "$@"
. "$BENCH_DIR/lib/testbed.sh"
. "$BENCH_DIR/lib/tools.sh"

ARGS="$*"
RUNS=3
WORKLOADS=a,b,c
TOOLS=pscan,zmap,masscan,nmap
SIDE=${BT_SIDE:-ns}
TIMEOUT=""
NICE=0
OUT=""
PSCAN_ALT=""

usage() {
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 1
}

while [ $# -gt 0 ]; do
    case "$1" in
    --runs) RUNS=${2:-}; shift 2 ;;
    --workloads) WORKLOADS=${2:-}; shift 2 ;;
    --tools) TOOLS=${2:-}; shift 2 ;;
    --side) SIDE=${2:-}; shift 2 ;;
    --timeout) TIMEOUT=${2:-}; shift 2 ;;
    --nice) NICE=${2:-}; shift 2 ;;
    --out) OUT=${2:-}; shift 2 ;;
    --pscan-alt) PSCAN_ALT=${2:-}; shift 2 ;;
    -h | --help) usage ;;
    *) echo "bench: unknown argument '$1'" >&2; usage ;;
    esac
done
[[ "$RUNS" =~ ^[0-9]+$ ]] && [ "$RUNS" -ge 1 ] && [ "$RUNS" -le 20 ] || { echo "bench: --runs '$RUNS' is not in 1..20" >&2; exit 1; }
[[ "$NICE" =~ ^-?[0-9]+$ ]] && [ "$NICE" -ge -20 ] && [ "$NICE" -le 19 ] || { echo "bench: --nice '$NICE' is not in -20..19" >&2; exit 1; }
[ -z "$TIMEOUT" ] || { [[ "$TIMEOUT" =~ ^[0-9]+$ ]] && [ "$TIMEOUT" -ge 1 ] && [ "$TIMEOUT" -le 1800 ]; } || { echo "bench: --timeout '$TIMEOUT' is not in 1..1800" >&2; exit 1; }
case "$SIDE" in ns | host) ;; *) echo "bench: --side '$SIDE' is neither ns nor host" >&2; exit 1 ;; esac

# ------------------------------------------------------------ workloads
# name -> "NET PORTS OPEN TIMEOUT"
declare -A WL=(
    [a]="198.19.0.0/16 80 80 30"
    [b]="198.19.0.0/20 1-1000,31337 22,80,443,31337 240"
    [c]="198.19.0.0/24 1-1000,31337 22,80,443,31337 120"
)
IFS=, read -r -a WL_LIST <<<"$WORKLOADS"
IFS=, read -r -a TOOL_LIST <<<"$TOOLS"
for w in "${WL_LIST[@]}"; do
    [ -n "${WL[$w]:-}" ] || { echo "bench: unknown workload '$w' (a, b or c)" >&2; exit 1; }
done
for t in "${TOOL_LIST[@]}"; do
    case "$t" in pscan | zmap | masscan | nmap) ;; *) echo "bench: unknown tool '$t'" >&2; exit 1 ;; esac
done
if [ -n "$PSCAN_ALT" ]; then
    [ -x "$PSCAN_ALT" ] || { echo "bench: --pscan-alt '$PSCAN_ALT' is not an executable" >&2; exit 1; }
    PSCAN_ALT=$(realpath "$PSCAN_ALT")
    TOOL_LIST+=(pscan-alt)
    TOOLS+=,pscan-alt
fi

[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (namespaces, raw sockets)" >&2; exit 1; }
for c in ip nft flock python3 cc make timeout; do
    command -v "$c" >/dev/null || { echo "bench: '$c' is missing (make deps)" >&2; exit 1; }
done
for t in "${TOOL_LIST[@]}"; do
    case "$t" in pscan | pscan-alt) ;; *) command -v "$t" >/dev/null || { echo "bench: '$t' is missing (make deps)" >&2; exit 1; } ;; esac
done

# ------------------------------------------------------------ build
PSCAN=$ROOT/pscan
NETIO=$ROOT/build/tests/tools/netio_probe
LISTENER=$ROOT/build/tests/tools/listener
RUNSTAT=$ROOT/build/bench/runstat
FLOOR=$ROOT/build/bench/floor
make -s -C "$ROOT" pscan build/libpscan.a build/tests/tools/netio_probe build/tests/tools/listener >/dev/null ||
    { echo "bench: build failed" >&2; exit 2; }
mkdir -p "$ROOT/build/bench"
WARN="-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wpointer-arith -Wcast-qual -Wvla -Wundef"
LIBS="$(pkg-config --libs libpcap libpcre2-8 libssl libcrypto 2>/dev/null) $(libnet-config --libs 2>/dev/null || echo -lnet) -lpthread -lm"
# shellcheck disable=SC2086
cc -O2 -g -std=gnu11 -D_GNU_SOURCE $WARN -o "$RUNSTAT" "$BENCH_DIR/lib/runstat.c" &&
    cc -O2 -g -std=gnu11 -D_GNU_SOURCE $WARN -I"$ROOT/include" -o "$FLOOR" "$BENCH_DIR/lib/floor.c" \
        "$ROOT/build/libpscan.a" $LIBS ||
    { echo "bench: building bench/lib tools failed" >&2; exit 2; }

OUT=${OUT:-$ROOT/bench/out/$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$OUT/raw" "$OUT/scratch" || exit 2
RESULTS=$OUT/results.tsv

# ------------------------------------------------------------ clean-up
_pids=()
_cleaned=0
cleanup() {
    [ "$_cleaned" -eq 1 ] && return
    _cleaned=1
    local p
    for p in "${_pids[@]}"; do kill "$p" 2>/dev/null; done
    bt_destroy
    rm -rf "$OUT/scratch"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

# ------------------------------------------------------------ test bed
bt_create "$SIDE" || exit 2
SCN=() # prefix that runs a command on the scanner side
[ -n "$BT_SCN" ] && SCN=(ip netns exec "$BT_SCN")
: >"$OUT/raw/listener.out"
bt_tgt "$LISTENER" -t 3600 0.0.0.0 22 80 443 31337 >"$OUT/raw/listener.out" 2>&1 &
_pids+=($!)
for _ in $(seq 100); do
    grep -q '^ready' "$OUT/raw/listener.out" && break
    sleep 0.02
done
grep -q '^ready .* 22 80 443 31337$' "$OUT/raw/listener.out" ||
    { echo "bench: listener did not start: $(cat "$OUT/raw/listener.out")" >&2; exit 2; }
for a in 198.19.0.0 198.19.0.1 198.19.15.255 198.19.255.255 "198.19.$((RANDOM % 256)).$((RANDOM % 256))" "$BT_GW"; do
    bt_route_check "$a" || { echo "bench: refusing to scan: route check failed" >&2; exit 2; }
done

# ------------------------------------------------------------ scoring
# score NET OPEN < "ADDR PORT" lines: prints "found hits fp" (unique pairs).
score() {
    local net=$1 open=$2 base=${1%/*} bits=${1#*/}
    awk -v base="$base" -v bits="$bits" -v open="$open" '
        function ip2n(s,   a) { split(s, a, "."); return ((a[1] * 256 + a[2]) * 256 + a[3]) * 256 + a[4] }
        BEGIN { lo = ip2n(base); size = 2 ^ (32 - bits); n = split(open, o, ","); for (i = 1; i <= n; i++) isopen[o[i]] = 1 }
        # Whole lines only: a tool killed at its time limit can leave half a line.
        NF == 2 && $1 ~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/ && $2 ~ /^[0-9]+$/ && !seen[$1 " " $2]++ {
            found++
            x = ip2n($1)
            if (x >= lo && x < lo + size && ($2 in isopen)) hits++; else fp++
        }
        END { printf "%d %d %d\n", found, hits, fp }'
}

ncount() { # ports spec -> number of ports
    local n=0 part lo hi
    IFS=, read -r -a parts <<<"$1"
    for part in "${parts[@]}"; do
        if [[ "$part" == *-* ]]; then lo=${part%-*} hi=${part#*-}; n=$((n + hi - lo + 1)); else n=$((n + 1)); fi
    done
    echo "$n"
}

in_ports() { # PORT SPEC: is PORT in the list SPEC?
    local part
    for part in ${2//,/ }; do
        if [[ "$part" == *-* ]]; then
            [ "$1" -ge "${part%-*}" ] && [ "$1" -le "${part#*-}" ] && return 0
        else
            [ "$1" -eq "$part" ] && return 0
        fi
    done
    return 1
}

load1() { cut -d' ' -f1 /proc/loadavg; }

COLS="kind workload net ports expected_probes truth tool run status timeout wall user sys maxrss_kb first last probes found hits fp rate per_cpu_s load1 ncpu note"
echo "$COLS" | tr ' ' '\t' >"$RESULTS"
row() { # key=value ... -> one TSV line in column order
    local -A v=()
    local kv c line=""
    for kv in "$@"; do v[${kv%%=*}]=${kv#*=}; done
    for c in $COLS; do line+="${v[$c]:-}"$'\t'; done
    printf '%s\n' "${line%$'\t'}" >>"$RESULTS"
}

# runstat line -> variables RS_wall, RS_user, ...
parse_runstat() {
    local line kv
    # Tools that redraw a status line with \r leave it in front of ours.
    line=$(tr '\r' '\n' <"$1" | grep -o 'runstat: .*' | tail -n 1)
    RS_wall="" RS_user="" RS_sys="" RS_maxrss_kb="" RS_status="" RS_timeout="" RS_first="" RS_last=""
    for kv in ${line#runstat: }; do
        case "${kv%%=*}" in
        wall | user | sys | maxrss_kb | status | timeout | first | last) printf -v "RS_${kv%%=*}" '%s' "${kv#*=}" ;;
        esac
    done
}

NCPU=$(nproc)
COUNTER=/sys/class/net/$BT_SIF/statistics/tx_packets

# run_tool W TOOL RUN
run_tool() {
    local w=$1 tool=$2 run=$3 net ports open tmo
    read -r net ports open tmo <<<"${WL[$w]}"
    tmo=${TIMEOUT:-$tmo}
    local nh=$((1 << (32 - ${net#*/}))) np
    np=$(ncount "$ports")
    local nopen=0 o
    for o in ${open//,/ }; do in_ports "$o" "$ports" && nopen=$((nopen + 1)); done
    local truth=$((nh * nopen)) expected=$((nh * np))
    local common=(workload="$w" net="$net" ports="$ports" expected_probes="$expected" truth="$truth"
        tool="$tool" run="$run" ncpu="$NCPU")
    if ! tool_supports "$tool" "$ports"; then
        row kind=tool "${common[@]}" status=n/a note="$tool $(tool_version "$tool" | awk '{print $2}') scans one port per run"
        return
    fi
    local base=$OUT/raw/$w-$tool-$run result
    result=$base.result
    rm -f "$result"
    tool_cmd "$tool" "$net" "$ports" "$result"
    echo "${CMD[*]}" >"$base.cmd"
    local l p0 p1
    l=$(load1)
    p0=$(bt_probes)
    if [ "$tool" = pscan ] || [ "$tool" = pscan-alt ]; then
        (cd "$OUT/scratch" && timeout -k 5 $((tmo + 15)) "${SCN[@]}" nice -n "$NICE" "$RUNSTAT" -t "$tmo" -c "$COUNTER" -- "${CMD[@]}") >"$result" 2>"$base.err"
    else
        (cd "$OUT/scratch" && timeout -k 5 $((tmo + 15)) "${SCN[@]}" nice -n "$NICE" "$RUNSTAT" -t "$tmo" -c "$COUNTER" -- "${CMD[@]}") >"$base.out" 2>"$base.err" </dev/null
    fi
    p1=$(bt_probes)
    parse_runstat "$base.err"
    local sc
    sc=$(tool_parse "$tool" "$result" "$ports" | score "$net" "$open")
    local found hits fp
    read -r found hits fp <<<"$sc"
    row kind=tool "${common[@]}" status="${RS_status:-?}" timeout="${RS_timeout:-?}" wall="$RS_wall" \
        user="$RS_user" sys="$RS_sys" maxrss_kb="$RS_maxrss_kb" first="$RS_first" last="$RS_last" \
        probes=$((p1 - p0)) found="$found" hits="$hits" fp="$fp" load1="$l"
    printf 'bench: %s %-7s run %d: wall %ss, %d probes, recall %d/%d, fp %d, rss %s kB, status %s%s\n' \
        "$w" "$tool" "$run" "$RS_wall" $((p1 - p0)) "$hits" "$truth" "$fp" "$RS_maxrss_kb" "${RS_status:-?}" \
        "$([ "${RS_timeout:-0}" = 1 ] && echo ' (timed out)')" >&2
}

# A probe program's "key=value" output line -> value of KEY.
kv() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }

run_ceiling() {
    local run=$1 out l
    l=$(load1)
    out=$(timeout -k 5 30 "${SCN[@]}" nice -n "$NICE" "$NETIO" bench 198.19.1.2 80 2000000 --mode mmsg --seconds 2 --bogus-mac 2>>"$OUT/raw/ceiling.err" | grep '^mode=')
    echo "$out" >>"$OUT/raw/ceiling.out"
    row kind=ceiling workload=- tool=netio_probe run="$run" wall="$(kv "$out" seconds)" rate="$(kv "$out" rate)" \
        per_cpu_s="$(kv "$out" per_cpu_s)" load1="$l" ncpu="$NCPU"
}

run_floor() {
    local w=$1 run=$2 kind=$3 net ports open tmo out l
    local extra=()
    read -r net ports open tmo <<<"${WL[$w]}"
    [ "$kind" = floor-bare ] && extra=(--bogus-mac)
    l=$(load1)
    out=$(timeout -k 5 $((tmo + 15)) "${SCN[@]}" nice -n "$NICE" "$FLOOR" "$net" "$ports" --seconds "$tmo" "${extra[@]}" 2>>"$OUT/raw/floor.err")
    echo "$w $kind $out" >>"$OUT/raw/floor.out"
    row kind="$kind" workload="$w" net="$net" ports="$ports" tool=floor run="$run" wall="$(kv "$out" seconds)" \
        rate="$(kv "$out" rate)" per_cpu_s="$(kv "$out" per_cpu_s)" load1="$l" ncpu="$NCPU"
}

# ------------------------------------------------------------ header
{
    echo "pscan benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "machine: $NCPU CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), kernel $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "command: bench/run.sh $ARGS"
    echo "settings: runs $RUNS, workloads $WORKLOADS, tools $TOOLS, side $SIDE, nice $NICE${TIMEOUT:+, timeout $TIMEOUT s}"
    echo "pscan: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') ($(tool_version pscan))"
    for t in "${TOOL_LIST[@]}"; do [ "$t" = pscan ] || echo "$t: $(tool_version "$t")"; done
    [ -z "$PSCAN_ALT" ] || echo "pscan-alt: $PSCAN_ALT"
    echo "test bed: scanner $BT_SRC on $BT_SIF ($([ -n "$BT_SCN" ] && echo "namespace $BT_SCN" || echo "root namespace")), target namespace $BT_TGT at $BT_GW, local $BT_RANGE, listeners on 22 80 443 31337"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
} | tee "$OUT/header.txt"

# ------------------------------------------------------------ runs
for ((run = 1; run <= RUNS; run++)); do
    run_ceiling "$run"
    for w in "${WL_LIST[@]}"; do
        run_floor "$w" "$run" floor
        run_floor "$w" "$run" floor-bare
        n=${#TOOL_LIST[@]}
        for ((i = 0; i < n; i++)); do
            run_tool "$w" "${TOOL_LIST[$(((i + run - 1) % n))]}" "$run"
        done
    done
done

# pscan's own account of each workload: resends, capture drops.
: >"$OUT/diag.txt"
for w in "${WL_LIST[@]}"; do
    [[ ",$TOOLS," == *,pscan,* ]] || break
    read -r net ports open tmo <<<"${WL[$w]}"
    line=$(timeout -k 5 $((${TIMEOUT:-$tmo} + 15)) "${SCN[@]}" nice -n "$NICE" "$PSCAN" -v -p "$ports" "$net" 2>&1 >/dev/null | grep '^syn:')
    echo "pscan -v on $w: ${line:-no syn: line}" >>"$OUT/diag.txt"
    if [ -n "$PSCAN_ALT" ]; then
        line=$(timeout -k 5 $((${TIMEOUT:-$tmo} + 15)) "${SCN[@]}" nice -n "$NICE" "$PSCAN_ALT" -v -p "$ports" "$net" 2>&1 >/dev/null | grep '^syn:')
        echo "pscan-alt -v on $w: ${line:-no syn: line}" >>"$OUT/diag.txt"
    fi
done

{
    python3 "$BENCH_DIR/lib/report.py" "$RESULTS"
    echo
    cat "$OUT/diag.txt"
    echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/summary.txt"
cat "$OUT/header.txt" "$OUT/summary.txt" >"$OUT/table.txt"
echo
cat "$OUT/summary.txt"
echo
echo "raw results: $RESULTS"
