#!/usr/bin/env bash
# list_scan.sh: -sL prints the targets a scan would probe and sends nothing.
#
# Target parsing and size limits are checked here with -sL, never with a
# live scan: an outside or oversized range (a /7 masks to 198.0.0.0/7) is
# only ever listed.  Runs in a namespace with only lo; that lo's transmit
# counter shows that nothing left.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
cd "$TEST_TMP" || bail "cannot enter $TEST_TMP"
need_root
need_cmd ip timeout
need_file "$PSCAN" "pscan"

tb_create list --isolated || bail "cannot create the namespace"
PSCAN_NS=$TB_NS
tx() { ip netns exec "$TB_NS" cat /sys/class/net/lo/statistics/tx_packets; }

# list NAME ARGS...: a -sL run that must succeed; its report lines in $L.
list() {
    local name=$1
    shift
    pscan_run "$name" -sL "$@" </dev/null
    L=$(sed -n 's/^pscan scan report for //p' "$OUT")
    if [ "$RC" -ne 0 ]; then
        not_ok "$name: exit 0" "exit $RC: $(head -3 "$ERR")"
        return 1
    fi
}

before=$(tx)
list range 198.18.0.0/29 --exclude 198.18.0.2,198.18.0.4-5
check_eq "a /29 less three exclusions: the other five, in order" "$(echo $L)" \
    "198.18.0.0 198.18.0.1 198.18.0.3 198.18.0.6 198.18.0.7"
check_cmd "the done line counts them" grep -q '^pscan done: 5 IP addresses listed' "$OUT"
list octets '198.18.1-2.7,9'
check_eq "nmap's octet ranges" "$(echo $L)" "198.18.1.7 198.18.1.9 198.18.2.7 198.18.2.9"
list v6 2001:db8::/126
check_eq "an IPv6 /126" "$(echo $L)" "2001:db8:: 2001:db8::1 2001:db8::2 2001:db8::3"
list special 224.0.0.0/30 255.255.255.255 198.18.0.1
check_eq "multicast and broadcast are skipped" "$L" "198.18.0.1"
check_cmd "and counted" grep -q '(5 special addresses skipped)' "$OUT"
list special2 --allow-special 224.0.0.0/31
check_eq "--allow-special lists them" "$(echo $L)" "224.0.0.0 224.0.0.1"
printf '127.0.0.1\n# a comment\n198.18.0.9 198.18.0.8\n' >"$TEST_TMP/targets.txt"
list file -iL "$TEST_TMP/targets.txt"
check_eq "-iL: a file, sorted" "$(echo $L)" "127.0.0.1 198.18.0.8 198.18.0.9"
list names localhost
check_eq "a name the user gave is shown with its address" "$L" "localhost (127.0.0.1)"
list reverse -R 127.0.0.1
check_cmd "-R: the resolver's name for the address" grep -q '^pscan scan report for localhost (127.0.0.1)$' "$OUT"
list json 198.18.0.0/31 -oJ "$TEST_TMP/list.jsonl"
check_eq "-oJ: one line per target" "$(grep -c '"type":"target"' "$TEST_TMP/list.jsonl")" 2
check_cmd "-oJ: valid JSON" sh -c 'jq -e "select(.type == \"target\") | .addr" "$1" >/dev/null' _ "$TEST_TMP/list.jsonl"
check_eq "nothing left lo while listing" "$(tx)" "$before"

# Size limits: more than a /8 needs --allow-large, and is then listed.
nb=0
bad_run() {
    nb=$((nb + 1))
    pscan_run "bad$nb" "${@:3}" </dev/null
    if [ "$RC" -eq 1 ] && [ ! -s "$OUT" ] && [ "$(grep -c '' "$ERR")" -eq 1 ] && grep -Eq -- "$2" "$ERR"; then
        ok "$1: exit 1, one line naming it"
    else
        not_ok "$1: exit 1, one line naming it" "exit $RC, stderr: $(head -3 "$ERR")"
    fi
}
bad_run "a /7 without --allow-large" "more than a /8.*--allow-large" -sL 198.18.0.0/7
pscan_run large -sL --allow-large 198.18.0.0/7 -oJ /dev/null -oN "$TEST_TMP/large.txt" </dev/null
check_eq "a /7 with --allow-large: exit 0" "$RC" 0
check_cmd "a /7 with --allow-large: 33554432 listed" grep -q '^pscan done: 33554432 IP addresses listed' \
    "$TEST_TMP/large.txt"
check_eq "a /7 is 198.0.0.0/7: its first address" "$(sed -n 2p "$TEST_TMP/large.txt")" \
    "pscan scan report for 198.0.0.0"
bad_run "an IPv6 /63" "2\^65" -sL 2001:db8::/63
bad_run "too many octet ranges" "too many ranges" -sL '0-255.0-255.0-255.1,3'
check_eq "nothing left lo for the big lists either" "$(tx)" "$before"

# -sL sends nothing, so what would send is refused.
bad_run "-sL -sV" "-sV does not go with it" -sL -sV 127.0.0.1
bad_run "-sL -sS" "-sS does not go with it" -sL -sS 127.0.0.1
bad_run "-sL -sn" "-sn does not go with it" -sL -sn 127.0.0.1
bad_run "-sL -p" "-p does not go with it" -sL -p 80 127.0.0.1
bad_run "-sL -oX" "-oN.*-oJ" -sL -oX "$TEST_TMP/x.xml" 127.0.0.1
bad_run "-R without -sL" "-R .*-sL" -R -sT -p 1 127.0.0.1
bad_run "-sL of a bad address" "300.1.1.1" -sL 300.1.1.1
bad_run "-sL with everything excluded" "exclu" -sL 127.0.0.1 --exclude 127.0.0.0/8

finish
