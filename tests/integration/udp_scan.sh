#!/usr/bin/env bash
# tests/integration/udp_scan.sh: the UDP scan against real daemons in a namespace.
#
# A test host (tests/lib/netns.sh) runs Debian's own UDP servers on their
# standard ports: dnsmasq (53), tftpd-hpa (69), chrony (123), snmpd (161),
# memcached -U (11211), and a DTLS server (openssl s_server, 4433).  Each
# is only expected where its binary is installed; the others are skipped.
# Around them: closed ports, and nftables rules inside the namespace that
# drop some ports (open|filtered) and reject one with ICMP admin-prohibited
# (filtered).  Every port's state is checked exactly, from the -oJ output.
#
# Linux rations ICMP errors per peer (IPv4: a burst of 6, then 1/s; IPv6:
# 6, then about 10/s), so the closed ports here are also what the engine's
# canary rounds must get right: 20 closed ports over IPv4 (about 15 s at
# 1/s), 200 over IPv6, and 1,000 with the namespace's limit tuned to 100/s.
#
# The engine runs as `pscan -sU`; the time each scan took comes from the
# JSON summary (a note, never a timed assertion).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
# Whatever pscan writes in its working directory (pscan.resume when it is
# stopped, -oA files) lands in the test's own directory, never in the work tree.
cd "$TEST_TMP" || bail "cannot enter $TEST_TMP"
need_root
need_cmd ip nft jq timeout
need_file "$PSCAN" "pscan"

tb_create udp || bail "cannot create the test host"
tb_route_check "$TB_IP4" "$TB_VH" || bail "$TB_IP4 is not routed via $TB_VH"
tb_route_check "$TB_IP6" "$TB_VH" || bail "$TB_IP6 is not routed via $TB_VH"
D=$TEST_TMP

# ---------------------------------------------------------------- daemons

# start TAG CMD...: a daemon in the namespace, in the foreground of a
# background job (so tb_destroy and the PID list both know it).
start() {
    local tag=$1
    shift
    tb_run_ns "$@" >"$D/$tag.log" 2>&1 &
    track_pid $!
}

# wait_udp PORT: until something is bound to udp PORT in the namespace (2 s).
wait_udp() {
    local i
    for i in $(seq 100); do
        tb_run_ns ss -lunH "sport = :$1" | grep -q . && return 0
        sleep 0.02
    done
    return 1
}

open4=() open6=()
# serve NAME PORT V6 CMD...: start CMD, and expect PORT open (on IPv6 too if V6=1).
serve() {
    local name=$1 port=$2 v6=$3
    shift 3
    if ! command -v "$1" >/dev/null 2>&1; then
        skip "$name on $port" "$1 is not installed"
        return
    fi
    start "$name" "$@"
    if wait_udp "$port"; then
        open4+=("$port")
        [ "$v6" = 1 ] && open6+=("$port")
    else
        not_ok "$name on $port did not start" "$(head -5 "$D/$name.log")"
    fi
}

serve dnsmasq 53 1 dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
    --listen-address="$TB_IP4" --listen-address="$TB_IP6" --port=53 --user=root --pid-file="$D/dnsmasq.pid"

mkdir -p "$D/tftp"
serve tftpd 69 0 in.tftpd --foreground --listen --address "$TB_IP4:69" --user root --secure "$D/tftp"

cat >"$D/chrony.conf" <<EOF
port 123
cmdport 0
allow all
local stratum 10
pidfile $D/chronyd.pid
EOF
serve chronyd 123 1 chronyd -d -x -u root -f "$D/chrony.conf"

cat >"$D/snmpd.conf" <<EOF
agentaddress udp:$TB_IP4:161,udp6:[$TB_IP6]:161
rocommunity public
rocommunity6 public
EOF
serve snmpd 161 1 snmpd -f -Lo -C -c "$D/snmpd.conf" -p "$D/snmpd.pid" -u root

serve memcached 11211 0 memcached -U 11211 -p 0 -l "$TB_IP4" -u root

if command -v openssl >/dev/null; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=pscan-test \
        -keyout "$D/key.pem" -out "$D/cert.pem" >/dev/null 2>&1
fi
serve dtls 4433 0 openssl s_server -dtls1_2 -accept "$TB_IP4:4433" -cert "$D/cert.pem" -key "$D/key.pem" -quiet
# For -sV: a DTLS server doing the stateless cookie exchange (-listen)
# answers every ClientHello, not only the first client's.
if command -v openssl >/dev/null; then
    start dtls-listen openssl s_server -dtls1_2 -listen -accept "$TB_IP4:4434" -cert "$D/cert.pem" -key "$D/key.pem" -quiet
    wait_udp 4434 || not_ok "DTLS -listen on 4434 did not start" "$(head -5 "$D/dtls-listen.log")"
fi
# For -sV: an agent whose community is not "public" answers only SNMPv3.
if command -v snmpd >/dev/null; then
    printf 'agentaddress udp:%s:1161\nrocommunity s3cret\n' "$TB_IP4" >"$D/snmpd3.conf"
    start snmpd3 snmpd -f -Lo -C -c "$D/snmpd3.conf" -p "$D/snmpd3.pid" -u root
    wait_udp 1161 || not_ok "snmpd on 1161 did not start" "$(head -5 "$D/snmpd3.log")"
fi
# A bound port that never answers: open|filtered, whatever -sV sends.
UDP_BIND=$(dirname "$LISTENER")/udp_bind
if [ -x "$UDP_BIND" ]; then
    start silent "$UDP_BIND" -t 300 "$TB_IP4" 5000
    wait_udp 5000 || not_ok "udp_bind on 5000 did not start" "$(head -5 "$D/silent.log")"
fi

# ------------------------------------------------------------ the checks

# scan TAG ARGS...: the engine, bounded in time; JSON lines in $D/TAG.json.
scan() {
    local tag=$1
    shift
    OUT=$D/$tag.json ERR=$D/$tag.err
    timeout 120 "$PSCAN" -sU -n -oJ "$OUT" "$@" >"$D/$tag.out" 2>"$ERR"
    RC=$?
    ELAPSED=$(jq -r 'select(.type=="summary") | .elapsed' "$OUT" 2>/dev/null)
    note "$tag: ${ELAPSED:-?} s"
}

# ports_in FILE KIND: the ports listed in the host line as KIND, where KIND
# is open, closed, filtered (by an ICMP answer) or none (no answer:
# "open|filtered", reason no-response).
ports_in() {
    jq -r --arg k "$2" 'select(.type == "host") | .ports[] | select(.proto == "udp") |
        select(if $k == "none" then .reason == "no-response"
               elif $k == "filtered" then .state == "filtered" and .reason != "no-response"
               else .state == $k end) | .port' "$1" | sort -n | tr '\n' ' '
}

# count_in FILE KIND: ports in KIND, listed or folded into "hidden".
count_in() {
    jq -r --arg k "$2" 'select(.type == "host") |
        ([.ports[], (.hidden // [])[] | select(.proto == "udp") |
          select(if $k == "none" then .reason == "no-response"
                 elif $k == "filtered" then .state == "filtered" and .reason != "no-response"
                 else .state == $k end) | (.count // 1)] | add) // 0' "$1"
}

# expect TAG OPEN CLOSED_COUNT FILTERED NONE: the last scan's exact result.
expect() {
    local tag=$1
    check_eq "$tag: exit 0" "$RC" 0
    [ "$RC" -eq 0 ] || sed 's/^/#   | /' "$ERR" | head -5
    check_set "$tag: open" "$(ports_in "$OUT" open)" "$2"
    check_eq "$tag: closed count" "$(count_in "$OUT" closed)" "$3"
    check_set "$tag: filtered (ICMP)" "$(ports_in "$OUT" filtered)" "$4"
    check_set "$tag: open|filtered" "$(ports_in "$OUT" none)" "$5"
}

# Closed ports: nothing listens on 20000 and up.  s_server serves one
# DTLS client and then only that one: 4433 is checked in the first scan.
closed20=20000-20019
plist4="53,69,123,161,11211,4433,$closed20"
plist4b="53,69,123,161,11211,$closed20"

# 1. Plain: every daemon open, 20 closed ports past the IPv4 ICMP burst.
scan plain4 -p "$plist4" "$TB_IP4"
expect "IPv4 daemons + 20 closed" "${open4[*]}" 20 "" ""

# 2. IPv6: 200 closed ports at the IPv6 limit.
scan plain6 -p "53,123,161,20000-20199" "$TB_IP6"
expect "IPv6 daemons + 200 closed" "${open6[*]}" 200 "" ""

# 2b. -sV: each daemon named from its own reply, the silent port left
# open|filtered, closed ports closed.  Versions come from the installed
# packages.
# svc_of FILE PROTO PORT: "state service product version" of one port.
svc_of() {
    jq -r --arg pr "$2" --argjson p "$3" 'select(.type == "host") | .ports[] | select(.proto == $pr and .port == $p) |
        "\(.state) \(.service.name // "-") \(.service.product // "-") \(.service.version // "-")"' "$1"
}
# expect_svc TAG PROTO PORT WANT: when the daemon is there (open in scan 1).
expect_svc() {
    local tag=$1 proto=$2 port=$3 want=$4
    if [ "$proto" = udp ] && [[ " ${open4[*]} 4434 5000 20000 " != *" $port "* ]] &&
        ! { [ "$port" = 1161 ] && command -v snmpd >/dev/null; }; then
        skip "$tag: $port/$proto is $want" "no daemon on $port"
        return
    fi
    check_eq "$tag: $port/$proto is $want" "$(svc_of "$OUT" "$proto" "$port")" "$want"
}
ver() { "$@" 2>/dev/null | head -1 | grep -o '[0-9][0-9.]*[0-9]' | head -1; }
dnsmasq_v=$(ver dnsmasq --version)
memcached_v=$(ver memcached -V)
# pscan's own database only (its truth; nmap's spells some products otherwise).
scan sv4 -sV --no-nmap-db -p 53,69,123,161,1161,11211,4434,5000,20000 "$TB_IP4"
check_eq "-sU -sV: exit 0" "$RC" 0
expect_svc "-sU -sV" udp 53 "open domain dnsmasq $dnsmasq_v"
expect_svc "-sU -sV" udp 69 "open tftp - -"
expect_svc "-sU -sV" udp 123 "open ntp - -"
# 161 answers the community public (ostype from sysDescr) and the SNMPv3 engine
# discovery (net-snmp, by enterprise number): the answers merge.
expect_svc "-sU -sV" udp 161 "open snmp net-snmp -"
expect_svc "-sU -sV" udp 1161 "open snmp net-snmp -"
expect_svc "-sU -sV" udp 11211 "open memcached memcached $memcached_v"
expect_svc "-sU -sV" udp 4434 "open dtls - -"
expect_svc "-sU -sV" udp 5000 "open|filtered - - -"
expect_svc "-sU -sV" udp 20000 "closed - - -"
check_eq "-sU -sV: snmp names the host from sysDescr" \
    "$(jq -r 'select(.type=="host") | .ports[] | select(.port==161) | .service.ostype // "-"' "$OUT")" \
    "$([[ " ${open4[*]} " == *" 161 "* ]] && echo Linux || echo -)"

# 2c. TCP and UDP in one run, with -sV: dnsmasq answers DNS on both.
# (-sU is added by scan().)
for tcp in -sS -sT; do
    scan "both${tcp}" "$tcp" -sV -p 53,20000 "$TB_IP4"
    check_eq "$tcp -sU: exit 0" "$RC" 0
    check_eq "$tcp -sU: one host line" "$(jq -c 'select(.type=="host")' "$OUT" | wc -l)" 1
    expect_svc "$tcp -sU" tcp 53 "open domain dnsmasq $dnsmasq_v"
    expect_svc "$tcp -sU" udp 53 "open domain dnsmasq $dnsmasq_v"
    expect_svc "$tcp -sU" tcp 20000 "closed - - -"
    expect_svc "$tcp -sU" udp 20000 "closed - - -"
done

# 3. Dropped and rejected ports.  One open daemon and two closed ports
# dropped (open|filtered), one closed port rejected with admin-prohibited.
drop_open=${open4[0]:-53}
tb_run_ns nft -f - <<EOF || bail "nft rules failed"
table inet pscanudp {
    chain input {
        type filter hook input priority 0; policy accept;
        udp dport { $drop_open, 20001, 20002 } drop
        udp dport 20003 reject with icmp type admin-prohibited
    }
}
EOF
want_open=()
for p in "${open4[@]}"; do [ "$p" = "$drop_open" ] || [ "$p" = 4433 ] || want_open+=("$p"); done
scan nft4 -p "$plist4b" "$TB_IP4"
expect "IPv4 with nft drop/reject" "${want_open[*]}" 17 "20003" "$drop_open 20001 20002"
tb_run_ns nft delete table inet pscanudp

# 4. 1,000 closed ports, the namespace's limit set to 100 errors/s.
tb_run_ns sysctl -q -w net.ipv4.icmp_ratelimit=10
scan fast1000 -p 20000-20999 "$TB_IP4"
expect "1000 closed at 100 ICMP/s" "" 1000 "" ""
tb_run_ns sysctl -q -w net.ipv4.icmp_ratelimit=1000

# 5. An unanswered host: every port silent, --max-retries 1.
tb_run_ns nft -f - <<EOF || bail "nft rules failed"
table inet pscanudp {
    chain input {
        type filter hook input priority 0; policy accept;
        ip daddr $TB_IP4 udp dport 1-65535 drop
    }
}
EOF
scan silent -Pn --max-retries 1 -p 53,20000-20009 "$TB_IP4"
expect "all dropped, -Pn" "" 0 "" "53 20000 20001 20002 20003 20004 20005 20006 20007 20008 20009"
tb_run_ns nft delete table inet pscanudp

finish
