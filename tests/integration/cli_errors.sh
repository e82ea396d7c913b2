#!/usr/bin/env bash
# tests/integration/cli_errors.sh: every class of bad input is refused cleanly.
#
# The contract: exit status 1, nothing on stdout (nothing was scanned, not even
# the "Starting" line), exactly one line on stderr, and that line names the
# offending token.  pscan runs in a namespace with only lo and no DNS, so a
# token it should have refused ("1.2.3" is 1.2.0.3 to inet_aton) could reach
# nothing even if it were accepted.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
# Whatever pscan writes in its working directory (pscan.resume when it is
# stopped, -oA files) lands in the test's own directory, never in the work tree.
cd "$TEST_TMP" || bail "cannot enter $TEST_TMP"
need_root
need_cmd ip timeout
need_file "$PSCAN" "pscan"

tb_create cli --isolated || bail "cannot create the namespace"
PSCAN_NS=$TB_NS
tb_route_check -n "$TB_NS" 127.0.0.1 lo || bail "127.0.0.1 is not routed via lo"

n=0
# bad NAME TOKEN ARGS...: TOKEN must appear in the message as a word; an
# empty TOKEN skips that check, a TOKEN starting with "~" is a regex instead
# (case-insensitive).
bad() {
    local name=$1 token=$2 lines
    shift 2
    n=$((n + 1))
    pscan_run "bad$n" "$@" </dev/null
    lines=$(grep -c '' "$ERR")
    if [ "$RC" -eq 1 ] && [ ! -s "$OUT" ] && [ "$lines" -eq 1 ]; then
        ok "$name: exit 1, stdout empty, one line on stderr"
    else
        not_ok "$name: exit 1, stdout empty, one line on stderr" \
            "pscan $*
exit $RC, $(wc -c <"$OUT") bytes on stdout, $lines lines on stderr
stderr: $(head -5 "$ERR")
stdout: $(head -3 "$OUT")"
    fi
    case "$token" in
    "") ;;
    "~"*)
        if grep -Eqi -- "${token#\~}" "$ERR"; then
            ok "$name: the message says ${token#\~}"
        else
            not_ok "$name: the message says ${token#\~}" "stderr: $(head -3 "$ERR")"
        fi
        ;;
    *)
        if grep -Fqw -- "$token" "$ERR"; then
            ok "$name: the message names '$token'"
        else
            not_ok "$name: the message names '$token'" "stderr: $(head -3 "$ERR")"
        fi
        ;;
    esac
}

T=127.0.0.1

# Control: good input works here, so the refusals below are not an accident.
pscan_run good -n -sT -p 1 "$T" </dev/null
if [ "$RC" -eq 0 ] && grep -q '^pscan done: ' "$OUT"; then
    ok "control: -sT -p 1 $T exits 0 with a report"
else
    not_ok "control: -sT -p 1 $T exits 0 with a report" "exit $RC; $(head -3 "$ERR")"
fi
pscan_run version --version </dev/null
if [ "$RC" -eq 0 ] && grep -q 'pscan' "$OUT" && [ ! -s "$ERR" ]; then
    ok "control: --version"
else
    not_ok "control: --version" "exit $RC; $(head -3 "$OUT") $(head -3 "$ERR")"
fi
pscan_run help -h </dev/null
if [ "$RC" -eq 0 ] && grep -q -- '-sT' "$OUT" && [ ! -s "$ERR" ]; then
    ok "control: -h lists the options on stdout"
else
    not_ok "control: -h lists the options on stdout" "exit $RC; $(head -3 "$ERR")"
fi

# Ports.
bad "port 0" 0 -n -sT -p 0 "$T"
bad "port 65536" 65536 -n -sT -p 65536 "$T"
bad "port 65536 in a list" 65536 -n -sT -p 22,65536 "$T"
bad "reversed range 80-22" 80-22 -n -sT -p 80-22 "$T"
bad "port 22x" 22x -n -sT -p 22x "$T"
bad "port -p 1-2-3" 1-2-3 -n -sT -p 1-2-3 "$T"
bad "empty -p" "" -n -sT -p "" "$T"
bad "--top-ports abc" abc -n -sT --top-ports abc "$T"

# Targets and target files: with -sL, which sends nothing, so no test of
# parsing or limits ever needs a live scan.
bad "CIDR 198.18.0.0/33" 198.18.0.0/33 -sL 198.18.0.0/33
bad "CIDR 2001:db8::/129" 2001:db8::/129 -sL 2001:db8::/129
bad "address 1.2.3" 1.2.3 -sL 1.2.3
bad "address 300.1.1.1" 300.1.1.1 -sL 300.1.1.1
bad "address 2001:db8:::1" 2001:db8:::1 -sL 2001:db8:::1
bad "unknown host nosuchhost.invalid" nosuchhost.invalid -sL nosuchhost.invalid
bad "a bad target among good ones" 300.1.1.1 -sL "$T" 300.1.1.1
bad "no targets" "~target" -n -sT -p 80

# Files.
missing=/nonexistent-$$/targets.txt
bad "-iL missing file" "$missing" -sL -iL "$missing"
bad "-iL a directory" "$TEST_TMP" -sL -iL "$TEST_TMP"
printf '%s\n300.1.1.1\n' "$T" >"$TEST_TMP/badlist.txt"
bad "-iL file with 300.1.1.1 inside" 300.1.1.1 -sL -iL "$TEST_TMP/badlist.txt"
bad "--excludefile missing file" "$missing" -sL "$T" --excludefile "$missing"
bad "--exclude 198.18.0.0/33" 198.18.0.0/33 -sL "$T" --exclude 198.18.0.0/33

# Options.
bad "unknown option --bogus" --bogus -n -sT -p 80 --bogus "$T"
bad "-p without its argument" -p -n -sT "$T" -p
bad "-iL without its argument" -iL -n -sT -iL
bad "-sT with -sS" -sS -n -sT -sS -p 80 "$T"

# Nothing left to scan.
bad "every target excluded" "~exclu" -sL "$T" --exclude 127.0.0.0/8
printf '%s\n' "$T" >"$TEST_TMP/goodlist.txt"
bad "every -iL target excluded" "~exclu" -sL -iL "$TEST_TMP/goodlist.txt" --exclude "$T"
bad "-e with an unknown interface" nosuchif0 -n -e nosuchif0 -p 80 "$T"
bad "-S not of this machine" 198.18.255.254 -n -S 198.18.255.254 -p 80 "$T"
bad "-S of the other family" ::1 -n -S ::1 -p 80 "$T"
bad "-sU with T: ports only" "~-sS" -n -sU -p T:80 "$T"

# Options that would do nothing in the combination given are refused,
# not accepted silently.
bad "--expect-strict without --expect" --expect-strict -n -sT -p 80 --expect-strict "$T"
bad "--probe-db without -sV" --probe-db -n -sT -p 80 --probe-db /etc/hostname "$T"
bad "--probe-db DIR" "~is a directory" -n -sT -sV -p 80 --probe-db "$TEST_TMP" "$T"
bad "-sn -sV" -sV -n -sn -sV "$T"
bad "-sn -p" -p -n -sn -p 80 "$T"
bad "--stats-every 0" --stats-every -n -sT -p 80 --stats-every 0 "$T"

# Resume files that cannot be resumed.
printf 'pscan-resume 2\nstate interrupted\nseed 1\nhosts 1\nphase connect 7 1 0\narg pscan\narg -sT\narg %s\n' "$T" \
    >"$TEST_TMP/beyond.resume"
bad "a resume file at a position beyond its end" "~beyond its end" --resume "$TEST_TMP/beyond.resume"
printf 'pscan-resume 2\nstate finished\nfinished 1767225600\nseed 1\nhosts 1\nphase connect 1 1 1\narg pscan\narg %s\n' \
    "$T" >"$TEST_TMP/done.resume"
bad "a finished scan's resume file" "~that scan finished at 2026-01-01" --resume "$TEST_TMP/done.resume"
bad "a resume file that is gone" "~no such file" --resume "$TEST_TMP/gone.resume"

finish
