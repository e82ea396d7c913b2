#!/usr/bin/env bash
# tests/integration/connect_loopback.sh: pscan -sT against loopback.
#
# The scans run inside a namespace of their own with only lo in it: its
# 127.0.0.1 and ::1 are real loopback, but the only listeners there are ours,
# so the ground truth (`ss -ltnH` in that namespace) cannot change under the
# scan because some other test on the machine opened a port, and a full
# 65535-port sweep never pokes another test's server.
#
# Listeners: a few kernel-chosen high ports on 127.0.0.1 (one with a banner,
# one closing at once, one silent), one on 127.0.0.2 only (must not show when
# 127.0.0.1 is scanned), one on 0.0.0.0, one on [::] dual-stack (seen by both
# families), one on [::] v6-only and one on ::1 (IPv6 only).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
# Whatever pscan writes in its working directory (pscan.resume when it is
# stopped, -oA files) lands in the test's own directory, never in the work tree.
cd "$TEST_TMP" || bail "cannot enter $TEST_TMP"
need_root
need_cmd ip ss timeout
need_file "$LISTENER" "listener"
need_file "$PSCAN" "pscan"

tb_create lo --isolated || bail "cannot create the namespace"
PSCAN_NS=$TB_NS
tb_route_check -n "$TB_NS" 127.0.0.1 lo || bail "127.0.0.1 is not routed via lo"
tb_route_check -n "$TB_NS" 127.0.0.2 lo || bail "127.0.0.2 is not routed via lo"
tb_route_check -n "$TB_NS" ::1 lo || bail "::1 is not routed via lo"

# Nothing listening yet: a full sweep must find nothing open.  (A connect()
# whose kernel-chosen source port equals its destination port meets itself,
# TCP simultaneous open, and succeeds with no listener at all; a scanner must
# not call that open.)
for a in 127.0.0.1 ::1; do
    pscan_run "empty-$a" -n -sT -p- "$a"
    check_eq "nothing listening: -p- $a: exit 0" "$RC" 0
    check_eq "nothing listening: -p- $a: no open port (a self-connect is not a listener)" \
        "$(report_ports "$OUT" "$a" open)" ""
done

start() { listener_start -n "$TB_NS" "$@" || bail "listener $1 did not start"; }
start lo1 -b "SSH-2.0-pscantest" 127.0.0.1 0 0
lo1=("${L_PORTS[@]}")
start lo1c -c 127.0.0.1 0
lo1c=${L_PORTS[0]}
start lo1s -s -b "never sent" 127.0.0.1 0
lo1s=${L_PORTS[0]}
start lo2 127.0.0.2 0
lo2=${L_PORTS[0]}
start any4 0.0.0.0 0
any4=${L_PORTS[0]}
start dual -6 :: 0
dual=${L_PORTS[0]}
start v6only -6 -o :: 0
v6only=${L_PORTS[0]}
start lo6 -6 ::1 0
lo6=${L_PORTS[0]}

want4=$(listen_ports -n "$TB_NS" 4 127.0.0.1)
want6=$(listen_ports -n "$TB_NS" 6 ::1)
# The ground truth must say what we built, or the comparisons below prove nothing.
check_set "ss: IPv4 view of 127.0.0.1 is what we built" "$want4" "${lo1[*]} $lo1c $lo1s $any4 $dual"
check_set "ss: IPv6 view of ::1 is what we built" "$want6" "$dual $v6only $lo6"
nwant4=$(wc -w <<<"$want4")
nwant6=$(wc -w <<<"$want6")

# --- full sweep, IPv4
pscan_run all4 -n -sT -p- 127.0.0.1
check_eq "-p- 127.0.0.1: exit 0" "$RC" 0
[ "$RC" -eq 0 ] || show_run
check_eq "-p- 127.0.0.1: one host report" "$(report_hosts "$OUT" | tr '\n' ' ')" "127.0.0.1 "
check_set "-p- 127.0.0.1: open ports = ss's listeners on 127.0.0.1, 0.0.0.0 and dual-stack [::]" \
    "$(report_ports "$OUT" 127.0.0.1 open)" "$want4"
check_eq "-p- 127.0.0.1: closed = 65535 - open" "$(report_count "$OUT" 127.0.0.1 closed)" $((65535 - nwant4))
check_eq "-p- 127.0.0.1: nothing filtered" "$(report_count "$OUT" 127.0.0.1 filtered)" 0
check_eq "-p- 127.0.0.1: closed ports folded into Not shown" \
    "$(grep -c '^Not shown: [0-9]* closed tcp ports (conn-refused)' "$OUT")" 1
check_cmd "-p- 127.0.0.1: Starting line" grep -q "^Starting pscan " "$OUT"
check_cmd "-p- 127.0.0.1: Host is up" grep -q '^Host is up' "$OUT"
check_cmd "-p- 127.0.0.1: table header" grep -Eq '^PORT +STATE +SERVICE( +PROCESS)?$' "$OUT"
check_eq "-p- 127.0.0.1: done line" "$(report_done "$OUT")" "pscan done: 1 IP address (1 host up)"
for p in "$lo2" "$v6only" "$lo6"; do
    check_not "-p- 127.0.0.1: port $p (not on 127.0.0.1) not listed" grep -q "^$p/tcp " "$OUT"
done
check_eq "-p- 127.0.0.1: stderr empty" "$(cat "$ERR")" ""

# --- the 127.0.0.2-only listener is seen there, and only there
pscan_run lo2 -n -sT -p "$lo2,${lo1[0]}" 127.0.0.2
check_eq "127.0.0.2: exit 0" "$RC" 0
check_set "127.0.0.2: its own listener is open" "$(report_ports "$OUT" 127.0.0.2 open)" "$lo2"
check_set "127.0.0.2: 127.0.0.1's listener is closed there" "$(report_ports "$OUT" 127.0.0.2 closed)" "${lo1[0]}"

# --- port lists and ranges
closed=1024
while [[ " $want4 $lo2 " == *" $closed "* ]]; do closed=$((closed + 1)); done
pscan_run list -n -sT -p "${lo1[0]},$lo2,$closed,$any4,$dual" 127.0.0.1
check_eq "-p list: exit 0" "$RC" 0
check_set "-p list: open" "$(report_ports "$OUT" 127.0.0.1 open)" "${lo1[0]} $any4 $dual"
check_set "-p list: closed ones listed (fewer than 26)" "$(report_ports "$OUT" 127.0.0.1 closed)" "$lo2 $closed"
check_eq "-p list: no Not shown line" "$(grep -c '^Not shown' "$OUT")" 0

lo=${lo1[0]} hi=${lo1[1]}
[ "$lo" -gt "$hi" ] && { t=$lo; lo=$hi; hi=$t; }
inrange=$(for p in $want4; do [ "$p" -ge "$lo" ] && [ "$p" -le "$hi" ] && echo "$p"; done)
pscan_run range -n -sT -p "$lo-$hi" 127.0.0.1
check_eq "-p $lo-$hi: exit 0" "$RC" 0
check_set "-p $lo-$hi: open = listeners in the range" "$(report_ports "$OUT" 127.0.0.1 open)" "$inrange"
check_eq "-p $lo-$hi: closed = rest of the range" "$(report_count "$OUT" 127.0.0.1 closed)" \
    $((hi - lo + 1 - $(wc -w <<<"$inrange")))

mixed=$(printf '%s\n' $((lo - 3)) $((lo - 2)) $((lo - 1)) "$lo" "$any4" "$hi" $((hi + 1)) $((hi + 2)) | sort -n -u)
mixed_open=$(comm -12 <(tr ' ' '\n' <<<"$want4" | sort) <(sort <<<"$mixed"))
pscan_run mixed -n -sT -p "$((lo - 3))-$lo,$any4,$hi-$((hi + 2))" 127.0.0.1
check_eq "-p mixed list/ranges: exit 0" "$RC" 0
check_set "-p mixed list/ranges: open" "$(report_ports "$OUT" 127.0.0.1 open)" "$mixed_open"
check_eq "-p mixed list/ranges: the others closed" "$(report_count "$OUT" 127.0.0.1 closed)" \
    $(($(wc -w <<<"$mixed") - $(wc -w <<<"$mixed_open")))

# --- --open
pscan_run open -n -sT -p- --open 127.0.0.1
check_eq "--open: exit 0" "$RC" 0
check_set "--open: open ports" "$(report_ports "$OUT" 127.0.0.1 open)" "$want4"
check_eq "--open: only open ports in the table" "$(report_states "$OUT" 127.0.0.1)" "open"

pscan_run open2 -n -sT -p "$lo2,$closed" --open 127.0.0.1
check_eq "--open, nothing open: exit 0" "$RC" 0
check_eq "--open, nothing open: no port lines" "$(grep -c '^[0-9]*/tcp' "$OUT")" 0

# --- IPv6
pscan_run all6 -n -sT -p- ::1
check_eq "-p- ::1: exit 0" "$RC" 0
[ "$RC" -eq 0 ] || show_run
check_eq "-p- ::1: one host report" "$(report_hosts "$OUT" | tr '\n' ' ')" "::1 "
check_set "-p- ::1: open ports = ss's listeners on [::1], [::] and dual-stack" \
    "$(report_ports "$OUT" ::1 open)" "$want6"
check_eq "-p- ::1: closed = 65535 - open" "$(report_count "$OUT" ::1 closed)" $((65535 - nwant6))
check_eq "-p- ::1: done line" "$(report_done "$OUT")" "pscan done: 1 IP address (1 host up)"

# --- both families in one run
pscan_run both -n -sT -p "$lo6,${lo1[1]},$dual" 127.0.0.1 ::1
check_eq "127.0.0.1 and ::1 together: exit 0" "$RC" 0
check_set "127.0.0.1 and ::1 together: v4 open" "$(report_ports "$OUT" 127.0.0.1 open)" "${lo1[1]} $dual"
check_set "127.0.0.1 and ::1 together: v6 open" "$(report_ports "$OUT" ::1 open)" "$lo6 $dual"
check_eq "127.0.0.1 and ::1 together: done line" "$(report_done "$OUT")" "pscan done: 2 IP addresses (2 hosts up)"

# --- a name: localhost resolves (from /etc/hosts) to 127.0.0.1 or ::1;
# the dual-stack port is open either way.
pscan_run name -sT -p "$dual" localhost
check_eq "localhost: exit 0" "$RC" 0
if grep -Eq '^pscan scan report for localhost \((127\.0\.0\.1|::1)\)$' "$OUT"; then
    ok "localhost: report names localhost and its address"
else
    not_ok "localhost: report names localhost and its address" "$(head -5 "$OUT")"
fi
check_eq "localhost: dual-stack port open" "$(grep -c "^$dual/tcp *open" "$OUT")" 1

finish
