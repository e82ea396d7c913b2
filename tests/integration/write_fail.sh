#!/usr/bin/env bash
# tests/integration/write_fail.sh: an output that cannot be written.
#
# Every write and the final flush and close are checked: an output that
# fails (/dev/full: no space; /proc/version: a file that takes no write;
# standard output on a full device) makes the exit status 2 with one line
# on standard error, "pscan: cannot write FILE: reason" (both files named
# on that line when two fail), and every other output is still written to
# its end.  A resumed run whose output fails leaves its resume file as it
# was (what it found is not on record), so the resume can be run again.
# pscan runs in a namespace of its own with only lo, against 127.0.0.1.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
# Whatever pscan writes in its working directory (pscan.resume when it is
# stopped, -oA files) lands in the test's own directory, never in the work tree.
cd "$TEST_TMP" || bail "cannot enter $TEST_TMP"
need_root
need_cmd ip jq timeout pgrep
need_file "$PSCAN" "pscan"
need_file "$LISTENER" "listener"
[ -w /dev/full ] || bail "no /dev/full"

tb_create wfail --isolated || bail "cannot create the namespace"
PSCAN_NS=$TB_NS
listener_start -n "$TB_NS" wf 127.0.0.1 22 80 || bail "listener did not start"
SCAN=(-n -sT -p 1-100 127.0.0.1)

# complete FILE: JSON Lines valid to the end, the summary last.
complete() { jq -e . "$1" >/dev/null 2>&1 && tail -n 1 "$1" | jq -e 'select(.type=="summary")' >/dev/null 2>&1; }

# failed TAG WANT ARGS...: pscan ARGS (and -oJ ok.jsonl) exits 2, says WANT
# in its one line, and ok.jsonl is complete.
n=0
failed() {
    local tag=$1 want=$2
    shift 2
    rm -f "$TEST_TMP/ok.jsonl"
    n=$((n + 1))
    pscan_run "fail$n" "${SCAN[@]}" "$@" -oJ "$TEST_TMP/ok.jsonl"
    check_eq "$tag: exit 2" "$RC" 2
    check_eq "$tag: one line on stderr" "$(grep -c '' "$ERR")" 1
    check_cmd "$tag: it says: $want" grep -qxF "$want" "$ERR"
    [ "$RC" = 2 ] || show_run
    check_cmd "$tag: the other output is complete" complete "$TEST_TMP/ok.jsonl"
}

failed "-oN /dev/full" "pscan: cannot write '/dev/full': No space left on device" -oN /dev/full
failed "-oJ /dev/full" "pscan: cannot write '/dev/full': No space left on device" -oJ /dev/full
failed "-oG /dev/full" "pscan: cannot write '/dev/full': No space left on device" -oG /dev/full
failed "-oX /proc/version" "pscan: cannot write '/proc/version': Input/output error" -oX /proc/version
failed "two outputs fail" \
    "pscan: cannot write '/dev/full': No space left on device; cannot write '/proc/version': Input/output error" \
    -oN /dev/full -oX /proc/version

# Standard output on a full device; then the outputs to files complete.
in_ns "$TB_NS" timeout 60 "$PSCAN" "${SCAN[@]}" -oX "$TEST_TMP/stdout.xml" >/dev/full 2>"$TEST_TMP/stdout.err"
check_eq "stdout full: exit 2" "$?" 2
check_cmd "stdout full: one line: cannot write standard output" \
    grep -qxF "pscan: cannot write standard output: No space left on device" "$TEST_TMP/stdout.err"
check_cmd "stdout full: the XML is complete" grep -q '^</nmaprun>$' "$TEST_TMP/stdout.xml"
for what in --help --version --help-format=markdown; do
    in_ns "$TB_NS" "$PSCAN" "$what" >/dev/full 2>"$TEST_TMP/help.err"
    check_eq "$what to a full stdout: exit 2" "$?" 2
    check_cmd "$what to a full stdout: says so" grep -qxF "pscan: cannot write standard output: No space left on device" \
        "$TEST_TMP/help.err"
done

# A resumed run whose normal output fails: exit 2, the resume file stays.
R=$TEST_TMP/res
mkdir -p "$R"
(cd "$R" && exec ip netns exec "$TB_NS" timeout -s KILL 60 "$PSCAN" -n -sT -Pn -p 1-2000 --max-rate 500 127.0.0.1 \
    -oN out.nmap >run1.out 2>run1.err) &
pid=$!
sleep 1
kill -INT "$(pgrep -P "$pid" -x pscan)"
wait "$pid"
check_eq "resume: the first run was interrupted: exit 4" "$?" 4
ln -sf /dev/full "$R/out.nmap"
(cd "$R" && ip netns exec "$TB_NS" timeout 60 "$PSCAN" --resume pscan.resume >run2.out 2>run2.err)
check_eq "resume, its output full: exit 2" "$?" 2
check_cmd "resume, its output full: says so" grep -qxF "pscan: cannot write 'out.nmap': No space left on device" "$R/run2.err"
check_cmd "resume, its output full: pscan.resume stays, still to be resumed" grep -qx 'state interrupted' "$R/pscan.resume"
check_cmd "resume, its output full: no pscan.resume.done" test ! -e "$R/pscan.resume.done"
finish
