#!/usr/bin/env bash
# tests/integration/interrupt.sh: a stop (SIGINT, SIGTERM) in any phase.
#
# Every phase -- host discovery, the SYN, connect and UDP scans, and -sV --
# must end within about a second of the first signal (asserted: under 3 s,
# the machine is shared), exit 4, leave valid partial output in every
# format (-oA: JSON Lines whose last line is the summary saying
# "interrupted", XML valid against nmap's DTD with exit="error" and an
# errormsg, grepable and normal output ending with their done lines) and a
# resume file, and say so on standard error in one line that shows the
# program as it was invoked (./pscan here).  What a stopped run did not
# scan is never shown as filtered: it is counted as not scanned
# (interrupted).  The resume file's life: a resumed run that finishes
# renames it pscan.resume.done and resuming it again is refused; a resumed
# run that is stopped again keeps its state in the same file, and its XML
# never overwrites an earlier resumed run's.  A second signal, half a second
# after the first, ends pscan at once.
#
# Targets: the test host's 198.19.X.0/24.  Its .1 holds 20 silent listeners
# (-sV waits seconds on each); "drop" makes the host drop everything, so
# discovery and the port scans wait on timeouts.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
# Whatever pscan writes in its working directory (pscan.resume when it is
# stopped, -oA files) lands in the test's own directory, never in the work tree.
cd "$TEST_TMP" || bail "cannot enter $TEST_TMP"
need_root
need_cmd ip nft jq xmllint timeout mkfifo pgrep
need_file "$LISTENER" "listener"
need_file "$PSCAN" "pscan"
DTD=/usr/share/nmap/nmap.dtd # from the nmap package (DEPS_PEERS)
[ -r "$DTD" ] || bail "no $DTD: make deps installs nmap"

tb_create intr --local || bail "cannot create the test host"
tb_route_check "${TB_LOCAL_PFX}1" "$TB_VH" || bail "${TB_LOCAL_PFX}1 is not routed via $TB_VH"
SV_HOST=${TB_LOCAL_PFX}1
listener_start -n "$TB_NS" silent -s -t 300 0.0.0.0 $(seq 7001 7020) || bail "listener did not start"

drop_all() {
    tb_run_ns nft -f - <<EOF
table inet intr {
    chain input { type filter hook input priority 0; policy drop; }
}
EOF
}
undrop_all() { tb_run_ns nft delete table inet intr 2>/dev/null || true; }

# signal_pscan PID SIG: PID is a timeout(1) exec'd over a subshell; signal
# its child, pscan, alone (timeout would pass it on twice: to the child,
# then to its process group).
signal_pscan() {
    local child
    child=$(pgrep -P "$1" -x pscan) || { note "no pscan under $1"; return; }
    kill "-$2" "$child"
}

# stopped TAG PAUSE SIG ARGS...: ./pscan ARGS -oA out in TEST_TMP/TAG (./pscan
# a link to PSCAN, run as that), signal SIG after PAUSE seconds.  Sets D, RC,
# STOP_MS (from the signal to the exit).
stopped() {
    local tag=$1 pause=$2 sig=$3 pid t0 t1
    shift 3
    D=$TEST_TMP/$tag
    mkdir -p "$D"
    ln -sf "$PSCAN" "$D/pscan"
    (cd "$D" && exec timeout -s KILL 60 ./pscan "$@" -oA out >run.out 2>run.err) &
    pid=$!
    sleep "$pause"
    kill -0 "$pid" 2>/dev/null || note "$tag: pscan ended before the signal"
    t0=$(date +%s%N)
    signal_pscan "$pid" "$sig"
    wait "$pid"
    RC=$?
    t1=$(date +%s%N)
    STOP_MS=$(((t1 - t0) / 1000000))
}

# check_stopped TAG PHASE: what every stopped run must leave.
check_stopped() {
    local tag=$1 phase=$2
    check_eq "$tag: exit 4 (interrupted)" "$RC" 4
    check_cmd "$tag: ended ${STOP_MS} ms after the signal (< 3000)" test "$STOP_MS" -lt 3000
    check_cmd "$tag: says it was interrupted $phase, as invoked: ./pscan --resume pscan.resume" \
        grep -q "^pscan: interrupted $phase.*Continue with: ./pscan --resume pscan.resume\$" "$D/run.err"
    check_eq "$tag: one line on stderr" "$(grep -c '' "$D/run.err")" 1
    [ "$(grep -c '' "$D/run.err")" = 1 ] || sed 's/^/#   | /' "$D/run.err" | head -5
    check_cmd "$tag: pscan.resume written" grep -qx 'state interrupted' "$D/pscan.resume"
    check_cmd "$tag: -oJ: every line valid, the last the summary, interrupted" \
        sh -c "jq -e . '$D/out.jsonl' >/dev/null && tail -n 1 '$D/out.jsonl' | jq -e 'select(.type==\"summary\" and .interrupted == true)' >/dev/null"
    check_cmd "$tag: -oX: valid against nmap.dtd" xmllint --noout --dtdvalid "$DTD" "$D/out.xml"
    check_cmd "$tag: -oX: exit=\"error\" with an errormsg" grep -q 'exit="error" errormsg="interrupted: ' "$D/out.xml"
    check_cmd "$tag: -oG: ends with its done line, interrupted" sh -c "tail -n 1 '$D/out.gnmap' | grep -q '^# pscan done at .*interrupted'"
    check_cmd "$tag: -oN: ends with its done line, interrupted" sh -c "tail -n 1 '$D/out.nmap' | grep -q '^pscan done: .*interrupted'"
}

# ---- -sV: silent services keep it busy for seconds ---------------------------
stopped sv 1 INT -n -sV -p 7001-7020 "$SV_HOST"
check_stopped sv "during service detection"
check_eq "sv: the XML names no port as filtered" "$(grep -c 'state="filtered"' "$D/out.xml")" 0
# Resumed and stopped again, then resumed to the end: nothing overwritten.
sv=$D
(cd "$sv" && exec timeout -s KILL 60 ./pscan --resume pscan.resume >run2.out 2>run2.err) &
pid=$!
sleep 1
signal_pscan "$pid" TERM
wait "$pid"
check_eq "sv, resumed: SIGTERM stops it too: exit 4" "$?" 4
check_cmd "sv, resumed: its state back in pscan.resume" grep -qx 'state interrupted' "$sv/pscan.resume"
(cd "$sv" && timeout 60 ./pscan --resume pscan.resume >run3.out 2>run3.err)
check_eq "sv, resumed again: exit 0" "$?" 0
check_cmd "sv: each resumed run's XML in a file of its own" test -s "$sv/out.xml.resumed" -a -s "$sv/out.xml.resumed.2"
for f in out.xml out.xml.resumed out.xml.resumed.2; do
    check_cmd "sv: $f valid against nmap.dtd" xmllint --noout --dtdvalid "$DTD" "$sv/$f"
done
check_eq "sv: the three runs found the 20 ports open, once each" \
    "$(jq -r 'select(.type=="host") | .ports[] | select(.state=="open") | .port' "$sv/out.jsonl" | sort | uniq -c | awk '$1 == 1' | wc -l)" 20
check_cmd "sv: finished: pscan.resume is now pscan.resume.done" test ! -e "$sv/pscan.resume" -a -s "$sv/pscan.resume.done"
check_cmd "sv: pscan.resume.done says finished" grep -qx 'state finished' "$sv/pscan.resume.done"
(cd "$sv" && ./pscan --resume pscan.resume.done >run4.out 2>run4.err)
check_eq "sv: resuming the finished scan is refused: exit 1" "$?" 1
check_cmd "sv: ... with one line saying it finished" \
    sh -c "test \$(grep -c '' '$sv/run4.err') = 1 && grep -q 'that scan finished' '$sv/run4.err'"
(cd "$sv" && ./pscan --resume pscan.resume >run5.out 2>run5.err)
check_eq "sv: resuming the gone pscan.resume: exit 1" "$?" 1
check_cmd "sv: ... pointing at pscan.resume.done" grep -q "its scan finished: see 'pscan.resume.done'" "$sv/run5.err"
check_eq "sv: nothing more appended by the refused runs" "$(grep -c '"type":"summary"' "$sv/out.jsonl")" 3

# ---- the port scans and discovery, against a host that drops everything ------
drop_all
at_exit undrop_all

# The SYN scan: 4 hosts x 65535 ports, four chunks of its order; one try
# each and a short timeout, so that the first chunk is finished (every
# probe dropped: filtered) when the signal comes in the second.
stopped syn 1.5 INT -n -Pn -sS -p 1-65535 --max-retries 0 --initial-rtt-timeout 100ms --max-rate 100000 \
    "${TB_LOCAL_PFX}1-4"
check_stopped syn "in the syn scan"
# per_host FILE REASON: "filtered not-scanned(REASON)" per host line, summed over hosts.
per_host() {
    jq -r --arg why "$2" 'select(.type=="host") |
        "\([.hidden[] | select(.state=="filtered") | .count] | add // 0) \([.not_scanned[] | select(.reason==$why) | .count] | add // 0)"' "$1"
}
per_host "$D/out.jsonl" interrupted >"$D/first"
check_eq "syn: 4 hosts reported" "$(wc -l <"$D/first")" 4
check_eq "syn: on every host, filtered (probed) + not scanned (interrupted) = 65535" \
    "$(awk '{ print $1 + $2 }' "$D/first" | sort -u | tr '\n' ' ')" "65535 "
filtered=$(awk '{ n += $1 } END { print n + 0 }' "$D/first")
check_cmd "syn: only the probed pairs are filtered: the finished chunk ($filtered of 262140)" \
    test "$filtered" -ge 65536 -a "$filtered" -lt 262140
check_cmd "syn: a Not scanned line" grep -q "^Not scanned: [0-9]* tcp ports (interrupted)" "$D/out.nmap"
(cd "$D" && timeout 60 ./pscan --resume pscan.resume >run2.out 2>run2.err)
check_eq "syn, resumed: exit 0" "$?" 0
per_host "$D/out.jsonl" earlier-run | tail -n 4 >"$D/second"
check_eq "syn, resumed: shows the rest filtered, not again the first run's" \
    "$(awk '{ print $1 + $2 }' "$D/second" | sort -u | tr '\n' ' ')" "65535 "
check_eq "syn, resumed: the first run's pairs counted as earlier-run" \
    "$(awk '{ n += $2 } END { print n + 0 }' "$D/second")" "$filtered"

stopped connect 1 INT -n -Pn -sT -p 1-50 "${TB_LOCAL_PFX}0/24"
check_stopped connect "in the connect scan"
check_eq "connect: no host shows a port it did not finish" "$(jq -c 'select(.type=="host")' "$D/out.jsonl" | wc -l)" 0
check_cmd "connect: the summary counts every pair not scanned" \
    grep -q "; 12800 of 12800 host-port pairs not scanned (12800 interrupted)" "$D/out.nmap"

stopped udp 1 TERM -n -Pn -sU -p 1-100 "${TB_LOCAL_PFX}0/28"
check_stopped udp "in the udp scan"

stopped discovery 1 INT -n -sn -PE --max-retries 10 "${TB_LOCAL_PFX}0/24"
check_stopped discovery "in host discovery"
stopped discovery2 1 INT -n -PE --max-retries 10 -p 22 "${TB_LOCAL_PFX}0/24"
check_stopped discovery2 "in host discovery"
(cd "$D" && timeout 60 ./pscan --resume pscan.resume >run2.out 2>run2.err)
check_eq "discovery, resumed: runs discovery again, to its end: exit 0" "$?" 0
check_cmd "discovery, resumed: ... where no host answered (all dropped)" \
    grep -q "no host answered host discovery" "$D/run2.err"

# ---- a second signal ends pscan at once ---------------------------------------
# pscan waits to open its -oN output, a FIFO nobody reads: the first signal
# only asks it to stop (it cannot until the open returns); the second, half
# a second later, ends it.
undrop_all
mkfifo "$TEST_TMP/fifo"
"$PSCAN" -n -sT -p 22 "$SV_HOST" -oN "$TEST_TMP/fifo" >"$TEST_TMP/fifo.out" 2>&1 &
pid=$!
sleep 0.5
kill -INT "$pid"
sleep 0.7
alive=0
kill -0 "$pid" 2>/dev/null && alive=1
check_eq "second signal: the first one alone does not kill" "$alive" 1
kill -INT "$pid"
for i in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
gone=1
kill -0 "$pid" 2>/dev/null && gone=0
check_eq "second signal: ends pscan at once" "$gone" 1
[ "$gone" = 1 ] || kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
finish
