#!/usr/bin/env bash
# bench/sv_bench.sh: version detection (-sV) of pscan and nmap on real daemons.
#
#   bench/sv_bench.sh [--runs N] [--tools pscan,pscan-nmapdb,nmap] [--no-silent]
#                     [--pscan PATH] [--out DIR]
#
# The daemons of tests/integration/sv_truth.sh (tests/lib/daemons.sh: sshd,
# vsftpd, postfix, dovecot with and without TLS, nginx HTTP and HTTPS, two
# redis, memcached, mariadb, postgresql, a listener that closes at once and
# one that never speaks), on ports that are not theirs, in a test namespace.
# Tools, one after the other (never side by side, so none slows another):
#
#   pscan         pscan -sV                      (its own probes/)
#   pscan-nmapdb  pscan -sV --probe-db /usr/share/nmap/nmap-service-probes
#   nmap          nmap -sV                        (7.93 here)
#
# each N times (default 1; the wall time printed is the median).  Then a
# table: per port, for each tool, whether the service name, product and
# version are right (+), wrong (x), or not applicable (.: no version on the
# wire), scored on the last run, and a second table with what each tool
# said.  --no-silent leaves out the silent listener, on which nmap spends
# most of its time (it waits out every probe).  Root only; everything is
# removed on exit.  Results and discussion: docs/performance-sv.md.
#
# Scoring.  SERVICE: exact, "ssl/NAME" through TLS ("ssl/imaps" counts as
# "ssl/imap"); for the silent port, right only when the tool named nothing
# (nmap's table guess, method="table", counts as nothing).  PRODUCT: the
# software, under either tool's name for it ("Redis key-value store" and
# "Redis", "PostgreSQL DB" and "PostgreSQL"; MariaDB is right when "MariaDB"
# appears in product or version, as nmap writes "MySQL 5.5.5-10.11.19-
# MariaDB-..."); for tcpwrapped and silent, right when empty.  VERSION: where
# the daemon sends one, right when the tool's version contains it.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# Everything below runs in a network namespace of its own (only lo, no route
# out; tests/lib/isolate.sh): nothing on the host can disturb the test bed.
. "$ROOT/tests/lib/isolate.sh"
isolate_reexec "$ROOT/bench/sv_bench.sh" "$@"
cd "$ROOT" || exit 2
# common.sh names its temp dir after $0; keep the bench's apart.
. tests/lib/common.sh
. tests/lib/netns.sh
. tests/lib/daemons.sh

RUNS=1
TOOLS=pscan,pscan-nmapdb,nmap
SILENT=1
PSCAN_BIN=$PSCAN
OUTDIR=""
NMAP_DB=/usr/share/nmap/nmap-service-probes

usage() {
    sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 1
}
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) RUNS=${2:-}; shift 2 ;;
    --tools) TOOLS=${2:-}; shift 2 ;;
    --no-silent) SILENT=0; shift ;;
    --pscan) PSCAN_BIN=${2:-}; shift 2 ;;
    --out) OUTDIR=${2:-}; shift 2 ;;
    -h | --help) usage ;;
    *) echo "sv_bench: unknown option '$1'" >&2; usage ;;
    esac
done
case "$RUNS" in '' | *[!0-9]*) echo "sv_bench: --runs wants 1..20, not '$RUNS'" >&2; exit 1 ;; esac
if [ "$RUNS" -lt 1 ] || [ "$RUNS" -gt 20 ]; then echo "sv_bench: --runs wants 1..20" >&2; exit 1; fi
IFS=, read -r -a tools <<<"$TOOLS"
for t in "${tools[@]}"; do
    case "$t" in
    pscan | pscan-nmapdb | nmap) ;;
    *) echo "sv_bench: unknown tool '$t' (pscan, pscan-nmapdb, nmap)" >&2; exit 1 ;;
    esac
done
[ "$(id -u)" -eq 0 ] || { echo "sv_bench: needs root (network namespaces)" >&2; exit 1; }
for c in ip ss jq xmllint timeout dpkg-query; do
    command -v "$c" >/dev/null || { echo "sv_bench: needs $c" >&2; exit 1; }
done
[ -x "$PSCAN_BIN" ] || { echo "sv_bench: no pscan at $PSCAN_BIN (make)" >&2; exit 1; }
[ -x "$LISTENER" ] || { echo "sv_bench: no $LISTENER (make build/tests/tools/listener)" >&2; exit 1; }
if [[ " ${tools[*]} " == *" nmap "* ]] && ! command -v nmap >/dev/null; then
    echo "sv_bench: nmap is not installed (make deps)" >&2
    exit 1
fi
if [[ " ${tools[*]} " == *" pscan-nmapdb "* ]] && [ ! -r "$NMAP_DB" ]; then
    echo "sv_bench: no $NMAP_DB (install nmap-common)" >&2
    exit 1
fi
[ -n "$OUTDIR" ] || OUTDIR=$ROOT/bench/out/sv-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$OUTDIR" || exit 2

tb_create svbench || { echo "sv_bench: cannot create the test host" >&2; exit 2; }
tb_route_check "$TB_IP4" "$TB_VH" || { echo "sv_bench: $TB_IP4 not routed via $TB_VH" >&2; exit 2; }
dm_setup || exit 2

plan=("ssh 2740" "ftp 2741" "smtp 2742" "mail 2743 2744 2745 2746" "http 2747 2748"
    "redis 2749" "redis-protected 2750" "memcached 2751" "mysql 2752" "postgresql 2753"
    "wrapped 2754")
[ "$SILENT" -eq 1 ] && plan+=("silent 2755")
t0=$(date +%s%N)
for spec in "${plan[@]}"; do
    # shellcheck disable=SC2086
    dm_start $spec
    case $? in
    0) ;;
    2) echo "# ${spec%% *}: not installed, row left out" ;;
    *) echo "# ${spec%% *}: preparation failed, row left out" ;;
    esac
done
dm_wait 30
echo "# daemons up in $((($(date +%s%N) - t0) / 1000000)) ms"
ports=()
for p in "${DM_PORTS[@]}"; do
    dm_port_ok "$p" && ports+=("$p")
done
[ ${#ports[@]} -gt 0 ] || { echo "sv_bench: no daemon came up" >&2; exit 2; }
plist=$(IFS=,; echo "${ports[*]}")
# Sanity: the truth is what the daemons send.
for p in "${ports[@]}"; do
    IFS='|' read -r _ _ v <<<"$(dm_truth "$(dm_row "$p")")"
    [ -n "$v" ] || continue
    w=$(dm_wire "$p")
    [[ "${w//-/ }" == *"${v//-/ }"* ]] || echo "# WARNING: $(dm_row "$p") on $p sends '$w', not $v"
done

# ------------------------------------------------------------------ runs

declare -A WALL=()   # tool -> "ms ms ..."
declare -A LAST_RC=() # tool -> exit status of its last run
US=$'\x1f'

# run_tool TOOL RUN: one timed run; leaves OUTDIR/TOOL.RUN.{out,err,json|xml}.
run_tool() {
    local tool=$1 i=$2 base=$OUTDIR/$1.$2 s e rc
    s=$(date +%s%N)
    case "$tool" in
    pscan)
        timeout 600 "$PSCAN_BIN" -n -q -sV -p "$plist" "$TB_IP4" -oJ "$base.json" \
            >"$base.out" 2>"$base.err"
        ;;
    pscan-nmapdb)
        timeout 600 "$PSCAN_BIN" -n -q -sV --probe-db "$NMAP_DB" -p "$plist" "$TB_IP4" \
            -oJ "$base.json" >"$base.out" 2>"$base.err"
        ;;
    nmap)
        timeout 900 nmap -n -Pn -sV -p "$plist" "$TB_IP4" -oX "$base.xml" \
            >"$base.out" 2>"$base.err"
        ;;
    esac
    rc=$?
    e=$((($(date +%s%N) - s) / 1000000))
    WALL[$tool]="${WALL[$tool]:-} $e"
    LAST_RC[$tool]=$rc
    printf '# %-13s run %d: %6d ms, exit %d\n' "$tool" "$i" "$e" "$rc"
    [ "$rc" -eq 0 ] || sed 's/^/#   /' "$base.err" | head -5
}

echo "# load before the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((i = 1; i <= RUNS; i++)); do
    # Rotate the order so that a change of load does not always hit one tool.
    n=${#tools[@]}
    for ((k = 0; k < n; k++)); do
        run_tool "${tools[$(((k + i - 1) % n))]}" "$i"
    done
done
echo "# load after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"

# ------------------------------------------------------------------ results

# said TOOL PORT: "service<US>product<US>version" from the last run.
said() {
    local tool=$1 port=$2 f
    case "$tool" in
    pscan | pscan-nmapdb)
        f=$OUTDIR/$tool.$RUNS.json
        jq -r --argjson p "$port" 'select(.type == "host") | .ports[] | select(.port == $p) | [
                (if .service.tls then "ssl/" else "" end) + (.service.name // ""),
                (.service.product // ""), (.service.version // "")
            ] | map(gsub("[\u0000-\u001f]"; "?")) | join("\u001f")' "$f" 2>/dev/null | head -n 1
        ;;
    nmap)
        f=$OUTDIR/nmap.$RUNS.xml
        local x="//port[@protocol='tcp' and @portid='$port']/service"
        local name tunnel method prod ver
        name=$(xmllint --xpath "string($x/@name)" "$f" 2>/dev/null)
        tunnel=$(xmllint --xpath "string($x/@tunnel)" "$f" 2>/dev/null)
        method=$(xmllint --xpath "string($x/@method)" "$f" 2>/dev/null)
        prod=$(xmllint --xpath "string($x/@product)" "$f" 2>/dev/null)
        ver=$(xmllint --xpath "string($x/@version)" "$f" 2>/dev/null)
        # A name from nmap-services (method="table") is a guess, not a finding.
        [ "$method" = table ] && name=""
        [ "$tunnel" = ssl ] && [ -n "$name" ] && name="ssl/$name"
        printf '%s%s%s%s%s\n' "$name" "$US" "$prod" "$US" "$ver"
        ;;
    esac
}

# score ROW SERVICE PRODUCT VERSION: three marks, + right, x wrong, . n/a.
score() {
    local row=$1 s=$2 p=$3 v=$4 ws wp wv ms mp mv
    IFS='|' read -r ws wp wv <<<"$(dm_truth "$row")"
    case "$row:$s" in imaps:ssl/imaps | pop3s:ssl/pop3s) s=$ws ;; esac
    [ "$s" = "$ws" ] && ms=+ || ms=x
    case "$row" in
    wrapped | silent) [ -z "$p" ] && mp=+ || mp=x ;;
    mysql) [[ "$p $v" == *MariaDB* ]] && mp=+ || mp=x ;;
    *)
        case "$p" in
        "$wp" | "$wp key-value store" | "$wp DB") mp=+ ;;
        *) [ "${p,,}" = "${wp,,}" ] && mp=+ || mp=x ;;
        esac
        ;;
    esac
    if [ -z "$wv" ]; then
        mv=.
    elif [[ " ${v//-/ } " == *"${wv//-/ }"* ]]; then
        mv=+
    else
        mv=x
    fi
    echo "$ms$mp$mv"
}

median() {
    tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -n | awk '{ a[NR] = $1 } END {
        if (NR == 0) { print "-"; exit }
        if (NR % 2) print a[(NR + 1) / 2]; else print int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'
}

{
    echo
    echo "wall time, median of $RUNS run(s), ${#ports[@]} ports:"
    for t in "${tools[@]}"; do
        printf '  %-13s %8s ms   (runs:%s)\n' "$t" "$(median "${WALL[$t]}")" "${WALL[$t]}"
    done
    echo
    echo "score per port: service/product/version, + right, x wrong, . no version on the wire"
    printf '  %-5s %-16s' port row
    for t in "${tools[@]}"; do printf ' %-13s' "$t"; done
    echo
    declare -A right=() total=()
    for p in "${ports[@]}"; do
        row=$(dm_row "$p")
        printf '  %-5s %-16s' "$p" "$row"
        for t in "${tools[@]}"; do
            if [ "${LAST_RC[$t]}" -ne 0 ]; then
                m=fail # no results: every scored field is wrong
                printf ' %-13s' "$m"
                IFS='|' read -r _ _ wv <<<"$(dm_truth "$row")"
                total[$t]=$((${total[$t]:-0} + 2 + (${#wv} > 0)))
                continue
            fi
            IFS=$US read -r s pr v <<<"$(said "$t" "$p")"
            m=$(score "$row" "$s" "$pr" "$v")
            printf ' %-13s' "$m"
            for ((j = 0; j < 3; j++)); do
                c=${m:$j:1}
                [ "$c" = . ] && continue
                total[$t]=$((${total[$t]:-0} + 1))
                [ "$c" = + ] && right[$t]=$((${right[$t]:-0} + 1))
            done
        done
        echo
    done
    printf '  %-22s' "right / scored"
    for t in "${tools[@]}"; do printf ' %-13s' "${right[$t]:-0}/${total[$t]:-0}"; done
    echo
    for t in "${tools[@]}"; do
        [ "${LAST_RC[$t]}" -eq 0 ] && continue
        echo "  $t failed (exit ${LAST_RC[$t]}): $(head -n 1 "$OUTDIR/$t.$RUNS.err")"
    done
    echo
    echo "what each tool said (service | product | version), truth first:"
    for p in "${ports[@]}"; do
        row=$(dm_row "$p")
        printf '  %s %s\n' "$p" "$row"
        printf '    %-13s %s\n' truth "$(dm_truth "$row" | sed 's/|/ | /g')"
        for t in "${tools[@]}"; do
            if [ "${LAST_RC[$t]}" -ne 0 ]; then
                printf '    %-13s (failed)\n' "$t"
            else
                printf '    %-13s %s\n' "$t" "$(said "$t" "$p" | sed "s/$US/ | /g")"
            fi
        done
    done
} | tee "$OUTDIR/table.txt"
echo "# outputs in $OUTDIR"
