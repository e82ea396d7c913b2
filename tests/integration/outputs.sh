#!/usr/bin/env bash
# tests/integration/outputs.sh: the output formats, --expect and `pscan diff`
# on real connect scans of loopback listeners.
#
# Everything runs in a namespace with only lo (tb_create --isolated), so
# the listeners are ours alone.  Checked: every -oJ line parses with jq and
# the lines come in the documented order; -oX validates against nmap's DTD
# (xmllint --dtdvalid) and ndiff reads it; -oG and -oN list the open ports;
# "-oX -" takes standard output for itself; no output carries an ESC byte
# even though a listener's banner does; --expect exits 0 / 3 / 1; `pscan
# diff` exits 0 / 1 / 2 on scans before and after a listener starts.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
# Whatever pscan writes in its working directory (pscan.resume when it is
# stopped, -oA files) lands in the test's own directory, never in the work tree.
cd "$TEST_TMP" || bail "cannot enter $TEST_TMP"
need_root
need_cmd ip jq xmllint timeout
need_file "$LISTENER" "listener"
need_file "$PSCAN" "pscan"
DTD=/usr/share/nmap/nmap.dtd

tb_create lo --isolated || bail "cannot create the namespace"
PSCAN_NS=$TB_NS
tb_route_check -n "$TB_NS" 127.0.0.1 lo || bail "127.0.0.1 is not routed via lo"

listener_start -n "$TB_NS" a -b $'\e[2J\e]0;pwned\aSSH-2.0-x\xff' 127.0.0.1 0 0 || bail "listener a"
A=("${L_PORTS[@]}")
# Closed neighbours: 22 and 80 (nothing listens in this namespace).
PORTS="22,80,${A[0]},${A[1]}"
T=$TEST_TMP

# ---- one scan, every format ------------------------------------------------
pscan_run all -n -sT -p "$PORTS" 127.0.0.1 -oJ "$T/a.jsonl" -oX "$T/a.xml" -oG "$T/a.gnmap" -oN "$T/a.nmap"
check_eq "scan with -oJ -oX -oG -oN: exit 0" "$RC" 0
[ "$RC" -eq 0 ] || show_run

bad=0
while IFS= read -r line; do
    jq -e . >/dev/null 2>&1 <<<"$line" || bad=$((bad + 1))
done <"$T/a.jsonl"
check_eq "-oJ: every line is valid JSON (jq)" "$bad" 0
check_eq "-oJ: line types in order" "$(jq -r .type "$T/a.jsonl" | uniq | tr '\n' ' ')" "scan port host summary "
check_eq "-oJ: schema 1 on every line" "$(jq -r .schema "$T/a.jsonl" | sort -u)" "1"
check_set "-oJ: open ports of the host line" \
    "$(jq -r 'select(.type=="host") | .ports[] | select(.state=="open") | .port' "$T/a.jsonl")" "${A[*]}"
check_set "-oJ: port lines (streamed as found)" \
    "$(jq -r 'select(.type=="port") | .port' "$T/a.jsonl")" "${A[*]}"
check_eq "-oJ: registry of 22" \
    "$(jq -r 'select(.type=="host") | .ports[] | select(.port==22) | "\(.registry.name) \(.registry.status)"' "$T/a.jsonl")" \
    "ssh assigned"
check_eq "-oJ: summary counts" "$(jq -c 'select(.type=="summary") | .ports' "$T/a.jsonl")" \
    '{"open":2,"closed":2,"filtered":0,"open|filtered":0}'
check_cmd "-oJ: start time is ISO 8601 UTC" \
    grep -qE '"start":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z"' "$T/a.jsonl"

if [ -r "$DTD" ]; then
    check_cmd "-oX: valid against nmap.dtd (xmllint --dtdvalid)" \
        xmllint --noout --dtdvalid "$DTD" "$T/a.xml"
else
    skip "-oX: valid against nmap.dtd" "no $DTD"
fi
check_set "-oX: open ports" \
    "$(grep -o 'portid="[0-9]*"><state state="open"' "$T/a.xml" | grep -o '[0-9]*' | head -n 2)" "${A[*]}"
for p in "${A[@]}"; do
    check_cmd "-oG: Ports line lists open port $p" grep -qE "Ports: .*\b$p/open/tcp/[^/]*/" "$T/a.gnmap"
done
check_cmd "-oG: 22 closed with its registered name" grep -q "22/closed/tcp//ssh///" "$T/a.gnmap"
check_set "-oN file: open ports" "$(report_ports "$T/a.nmap" 127.0.0.1 open)" "${A[*]}"
check_set "stdout (normal): open ports" "$(report_ports "$OUT" 127.0.0.1 open)" "${A[*]}"
esc=0
for f in "$T/a.jsonl" "$T/a.xml" "$T/a.gnmap" "$T/a.nmap" "$OUT"; do
    if LC_ALL=C grep -q $'\e' "$f"; then esc=$((esc + 1)); fi
done
check_eq "no output holds a raw ESC byte" "$esc" 0

pscan_run xstdout -n -sT -p "$PORTS" 127.0.0.1 -oX -
check_eq "-oX -: exit 0" "$RC" 0
if [ -r "$DTD" ]; then
    check_cmd "-oX -: standard output is only the XML, and valid" xmllint --noout --dtdvalid "$DTD" "$OUT"
fi

# ---- --expect ---------------------------------------------------------------
printf '# loopback policy\n127.0.0.0/8 %s,%s\n* none\n' "${A[0]}" "${A[1]}" >"$T/allow.policy"
pscan_run expect-ok -n -sT -p "$PORTS" 127.0.0.1 --expect "$T/allow.policy"
check_eq "--expect: everything open is allowed: exit 0" "$RC" 0
check_eq "--expect: nothing on stderr" "$(grep -c unexpected "$ERR")" 0

printf '127.0.0.0/8 tcp/%s\n127.0.0.1 tcp/%s, tcp/80\n' "${A[0]}" "${A[0]}" >"$T/deny.policy"
pscan_run expect-bad -n -sT -p "$PORTS" 127.0.0.1 --expect "$T/deny.policy"
check_eq "--expect: an unexpected port: exit 3" "$RC" 3
check_cmd "--expect: names port, host and the host's own rule (line 2)" \
    grep -qx "pscan: unexpected open port ${A[1]}/tcp on 127.0.0.1 (policy line 2)" "$ERR"
check_eq "--expect: the violations are all stderr says (no empty 'pscan: ' line after them)" \
    "$(grep -vc '^pscan: unexpected open port ' "$ERR")" 0

pscan_run expect-strict -n -sT -p "$PORTS" 127.0.0.1 --expect "$T/allow.policy" --expect-strict
check_eq "--expect-strict: all expected ports open: exit 0" "$RC" 0
pscan_run expect-strict2 -n -sT -p "$PORTS" 127.0.0.1 --expect "$T/deny.policy" --expect-strict
check_eq "--expect-strict: expected 80 is closed: exit 3" "$RC" 3
check_cmd "--expect-strict: says so" grep -qx "pscan: expected port 80/tcp on 127.0.0.1 is closed (policy line 2)" "$ERR"

printf '127.0.0.1 22\nnot-an-address! 80\n' >"$T/broken.policy"
pscan_run expect-broken -n -sT -p "$PORTS" 127.0.0.1 --expect "$T/broken.policy"
check_eq "--expect: a bad policy file: exit 1" "$RC" 1
check_cmd "--expect: the message names file and line" grep -q "broken.policy:2:" "$ERR"
pscan_run expect-missing -n -sT -p "$PORTS" 127.0.0.1 --expect "$T/nonexistent.policy"
check_eq "--expect: a missing policy file: exit 1" "$RC" 1

# ---- pscan diff ------------------------------------------------------------
if "$PSCAN" diff --help 2>/dev/null | grep -q '^usage: pscan diff'; then
    PDIFF=("$PSCAN" diff)
else
    # main.c does not dispatch `pscan diff` yet: drive ps_diff_main directly.
    note "pscan diff is not dispatched by main: using a driver over build/libpscan.a"
    printf '#include "pscan/diff.h"\nint main(int c, char **v) { return ps_diff_main(c, v); }\n' >"$T/pdiff.c"
    # shellcheck disable=SC2046
    cc -std=gnu11 -I"$TEST_ROOT/include" -o "$T/pdiff" "$T/pdiff.c" "$TEST_ROOT/build/libpscan.a" \
        $(pkg-config --libs libpcap libpcre2-8 libssl libcrypto) $(libnet-config --libs 2>/dev/null || echo -lnet) \
        -lpthread -lm || bail "cannot build the diff driver"
    PDIFF=("$T/pdiff")
fi
pdiff() {
    timeout 30 "${PDIFF[@]}" "$@" >"$T/diff.out" 2>"$T/diff.err"
    RC=$?
}

listener_start -n "$TB_NS" b 127.0.0.1 0 || bail "listener b"
B=${L_PORTS[0]}
pscan_run before -n -sT -p "$PORTS,$B" 127.0.0.1 -oJ "$T/before.jsonl" -oX "$T/before.xml"
kill "$L_PID" 2>/dev/null
for i in $(seq 100); do
    in_ns "$TB_NS" ss -ltnH | grep -q ":$B " || break
    sleep 0.02
done
pscan_run after -n -sT -p "$PORTS,$B" 127.0.0.1 -oJ "$T/after.jsonl" -oX "$T/after.xml"

pdiff "$T/before.jsonl" "$T/before.jsonl"
check_eq "diff: a file against itself: exit 0" "$RC" 0
pdiff "$T/before.jsonl" "$T/before.xml"
check_eq "diff: JSON Lines against XML of the same scan: exit 0" "$RC" 0
[ "$RC" -eq 0 ] || note "$(cat "$T/diff.out" "$T/diff.err")"
pdiff "$T/before.jsonl" "$T/after.jsonl"
check_eq "diff: a listener went away: exit 1" "$RC" 1
# B is a kernel-chosen port: IANA may have a name for it.
check_cmd "diff: names the closed port" grep -Eq "^  - $B/tcp closed: was [^ ]+ \\(now closed\\)" "$T/diff.out"
pdiff "$T/after.xml" "$T/before.xml"
check_eq "diff: XML, the other way round: exit 1" "$RC" 1
check_cmd "diff: names the opened port" grep -q "^  + $B/tcp opened: " "$T/diff.out"
pdiff "$T/before.jsonl" "$T/nonexistent"
check_eq "diff: a missing file: exit 2" "$RC" 2
head -c 200 "$T/after.xml" >"$T/cut.xml"
pdiff "$T/before.xml" "$T/cut.xml"
check_eq "diff: a truncated XML file: exit 2" "$RC" 2
check_cmd "diff: the message names file and line" grep -q "cut.xml:[0-9]*:" "$T/diff.err"
pdiff "$T/before.jsonl"
check_eq "diff: one argument: exit 2" "$RC" 2

if command -v ndiff >/dev/null 2>&1; then
    timeout 30 ndiff "$T/before.xml" "$T/after.xml" >"$T/ndiff.out" 2>&1
    check_eq "ndiff reads our XML and sees the change (exit 1)" "$?" 1
    check_cmd "ndiff: names the port" grep -q "$B/tcp" "$T/ndiff.out"
    timeout 30 ndiff "$T/before.xml" "$T/before.xml" >/dev/null 2>&1
    check_eq "ndiff: same file, no change (exit 0)" "$?" 0
else
    skip "ndiff on pscan XML" "ndiff not installed"
fi

# ---- names: what answered, or honestly nothing ------------------------------
# 2740/tcp is registered as "alarm".  A port scan can only say so, and says
# where the name came from; -sV on a silent listener there must not pass
# the registry's guess off as an answer.
listener_start -n "$TB_NS" silent -s 127.0.0.1 2740 || bail "silent listener on 2740"
pscan_run reg -n -sT -p 2740 127.0.0.1 -oJ "$T/reg.jsonl" -oG "$T/reg.gnmap"
check_cmd "no -sV: SERVICE is the registry's alarm" grep -qE '^2740/tcp +open +alarm' "$OUT"
check_cmd "no -sV: the report says the names are the registry's" grep -q "IANA registry's, not what answered" "$OUT"
check_eq "no -sV: JSONL service_source registry" \
    "$(jq -r 'select(.type=="host") | .ports[] | select(.port==2740) | .service_source' "$T/reg.jsonl")" registry
check_cmd "no -sV: grepable says so too" grep -q "^# Service names are the IANA registry's" "$T/reg.gnmap"
pscan_run honest -n -sT -sV -p 2740 127.0.0.1 -oJ "$T/sv.jsonl" -oX "$T/sv.xml" -oG "$T/sv.gnmap"
check_cmd "-sV, nothing named: SERVICE unknown, the registry a note" \
    grep -qE '^2740/tcp +open +unknown +\(registered: alarm\)' "$OUT"
check_not "-sV: no registry name with a ? anywhere" grep -q 'alarm?' "$OUT" "$T/sv.gnmap"
check_eq "-sV: JSONL service_source none, name null" \
    "$(jq -r 'select(.type=="host") | .ports[] | select(.port==2740) | "\(.service_source) \(.service.name)"' "$T/sv.jsonl")" \
    "none null"
check_cmd "-sV: XML says unknown, probed with no confidence" \
    grep -q '<service name="unknown" method="probed" conf="0"' "$T/sv.xml"
check_not "-sV: XML never calls it alarm by table" grep -q 'name="alarm" method="table"' "$T/sv.xml"
check_cmd "-sV: grepable SERVICE unknown" grep -qE '2740/open/tcp/[^/]*/unknown/' "$T/sv.gnmap"
[ -r "$DTD" ] && check_cmd "-sV: the XML is still valid against nmap.dtd" xmllint --noout --dtdvalid "$DTD" "$T/sv.xml"
# ---- the scan's identity (what pscan merge puts shards back together by) -----
pscan_run id1 -n -sT -p 20-29 127.0.0.1-2 --seed 77 --shard 1/2 -oJ "$T/id1.jsonl"
pscan_run id2 -n -sT -p 20-29 127.0.0.1-2 --seed 77 --shard 2/2 -oJ "$T/id2.jsonl"
scanline() { jq -c 'select(.type=="scan") | [.seed, .shard, .shards, .run, .tcp_ports, .udp_ports]' "$1"; }
check_eq "-oJ identity: seed, shard, shards, run, ports" "$(scanline "$T/id2.jsonl")" '["77",2,2,1,"20-29",""]'
spec1=$(jq -r 'select(.type=="scan") | .spec' "$T/id1.jsonl")
check_cmd "-oJ identity: spec is 16 hex digits" grep -Eqx '[0-9a-f]{16}' <<<"$spec1"
check_eq "-oJ identity: both shards of one scan have one spec" \
    "$(jq -r 'select(.type=="scan") | .spec' "$T/id2.jsonl")" "$spec1"
pscan_run id3 -n -sT -p 20-30 127.0.0.1-2 --seed 77 --shard 2/2 -oJ "$T/id3.jsonl"
check_cmd "-oJ identity: other ports, other spec" \
    test "$(jq -r 'select(.type=="scan") | .spec' "$T/id3.jsonl")" != "$spec1"
# The two shards' covers are each complete, and their slices add up to the pairs.
cover() { jq -r 'select(.type=="summary") | .cover[] | "\(.proto) \(.by) \(.from) \(.to == .units) \(.units)"' "$1"; }
u1=$(cover "$T/id1.jsonl"); u2=$(cover "$T/id2.jsonl")
check_eq "-oJ cover: one protocol, finished, per shard" "${u1% *} / ${u2% *}" "tcp host 0 true / tcp host 0 true"
check_eq "-oJ host lines: their target index" \
    "$(jq -r 'select(.type=="host") | "\(.host)=\(.index)"' "$T/id1.jsonl" | sort | tr '\n' ' ')" "127.0.0.1=0 127.0.0.2=1 "
check_cmd "-oJ cover: absent from an unsplit run's summary" \
    test "$(jq -r 'select(.type=="summary") | has("cover")' "$T/a.jsonl")" = false

# pscan diff reads a service nothing named alike from both (issue 19: it
# said "service alarm -> unknown", and "(none) -> unknown" for 4/tcp, which
# has no registered name), and a JSON Lines file a killed scan cut short at
# its end, with a note.
listener_start -n "$TB_NS" silent4 -s 127.0.0.1 4 || bail "silent listener on 4"
pscan_run svdiff -n -sT -sV -p 4,2740 127.0.0.1 -oJ "$T/svd.jsonl" -oX "$T/svd.xml"
pdiff "$T/svd.jsonl" "$T/svd.xml"
check_eq "diff: -sV JSON Lines against its own XML, nothing named: exit 0" "$RC" 0
[ "$RC" -eq 0 ] || note "$(cat "$T/diff.out" "$T/diff.err")"
head -c -20 "$T/svd.jsonl" >"$T/cut.jsonl"
pdiff "$T/cut.jsonl" "$T/svd.jsonl"
check_eq "diff: JSON Lines whose last line was cut short: read without it, exit 0" "$RC" 0
check_cmd "diff: ... saying so" grep -q "cut.jsonl:[0-9]*: the last line is cut short" "$T/diff.err"

finish
