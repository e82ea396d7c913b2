# shellcheck shell=bash
# bench/lib/tools.sh: how each scanner is asked to do a workload, and how
# its results are read back.  Source after testbed.sh (it reads BT_*).
#
# Tools: pscan, zmap, masscan, nmap, and pscan-alt (the binary $PSCAN_ALT,
# run exactly like pscan).
#
# tool_supports TOOL PORTS   true if TOOL can scan that port list in one run
# tool_cmd TOOL NET PORTS OUT   fills the array CMD with TOOL's command line
#                                (results to the file OUT)
# tool_parse TOOL OUT           prints one "ADDR PORT" line per open port found
# tool_version TOOL             one line naming the version
#
# Every tool scans the same targets and ports, on our veth only, from our
# address, to the target's MAC; none is left to guess an interface, a
# source or a router (a guess would be eth0).  Settings, and why:
#
#   pscan    defaults only: `pscan -p PORTS NET` (SYN scan as root).
#   zmap     -r 0 (no rate limit; zmap's default is 10,000 pps), -c 1
#            (cooldown 1 s instead of the default 8), -b EMPTY (zmap's
#            default blacklist excludes 198.18.0.0/15, the benchmark range,
#            so it would scan nothing).  zmap 2.1.1 takes one port per run:
#            multi-port workloads are marked n/a, not run 1,001 times.
#   masscan  --rate 10000000 (as fast as it goes; the default is 100 pps),
#            --wait 1 (instead of the default 10 s).  Runs in a scratch
#            directory: masscan writes paused.conf there when interrupted.
#   nmap     -sS -T5 --min-rate 300000 -n -Pn: the settings; -Pn so
#            that nmap, like the others, does no host discovery round.

BENCH_EMPTY_BLACKLIST=${BENCH_EMPTY_BLACKLIST:-/dev/null}

tool_supports() {
    case "$1" in
    zmap) [[ "$2" =~ ^[0-9]+$ ]] ;;
    *) return 0 ;;
    esac
}

# shellcheck disable=SC2034 # CMD is read by the caller
tool_cmd() {
    local tool=$1 net=$2 ports=$3 out=$4
    case "$tool" in
    pscan)
        # Normal output on stdout is pscan's default; run.sh sends stdout to OUT.
        CMD=("$PSCAN" -p "$ports" "$net")
        ;;
    pscan-alt)
        CMD=("$PSCAN_ALT" -p "$ports" "$net")
        ;;
    zmap)
        CMD=(zmap -p "$ports" -i "$BT_SIF" -S "$BT_SRC" -G "$BT_GW_MAC" --source-mac="$BT_SRC_MAC"
            -b "$BENCH_EMPTY_BLACKLIST" -r 0 -c 1 -q --disable-syslog -o "$out" "$net")
        ;;
    masscan)
        CMD=(masscan -p "$ports" -e "$BT_SIF" --adapter-ip "$BT_SRC" --adapter-mac "$BT_SRC_MAC"
            --router-mac "$BT_GW_MAC" --rate 10000000 --wait 1 -oL "$out" "$net")
        ;;
    nmap)
        CMD=(nmap -sS -T5 --min-rate 300000 -n -Pn -e "$BT_SIF" -p "$ports" -oG "$out" "$net")
        ;;
    *) return 1 ;;
    esac
}

tool_parse() {
    local tool=$1 out=$2
    [ -s "$out" ] || return 0
    case "$tool" in
    pscan | pscan-alt)
        awk '/^pscan scan report for / { ip = $NF; gsub(/[()]/, "", ip) }
             $1 ~ /^[0-9]+\/tcp$/ && $2 == "open" { split($1, a, "/"); print ip, a[1] }' "$out"
        ;;
    zmap)
        # csv of saddr, one per line (a header line "saddr" in some versions).
        awk -v port="$3" '$1 ~ /^[0-9.]+$/ { print $1, port }' "$out"
        ;;
    masscan)
        awk '$1 == "open" && $2 == "tcp" { print $4, $3 }' "$out"
        ;;
    nmap)
        awk -F'\t' '/^Host: / && /Ports: / {
                split($1, h, " "); ip = h[2]
                for (i = 1; i <= NF; i++) if ($i ~ /^Ports: /) {
                    s = substr($i, 8); n = split(s, e, ", ")
                    for (j = 1; j <= n; j++) { split(e[j], f, "/"); if (f[2] == "open") print ip, f[1] }
                }
            }' "$out"
        ;;
    esac
}

tool_version() {
    case "$1" in
    pscan) "$PSCAN" --version 2>&1 | head -n 1 ;;
    pscan-alt) "$PSCAN_ALT" --version 2>&1 | head -n 1 ;;
    zmap) zmap --version 2>&1 | head -n 1 ;;
    masscan) masscan --version 2>&1 | grep -m 1 -i version ;;
    nmap) nmap --version 2>&1 | head -n 1 ;;
    esac
}
