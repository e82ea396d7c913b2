# tests/lib/syn.sh: helpers for the SYN-scan tests (syn_*.sh).  Source after
# common.sh and netns.sh.
#
#   syn_stat FILE WHAT      a number from pscan -v's stats line on stderr,
#                           "syn: N probes sent, N resent, N answered, N
#                           duplicate, N bad cookie, N foreign; capture dropped
#                           N; S s, R probes/s; rto T ms".  WHAT is one of sent,
#                           resent, answered, duplicate, bad, foreign, dropped,
#                           seconds, rate.  Empty when the line is missing.
#   syn_ports_between LO HI N
#                           N distinct random ports in LO..HI, sorted.
#   syn_icmp_unlimited      inside the current test host, no rate limit on the
#                           ICMP errors the kernel sends (so that a reject
#                           rule answers every probe, not six a second).
#   syn_local6              the current test host also answers for all of
#                           2001:db8:X:1::/120 (256 addresses), the IPv6
#                           counterpart of tb_create --local; sets TB_LOCAL6
#                           (CIDR) and TB_LOCAL6_PFX ("2001:db8:X:1::").
#   syn_reject PORTS WITH   replace the test host's pscantest table with one
#                           rule "tcp dport { PORTS } reject with WITH"
#                           (tb_undrop removes it).
#   syn_unpriv_pscan        sets SYN_UNPRIV_PSCAN to a pscan that nobody may
#                           run: PSCAN itself, or a copy in TEST_TMP when
#                           nobody cannot reach PSCAN's directory.
#   syn_unpriv_run TAG ARGS...
#                           like pscan_run, but as nobody (uid/gid 65534, no
#                           groups, no capabilities at all), in PSCAN_NS when
#                           that is set.

syn_stat() {
    awk -v what="$2" '
        /^syn: [0-9]+ probes sent/ {
            line = $0
            gsub(/[,;]/, "", line)
            n = split(line, w, " ")
            for (i = 2; i < n; i++) {
                if (w[i + 1] == "probes" && w[i + 2] == "sent") v["sent"] = w[i]
                if (w[i + 1] == "resent") v["resent"] = w[i]
                if (w[i + 1] == "answered") v["answered"] = w[i]
                if (w[i + 1] == "duplicate") v["duplicate"] = w[i]
                if (w[i + 1] == "bad" && w[i + 2] == "cookie") v["bad"] = w[i]
                if (w[i + 1] == "foreign") v["foreign"] = w[i]
                if (w[i] == "dropped") v["dropped"] = w[i + 1]
                if (w[i + 1] == "s" && w[i] ~ /^[0-9.]+$/) v["seconds"] = w[i]
                if (w[i + 1] == "probes/s") v["rate"] = w[i]
            }
            print v[what]
            exit
        }' "$1"
}

syn_ports_between() {
    local lo=$1 hi=$2 n=$3 got=() p
    while [ ${#got[@]} -lt "$n" ]; do
        p=$((lo + RANDOM % (hi - lo + 1)))
        [[ " ${got[*]} " == *" $p "* ]] || got+=("$p")
    done
    printf '%s\n' "${got[@]}" | sort -n | tr '\n' ' ' | sed 's/ $//'
}

syn_icmp_unlimited() {
    tb_run_ns sysctl -q -w net.ipv4.icmp_ratemask=0 net.ipv6.icmp.ratelimit=0 net.ipv6.icmp.ratemask=127
}

syn_local6() {
    local x=${TB_IP4#198.18.} hx
    x=${x%.2}
    hx=$(printf '%x' "$x")
    TB_LOCAL6=2001:db8:$hx:1::/120
    TB_LOCAL6_PFX=2001:db8:$hx:1::
    tb_run_ns ip -6 route add local "$TB_LOCAL6" dev lo &&
        ip -6 route add "$TB_LOCAL6" via "$TB_IP6" dev "$TB_VH"
}

syn_reject() {
    local ports
    ports=$(tr -s ' ,' ',' <<<"$1" | sed 's/^,//; s/,$//; s/,/, /g')
    tb_undrop
    tb_run_ns nft -f - <<EOF
table inet pscantest {
    chain input {
        type filter hook input priority 0; policy accept;
        tcp dport { $ports } reject with $2
    }
}
EOF
}

_syn_nobody() {
    in_ns "$PSCAN_NS" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
        --bounding-set=-all "$@"
}

syn_unpriv_pscan() {
    if _syn_nobody test -x "$PSCAN" 2>/dev/null; then
        SYN_UNPRIV_PSCAN=$PSCAN
        return 0
    fi
    mkdir -p "$TEST_TMP/nobody" && cp "$PSCAN" "$TEST_TMP/nobody/pscan" &&
        chmod 711 "$TEST_TMP" && chmod 755 "$TEST_TMP/nobody" "$TEST_TMP/nobody/pscan" || return 1
    SYN_UNPRIV_PSCAN=$TEST_TMP/nobody/pscan
    _syn_nobody test -x "$SYN_UNPRIV_PSCAN"
}

# syn_unpriv_run TAG ARGS...: like pscan_run, as nobody (call
# syn_unpriv_pscan first).  Output files are opened by this (root) shell.
syn_unpriv_run() {
    local tag=$1
    shift
    OUT=$TEST_TMP/$tag.out
    ERR=$TEST_TMP/$tag.err
    _syn_nobody timeout "$PSCAN_TIMEOUT" "$SYN_UNPRIV_PSCAN" "$@" >"$OUT" 2>"$ERR" </dev/null
    RC=$?
    [ "$RC" -eq 124 ] && note "pscan $* (as nobody) did not finish within ${PSCAN_TIMEOUT}s"
    return 0
}
