#!/usr/bin/env bash
# bench/sv_scale.sh: -sV at audit scale, the same answer on every host.
#
#   bench/sv_scale.sh [--nets 26,24] [--nmap 26] [--cost] [--limits] [--pscan PATH] [--out DIR]
#
# Twelve real Debian daemons (tests/lib/daemons.sh: sshd, vsftpd, postfix,
# dovecot imap/pop3 with and without TLS, nginx HTTP and HTTPS, redis,
# memcached, mariadb, postgresql) bound to 0.0.0.0 in a test namespace
# whose whole 198.19.X.0/24 is local (tb_create --local): every address of
# it is a host running the same twelve, served by the same processes, the
# way servers behind one load balancer are.
#
#  1. the reference: pscan -sV of one host (X.9);
#  2. pscan -sV -Pn of each --nets prefix (X.0/26, X.0/24): every host's
#     (port, service, product, version) must equal the reference's; prints
#     the hosts and services that differ, how each result was reached
#     (first pass, retry, gave up) and the wall time;
#  3. nmap -sV -T4 -Pn on each --nmap prefix (default the /26; a /24 takes
#     nmap about 7 minutes), scored the same way, and the wall-time ratio;
#  4. --cost: a listener with 388 more ports (an SSH banner each) makes the
#     /24 400 services a host, 102,400 in all; one pscan -sV run over all of
#     them, with wall time, services per second, peak RSS (GNU time) and
#     peak open descriptors (sampled from /proc every 100 ms).
#
# --limits: the daemons that can be told to take few clients at once are
# (tests/lib/daemons.sh, DM_LIMITS=1: sshd MaxStartups 2, dovecot's login
# services process_limit 2, vsftpd max_per_ip 2), the connection-limited
# servers of issue 16; e.g. --limits --nets 28 --nmap "".
#
# Root only; everything is removed on exit.  Results: docs/performance-sv.md.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/lib/isolate.sh"
isolate_reexec "$ROOT/bench/sv_scale.sh" "$@"
cd "$ROOT" || exit 2
. tests/lib/common.sh
. tests/lib/netns.sh
. tests/lib/daemons.sh

NETS=26,24
NMAP_NETS=26
COST=0
PSCAN_BIN=$PSCAN
OUTDIR=""
usage() {
    sed -n '4p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 1
}
while [ $# -gt 0 ]; do
    case "$1" in
    --nets) NETS=${2:-}; shift 2 ;;
    --nmap) NMAP_NETS=${2:-}; shift 2 ;;
    --cost) COST=1; shift ;;
    --limits) export DM_LIMITS=1; shift ;;
    --pscan) PSCAN_BIN=${2:-}; shift 2 ;;
    --out) OUTDIR=${2:-}; shift 2 ;;
    -h | --help) usage ;;
    *) echo "sv_scale: unknown option '$1'" >&2; usage ;;
    esac
done
for b in ${NETS//,/ } ${NMAP_NETS//,/ }; do
    case "$b" in 24 | 25 | 26 | 27 | 28 | 29 | 30 | 31 | 32) ;;
    *) echo "sv_scale: prefix lengths are 24..32 (the namespace's /24), not '$b'" >&2; exit 1 ;;
    esac
done
[ "$(id -u)" -eq 0 ] || { echo "sv_scale: needs root (network namespaces)" >&2; exit 1; }
for c in ip ss jq timeout /usr/bin/time; do
    command -v "$c" >/dev/null || { echo "sv_scale: needs $c (make deps)" >&2; exit 1; }
done
[ -x "$PSCAN_BIN" ] || { echo "sv_scale: no pscan at $PSCAN_BIN (make)" >&2; exit 1; }
[ -n "$NMAP_NETS" ] && ! command -v nmap >/dev/null && { echo "sv_scale: nmap not installed" >&2; exit 1; }
[ -n "$OUTDIR" ] || OUTDIR=$ROOT/bench/out/sv-scale-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$OUTDIR" || exit 2

tb_create svscale --local || { echo "sv_scale: cannot create the test host" >&2; exit 2; }
PFX=$TB_LOCAL_PFX
for last in 0 9 255; do
    tb_route_check "$PFX$last" "$TB_VH" || { echo "sv_scale: $PFX$last is not routed via $TB_VH" >&2; exit 2; }
done
dm_setup || exit 2
DM_ADDR=0.0.0.0 # every address of the local /24
for spec in "ssh 2740" "ftp 2741" "smtp 2742" "mail 2743 2744 2745 2746" "http 2747 2748" \
    "redis 2749" "memcached 2751" "mysql 2752" "postgresql 2753"; do
    # shellcheck disable=SC2086
    dm_start $spec || echo "# ${spec%% *}: not started, left out"
done
dm_wait 40 || echo "# some daemons did not come up: they are left out"
ports=()
for p in "${DM_PORTS[@]}"; do dm_port_ok "$p" && ports+=("$p"); done
[ ${#ports[@]} -gt 0 ] || { echo "sv_scale: no daemon came up" >&2; exit 2; }
plist=$(IFS=,; echo "${ports[*]}")
echo "# ${#ports[@]} daemons on $plist, every address of ${PFX}0/24"

# rows JSONL: "host port service|product|version" per open port.
rows() {
    jq -r 'select(.type == "host") | .host as $a | .ports[] | select(.state == "open") |
        "\($a)\t\(.port)\t\(if .service.tls then "ssl/" else "" end)\(.service.name // "")|\(.service.product // "")|\(.service.version // "")"' "$1"
}
# nmap_rows XML: the same from nmap's -oX (a table guess counts as nothing).
nmap_rows() {
    python3 - "$1" <<'EOF'
import sys, xml.etree.ElementTree as ET
for h in ET.parse(sys.argv[1]).getroot().iter("host"):
    a = h.find("address").get("addr")
    for p in h.iter("port"):
        if p.find("state").get("state") != "open":
            continue
        s = p.find("service")
        name = prod = ver = ""
        if s is not None and s.get("method") == "probed":
            name = ("ssl/" if s.get("tunnel") == "ssl" else "") + s.get("name", "")
            prod, ver = s.get("product", ""), s.get("version", "")
        print(a, p.get("portid"), f"{name}|{prod}|{ver}", sep="\t")
EOF
}
# score ROWS REF HOSTS: services equal to the reference's, the rest listed.
score() {
    local rows=$1 ref=$2 hosts=$3 want got same
    want=$((hosts * ${#ports[@]}))
    same=$(awk -F'\t' 'NR == FNR { r[$2] = $3; next } r[$2] == $3 { n++ } END { print n + 0 }' "$ref" "$rows")
    got=$(wc -l <"$rows")
    echo "  services: $got reported of $want, $same equal to the single host's"
    awk -F'\t' 'NR == FNR { r[$2] = $3; next } r[$2] != $3 { d[$2 " " $3 "  (one host: " r[$2] ")"]++ }
        END { for (k in d) print "    " d[k] " x " k }' "$ref" "$rows" | sort -k3n | head -20
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# 1. the reference
"$PSCAN_BIN" -n -q -sV -Pn -p "$plist" "${PFX}9" -oJ "$OUTDIR/ref.jsonl" >/dev/null 2>"$OUTDIR/ref.err"
rows "$OUTDIR/ref.jsonl" >"$OUTDIR/ref.rows"
echo "== one host (${PFX}9): $(wc -l <"$OUTDIR/ref.rows") services"
sed 's/^/  /' "$OUTDIR/ref.rows"

# 2. pscan on each prefix
declare -A PS_MS=()
for b in ${NETS//,/ }; do
    net=${PFX}0/$b hosts=$((1 << (32 - b)))
    t0=$(now_ms)
    timeout 1200 "$PSCAN_BIN" -n -q -sV -Pn -p "$plist" "$net" -oJ "$OUTDIR/p$b.jsonl" >/dev/null 2>"$OUTDIR/p$b.err"
    rc=$? PS_MS[$b]=$(($(now_ms) - t0))
    rows "$OUTDIR/p$b.jsonl" >"$OUTDIR/p$b.rows"
    echo "== pscan -sV $net: exit $rc, $hosts hosts, wall $((PS_MS[$b] / 1000)).$(printf %03d $((PS_MS[$b] % 1000))) s"
    score "$OUTDIR/p$b.rows" "$OUTDIR/ref.rows" "$hosts"
    echo "  passes: $(jq -r 'select(.type == "host") | .ports[] | select(.service) | .service.pass + (if .service.retry_why then "(" + .service.retry_why + ")" else "" end)' \
        "$OUTDIR/p$b.jsonl" | sort | uniq -c | awk '{ printf "%s %s, ", $1, $2 }')"
done

# 3. nmap on each --nmap prefix
for b in ${NMAP_NETS//,/ }; do
    net=${PFX}0/$b hosts=$((1 << (32 - b)))
    t0=$(now_ms)
    timeout 3600 nmap -n -sV -T4 -Pn -p "$plist" "$net" -oX "$OUTDIR/n$b.xml" >/dev/null 2>"$OUTDIR/n$b.err"
    rc=$? ms=$(($(now_ms) - t0))
    nmap_rows "$OUTDIR/n$b.xml" >"$OUTDIR/n$b.rows"
    echo "== nmap -sV -T4 $net: exit $rc, wall $((ms / 1000)).$(printf %03d $((ms % 1000))) s"
    score "$OUTDIR/n$b.rows" "$OUTDIR/ref.rows" "$hosts"
    [ -n "${PS_MS[$b]:-}" ] && awk -v p="${PS_MS[$b]}" -v n="$ms" 'BEGIN { printf "  pscan/nmap wall: %.3f (%.1fx faster)\n", p / n, n / p }'
done

# 4. cost: 102,400 services
if [ "$COST" -eq 1 ]; then
    extra=$(seq 20001 20388 | tr '\n' ' ')
    # shellcheck disable=SC2086
    in_ns "$TB_NS" "$LISTENER" -t 1800 -b "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3" 0.0.0.0 $extra \
        >"$OUTDIR/listener.out" 2>&1 &
    lpid=$!
    at_exit "kill $lpid 2>/dev/null"
    for _ in $(seq 100); do grep -q '^ready' "$OUTDIR/listener.out" 2>/dev/null && break; sleep 0.1; done
    grep -q '^ready' "$OUTDIR/listener.out" || { echo "sv_scale: the listener did not start" >&2; exit 2; }
    all="$plist,20001-20388" n=$((256 * (${#ports[@]} + 388)))
    t0=$(now_ms)
    /usr/bin/time -f '%M' -o "$OUTDIR/cost.rss" timeout 3600 "$PSCAN_BIN" -n -q -sV -Pn -p "$all" \
        "${PFX}0/24" -oJ "$OUTDIR/cost.jsonl" >/dev/null 2>"$OUTDIR/cost.err" &
    tpid=$! peak=0
    while kill -0 "$tpid" 2>/dev/null; do
        pid=$(pgrep -n -x pscan) && f=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l) && [ "$f" -gt "$peak" ] && peak=$f
        sleep 0.1
    done
    wait "$tpid"
    rc=$? ms=$(($(now_ms) - t0))
    named=$(jq -r 'select(.type == "host") | .ports[] | select(.state == "open" and .service.name != null) | .port' "$OUTDIR/cost.jsonl" | wc -l)
    open=$(jq -r 'select(.type == "host") | .ports[] | select(.state == "open") | .port' "$OUTDIR/cost.jsonl" | wc -l)
    echo "== cost: pscan -sV ${PFX}0/24 x $((${#ports[@]} + 388)) ports = $n services: exit $rc"
    awk -v ms="$ms" -v n="$n" -v o="$open" -v s="$named" -v r="$(cat "$OUTDIR/cost.rss")" -v f="$peak" 'BEGIN {
        printf "  wall %.1f s, %.0f services/s, %d open, %d named, peak RSS %.1f MiB, peak descriptors %d\n",
            ms / 1000, n / (ms / 1000), o, s, r / 1024, f }'
fi
echo "# outputs in $OUTDIR"
