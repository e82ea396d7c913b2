#!/usr/bin/env bash
# tests/integration/syn_loopback.sh: pscan -sS against loopback, pscan without
# raw-socket rights, and the SYN scan's bad options.
#
# Everything runs inside a namespace of its own with only lo in it (as in
# connect_loopback.sh): its 127.0.0.1 and ::1 are real loopback, but the
# only listeners are ours, so `ss` there is the ground truth.
#
# Listeners: four random ports in 1..1000 and one high port on [::]
# dual-stack (both families), a kernel-chosen port on 127.0.0.1 only, one on
# 127.0.0.2 only (must not show on 127.0.0.1) and one on ::1 only.
#
# Without CAP_NET_RAW (nobody, no capabilities) pscan must fall back to the
# connect scan with one note on stderr and find the same ports; with -sS it
# must refuse (exit 2, one line).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/syn.sh"
# Whatever pscan writes in its working directory (pscan.resume when it is
# stopped, -oA files) lands in the test's own directory, never in the work tree.
cd "$TEST_TMP" || bail "cannot enter $TEST_TMP"
need_root
need_cmd ip ss timeout setpriv
need_file "$LISTENER" "listener"
need_file "$PSCAN" "pscan"

tb_create synlo --isolated || bail "cannot create the namespace"
PSCAN_NS=$TB_NS
for a in 127.0.0.1 127.0.0.2 ::1; do
    tb_route_check -n "$TB_NS" "$a" lo || bail "$a is not routed via lo"
done

start() { listener_start -n "$TB_NS" "$@" || bail "listener $1 did not start"; }
read -r -a dual <<<"$(syn_ports_between 1 1000 4) $((10000 + RANDOM % 20000))"
hi=${dual[4]}
start dual -6 :: "${dual[@]}"
start lo1 127.0.0.1 0
lo1=${L_PORTS[0]}
start lo2 127.0.0.2 0
lo2=${L_PORTS[0]}
start lo6 -6 ::1 0
lo6=${L_PORTS[0]}

want4=$(listen_ports -n "$TB_NS" 4 127.0.0.1)
want6=$(listen_ports -n "$TB_NS" 6 ::1)
check_set "ss: IPv4 view of 127.0.0.1 is what we built" "$want4" "${dual[*]} $lo1"
check_set "ss: IPv6 view of ::1 is what we built" "$want6" "${dual[*]} $lo6"

# ----------------------------------------------------------- 1. ground truth
for a in 127.0.0.1 ::1; do
    if [ "$a" = ::1 ]; then want=$want6; else want=$want4; fi
    plist="1-1000,$hi,$lo1,$lo2,$lo6"
    nscan=$({ seq 1000; printf '%s\n' "$hi" "$lo1" "$lo2" "$lo6"; } | sort -u | wc -l)
    tag="-sS -p 1-1000 and the listeners' ports, $a"
    pscan_run "lo-$a" -n -v -sS -p "$plist" "$a"
    check_eq "$tag: exit 0" "$RC" 0
    [ "$RC" -eq 0 ] || show_run
    check_eq "$tag: one report" "$(report_hosts "$OUT" | tr '\n' ' ')" "$a "
    check_set "$tag: open = ss's listeners" "$(report_ports "$OUT" "$a" open)" "$want"
    check_eq "$tag: the rest closed (reset)" "$(grep '^Not shown' "$OUT")" \
        "Not shown: $((nscan - $(wc -w <<<"$want"))) closed tcp ports (reset)"
    check_eq "$tag: probes sent" "$(syn_stat "$ERR" sent)" "$nscan"
    check_eq "$tag: nothing resent" "$(syn_stat "$ERR" resent)" 0
    check_eq "$tag: stderr is the stats line only" "$(grep -vc '^syn: ' "$ERR")" 0
done

# Every port of two addresses: 131070 probes, more than one chunk (65536).
pscan_run lo-all -n -v -sS -p- 127.0.0.1 127.0.0.2
tag="-sS -p- 127.0.0.1 127.0.0.2"
check_eq "$tag: exit 0" "$RC" 0
[ "$RC" -eq 0 ] || show_run
check_set "$tag: 127.0.0.1 open = ss's listeners" "$(report_ports "$OUT" 127.0.0.1 open)" "$want4"
check_set "$tag: 127.0.0.2 open = ss's listeners" "$(report_ports "$OUT" 127.0.0.2 open)" \
    "$(listen_ports -n "$TB_NS" 4 127.0.0.2)"
check_eq "$tag: 127.0.0.1 closed = the rest" "$(report_count "$OUT" 127.0.0.1 closed)" \
    $((65535 - $(wc -w <<<"$want4")))
check_eq "$tag: nothing filtered" \
    "$(($(report_count "$OUT" 127.0.0.1 filtered) + $(report_count "$OUT" 127.0.0.2 filtered)))" 0
check_eq "$tag: probes sent" "$(syn_stat "$ERR" sent)" 131070
note "$tag: $(syn_stat "$ERR" seconds) s, $(syn_stat "$ERR" rate) probes/s, resent $(syn_stat "$ERR" resent)"

# ------------------------------------------------ 7. without CAP_NET_RAW
if syn_unpriv_pscan; then
    plist="1-1000,$hi,$lo1"
    syn_unpriv_run nobody -n -p "$plist" 127.0.0.1
    tag="as nobody, no -sT/-sS"
    check_eq "$tag: exit 0" "$RC" 0
    [ "$RC" -eq 0 ] || show_run
    # Two notes at most, each once: the fallback, and (local truth) that
    # root's listeners' owners cannot be read by nobody.
    check_eq "$tag: one note about raw sockets" "$(grep -c 'raw sockets\|CAP_NET_RAW' "$ERR")" 1
    check_eq "$tag: nothing else on stderr but the hidden-owners note" \
        "$(grep -v 'raw sockets\|CAP_NET_RAW\|cannot see the owners' "$ERR" | wc -l)" 0
    check_cmd "$tag: the note says it falls back to a connect scan" \
        grep -q 'connect scan' "$ERR"
    check_set "$tag: open = ss's listeners" "$(report_ports "$OUT" 127.0.0.1 open)" "$want4"
    check_eq "$tag: the rest closed (conn-refused)" "$(grep '^Not shown' "$OUT")" \
        "Not shown: 996 closed tcp ports (conn-refused)"

    syn_unpriv_run nobody-q -q -n -p "$plist" ::1
    check_eq "as nobody, -q: exit 0" "$RC" 0
    check_eq "as nobody, -q: stderr empty" "$(cat "$ERR")" ""
    check_set "as nobody, -q, ::1: open = ss's listeners" "$(report_ports "$OUT" ::1 open)" "${dual[*]}"

    syn_unpriv_run nobody-ss -n -sS -p "$plist" 127.0.0.1
    tag="as nobody, -sS"
    check_eq "$tag: exit 2" "$RC" 2
    check_eq "$tag: one line on stderr" "$(wc -l <"$ERR")" 1
    check_cmd "$tag: the line names CAP_NET_RAW" grep -q 'CAP_NET_RAW' "$ERR"
    check_eq "$tag: nothing on stdout" "$(cat "$OUT")" ""
else
    not_ok "as nobody: cannot make pscan runnable by uid 65534"
fi

# ------------------------------------------------ 5. bad SYN-scan options
# Each must exit 1 with one line on stderr naming the token, print nothing
# on stdout (so nothing was scanned).  One TAP line per value.
bad() {
    local opt=$1 val=$2 why=""
    pscan_run bad -n -sS -p 1 "$opt" "$val" 127.0.0.1
    [ "$RC" -eq 1 ] || why="${why}exit status $RC, not 1; "
    [ "$(wc -l <"$ERR")" -eq 1 ] || why="${why}$(wc -l <"$ERR") lines on stderr, not 1; "
    grep -qF "'$val'" "$ERR" || why="${why}stderr does not name '$val'; "
    [ -s "$OUT" ] && why="${why}stdout not empty: $(head -c 200 "$OUT" | tr '\n' '|')"
    if [ -z "$why" ]; then
        ok "$opt '$val': exit 1, one line on stderr naming it, nothing scanned"
    else
        not_ok "$opt '$val': exit 1, one line on stderr naming it, nothing scanned" "$why"
    fi
}
for v in 0/3 4/3 x 1/0 3 1/ /3 -1/3 1/3x 3/2 0/0 \
    4294967297/3 1/4294967299 -4294967295/3 1/2/3; do
    bad --shard "$v"
done
for v in garbage 999.1.1.1 198.18.0.1/24 1.2.3 ::g 127.0.0.1x ""; do
    bad --source-ip "$v"
    bad -S "$v"
done

finish
