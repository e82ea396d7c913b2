#!/usr/bin/env bash
# tests/tools/zoo_survey.sh: start the daemons of tests/lib/zoo.sh in a test
# namespace and record what each sends and what the scanners name.
#
#   tests/tools/zoo_survey.sh [--kinds K1,K2,...] [--capture DIR] [--nmap TSV]
#                             [--pscan TSV] [--pscan-bin PATH] [--wait S]
#
# Without --capture/--nmap/--pscan it only starts the daemons and prints, per
# kind, its port, transport, whether it came up and its truth (zoo_truth).
#   --capture DIR   run tests/tools/capture.py against each daemon that came
#                   up, into DIR/KIND/ (raw answers and meta.txt)
#   --nmap TSV      nmap -sV -Pn -p PORT (-sU for UDP) against each, one row
#                   a kind: kind, port, transport, truth, nmap's service,
#                   product, version, extra info, wall seconds
#   --pscan TSV     the same with ./pscan -sV -Pn -p PORT (-sU for UDP)
#   --logs DIR      keep each daemon's output (KIND.out) and logs in DIR
# ZOO_EXTRACT=DIR: where zoo_extract unpacked the conflicting packages
# (exim4, opensmtpd, proftpd, pure-ftpd, ircd-hybrid, ntpsec, atftpd).
# ZOO_JOBS=N: captures and scanner runs at once (default 4).
# The scanners and capture.py run here, on the host side of the veth, and
# reach the daemons through it (the route is checked first).  Root only;
# everything is removed on exit.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
. tests/lib/common.sh
. tests/lib/netns.sh
. tests/lib/zoo.sh

KINDS=""
CAPDIR=""
NMAP_TSV=""
PSCAN_TSV=""
PSCAN_BIN=$PSCAN
WAIT=90
LOGDIR=""
while [ $# -gt 0 ]; do
    case "$1" in
    --kinds) KINDS=$2; shift 2 ;;
    --capture) CAPDIR=$2; shift 2 ;;
    --nmap) NMAP_TSV=$2; shift 2 ;;
    --pscan) PSCAN_TSV=$2; shift 2 ;;
    --pscan-bin) PSCAN_BIN=$2; shift 2 ;;
    --wait) WAIT=$2; shift 2 ;;
    --logs) LOGDIR=$2; shift 2 ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "zoo_survey: unknown option $1" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" -eq 0 ] || { echo "zoo_survey: needs root" >&2; exit 2; }

mapfile -t ALL < <(zoo_kinds)
if [ -n "$KINDS" ]; then IFS=, read -r -a SEL <<<"$KINDS"; else SEL=("${ALL[@]}"); fi

# Ports: 21001, 21011, ... by the kind's place in zoo_kinds (ZOO_ORDER: a
# kind keeps its port whatever the selection); fixed where the daemon is.
declare -A PORT=()
i=0
for k in "${ALL[@]}"; do
    PORT[$k]=$((21001 + 10 * i))
    i=$((i + 1))
done
PORT[xvfb]=6017
PORT[pptpd]=1723
PORT[ntpsec]=123

# Registered first, so it runs last: the daemons' output after they stopped.
[ -n "$LOGDIR" ] && mkdir -p "$LOGDIR" && at_exit 'cp -r "$ZOO_DIR"/*.out "$LOGDIR"/ 2>/dev/null; for f in "$ZOO_DIR"/*/*.log "$ZOO_DIR"/*/log/*; do [ -f "$f" ] && cp "$f" "$LOGDIR/$(basename "$(dirname "$f")")-$(basename "$f")"; done'
tb_create zoo || bail "cannot create the test namespace"
zoo_setup || bail "zoo_setup failed"
tb_route_check "$TB_IP4" "$TB_VH" || bail "route to $TB_IP4 does not leave through $TB_VH"
note "namespace $TB_NS, daemons on $TB_IP4 (host side $TB_HOST4 on $TB_VH)"

declare -A STATUS=()
for k in "${SEL[@]}"; do
    zoo_start "$k" "${PORT[$k]}"
    case $? in
    0) STATUS[$k]=launched ;;
    2) STATUS[$k]="not-installed" ;;
    *) STATUS[$k]="prep-failed" ;;
    esac
done
zoo_wait "$WAIT"
for k in "${SEL[@]}"; do
    [ "${STATUS[$k]}" = launched ] || continue
    if zoo_port_ok "$k"; then STATUS[$k]=up; else STATUS[$k]=down; fi
done
# UDP half of tcp+udp kinds, for the record.
up_socks=" $(_zoo_listening) "

printf '# kind\tport\ttransport\tstatus\ttruth\n'
for k in "${SEL[@]}"; do
    read -r pkg tr std tls proto <<<"$(zoo_info "$k")"
    extra=""
    if [ "$tr" = tcp+udp ] && [ "${STATUS[$k]}" = up ]; then
        [[ "$up_socks" == *" udp:${PORT[$k]} "* ]] || extra=" (udp not bound)"
    fi
    printf '%s\t%s\t%s\t%s%s\t%s\n' "$k" "${PORT[$k]}" "$tr" "${STATUS[$k]}" "$extra" "$(zoo_truth "$k")"
done

# Give slow talkers (Java, Erlang) a moment after their port opens.
[ -n "$CAPDIR$NMAP_TSV$PSCAN_TSV" ] && sleep 3

# Jobs at once (captures, scanner runs): different daemons side by side.
# Each scanner's wall time is then an upper bound (2 cores shared).
JOBS=${ZOO_JOBS:-4}
_jobpids=()
_slot() {
    local p live
    while :; do
        live=()
        for p in "${_jobpids[@]}"; do kill -0 "$p" 2>/dev/null && live+=("$p"); done
        _jobpids=("${live[@]}")
        [ "${#_jobpids[@]}" -lt "$JOBS" ] && return 0
        sleep 0.2
    done
}
_drain() {
    local p
    for p in "${_jobpids[@]}"; do wait "$p" 2>/dev/null; done
    _jobpids=()
}

# scan_row TOOL KIND PORT TRANSPORT: one scanner run, one TSV row.
# nmap's and pscan's normal output share the layout "PORT STATE SERVICE VERSION".
scan_row() {
    local tool=$1 k=$2 port=$3 tr=$4 out t0 t1 line svc rest args=()
    out=$TEST_TMP/$tool-$k.out
    if [ "$tr" = udp ]; then args=(-sU); fi
    t0=$(date +%s.%N)
    if [ "$tool" = nmap ]; then
        timeout 900 nmap -sV -Pn -n "${args[@]}" -p "$port" "$TB_IP4" >"$out" 2>&1
    else
        timeout 900 "$PSCAN_BIN" -sV -Pn -n "${args[@]}" -p "$port" "$TB_IP4" >"$out" 2>&1
    fi
    t1=$(date +%s.%N)
    line=$(grep -E "^$port/(tcp|udp) " "$out" | head -n 1)
    svc=$(awk '{ print $3 }' <<<"$line")
    rest=$(awk '{ $1 = $2 = $3 = ""; sub(/^ +/, ""); print }' <<<"$line")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\n' "$k" "$port" "$tr" "$(zoo_truth "$k")" \
        "$(awk '{ print $2 }' <<<"$line")" "$svc" "$rest" "$(echo "$t1 - $t0" | bc)" >"$TEST_TMP/$tool-$k.row"
    if [ -n "$CAPDIR" ]; then mkdir -p "$CAPDIR/$k"; cp "$out" "$CAPDIR/$k/$tool.txt"; fi
}

# capture KIND: capture.py against KIND (tcp, udp or both).
capture() {
    local k=$1 pkg tr std tls proto port fl=()
    read -r pkg tr std tls proto <<<"$(zoo_info "$k")"
    port=${PORT[$k]}
    [ "$tls" = 1 ] && fl+=(--tls)
    if [ "$tr" != udp ]; then
        /usr/bin/python3 tests/tools/capture.py --host "$TB_IP4" --port "$port" --proto "$proto" \
            --std-port "$std" --kind "$k" --package "$pkg" --out "$CAPDIR/$k/tcp" "${fl[@]}" \
            --note "tests/lib/zoo.sh zoo_start $k $port" 2>&1 | sed 's/^/# /'
    fi
    if [ "$tr" != tcp ]; then
        /usr/bin/python3 tests/tools/capture.py --udp --host "$TB_IP4" --port "$port" --proto "$proto" \
            --std-port "$std" --kind "$k" --package "$pkg" --out "$CAPDIR/$k/udp" \
            --note "tests/lib/zoo.sh zoo_start $k $port" 2>&1 | sed 's/^/# /'
    fi
}

UP=()
for k in "${SEL[@]}"; do [ "${STATUS[$k]}" = up ] && UP+=("$k"); done

if [ -n "$CAPDIR" ]; then
    mkdir -p "$CAPDIR"
    for k in "${UP[@]}"; do
        _slot
        capture "$k" &
        _jobpids+=($!)
    done
    _drain
fi

HDR='# kind\tport\ttransport\ttruth(service|product|version)\tstate\tservice\tproduct/version/info\tseconds\n'
for tool in nmap pscan; do
    if [ "$tool" = nmap ]; then tsv=$NMAP_TSV; else tsv=$PSCAN_TSV; fi
    [ -n "$tsv" ] || continue
    for k in "${UP[@]}"; do
        read -r pkg tr std tls proto <<<"$(zoo_info "$k")"
        _slot
        scan_row "$tool" "$k" "${PORT[$k]}" "${tr%%+*}" &
        _jobpids+=($!)
    done
    _drain
    { printf "$HDR"; for k in "${UP[@]}"; do cat "$TEST_TMP/$tool-$k.row" 2>/dev/null; done; } >"$tsv"
    note "$tool: $(($(wc -l <"$tsv") - 1)) rows in $tsv"
done
exit 0
