#!/usr/bin/env bash
# bench/report_size.sh: how large the HTML audit report of a big scan is,
# how long pscan takes to write it, and how a browser copes with it.
#
#   bench/report_size.sh [--hosts N] [--open N] [--pscan PATH]
#
# The results are synthetic (tests/tools/synth_jsonl.py): by default the
# 65,536 hosts of 198.18.0.0/16 with 100,000 open ports spread over them,
# about a quarter with a TLS certificate.  Measured, one line each:
#   - the JSON Lines input and the HTML report (bytes), and the JUnit
#     report with a policy (a check per open port);
#   - pscan report --html and --junit: wall seconds;
#   - headless Chromium (Debian's chromium): wall seconds from start to
#     the dumped DOM, including Chromium's own start-up (measured apart on
#     an empty page); the report's script's own time to take the rows and
#     show the first page (data-init-ms); a sort by service and a filter
#     (data-last-ms, from #sort=-service and #service=http in the address).
# Nothing is sent anywhere: Chromium opens a file, with its network
# features off.  Everything is written to a temporary directory, removed
# at the end.
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
HOSTS=65536 OPEN=100000 PSCAN=$ROOT/pscan
while [ $# -gt 0 ]; do
    case $1 in
    --hosts) HOSTS=$2; shift 2 ;;
    --open) OPEN=$2; shift 2 ;;
    --pscan) PSCAN=$2; shift 2 ;;
    *) echo "usage: $0 [--hosts N] [--open N] [--pscan PATH]" >&2; exit 2 ;;
    esac
done
command -v chromium >/dev/null || { echo "needs chromium (make deps)" >&2; exit 2; }
T=$(mktemp -d /tmp/pscan-report-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT

secs() { # secs CMD...: wall seconds of CMD, to stdout; CMD's output to $T/out
    local a b
    a=$(date +%s.%N)
    "$@" >"$T/out" 2>"$T/err"
    b=$(date +%s.%N)
    echo "$a $b" | awk '{ printf "%.2f", $2 - $1 }'
}
chrome() {
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$(mktemp -d "$T/prof.XXXXXX")" --dump-dom "$@"
}
body() { grep -o '<body[^>]*>' "$T/out" | grep -o "$1=\"[^\"]*\"" | cut -d'"' -f2; }

python3 tests/tools/synth_jsonl.py --hosts "$HOSTS" --total "$OPEN" >"$T/scan.jsonl"
printf '198.18.0.0/16 22 80 443\ntls 198.18.0.0/16 443 min-days=30 min-version=TLSv1.2\n' >"$T/policy.txt"
t_html=$(secs "$PSCAN" report --html -o "$T/r.html" "$T/scan.jsonl")
t_junit=$(secs "$PSCAN" report --junit --expect "$T/policy.txt" -o "$T/r.xml" "$T/scan.jsonl")
echo '<!DOCTYPE html><title>x</title>' >"$T/empty.html"
t_empty=$(secs chrome "file://$T/empty.html")
t_load=$(secs chrome "file://$T/r.html")
init=$(body data-init-ms) rows=$(body data-rows)
secs chrome "file://$T/r.html#sort=-service" >/dev/null
sort_ms=$(body data-last-ms)
secs chrome "file://$T/r.html#service=http" >/dev/null
filter_ms=$(body data-last-ms)
printf '%-44s %s\n' "hosts, open ports (rows in the page)" "$HOSTS, $OPEN ($rows)" \
    "JSON Lines input" "$(stat -c %s "$T/scan.jsonl") bytes" \
    "HTML report" "$(stat -c %s "$T/r.html") bytes" \
    "JUnit report (with a policy)" "$(stat -c %s "$T/r.xml") bytes" \
    "pscan report --html" "$t_html s" \
    "pscan report --junit --expect" "$t_junit s" \
    "chromium: empty page (its own start-up)" "$t_empty s" \
    "chromium: the report, start to dumped DOM" "$t_load s" \
    "script: rows taken, first page shown" "$init ms" \
    "script: sort 100,000 rows by service" "$sort_ms ms" \
    "script: filter by service" "$filter_ms ms"
