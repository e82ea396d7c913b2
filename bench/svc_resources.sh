#!/usr/bin/env bash
# bench/svc_resources.sh: descriptors and memory of one pscan -sV process
# across more than 100,000 service probes.
#
#   bench/svc_resources.sh [--addrs N] [--ports N] [--intensity 0-9]
#                          [--timeout S] [--pscan PATH] [--no-valgrind]
#
# Everything runs in a network namespace of our own (psres-PID) on its
# loopback: 127.0.0.0/8 there is routed to lo (checked with `ip route get`
# before any scan), and nothing leaves it.  Servers, one address each:
#
#   127.0.0.1..N    listener -c -b BANNER on 20001..20000+P: a banner that
#                   matches no rule, then close; pscan tries every probe up
#                   to --intensity on each port, one connection per probe
#   127.0.0.N+1     listener -s on 50 ports: silent; every probe waits out
#   127.0.0.N+2     svc_server tls on 20 ports: TLS, then nginx-like HTTP
#   127.0.0.N+3     hostile: 10 ports reset (RST at random moments), 10
#                   ports tlsgarbage
#
# N = --addrs (default 16), P = --ports per address (default 250; at most
# 255, because pscan runs -sV on at most 256 open ports of one host, and
# one port of the scanned range is left closed so that no host looks like
# a SYN proxy).  With --intensity 9 (the default) pscan's own probe files
# give 32 probe connections to each banner port: 16 x 250 x 32 = 128,000.
#
# Runs, one after the other, each `pscan -sT -sV ... -p 20001-2000(P+1)`
# over all N+3 addresses (one process each):
#
#   1. -sT alone: the connections the port scan itself makes (baseline);
#   2. -sV --version-intensity 0: the same results with one probe per port
#      (the memory the results themselves take);
#   3. -sV --version-intensity I: the measured run.
#
# For runs 2 and 3 the PID's VmRSS (/proc/PID/status) and descriptor count
# (/proc/PID/fd) are sampled every 0.5 s.  Probes are counted on the
# servers' side, by the namespace's kernel: TCP PassiveOpens
# (/proc/net/snmp, per namespace) of the run minus those of run 1.  Then,
# unless --no-valgrind, a smaller scan of the same mix (2 banner addresses
# x 50 ports and the silent, TLS and hostile addresses) under
# valgrind --leak-check=full.  SAMPLES_DIR=DIR keeps the two sample files
# (full.samples, light.samples: "ms rss_kb fds" per line).  Root only;
# everything is removed on exit.
# Figures and discussion: docs/security.md, "Resources".
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# Everything below runs in a network namespace of its own (only lo, no route
# out; tests/lib/isolate.sh): nothing on the host can disturb the test bed.
. "$ROOT/tests/lib/isolate.sh"
isolate_reexec "$ROOT/bench/svc_resources.sh" "$@"
cd "$ROOT" || exit 2
. tests/lib/common.sh

ADDRS=16
PORTS=250
INTENSITY=9
TIMEOUT=600
VALGRIND=1
PSCAN_BIN=$PSCAN
SVC_SERVER=$ROOT/build/tests/tools/svc_server
HOSTILE=$ROOT/build/tests/tools/hostile
BANNER="XQZ-7 resource probe banner"
SAMPLE_S=0.5

usage() {
    sed -n '5,6p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 1
}
num() { # num NAME VALUE LO HI
    case "$2" in '' | *[!0-9]*) echo "svc_resources: $1 wants $3..$4, not '$2'" >&2; exit 1 ;; esac
    if [ "$2" -lt "$3" ] || [ "$2" -gt "$4" ]; then
        echo "svc_resources: $1 wants $3..$4, not '$2'" >&2
        exit 1
    fi
}
while [ $# -gt 0 ]; do
    case "$1" in
    --addrs) ADDRS=${2:-}; shift 2 ;;
    --ports) PORTS=${2:-}; shift 2 ;;
    --intensity) INTENSITY=${2:-}; shift 2 ;;
    --timeout) TIMEOUT=${2:-}; shift 2 ;;
    --pscan) PSCAN_BIN=${2:-}; shift 2 ;;
    --no-valgrind) VALGRIND=0; shift ;;
    -h | --help) usage ;;
    *) echo "svc_resources: unknown option '$1'" >&2; usage ;;
    esac
done
num --addrs "$ADDRS" 1 64
num --ports "$PORTS" 1 255
num --intensity "$INTENSITY" 0 9
num --timeout "$TIMEOUT" 10 3000
[ "$(id -u)" -eq 0 ] || { echo "svc_resources: needs root (network namespace)" >&2; exit 1; }
for c in ip openssl awk timeout; do
    command -v "$c" >/dev/null || { echo "svc_resources: needs $c" >&2; exit 1; }
done
for f in "$PSCAN_BIN" "$LISTENER" "$SVC_SERVER" "$HOSTILE"; do
    [ -x "$f" ] || { echo "svc_resources: no $f (make && make build/tests/tools/{listener,svc_server,hostile})" >&2; exit 1; }
done
if [ "$VALGRIND" -eq 1 ] && ! command -v valgrind >/dev/null; then
    echo "svc_resources: valgrind not installed (apt-get install valgrind, or --no-valgrind)" >&2
    exit 1
fi

NS=psres-$$
LAST=$((20001 + PORTS))               # the closed port of every address
PRANGE=20001-$LAST
A_SILENT=127.0.0.$((ADDRS + 1))
A_TLS=127.0.0.$((ADDRS + 2))
A_HOSTILE=127.0.0.$((ADDRS + 3))
TARGETS=127.0.0.1-$((ADDRS + 3))
SERVER_TTL=$((TIMEOUT * 4 + 300))
[ "$SERVER_TTL" -le 3600 ] || SERVER_TTL=3600

# ------------------------------------------------------------ namespace

ns_destroy() {
    local pid i
    ip netns list | grep -q "^$NS\b" || return 0
    # Every process in a namespace created by this script is one it started.
    for pid in $(ip netns pids "$NS" 2>/dev/null); do
        kill "$pid" 2>/dev/null
    done
    for i in $(seq 40); do
        [ -z "$(ip netns pids "$NS" 2>/dev/null)" ] && break
        sleep 0.05
    done
    for pid in $(ip netns pids "$NS" 2>/dev/null); do
        kill -KILL "$pid" 2>/dev/null
    done
    ip netns del "$NS" 2>/dev/null
    rm -rf "/etc/netns/$NS"
}
at_exit ns_destroy

ip netns add "$NS" || { echo "svc_resources: cannot create namespace $NS" >&2; exit 2; }
mkdir -p "/etc/netns/$NS" && echo "hosts: files" >"/etc/netns/$NS/nsswitch.conf"
ip -n "$NS" link set lo up || exit 2

# route_check ADDR: in our namespace, ADDR must be local on lo.
route_check() {
    local out
    out=$(ip netns exec "$NS" ip -4 route get "$1" 2>&1 | head -n 1)
    case "$out" in
    "local $1 dev lo "*) return 0 ;;
    *) echo "svc_resources: route check: $1 is not local on lo in $NS ($out)" >&2; return 1 ;;
    esac
}
for ((a = 1; a <= ADDRS + 3; a++)); do
    route_check "127.0.0.$a" || exit 2
done

# ------------------------------------------------------------ servers

# wait_ready FILE PID: at most 5 s for a line starting with "ready".
wait_ready() {
    local i
    for i in $(seq 500); do
        grep -q '^ready' "$1" 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.01
    done
    return 1
}

seq_ports() { seq 20001 $((20000 + $1)); }

t0=$(date +%s%N)
for ((a = 1; a <= ADDRS; a++)); do
    # shellcheck disable=SC2046
    ip netns exec "$NS" "$LISTENER" -t "$SERVER_TTL" -c -b "$BANNER" "127.0.0.$a" $(seq_ports "$PORTS") \
        >"$TEST_TMP/ls$a.ready" 2>"$TEST_TMP/ls$a.err" &
    track_pid $!
    wait_ready "$TEST_TMP/ls$a.ready" $! || { echo "svc_resources: listener 127.0.0.$a: $(cat "$TEST_TMP/ls$a.err")" >&2; exit 2; }
done
# shellcheck disable=SC2046
ip netns exec "$NS" "$LISTENER" -t "$SERVER_TTL" -s "$A_SILENT" $(seq_ports 50) \
    >"$TEST_TMP/silent.ready" 2>"$TEST_TMP/silent.err" &
track_pid $!
wait_ready "$TEST_TMP/silent.ready" $! || { echo "svc_resources: silent listener: $(cat "$TEST_TMP/silent.err")" >&2; exit 2; }
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout "$TEST_TMP/key.pem" -out "$TEST_TMP/cert.pem" \
    -subj "/CN=localhost/O=pscan resources" -addext "subjectAltName=DNS:localhost,IP:$A_TLS" 2>/dev/null ||
    { echo "svc_resources: openssl req failed" >&2; exit 2; }
ip netns exec "$NS" "$SVC_SERVER" -t "$SERVER_TTL" -a "$A_TLS" tls 20001-20020 "$TEST_TMP/cert.pem" "$TEST_TMP/key.pem" \
    >"$TEST_TMP/tls.ready" 2>"$TEST_TMP/tls.err" &
track_pid $!
wait_ready "$TEST_TMP/tls.ready" $! || { echo "svc_resources: tls server: $(cat "$TEST_TMP/tls.err")" >&2; exit 2; }
hmodes=()
for p in $(seq 20001 20010); do hmodes+=("$p:reset"); done
for p in $(seq 20011 20020); do hmodes+=("$p:tlsgarbage"); done
ip netns exec "$NS" "$HOSTILE" "$A_HOSTILE" "${hmodes[@]}" -t "$SERVER_TTL" \
    >"$TEST_TMP/hostile.ready" 2>"$TEST_TMP/hostile.err" &
track_pid $!
wait_ready "$TEST_TMP/hostile.ready" $! || { echo "svc_resources: hostile: $(cat "$TEST_TMP/hostile.err")" >&2; exit 2; }
echo "# servers up in $((($(date +%s%N) - t0) / 1000000)) ms: $ADDRS x $PORTS banner ports, 50 silent, 20 TLS, 20 hostile; namespace $NS"

# ------------------------------------------------------------ runs

# passive: TCP connections the namespace's servers have accepted so far.
passive() {
    ip netns exec "$NS" awk '/^Tcp:/ { if (h) { for (i = 1; i <= NF; i++) if (k[i] == "PassiveOpens") print $i; exit }
                                       for (i = 1; i <= NF; i++) k[i] = $i; h = 1 }' /proc/net/snmp
}

# measure TAG ARGS...: run pscan ARGS in the namespace, sampling it every
# SAMPLE_S ("ms rss_kb fds" lines).  Leaves TEST_TMP/TAG.{samples,out,err},
# RUN_RC, RUN_MS, RUN_CONNS and RUN_HWM (peak RSS, KB, at the last sample).
measure() {
    local tag=$1 pid start now i max p0 rss fds
    shift
    local samples=$TEST_TMP/$tag.samples
    : >"$samples"
    p0=$(passive)
    start=$(date +%s%N)
    ip netns exec "$NS" "$PSCAN_BIN" "$@" >"$TEST_TMP/$tag.out" 2>"$TEST_TMP/$tag.err" &
    pid=$!
    max=$(awk -v t="$TIMEOUT" -v s="$SAMPLE_S" 'BEGIN { print int(t / s) + 1 }')
    RUN_HWM=0
    for ((i = 0; i < max; i++)); do
        read -r rss hwm <<<"$(awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { print r, h }' "/proc/$pid/status" 2>/dev/null)"
        fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
        [ -n "$rss" ] || break # gone (or a zombie: no VmRSS)
        now=$((($(date +%s%N) - start) / 1000000))
        # Until `ip netns exec` has become pscan, there is nothing to sample.
        if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = pscan ]; then
            echo "$now $rss $fds" >>"$samples"
            RUN_HWM=$hwm
        fi
        sleep "$SAMPLE_S"
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "# $tag: still running after ${TIMEOUT}s: stopped" >&2
        kill "$pid" 2>/dev/null
    fi
    wait "$pid"
    RUN_RC=$?
    RUN_MS=$((($(date +%s%N) - start) / 1000000))
    RUN_CONNS=$(($(passive) - p0))
}

# summary TAG: FD min/max, RSS at 10%, 50%, 100% of the samples, peak.
summary() {
    awk '{ t[NR] = $1; r[NR] = $2; f[NR] = $3
           if (NR == 1 || $3 < fmin) fmin = $3; if ($3 > fmax) fmax = $3; if ($2 > rmax) rmax = $2 }
         END {
           if (NR == 0) { print "no samples"; exit }
           i10 = int(NR * 0.1 + 0.5); if (i10 < 1) i10 = 1
           i50 = int(NR * 0.5 + 0.5); if (i50 < 1) i50 = 1
           printf "samples %d; fds min %d max %d (first %d, last %d); RSS KB at 10%% %d (%.1f s), 50%% %d (%.1f s), 100%% %d (%.1f s), max %d\n",
                  NR, fmin, fmax, f[1], f[NR], r[i10], t[i10] / 1000, r[i50], t[i50] / 1000, r[NR], t[NR] / 1000, rmax
         }' "$TEST_TMP/$1.samples"
}

common=(-sT -n -q --open -p "$PRANGE" "$TARGETS")
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"

measure scan "${common[@]}"
BASE_CONNS=$RUN_CONNS
echo "# 1. pscan ${common[*]}: exit $RUN_RC, $RUN_MS ms, $BASE_CONNS connections accepted (the port scan's own)"

measure light -sV --version-intensity 0 "${common[@]}"
L_PROBES=$((RUN_CONNS - BASE_CONNS))
L_HWM=$RUN_HWM
echo "# 2. pscan -sV --version-intensity 0 ${common[*]}: exit $RUN_RC, $RUN_MS ms, $L_PROBES probe connections, $(grep -c ' open ' "$TEST_TMP/light.out") open ports reported"
echo "#    $(summary light)"

measure full -sV --version-intensity "$INTENSITY" "${common[@]}"
F_PROBES=$((RUN_CONNS - BASE_CONNS))
F_RC=$RUN_RC
F_HWM=$RUN_HWM
echo "# 3. pscan -sV --version-intensity $INTENSITY ${common[*]}: exit $RUN_RC, $RUN_MS ms, $F_PROBES probe connections, $(grep -c ' open ' "$TEST_TMP/full.out") open ports reported"
echo "#    $(summary full)"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
cp "$TEST_TMP/full.samples" "$TEST_TMP/light.samples" "${SAMPLES_DIR:-$TEST_TMP}/" 2>/dev/null

# The verdict.  Descriptors: the lowest and highest count while pscan ran,
# and the count at the last sample.  Memory: both -sV runs keep the same
# results until the end (about 3 kB per open port, src/report/report.c), so the
# probes' own cost is the peak of run 3 minus the peak of run 2, and the
# growth of run 3 from 10% to 100% of its time is what a leak per probe
# would show up in.
read -r fmin fmax flast <<<"$(awk 'NR == 1 { a = $3; b = $3 } { if ($3 < a) a = $3; if ($3 > b) b = $3; l = $3 }
    END { print a, b, l }' "$TEST_TMP/full.samples")"
read -r r10 r50 r100 <<<"$(awk '{ r[NR] = $2 } END { a = int(NR * 0.1 + 0.5); if (a < 1) a = 1
    b = int(NR * 0.5 + 0.5); if (b < 1) b = 1; print r[a], r[b], r[NR] }' "$TEST_TMP/full.samples")"
echo
echo "probes made (connections accepted by the servers, minus the port scan's): $F_PROBES"
echo "descriptors while pscan ran: min $fmin, max $fmax, at the last sample $flast"
echo "RSS (KB) of the measured run at 10% / 50% / 100% of its time: $r10 / $r50 / $r100 (from 10% to 100%: $((r100 - r10)) KB)"
echo "peak RSS (KB): $F_HWM with all probes, $L_HWM with one probe per port: the probes cost $((F_HWM - L_HWM)) KB"
if [ "$F_PROBES" -lt 100000 ]; then
    echo "note: fewer than 100,000 probes (raise --addrs or --ports)"
fi
[ "$F_RC" -eq 0 ] || echo "note: the measured run exited with status $F_RC"

# ------------------------------------------------------------ valgrind

if [ "$VALGRIND" -eq 1 ]; then
    vlog=$TEST_TMP/valgrind.log
    vargs=(-sT -sV -n -q --open -p 20001-20051 127.0.0.1 127.0.0.2 "$A_SILENT" "$A_TLS" "$A_HOSTILE")
    echo
    echo "# valgrind --leak-check=full pscan ${vargs[*]}"
    p0=$(passive)
    s=$(date +%s%N)
    ip netns exec "$NS" timeout "$TIMEOUT" valgrind --leak-check=full --show-leak-kinds=all \
        --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --log-file="$vlog" \
        "$PSCAN_BIN" "${vargs[@]}" >"$TEST_TMP/vg.out" 2>"$TEST_TMP/vg.err"
    vrc=$?
    echo "# exit $vrc, $((($(date +%s%N) - s) / 1000000)) ms, $(($(passive) - p0)) connections accepted, $(grep -c ' open ' "$TEST_TMP/vg.out") open ports reported"
    grep -E 'ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|still reachable|All heap blocks' "$vlog" |
        sed 's/^==[0-9]*== */valgrind: /'
    if [ "$vrc" -eq 0 ]; then
        echo "valgrind: clean (no errors, no definite or indirect leak)"
    else
        echo "valgrind: NOT clean (exit $vrc), log follows"
        sed 's/^/#   /' "$vlog" | head -80
    fi
fi
