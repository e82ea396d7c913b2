#!/usr/bin/env bash
# bench/udp_bench.sh: pscan's UDP scan, UDP service detection and host
# discovery against nmap's on the same hosts, in one run.  Root only.
#
#   bench/udp_bench.sh [--runs N] [--sn-runs N] [--workloads u4,u6,sv,sn]
#                      [--tools pscan,nmap] [--pscan PATH] [--out DIR]
#
# Workloads (each run by every tool, one after the other, in a rotating order):
#   u4   -sU on one IPv4 host: Debian's UDP daemons, 30 closed ports, 5
#        ports dropped by nftables, one rejected with admin-prohibited
#   u6   the same over IPv6 (50 closed ports)
#   sv   -sU -sV on the daemons' ports, a silent bound port and a closed one
#   sn   -sn: 48 on-link IPv4 addresses (ARP), 48 on-link IPv6 (NDP), a
#        routed IPv4 /26 with the default probes, -PE and -PS443, and a
#        routed IPv6 /122
# --runs (default 1) is for u4, u6 and sv; --sn-runs (default 3) for sn.
#
# Command lines (pscan with its defaults; nmap with what makes the two scan
# the same thing):
#   pscan -sU -n -Pn -p PORTS ADDR            nmap -sU -n -Pn -p PORTS ADDR
#   pscan -sU -sV -n -Pn -p PORTS ADDR        nmap -sU -sV -n -Pn -p PORTS ADDR
#   pscan -sn -n [-PE|-PS443] TARGETS         nmap -sn -n [-PE|-PS443] TARGETS
# (nmap -6 for IPv6 targets; results by -oJ / -oX).  Retries and timing are
# each tool's defaults: pscan --max-retries 2, nmap's adaptive retries
# (up to 10) at -T3.
#
# The test bed: two namespaces of our own joined by one veth, nothing else.
#   scanner  psu-s-PID  198.18.0.1/24  2001:db8:1::1/64
#            routes 198.19.0.0/26 via 198.18.0.2, 2001:db8:2::/122 via ::2
#   target   psu-t-PID  198.18.0.2/24  2001:db8:1::2/64  (the UDP daemons)
#            + 16 of 198.18.0.64-111 and 16 of 2001:db8:1::40-6f (on-link
#            hosts up; 4 of each drop all IP: only ARP / NDP shows them)
#            local 198.19.0.0/26 and 2001:db8:2::/122 on lo (routed hosts,
#            shaped by nftables: which answer echo, TCP, timestamp, nothing)
# The scanner namespace has no other interface and no default route: every
# packet of every tool goes to the target namespace, and `ip route get`
# checks that before anything is sent.  Everything is removed on exit, also
# on failure or Ctrl-C.  The ground truth is the set-up itself; every tool
# is scored against it, not only against the other.
#
# Output: a table per workload on standard output and in OUT/table.txt,
# tool outputs and logs in OUT (default bench/out/udp-DATE).  Results and
# discussion: docs/performance.md, last section.
set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
# Everything below runs in a network namespace of its own (only lo, no route
# out; tests/lib/isolate.sh): nothing on the host can disturb the test bed.
. "$ROOT/tests/lib/isolate.sh"
isolate_reexec "$ROOT/bench/udp_bench.sh" "$@"

ARGS="$*"
RUNS=1
SN_RUNS=3
WORKLOADS=u4,u6,sv,sn
TOOLS=pscan,nmap
PSCAN=$ROOT/pscan
OUT=""

usage() {
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 1
}
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) RUNS=${2:-}; shift 2 ;;
    --sn-runs) SN_RUNS=${2:-}; shift 2 ;;
    --workloads) WORKLOADS=${2:-}; shift 2 ;;
    --tools) TOOLS=${2:-}; shift 2 ;;
    --pscan) PSCAN=${2:-}; shift 2 ;;
    --out) OUT=${2:-}; shift 2 ;;
    -h | --help) usage ;;
    *) echo "udp_bench: unknown argument '$1'" >&2; usage ;;
    esac
done
for v in RUNS SN_RUNS; do
    [[ "${!v}" =~ ^[0-9]+$ ]] && [ "${!v}" -ge 1 ] && [ "${!v}" -le 20 ] ||
        { echo "udp_bench: --$(tr 'A-Z_' 'a-z-' <<<"$v") '${!v}' is not in 1..20" >&2; exit 1; }
done
IFS=, read -r -a WL_LIST <<<"$WORKLOADS"
IFS=, read -r -a TOOL_LIST <<<"$TOOLS"
for w in "${WL_LIST[@]}"; do
    case "$w" in u4 | u6 | sv | sn) ;; *) echo "udp_bench: unknown workload '$w' (u4, u6, sv, sn)" >&2; exit 1 ;; esac
done
for t in "${TOOL_LIST[@]}"; do
    case "$t" in pscan | nmap) ;; *) echo "udp_bench: unknown tool '$t' (pscan, nmap)" >&2; exit 1 ;; esac
done
has_wl() { [[ ",$WORKLOADS," == *",$1,"* ]]; }

[ "$(id -u)" -eq 0 ] || { echo "udp_bench: needs root (namespaces, raw sockets)" >&2; exit 1; }
for c in ip nft ss python3 cc make timeout openssl dpkg-query nmap; do
    command -v "$c" >/dev/null || { echo "udp_bench: '$c' is missing (make deps)" >&2; exit 1; }
done

# ------------------------------------------------------------ build
RUNSTAT=$ROOT/build/bench/runstat
UDP_BIND=$ROOT/build/tests/tools/udp_bind
if [ "$PSCAN" = "$ROOT/pscan" ]; then
    make -s -C "$ROOT" pscan >/dev/null || { echo "udp_bench: build failed" >&2; exit 2; }
fi
[ -x "$PSCAN" ] || { echo "udp_bench: no pscan at '$PSCAN'" >&2; exit 1; }
PSCAN=$(realpath "$PSCAN")
make -s -C "$ROOT" build/tests/tools/udp_bind >/dev/null || { echo "udp_bench: building udp_bind failed" >&2; exit 2; }
mkdir -p "$ROOT/build/bench"
cc -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -o "$RUNSTAT" "$BENCH_DIR/lib/runstat.c" ||
    { echo "udp_bench: building runstat failed" >&2; exit 2; }

OUT=${OUT:-$ROOT/bench/out/udp-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$OUT/raw" "$OUT/run" || exit 2
OUT=$(realpath "$OUT")
D=$OUT/run # daemons' files, removed at the end

# ------------------------------------------------------------ the network
ID=$$
NS_S=psu-s-$ID NS_T=psu-t-$ID
IF_S=psus$ID IF_T=psut$ID
S4=198.18.0.1 T4=198.18.0.2
S6=2001:db8:1::1 T6=2001:db8:1::2
R4=198.19.0 R4_NET=198.19.0.0/26
R6=2001:db8:2: R6_NET=2001:db8:2::/122
# On-link hosts: 48 addresses each, 16 up, of which 4 drop all IP.
LINK4_TARGET=198.18.0.64-111
LINK4_UP=(64 65 66 70 71 77 80 83 90 91 92 99 100 104 110 111)
LINK4_MUTE=(70 83 99 110)
LINK6_TARGET=("2001:db8:1::40/123" "2001:db8:1::60/124")
LINK6_UP=(40 41 45 4a 4b 50 55 5a 5b 60 61 66 6a 6d 6e 6f)
LINK6_MUTE=(45 5a 61 6e)

_built=0
cleanup() {
    local ns pid _
    for ns in "$NS_T" "$NS_S"; do
        if ip netns list | grep -q "^$ns\b"; then
            for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
        fi
    done
    for _ in $(seq 100); do # 2 s for them to end, then SIGKILL
        [ -z "$(ip netns pids "$NS_T" 2>/dev/null)$(ip netns pids "$NS_S" 2>/dev/null)" ] && break
        sleep 0.02
    done
    for ns in "$NS_T" "$NS_S"; do
        if ip netns list | grep -q "^$ns\b"; then
            for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
            ip netns del "$ns" 2>/dev/null
        fi
        rm -rf "/etc/netns/$ns"
    done
    rm -rf "$D"
    _built=0
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

say() { printf 'udp_bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 2; }
in_s() { ip netns exec "$NS_S" "$@"; }
in_t() { ip netns exec "$NS_T" "$@"; }

wait_up() { # NS DEV: 2 s at most
    local _
    for _ in $(seq 100); do
        ip -n "$1" link show "$2" 2>/dev/null | grep -q LOWER_UP && return 0
        sleep 0.02
    done
    return 1
}

build_net() {
    local ns a
    for ns in "$NS_S" "$NS_T"; do
        ip netns add "$ns" || return 1
        mkdir -p "/etc/netns/$ns" && echo "hosts: files" >"/etc/netns/$ns/nsswitch.conf"
        ip -n "$ns" link set lo up || return 1
    done
    _built=1
    ip -n "$NS_S" link add "$IF_S" type veth peer name "$IF_T" netns "$NS_T" &&
        ip -n "$NS_S" addr add "$S4/24" dev "$IF_S" &&
        ip -n "$NS_S" -6 addr add "$S6/64" dev "$IF_S" nodad &&
        ip -n "$NS_T" addr add "$T4/24" dev "$IF_T" &&
        ip -n "$NS_T" -6 addr add "$T6/64" dev "$IF_T" nodad || return 1
    for a in "${LINK4_UP[@]}"; do ip -n "$NS_T" addr add "198.18.0.$a/24" dev "$IF_T" || return 1; done
    for a in "${LINK6_UP[@]}"; do ip -n "$NS_T" -6 addr add "2001:db8:1::$a/64" dev "$IF_T" nodad || return 1; done
    ip -n "$NS_S" link set "$IF_S" up && ip -n "$NS_T" link set "$IF_T" up || return 1
    wait_up "$NS_S" "$IF_S" && wait_up "$NS_T" "$IF_T" || { say "veth did not come up"; return 1; }
    ip -n "$NS_T" route add local "$R4_NET" dev lo &&
        ip -n "$NS_T" -6 route add local "$R6_NET" dev lo &&
        ip -n "$NS_S" route add "$R4_NET" via "$T4" dev "$IF_S" &&
        ip -n "$NS_S" -6 route add "$R6_NET" via "$T6" dev "$IF_S" || return 1
    # What answers what.  UDP: 20100-20104 dropped (open|filtered), 20200
    # rejected with admin-prohibited (filtered).  On-link: the "mute" hosts
    # drop all IP; ARP is not IP and NDP goes to a multicast address, so
    # both still show them.  Routed IPv4 (.0 and .25-.63 drop everything):
    #   .1-.8 plain; .9-.12 drop ICMP echo and timestamp; .13-.16 drop TCP;
    #   .17-.20 answer only ICMP timestamp; .21-.24 only a TCP ACK to 80.
    # Routed IPv6: ::1-::8 plain, ::9-::c drop ICMPv6 echo, ::0 and ::d-::3f all.
    local m4 m6
    m4=$(printf '198.18.0.%s, ' "${LINK4_MUTE[@]}") m6=$(printf '2001:db8:1::%s, ' "${LINK6_MUTE[@]}")
    in_t nft -f - <<EOF || return 1
table inet psubench {
    chain input {
        type filter hook input priority 0; policy accept;
        udp dport 20100-20104 drop
        meta nfproto ipv4 udp dport 20200 reject with icmp type admin-prohibited
        meta nfproto ipv6 udp dport 20200 reject with icmpv6 type admin-prohibited
        ip daddr { ${m4%, } } drop
        ip6 daddr { ${m6%, } } drop
        ip daddr $R4.9-$R4.12 icmp type { echo-request, timestamp-request } drop
        ip daddr $R4.13-$R4.16 meta l4proto tcp drop
        ip daddr $R4.17-$R4.20 icmp type timestamp-request accept
        ip daddr $R4.17-$R4.20 drop
        ip daddr $R4.21-$R4.24 tcp dport 80 tcp flags & (syn | ack) == ack accept
        ip daddr $R4.21-$R4.24 drop
        ip daddr { $R4.0, $R4.25-$R4.63 } drop
        ip6 daddr $R6:9-$R6:c icmpv6 type echo-request drop
        ip6 daddr { $R6:, $R6:d-$R6:3f } drop
    }
}
EOF
}

# route_check ADDR: ADDR is ours to scan and leaves the scanner namespace
# through our veth.
route_check() {
    local addr=$1 out dev
    case "$addr" in
    198.18.*.* | 198.19.*.* | 2001:db8:*) ;;
    *) say "route check: $addr is outside 198.18.0.0/15 and 2001:db8::/32"; return 1 ;;
    esac
    out=$(in_s ip route get "$addr" 2>&1 | head -n 1)
    dev=$(awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }' <<<"$out")
    [ "$dev" = "$IF_S" ] || { say "route check: $addr leaves through '${dev:-?}', not $IF_S ($out)"; return 1; }
}

# ------------------------------------------------------------ daemons
start_t() { # TAG CMD...: a daemon in the target namespace, in the background;
    local tag=$1 # $! is the daemon's PID (ip netns exec execs it)
    shift
    ip netns exec "$NS_T" "$@" >"$D/$tag.log" 2>&1 &
    disown "$!" # ended by PID in cleanup; no job report when it is
}
wait_udp() { # ADDR PORT: until something is bound there, or on a wildcard (3 s)
    local _ w
    case "$1" in *:*) w="[::]:$2" ;; *) w="0.0.0.0:$2" ;; esac
    for _ in $(seq 150); do
        in_t ss -lunH "sport = :$2" | grep -qF -e "$1" -e "$w" -e "*:$2" && return 0
        sleep 0.02
    done
    return 1
}
ver() { "$@" 2>&1 | head -n 1 | grep -o '[0-9][0-9.]*[0-9]' | head -n 1; }
pkgver() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null; }

# The DTLS servers.  openssl s_server -dtls1_2 -listen answers the first
# ClientHello without a cookie (a HelloVerifyRequest), then waits for that
# client's second ClientHello; every later first ClientHello, from anyone,
# is dropped as a retransmission (handshake message_seq 0 again).  A -sU
# probe never sends the second one, so each server answers exactly one
# probe until it is restarted: restart_dtls runs before every tool run, or
# whichever tool came first would be the only one to see 4433 open.
DTLS_PIDS=()
start_dtls() {
    local p a
    for p in 4433 4434; do
        start_t dtls4-$p openssl s_server -dtls1_2 -listen -accept "$T4:$p" -cert "$D/cert.pem" -key "$D/key.pem" -quiet
        DTLS_PIDS+=($!)
        start_t dtls6-$p openssl s_server -dtls1_2 -listen -accept "[$T6]:$p" -cert "$D/cert.pem" -key "$D/key.pem" -quiet
        DTLS_PIDS+=($!)
    done
    for a in "$T4" "$T6"; do
        for p in 4433 4434; do
            wait_udp "$a" "$p" || { say "DTLS server on $a udp $p did not start"; return 1; }
        done
    done
}
restart_dtls() {
    local pid _
    for pid in "${DTLS_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${DTLS_PIDS[@]}"; do
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
    done
    DTLS_PIDS=()
    start_dtls
}

start_daemons() {
    mkdir -p "$D/tftp"
    start_t dnsmasq dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
        --listen-address="$T4" --listen-address="$T6" --port=53 --user=root --pid-file="$D/dnsmasq.pid"
    start_t tftpd4 in.tftpd --foreground --listen --address "$T4:69" --user root --secure "$D/tftp"
    start_t tftpd6 in.tftpd --foreground --listen --address "[$T6]:69" --user root --secure "$D/tftp"
    printf 'port 123\ncmdport 0\nallow all\nlocal stratum 10\npidfile %s/chronyd.pid\n' "$D" >"$D/chrony.conf"
    start_t chronyd chronyd -d -x -u root -f "$D/chrony.conf"
    printf 'agentaddress udp:%s:161,udp6:[%s]:161\nrocommunity public\nrocommunity6 public\n' "$T4" "$T6" >"$D/snmpd.conf"
    start_t snmpd snmpd -f -Lo -C -c "$D/snmpd.conf" -p "$D/snmpd.pid" -u root
    start_t memcached memcached -U 11211 -p 0 -l "$T4,[$T6]" -u root
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=udpbench \
        -keyout "$D/key.pem" -out "$D/cert.pem" >/dev/null 2>&1 || return 1
    start_dtls || return 1
    local p a
    start_t silent4 "$UDP_BIND" -t 3600 "$T4" 5000
    start_t silent6 "$UDP_BIND" -6 -t 3600 "$T6" 5000
    for a in "$T4" "$T6"; do
        for p in 53 69 123 161 11211 4433 4434 5000; do
            wait_udp "$a" "$p" || { say "nothing bound on $a udp $p:"; tail -n 3 "$D"/*.log >&2; return 1; }
        done
    done
}

# ------------------------------------------------------------ runs
RUNS_TSV=$OUT/runs.tsv
printf 'workload\ttool\trun\twall\tuser\tsys\tstatus\tload1\tfile\n' >"$RUNS_TSV"
load1() { cut -d' ' -f1 /proc/loadavg; }

# run_tool WL TOOL RUN LIMIT ARGS...: one timed run of TOOL (pscan or nmap)
# in the scanner namespace with ARGS; result in OUT/raw/WL-TOOL-RUN.{json,xml}.
run_tool() {
    local wl=$1 tool=$2 run=$3 limit=$4 base file cmd
    shift 4
    base=$OUT/raw/$wl-$tool-$run
    case "$tool" in
    pscan) file=$base.json; cmd=("$PSCAN" "$@" -oJ "$file") ;;
    nmap) file=$base.xml; cmd=(nmap "$@" -oX "$file") ;;
    esac
    rm -f "$file"
    echo "${cmd[*]}" >"$base.cmd"
    local l
    l=$(load1)
    (cd "$D" && timeout -k 5 $((limit + 10)) ip netns exec "$NS_S" "$RUNSTAT" -t "$limit" -- "${cmd[@]}") \
        >"$base.out" 2>"$base.err" </dev/null
    local line kv wall="" user="" sys="" status="?" timeout=0
    line=$(tr '\r' '\n' <"$base.err" | grep -o 'runstat: .*' | tail -n 1)
    for kv in ${line#runstat: }; do
        case "${kv%%=*}" in
        wall) wall=${kv#*=} ;; user) user=${kv#*=} ;; sys) sys=${kv#*=} ;;
        status) status=${kv#*=} ;; timeout) timeout=${kv#*=} ;;
        esac
    done
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$wl" "$tool" "$run" "$wall" "$user" "$sys" "$status" "$l" "$file" >>"$RUNS_TSV"
    printf 'udp_bench: %-9s %-5s run %d: wall %6ss, cpu %ss+%ss, exit %s%s (load %s)\n' "$wl" "$tool" "$run" \
        "$wall" "$user" "$sys" "$status" "$([ "$timeout" = 1 ] && echo ', TIMED OUT')" "$l" >&2
}

# rounds WL NRUNS PAUSE LIMIT ARGS...: every tool NRUNS times, the order
# rotating each run; PAUSE seconds before each run (so that the target's
# ICMP token bucket is full again for each tool), neighbour caches flushed.
rounds() {
    local wl=$1 nruns=$2 pause=$3 limit=$4 run i n=${#TOOL_LIST[@]} extra=()
    shift 4
    for ((run = 1; run <= nruns; run++)); do
        for ((i = 0; i < n; i++)); do
            local tool=${TOOL_LIST[$(((i + run - 1) % n))]}
            extra=()
            [ "$tool" = nmap ] && [ "${FAM:-4}" = 6 ] && extra=(-6)
            in_s ip neigh flush dev "$IF_S" 2>/dev/null
            in_t ip neigh flush dev "$IF_T" 2>/dev/null
            if [[ "$wl" != sn* ]]; then restart_dtls || die "cannot restart the DTLS servers"; fi
            sleep "$pause"
            run_tool "$wl" "$tool" "$run" "$limit" "${extra[@]}" "$@"
        done
    done
}

# ------------------------------------------------------------ truth files
# Port workloads: "port<TAB>state<TAB>note", the state a perfect UDP
# scanner reports.
write_port_truth() { # FILE
    local p
    {
        printf '53\topen\tdnsmasq %s\n' "$(pkgver dnsmasq-base)"
        printf '69\topen\ttftpd-hpa %s (answers from another port)\n' "$(pkgver tftpd-hpa)"
        printf '123\topen\tchrony %s\n' "$(pkgver chrony)"
        printf '161\topen\tsnmpd %s, community public\n' "$(pkgver snmpd)"
        printf '4433\topen\topenssl s_server -dtls1_2 -listen (%s)\n' "$(pkgver openssl)"
        printf '4434\topen|filtered\tthe same DTLS server: bound, silent to an empty datagram\n'
        printf '5000\topen|filtered\tbound socket that never answers\n'
        printf '11211\topen\tmemcached -U %s\n' "$(pkgver memcached)"
        for p in $(seq 20100 20104); do printf '%d\topen|filtered\tdropped by nftables\n' "$p"; done
        printf '20200\tfiltered\trejected, ICMP admin-prohibited\n'
    } >"$1"
}

# ------------------------------------------------------------ the report
PY=$(
    cat <<'PYEOF'
import ipaddress, json, statistics, sys, xml.etree.ElementTree as ET

def expand(spec):
    out = []
    for part in spec.split(','):
        if '-' in part:
            lo, hi = part.split('-')
            out += range(int(lo), int(hi) + 1)
        elif part:
            out.append(int(part))
    return out

def load_ports(tool, path, proto, wanted):
    """port -> dict(state, reason, name, product, version); folded states filled in."""
    res, folded = {}, []
    try:
        if tool == 'pscan':
            for line in open(path):
                try:
                    o = json.loads(line)
                except ValueError:
                    continue
                if o.get('type') != 'host':
                    continue
                for p in o.get('ports') or []:
                    if p.get('proto') != proto:
                        continue
                    s = p.get('service') or {}
                    name = s.get('name') or ''
                    if name and s.get('tls'):
                        name = 'ssl/' + name
                    res[p['port']] = dict(state=p['state'], reason=p.get('reason', ''), name=name,
                                          product=s.get('product') or '', version=s.get('version') or '',
                                          extra=s.get('info') or '')
                for h in o.get('hidden') or []:
                    if h.get('proto') == proto:
                        folded.append((h['state'], h.get('reason', ''), None))
        else:
            root = ET.parse(path).getroot()
            for host in root.iter('host'):
                ports = host.find('ports')
                if ports is None:
                    continue
                for ep in ports.findall('extraports'):
                    for er in ep.findall('extrareasons'):
                        if er.get('proto', proto) == proto:
                            folded.append((ep.get('state'), er.get('reason', ''), er.get('ports')))
                for p in ports.findall('port'):
                    if p.get('protocol') != proto:
                        continue
                    st, sv = p.find('state'), p.find('service')
                    name = prod = ver = extra = ''
                    if sv is not None and sv.get('method') == 'probed':
                        name = sv.get('name', '')
                        if sv.get('tunnel') == 'ssl':
                            name = 'ssl/' + name
                        prod, ver, extra = sv.get('product', ''), sv.get('version', ''), sv.get('extrainfo', '')
                    res[int(p.get('portid'))] = dict(state=st.get('state'), reason=st.get('reason', ''),
                                                     name=name, product=prod, version=ver, extra=extra)
    except (OSError, ET.ParseError):
        return None
    rest = [p for p in wanted if p not in res]
    for state, reason, plist in folded:
        if plist:
            for p in expand(plist):
                if p in rest:
                    res[p] = dict(state=state, reason=reason + ' (folded)', name='', product='', version='', extra='')
    rest = [p for p in wanted if p not in res]
    unlisted = [f for f in folded if not f[2]]
    for p in rest:
        if len(unlisted) == 1:
            res[p] = dict(state=unlisted[0][0], reason=unlisted[0][1] + ' (folded)', name='', product='', version='', extra='')
        else:
            res[p] = dict(state='?', reason='not reported', name='', product='', version='', extra='')
    return res

def load_up(tool, path):
    ups = set()
    try:
        if tool == 'pscan':
            for line in open(path):
                try:
                    o = json.loads(line)
                except ValueError:
                    continue
                if o.get('type') == 'host' and o.get('status') == 'up':
                    ups.add(ipaddress.ip_address(o['host']))
        else:
            root = ET.parse(path).getroot()
            for host in root.iter('host'):
                st = host.find('status')
                if st is None or st.get('state') != 'up':
                    continue
                for a in host.findall('address'):
                    if a.get('addrtype') in ('ipv4', 'ipv6'):
                        ups.add(ipaddress.ip_address(a.get('addr')))
    except (OSError, ET.ParseError):
        return None
    return ups

def runs_of(runs_tsv, wl):
    rows = []
    with open(runs_tsv) as f:
        head = f.readline().rstrip('\n').split('\t')
        for line in f:
            r = dict(zip(head, line.rstrip('\n').split('\t')))
            if r['workload'] == wl:
                rows.append(r)
    return rows

def fnum(x):
    try:
        return float(x)
    except ValueError:
        return float('nan')

def timing(rows, tools):
    print('  %-6s %4s %9s %9s  %s' % ('tool', 'runs', 'wall s', 'cpu s', 'each run: wall s (exit status, load average)'))
    for t in tools:
        rs = [r for r in rows if r['tool'] == t]
        if not rs:
            continue
        walls = [fnum(r['wall']) for r in rs]
        cpus = [fnum(r['user']) + fnum(r['sys']) for r in rs]
        each = ', '.join('%.2f (%s, %s)' % (fnum(r['wall']), r['status'], r['load1']) for r in rs)
        print('  %-6s %4d %9.2f %9.2f  %s' % (t, len(rs), statistics.median(walls), statistics.median(cpus), each))
    print('  (median of the runs; cpu = user + sys of the tool)')

def short(d):
    return d['state'] + ('' if not d['reason'] else ' (' + d['reason'] + ')')

def report_ports(wl, runs_tsv, truth_file, proto, tools):
    truth, notes = {}, {}
    for line in open(truth_file):
        p, st, note = line.rstrip('\n').split('\t')
        truth[int(p)], notes[int(p)] = st, note
    wanted = sorted(truth)
    rows = runs_of(runs_tsv, wl)
    timing(rows, tools)
    nruns = max([int(r['run']) for r in rows] or [0])
    for run in range(1, nruns + 1):
        got = {}
        for t in tools:
            r = [x for x in rows if x['tool'] == t and int(x['run']) == run]
            if r:
                got[t] = load_ports(t, r[0]['file'], proto, wanted)
        print('  run %d, %d ports:' % (run, len(wanted)))
        states = ['open', 'open|filtered', 'filtered', 'closed']
        print('    %-14s %6s' % ('state', 'truth') + ''.join(' %14s' % t for t in got))
        for st in states:
            n = sum(1 for p in wanted if truth[p] == st)
            line = '    %-14s %6d' % (st, n)
            for t, res in got.items():
                if res is None:
                    line += ' %14s' % 'no output'
                    continue
                hit = sum(1 for p in wanted if truth[p] == st and res[p]['state'] == st)
                said = sum(1 for p in wanted if res[p]['state'] == st)
                line += ' %14s' % ('%d/%d (+%d)' % (hit, n, said - hit) if said > hit else '%d/%d' % (hit, n))
            print(line)
        line = '    %-14s %6s' % ('accuracy', '')
        for t, res in got.items():
            ok = 0 if res is None else sum(1 for p in wanted if res[p]['state'] == truth[p])
            line += ' %14s' % ('%d/%d' % (ok, len(wanted)))
        print(line)
        print('    (per state: ports of that state reported so / ports of that state; (+N): N more ports reported so wrongly)')
        if len(got) == 2 and None not in got.values():
            a, b = list(got)
            agree = sum(1 for p in wanted if got[a][p]['state'] == got[b][p]['state'])
            print('    %s and %s agree on %d/%d ports' % (a, b, agree, len(wanted)))
        bad = [p for p in wanted if any(res is None or res[p]['state'] != truth[p] for res in got.values())
               or len(set(res[p]['state'] for res in got.values() if res)) > 1]
        if bad:
            print('    disagreements (with the truth or between the tools):')
            for p in bad:
                print('      %5d/%s truth %-14s ' % (p, proto, truth[p]) +
                      '  '.join('%s: %s' % (t, 'no output' if res is None else short(res[p])) for t, res in got.items()) +
                      '  [' + notes.get(p, 'closed port') + ']')
        else:
            print('    no disagreement')

def report_sv(wl, runs_tsv, truth_file, tools):
    truth = {}
    for line in open(truth_file):
        f = line.rstrip('\n').split('\t')
        truth[int(f[0])] = f[1:]
    wanted = sorted(truth)
    rows = runs_of(runs_tsv, wl)
    timing(rows, tools)
    nruns = max([int(r['run']) for r in rows] or [0])
    r = {t: [x for x in rows if x['tool'] == t and int(x['run']) == nruns] for t in tools}
    got = {t: load_ports(t, r[t][0]['file'], 'udp', wanted) for t in tools if r[t]}
    print('  run %d: state, service, product, version per port: + right, x wrong, . nothing to find' % nruns)
    print('  %-6s %-30s' % ('port', 'truth') + ''.join(' %-6s' % t for t in got))
    score = {t: [0, 0] for t in got}
    for p in wanted:
        st, svc, prod, ver, note = truth[p]
        line = '  %-6d %-30s' % (p, '%s %s %s %s' % (st, svc, prod, ver))
        for t, res in got.items():
            if res is None:
                line += ' %-6s' % 'fail'
                continue
            d = res[p]
            marks = ''
            marks += '+' if d['state'] == st else 'x'
            # service: the protocol's name; "-" = nothing to name (a tool naming something is wrong)
            okname = [n for n in svc.split('/')] if svc != '-' else ['']
            marks += '+' if d['name'] in okname else 'x'
            if prod == '-':
                marks += '.'
            else:
                marks += '+' if prod.lower() in d['product'].lower() and d['product'] else 'x'
            if ver == '-':
                marks += '.'
            else:
                marks += '+' if ver in d['version'] and d['version'] else 'x'
            for c in marks:
                if c != '.':
                    score[t][1] += 1
                    score[t][0] += c == '+'
            line += ' %-6s' % marks
        print(line)
    print('  %-37s' % 'right / scored' + ''.join(' %-6s' % ('%d/%d' % tuple(score[t])) for t in got))
    print('  what each tool said (state | service | product | version | extra):')
    for p in wanted:
        st, svc, prod, ver, note = truth[p]
        print('    %d/udp  truth: %s | %s | %s | %s  [%s]' % (p, st, svc, prod, ver, note))
        for t, res in got.items():
            d = res[p] if res else dict(state='no output', name='', product='', version='', extra='')
            print('      %-6s %s | %s | %s | %s | %s' % (t, d['state'], d['name'] or '-', d['product'] or '-',
                                                         d['version'] or '-', d['extra'] or '-'))

def report_up(wl, runs_tsv, truth_file, tools):
    lines = [l.strip() for l in open(truth_file)]
    ntargets = int(lines[0].split()[1])
    truth = set(ipaddress.ip_address(l) for l in lines[1:] if l)
    rows = runs_of(runs_tsv, wl)
    timing(rows, tools)
    print('  %d addresses, %d up' % (ntargets, len(truth)))
    nruns = max([int(r['run']) for r in rows] or [0])
    for run in range(1, nruns + 1):
        got = {}
        for t in tools:
            r = [x for x in rows if x['tool'] == t and int(x['run']) == run]
            if r:
                got[t] = load_up(t, r[0]['file'])
        parts = []
        for t, ups in got.items():
            if ups is None:
                parts.append('%s: no output' % t)
                continue
            miss, extra = sorted(truth - ups), sorted(ups - truth)
            s = '%s %d/%d up found' % (t, len(truth & ups), len(truth))
            if extra:
                s += ', %d wrongly up' % len(extra)
            if miss:
                s += ', missed ' + ' '.join(str(a) for a in miss)
            if extra:
                s += ', wrongly up ' + ' '.join(str(a) for a in extra)
            parts.append(s)
        sets = [u for u in got.values() if u is not None]
        agree = len(sets) == len(got) and all(u == sets[0] for u in sets)
        print('  run %d: %s; %s' % (run, '; '.join(parts), 'tools agree' if agree else 'TOOLS DISAGREE'))

cmd = sys.argv[1]
tools = sys.argv[5].split(',')
if cmd == 'ports':
    report_ports(sys.argv[2], sys.argv[3], sys.argv[4], 'udp', tools)
elif cmd == 'sv':
    report_sv(sys.argv[2], sys.argv[3], sys.argv[4], tools)
elif cmd == 'up':
    report_up(sys.argv[2], sys.argv[3], sys.argv[4], tools)
PYEOF
)
report() { python3 -c "$PY" "$@" "$TOOLS"; }

# ------------------------------------------------------------ set-up
build_net || die "building the test bed failed"
for a in "$T4" "$T6" 198.18.0.64 198.18.0.111 "198.18.0.$((64 + RANDOM % 48))" 2001:db8:1::40 2001:db8:1::6f \
    "$R4.0" "$R4.1" "$R4.63" "$R6:" "$R6:1" "$R6:3f"; do
    route_check "$a" || die "refusing to scan: route check failed"
done
start_daemons || die "a daemon did not start"

HOSTNOTE="$(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), kernel $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")"
{
    echo "pscan UDP / -sV / -sn benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "machine: $HOSTNOTE; shared with other jobs (load below)"
    echo "command: bench/udp_bench.sh $ARGS"
    echo "pscan: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') ($("$PSCAN" -V 2>&1 | head -n 1))"
    echo "nmap: $(nmap --version | head -n 1)"
    echo "daemons: dnsmasq $(pkgver dnsmasq-base), tftpd-hpa $(pkgver tftpd-hpa), chrony $(pkgver chrony), snmpd $(pkgver snmpd), memcached $(pkgver memcached), openssl $(pkgver openssl)"
    echo "target: $T4 and $T6 in namespace $NS_T; scanner namespace $NS_S ($S4, $S6)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
} | tee "$OUT/header.txt"

U4_PORTS=53,69,123,161,4433,4434,5000,11211,20000-20029,20100-20104,20200
U6_PORTS=53,69,123,161,4433,4434,5000,11211,20000-20049,20100-20104,20200
SV_PORTS=53,69,123,161,4433,4434,5000,11211,20000

# ------------------------------------------------------------ u4, u6
if has_wl u4; then
    write_port_truth "$OUT/truth-u4.tsv"
    for p in $(seq 20000 20029); do printf '%d\tclosed\tclosed port\n' "$p"; done >>"$OUT/truth-u4.tsv"
    # 7 s before each run: the target's per-peer ICMP bucket (6 tokens, 1/s) refills.
    FAM=4 rounds u4 "$RUNS" 7 300 -sU -n -Pn -p "$U4_PORTS" "$T4"
fi
if has_wl u6; then
    write_port_truth "$OUT/truth-u6.tsv"
    for p in $(seq 20000 20049); do printf '%d\tclosed\tclosed port\n' "$p"; done >>"$OUT/truth-u6.tsv"
    FAM=6 rounds u6 "$RUNS" 2 300 -sU -n -Pn -p "$U6_PORTS" "$T6"
fi

# ------------------------------------------------------------ sv
if has_wl sv; then
    # Versions from the packages; "-" where the wire does not carry them.
    {
        printf '53\topen\tdomain\tdnsmasq\t%s\tdnsmasq answers version.bind with its version\n' "$(ver dnsmasq --version)"
        printf '69\topen\ttftp\t-\t-\ttftpd-hpa %s: an error packet, no product or version\n' "$(pkgver tftpd-hpa)"
        printf '123\topen\tntp\t-\t-\tchrony %s: NTP packets carry no product or version\n' "$(pkgver chrony)"
        printf '161\topen\tsnmp\tnet-snmp\t-\tsnmpd %s: enterprise 8072 in the engine ID; its version is not on the wire (sysDescr is the kernel)\n' "$(pkgver snmpd)"
        printf '4433\topen\tdtls\t-\t-\topenssl %s s_server: a HelloVerifyRequest names no product\n' "$(pkgver openssl)"
        printf '4434\topen\tdtls\t-\t-\tthe same DTLS server on a port without a registered DTLS use\n'
        printf '5000\topen|filtered\t-\t-\t-\ta bound socket that never answers\n'
        printf '11211\topen\tmemcached\tmemcached\t%s\tmemcached stats carry the version\n' "$(ver memcached -V)"
        printf '20000\tclosed\t-\t-\t-\tclosed port\n'
    } >"$OUT/truth-sv.tsv"
    FAM=4 rounds sv "$RUNS" 7 900 -sU -sV -n -Pn -p "$SV_PORTS" "$T4"
fi

# ------------------------------------------------------------ sn
if has_wl sn; then
    { echo "# 48"; for a in "${LINK4_UP[@]}"; do echo "198.18.0.$a"; done; } >"$OUT/truth-sn-arp.tsv"
    FAM=4 rounds sn-arp "$SN_RUNS" 0.2 120 -sn -n "$LINK4_TARGET"
    { echo "# 48"; for a in "${LINK6_UP[@]}"; do echo "2001:db8:1::$a"; done; } >"$OUT/truth-sn-nd.tsv"
    FAM=6 rounds sn-nd "$SN_RUNS" 0.2 120 -sn -n "${LINK6_TARGET[@]}"
    { echo "# 64"; for a in $(seq 1 24); do echo "$R4.$a"; done; } >"$OUT/truth-sn-r4.tsv"
    FAM=4 rounds sn-r4 "$SN_RUNS" 0.2 120 -sn -n "$R4_NET"
    { echo "# 64"; for a in $(seq 1 8) $(seq 13 16); do echo "$R4.$a"; done; } >"$OUT/truth-sn-r4-PE.tsv"
    FAM=4 rounds sn-r4-PE "$SN_RUNS" 0.2 120 -sn -n -PE "$R4_NET"
    { echo "# 64"; for a in $(seq 1 12); do echo "$R4.$a"; done; } >"$OUT/truth-sn-r4-PS.tsv"
    FAM=4 rounds sn-r4-PS "$SN_RUNS" 0.2 120 -sn -n -PS443 "$R4_NET"
    { echo "# 64"; for a in $(seq 1 12); do printf '%s:%x\n' "$R6" "$a"; done; } >"$OUT/truth-sn-r6.tsv"
    FAM=6 rounds sn-r6 "$SN_RUNS" 0.2 120 -sn -n "$R6_NET"
fi

# ------------------------------------------------------------ report
{
    describe() {
        case "$1" in
        u4) echo "u4: -sU, $T4, $U4_PORTS (44 ports)" ;;
        u6) echo "u6: -sU, $T6, $U6_PORTS (64 ports)" ;;
        sv) echo "sv: -sU -sV, $T4, $SV_PORTS" ;;
        sn-arp) echo "sn-arp: -sn, $LINK4_TARGET on the link (ARP)" ;;
        sn-nd) echo "sn-nd: -sn, ${LINK6_TARGET[*]} on the link (NDP)" ;;
        sn-r4) echo "sn-r4: -sn, $R4_NET routed, default probes" ;;
        sn-r4-PE) echo "sn-r4-PE: -sn -PE, $R4_NET routed" ;;
        sn-r4-PS) echo "sn-r4-PS: -sn -PS443, $R4_NET routed" ;;
        sn-r6) echo "sn-r6: -sn, $R6_NET routed, default probes" ;;
        esac
    }
    for w in u4 u6; do
        has_wl "$w" || continue
        describe "$w"
        report ports "$w" "$RUNS_TSV" "$OUT/truth-$w.tsv"
        echo
    done
    if has_wl sv; then
        describe sv
        report sv sv "$RUNS_TSV" "$OUT/truth-sv.tsv"
        echo
    fi
    if has_wl sn; then
        for w in sn-arp sn-nd sn-r4 sn-r4-PE sn-r4-PS sn-r6; do
            describe "$w"
            report up "$w" "$RUNS_TSV" "$OUT/truth-$w.tsv"
            echo
        done
    fi
    echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/summary.txt"
cat "$OUT/header.txt" "$OUT/summary.txt" >"$OUT/table.txt"
echo
cat "$OUT/summary.txt"
echo "outputs in $OUT"
