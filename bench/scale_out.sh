#!/bin/bash
# bench/scale_out.sh: one SYN scan split into N shards run side by side on
# this machine, pscan and masscan on the same work, then pscan merge of the
# shards: what docs/scale-out.md sizes a cluster from.  Root only.
#
#   bench/scale_out.sh [--net CIDR] [--ports P] [--shards 1,2,4]
#                      [--tools pscan,masscan] [--masscan-rate R] [--out DIR]
#
# Work: every address of --net (default 198.19.0.0/16, the test bed's
# range) x --ports (default 1-100): 22 and 80 are open on every host (the
# listener), the rest answer RST.  For each N of --shards, every tool runs
# its N shards at once (--shard K/N, one seed), each measured by
# bench/lib/runstat (wall, CPU, peak RSS); the N-shard wall is from the
# first start to the last end.  Printed per N and tool: wall, probes/s in
# all and per shard, recall of the open ports (union of the shards; a port
# found twice counts as a duplicate), and for pscan the -oJ bytes per
# million probes.  pscan's shards are then merged (pscan merge, measured
# the same way), and the merged file is compared with the 1-shard run's
# (tests/tools/jsonl_norm.py: equal apart from timing).
#
# masscan runs at --rate 10000000 (bench/lib/tools.sh: as fast as it goes)
# unless --masscan-rate R says otherwise (its whole rate, split between its
# shards).  zmap is not here: the Debian build (2.1.1) scans one port per run.  The
# test bed (bench/lib/testbed.sh) is removed on any exit; nothing but
# 198.19.0.0/16 and the target's veth address is ever sent to.
set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
. "$ROOT/tests/lib/isolate.sh"
isolate_reexec "$ROOT/bench/scale_out.sh" "$@"
. "$BENCH_DIR/lib/testbed.sh"
. "$BENCH_DIR/lib/tools.sh"

NET=198.19.0.0/16 PORTS=1-100 SHARDS=1,2,4 TOOLS=pscan,masscan OUT="" MRATE=""
while [ $# -gt 0 ]; do
    case $1 in
    --net) NET=$2; shift 2 ;;
    --ports) PORTS=$2; shift 2 ;;
    --shards) SHARDS=$2; shift 2 ;;
    --tools) TOOLS=$2; shift 2 ;;
    --masscan-rate) MRATE=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) sed -n '5,6p' "$0" | sed 's/^# \{0,1\}/usage: /' >&2; exit 1 ;;
    esac
done
case "$NET" in 198.19.*/1[6-9] | 198.19.*/2[0-9] | 198.19.*/3[0-2]) ;;
*) echo "bench: --net must lie inside 198.19.0.0/16 (the test bed)" >&2; exit 1 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (namespaces, raw sockets)" >&2; exit 1; }
for c in ip nft python3 cc make timeout jq; do
    command -v "$c" >/dev/null || { echo "bench: '$c' is missing (make deps)" >&2; exit 1; }
done
[[ ",$TOOLS," == *,masscan,* ]] && ! command -v masscan >/dev/null && { echo "bench: masscan is missing (make deps)" >&2; exit 1; }

PSCAN=$ROOT/pscan
LISTENER=$ROOT/build/tests/tools/listener
RUNSTAT=$ROOT/build/bench/runstat
NORM=$ROOT/tests/tools/jsonl_norm.py
make -s -C "$ROOT" pscan build/tests/tools/listener >/dev/null || { echo "bench: build failed" >&2; exit 2; }
mkdir -p "$ROOT/build/bench"
cc -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -o "$RUNSTAT" "$BENCH_DIR/lib/runstat.c" ||
    { echo "bench: building runstat failed" >&2; exit 2; }
OUT=${OUT:-$ROOT/bench/out/scale-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$OUT/raw" || exit 2

_pids=()
cleanup() {
    local p
    for p in "${_pids[@]}"; do kill "$p" 2>/dev/null; done
    bt_destroy
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bt_create ns || exit 2
SCN=(ip netns exec "$BT_SCN")
bt_tgt "$LISTENER" -t 3600 0.0.0.0 22 80 >"$OUT/raw/listener.out" 2>&1 &
_pids+=($!)
for _ in $(seq 100); do grep -q '^ready' "$OUT/raw/listener.out" && break; sleep 0.02; done
grep -q '^ready' "$OUT/raw/listener.out" || { echo "bench: listener did not start" >&2; exit 2; }
base=${NET%/*}
for a in "$base" "${base%.*}.$((${base##*.} + 1))" 198.19.255.255 "$BT_GW"; do
    bt_route_check "$a" || exit 2
done

nhosts=$(python3 -c "import ipaddress,sys; print(ipaddress.ip_network(sys.argv[1]).num_addresses)" "$NET")
# The ports of --ports (ranges and commas), and the open ones among them.
read -r nports has22 has80 <<<"$(python3 - "$PORTS" <<'EOF'
import sys
ports = set()
for item in sys.argv[1].split(","):
    lo, _, hi = item.partition("-")
    ports.update(range(int(lo), int(hi or lo) + 1))
print(len(ports), int(22 in ports), int(80 in ports))
EOF
)"
probes=$((nhosts * nports))
truth=$(((has22 + has80) * nhosts))
SEED=$((RANDOM * 32768 + RANDOM))

# calc EXPR: EXPR worked out by awk (floating point).
calc() { awk "BEGIN { print $* }"; }

# rs FILE KEY: a value of the runstat line in FILE.
rs() { grep -o "runstat: .*" "$1" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# shard_cmd TOOL K N OUT: the command line of one shard into CMD.
shard_cmd() {
    case "$1" in
    pscan) CMD=("$PSCAN" -sS -Pn -n --seed "$SEED" --shard "$2/$3" -p "$PORTS" -oJ "$4" "$NET") ;;
    masscan)
        tool_cmd masscan "$NET" "$PORTS" "$4"
        # Its own source port per shard: masscans side by side with one
        # port would each take the others' answers as theirs.
        CMD+=(--shard "$2/$3" --seed "$SEED" --source-port $((61000 + $2)))
        [ -n "$MRATE" ] && CMD+=(--rate $((MRATE / $3)))
        ;;
    esac
}

# found TOOL FILES...: "ADDR PORT" of every open port the files report.
found() {
    local tool=$1
    shift
    if [ "$tool" = pscan ]; then
        jq -r 'select(.type == "host") | .host as $h | .ports[] | select(.state == "open") | "\($h) \(.port)"' "$@"
    else
        cat "$@" | awk '$1 == "open" && $2 == "tcp" { print $4, $3 }'
    fi
}

printf '# work: %s x %s = %d probes, %d open; seed %d; %s\n' "$NET" "$PORTS" "$probes" "$truth" "$SEED" "$(date -u +%F)" |
    tee "$OUT/table.txt"
printf '%-8s %3s %8s %10s %12s %8s %5s %9s %10s %8s\n' tool N "wall s" "probes/s" "per shard/s" recall dup "rss MB" "MB/Mprobe" "cpu s" |
    tee -a "$OUT/table.txt"
declare -A FIRST
for n in ${SHARDS//,/ }; do
    for tool in ${TOOLS//,/ }; do
        d=$OUT/raw/$tool-$n
        mkdir -p "$d"
        t0=$(date +%s.%N)
        pids=()
        for k in $(seq "$n"); do
            shard_cmd "$tool" "$k" "$n" "$d/shard-$k.out"
            (cd "$d" && "${SCN[@]}" "$RUNSTAT" -t 600 -- "${CMD[@]}" >/dev/null 2>"$d/shard-$k.err") &
            pids+=($!)
        done
        wait "${pids[@]}"
        t1=$(date +%s.%N)
        wall=$(calc "$t1 - $t0")
        rss=0 cpu=0 per=0
        for k in $(seq "$n"); do
            e=$d/shard-$k.err
            r=$(rs "$e" maxrss_kb); [ "${r:-0}" -gt "$rss" ] && rss=$r
            cpu=$(echo "$cpu + $(rs "$e" user) + $(rs "$e" sys)" | bc -l)
            per=$(echo "$per + ($probes / $n) / $(rs "$e" wall)" | bc -l)
        done
        found "$tool" "$d"/shard-*.out | sort >"$d/found"
        uniq_n=$(uniq "$d/found" | wc -l)
        dup=$(($(wc -l <"$d/found") - uniq_n))
        bytes=$(cat "$d"/shard-*.out | wc -c)
        printf '%-8s %3d %8.2f %10.0f %12.0f %7.2f%% %5d %9.1f %10s %8.2f\n' "$tool" "$n" "$wall" \
            "$(calc "$probes / $wall")" "$(calc "$per / $n")" \
            "$(calc "100 * $uniq_n / $truth")" "$dup" "$(calc "$rss / 1024")" \
            "$([ "$tool" = pscan ] && printf '%.1f' "$(calc "$bytes / 1048576 / ($probes / 1000000)")" || echo -)" \
            "$cpu" | tee -a "$OUT/table.txt"
        [ -z "${FIRST[$tool]:-}" ] && FIRST[$tool]=$n
    done
done

# pscan merge of each N's shards: cost, and equal to the 1-shard run.
echo | tee -a "$OUT/table.txt"
printf '%-22s %8s %8s %10s %s\n' "pscan merge" "wall s" "rss MB" "in MB" "= the ${FIRST[pscan]:-?}-shard run" |
    tee -a "$OUT/table.txt"
ref=$OUT/raw/pscan-${FIRST[pscan]:-1}
[ -d "$ref" ] && "$PSCAN" merge "$ref/merged.jsonl" "$ref"/shard-*.out 2>/dev/null && python3 "$NORM" "$ref/merged.jsonl" >"$ref/norm"
for n in ${SHARDS//,/ }; do
    d=$OUT/raw/pscan-$n
    [ -d "$d" ] || continue
    mapfile -t ins < <(for k in $(seq "$n"); do echo "$d/shard-$k.out"; done)
    "$RUNSTAT" -t 600 -- "$PSCAN" merge "$d/all.jsonl" "${ins[@]}" 2>"$d/merge.err"
    python3 "$NORM" "$d/all.jsonl" >"$d/all.norm" 2>/dev/null
    same=no
    cmp -s "$ref/norm" "$d/all.norm" && same=yes
    printf '%-22s %8.2f %8.1f %10.1f %s\n' "$n shards" "$(rs "$d/merge.err" wall)" \
        "$(echo "$(rs "$d/merge.err" maxrss_kb) / 1024" | bc -l)" \
        "$(echo "$(cat "${ins[@]}" | wc -c) / 1048576" | bc -l)" "$same" | tee -a "$OUT/table.txt"
done
echo "bench: table in $OUT/table.txt" >&2
