#!/usr/bin/env bash
# tests/integration/report.sh: the audit reports, read the way their readers
# read them: the HTML report (-oH, pscan report --html) in a real browser
# (Debian's chromium, headless: --dump-dom and a screenshot), the JUnit
# report (-oU, pscan report --junit) against docs/junit.xsd with xmllint.
#
#   1. A real scan on this namespace's private loopback: the hostile server
#      (build/tests/tools/hostile) in the modes whose bytes reach a report
#      (markup and markupraw: HTML and script in banners; nul, nulhttp:
#      terminal escapes), and openssl s_server speaking only TLS 1.2 with a
#      certificate that expires in 5 days and whose subject is markup.  The
#      policy allows only the TLS port and asks it for 30 days and TLS 1.3:
#      the scan exits 3, the HTML shows the unexpected ports and the marked
#      certificate, nothing hostile runs or becomes an element, the page
#      logs no console message (a blocked script, a CSP refusal or an error
#      would), and pscan report of the same -oJ finds the same.
#   2. Synthetic results (tests/tools/synth_jsonl.py): several files at once,
#      a baseline, the sort/filter/page script driven through the address
#      (#sort=-port&service=ssl), the page without script (every row there),
#      expired certificates, a hostile file.
#   3. Bad input: one clear error, exit 1.
. "$(dirname "$0")/../lib/common.sh"
cd "$TEST_TMP" || bail "cannot enter $TEST_TMP"
need_root
need_cmd chromium xmllint openssl jq python3 timeout
HOSTILE=${HOSTILE:-$TEST_ROOT/build/tests/tools/hostile}
need_file "$HOSTILE" "hostile"
need_file "$PSCAN" "pscan"
export PSCAN_PROBES=${PSCAN_PROBES:-$TEST_ROOT/probes}
SYNTH=$TEST_ROOT/tests/tools/synth_jsonl.py
XSD=$TEST_ROOT/docs/junit.xsd
T=$TEST_TMP

# chrome LOG ARGS... URL: headless Chromium that reaches nothing but the file
# (a fresh profile each time; console messages go to LOG).
chrome() {
    local log=$1 prof
    shift
    prof=$(mktemp -d "$T/chrome.XXXXXX")
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$prof" --enable-logging=stderr --v=0 "$@" 2>"$log"
}

# dom NAME FILE [FRAGMENT]: the rendered page of FILE in NAME.dom, checked
# for console messages (an error, a blocked script, a CSP violation).
dom() {
    local name=$1 file=$2 frag=${3:-}
    chrome "$T/$name.log" --dump-dom "file://$file$frag" >"$T/$name.dom"
    # (Chromium's own pages, chrome://..., log notes of their own: only the
    # report's messages count.)
    if grep 'CONSOLE' "$T/$name.log" | grep -q 'source: file://'; then
        not_ok "$name: no console message" "$(grep CONSOLE "$T/$name.log" | grep 'source: file://' | head -5)"
    else
        ok "$name: no console message"
    fi
}

# attr NAME ATTR: a data- attribute of <body> in NAME.dom.
attr() { grep -o '<body[^>]*>' "$T/$1.dom" | grep -o "$2=\"[^\"]*\"" | cut -d'"' -f2; }

# no_injection NAME: nothing from the data became markup or ran.
no_injection() {
    local d=$T/$1.dom
    check_eq "$1: no hostile script ran (body has no data-pwned)" "$(grep -o '<body[^>]*>' "$d" | grep -c pwned)" 0
    check_eq "$1: no hostile element (img, svg, h1#pwned)" "$(grep -c '<img\|<svg\|<h1 id="pwned"' "$d")" 0
    check_eq "$1: only the report's own style sheet and scripts" \
        "$(grep -o '<style' "$d" | wc -l) $(grep -o '<script' "$d" | wc -l)" "1 2"
    check_cmd "$1: the report's script ran (data-init-ms)" test -n "$(attr "$1" data-init-ms)"
}

# ------------------------------------------------ 1. a real scan, hostile servers

openssl req -x509 -newkey rsa:2048 -nodes -days 5 -keyout key.pem -out cert.pem \
    -subj '/CN=<script>document.body.dataset.pwned=4<\/script>/O=x"><img src=x onerror=alert>' \
    -addext 'subjectAltName=DNS:evil.test' >/dev/null 2>&1 || bail "openssl cannot make a certificate"
TLS_PORT=20443
openssl s_server -accept 127.0.0.1:$TLS_PORT -cert cert.pem -key key.pem -tls1_2 -www -quiet \
    </dev/null >s_server.log 2>&1 &
track_pid $!
"$HOSTILE" 127.0.0.1 0:markup 0:markupraw 0:nul 0:nulhttp -t 300 >hostile.ready 2>hostile.err &
track_pid $!
for i in $(seq 200); do
    grep -q '^ready' hostile.ready 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/$TLS_PORT) 2>/dev/null && break
    sleep 0.05
done
read -r _ _ HPORTS <hostile.ready || bail "hostile server not ready: $(cat hostile.err)"
read -r -a HP <<<"$HPORTS"
[ "${#HP[@]}" = 4 ] || bail "hostile server ports: $HPORTS"
printf '127.0.0.1 tcp/%s\ntls 127.0.0.1 %s min-days=30 min-version=TLSv1.3\n' $TLS_PORT $TLS_PORT >policy.txt
PORTS=$TLS_PORT,$(IFS=,; echo "${HP[*]}")
pscan_run scan -sT -sV --no-local-info -p "$PORTS" 127.0.0.1 --expect policy.txt \
    -oJ scan.jsonl -oH scan.html -oU scan.xml
check_eq "scan: --expect with violated tls lines exits 3" "$RC" 3
check_cmd "scan: stderr names the unexpected port" grep -q "unexpected open port ${HP[0]}/tcp on 127.0.0.1 (policy line 1)" "$ERR"
check_cmd "scan: stderr names the certificate's days" grep -qE "certificate of $TLS_PORT/tcp on 127.0.0.1 expires in [45] days .*policy line 2 requires at least 30" "$ERR"
check_cmd "scan: stderr names the TLS version" grep -q "$TLS_PORT/tcp on 127.0.0.1 negotiated TLSv1.2; policy line 2 requires TLSv1.3 or newer" "$ERR"
[ "$RC" = 3 ] || show_run

check_cmd "scan: -oU validates against docs/junit.xsd" xmllint --noout --schema "$XSD" scan.xml
# 5 open ports (1 allowed, 4 unexpected) and 2 tls requirements, both failed.
check_eq "scan: JUnit failures = 4 unexpected ports + 2 tls requirements" \
    "$(grep -c '<failure ' scan.xml)" 6
check_cmd "scan: JUnit failure for the certificate" \
    grep -q 'name="'$TLS_PORT'/tcp certificate valid 30 more days" time="0">' scan.xml
check_cmd "scan: JUnit suite per host with its counts" \
    grep -q '<testsuite id="1" package="pscan" name="127.0.0.1" tests="7" failures="6"' scan.xml

dom scan "$T/scan.html"
no_injection scan
check_cmd "scan: the unexpected port is among the findings" \
    grep -q "unexpected open port ${HP[1]}/tcp on 127.0.0.1 (policy line 1)" scan.dom
check_cmd "scan: the certificate is marked as expiring soon" \
    grep -qE '<tr class="warn"><td><span class="a">127.0.0.1</span></td><td>'$TLS_PORT'/tcp</td><td>O=x.*CN=.*&lt;script.*<span class="tag warn">soon</span>' scan.dom
check_cmd "scan: the hostile banner is shown as text" \
    grep -q 'said <code>\\x00\\x01&lt;script&gt;document.body.dataset.pwned=1&lt;/script&gt;' scan.dom
check_eq "scan: every open port is a row" "$(attr scan data-rows)" 5
chrome shot.log --screenshot="$T/scan.png" --window-size=1280,2000 "file://$T/scan.html" >/dev/null
check_eq "scan: a screenshot is a PNG" "$(head -c 8 scan.png 2>/dev/null | od -An -tx1 | tr -d ' \n')" 89504e470d0a1a0a

"$PSCAN" report --html --expect policy.txt -o again.html scan.jsonl 2>again.err
check_eq "report: pscan report of the -oJ exits 3 as the scan did" "$?" 3
check_eq "report: the same findings as -oH" "$(grep -c '<tr class="bad" data-kind' again.html)" \
    "$(grep -c '<tr class="bad" data-kind' scan.html)"
"$PSCAN" report --junit --expect policy.txt scan.jsonl >again.xml 2>/dev/null
check_eq "report: the same JUnit failures as -oU" "$(grep -c '<failure ' again.xml)" 6

# ------------------------------------------------------- 2. synthetic results

python3 "$SYNTH" --hosts 2000 --open 3 --seed 3 >a.jsonl
python3 "$SYNTH" --net 198.19.0.0 --hosts 500 --open 4 --seed 4 >b.jsonl
python3 "$SYNTH" --hosts 1900 --open 3 --seed 5 >old.jsonl
total=$(jq -s '[.[] | select(.type=="host") | .ports[] | select(.state=="open")] | length' a.jsonl b.jsonl)
tls=$(jq -s '[.[] | select(.type=="host") | .ports[] | select(.service.tls)] | length' a.jsonl b.jsonl)
expired=$(jq -s --arg now 2026-01-01T00:00:00Z '[.[] | select(.type=="host") | .ports[] | select(.service.tls and .service.tls.not_after < $now)] | length' a.jsonl b.jsonl)
"$PSCAN" report --html --baseline old.jsonl -o two.html a.jsonl b.jsonl
check_eq "synthetic: two files (shards) make one report" "$?" 0
dom two "$T/two.html"
no_injection two
check_eq "synthetic: every open port of both files is a row" "$(attr two data-rows)" "$total"
check_cmd "synthetic: hosts up is the sum of both files" grep -q 'Hosts up</dt><dd>2500<' two.dom
check_cmd "synthetic: the page shows 100 rows by default" \
    grep -q "<output>rows 1–100 of $total, page 1 of $(( (total + 99) / 100 ))</output>" two.dom
check_eq "synthetic: expired certificates are marked" \
    "$(sed -n '/id="cert-table"/,/<\/table>/p' two.dom | grep -c '<span class="tag bad">expired</span>')" \
    "$(( expired < 2000 ? expired : 2000 ))"
cat a.jsonl b.jsonl >ab.jsonl # pscan diff takes one NEW file: the two, concatenated
ndiff=$("$PSCAN" diff old.jsonl ab.jsonl | tail -n 1 | grep -o '^[0-9]*')
check_cmd "synthetic: the changes section says what pscan diff says" \
    grep -q "as <code>pscan diff</code> does: $ndiff differences" two.dom

dom sorted "$T/two.html" '#sort=-port&service=ssl'
check_cmd "synthetic: filtered by the address (#service=ssl)" \
    grep -q "<output>rows 1–100 of $tls (filtered from $total)" sorted.dom
first_port=$(sed -n '/id="port-table"/,/<\/table>/p' sorted.dom | tr -d '\n' |
    grep -o '</thead><tbody><tr[^>]*><td>[^<]*</td><td>[0-9]*' | grep -o '[0-9]*$')
max_tls_port=$(jq -s '[.[] | select(.type=="host") | .ports[] | select(.service.tls) | .port] | max' a.jsonl b.jsonl)
check_eq "synthetic: sorted by port, largest first (#sort=-port)" "$first_port" "$max_tls_port"
check_cmd "synthetic: the sort took a measured time (data-last-ms)" test -n "$(attr sorted data-last-ms)"

# Without its script (--dump-dom itself needs script: the page's own is cut out).
python3 -c 'import re, sys; sys.stdout.write(re.sub(r"<script>.*?</script>", "", open(sys.argv[1]).read(), flags=re.S))' \
    two.html >noscript.html
dom noscript "$T/noscript.html"
# (rows of the port table: its <tr> less the heading's)
check_eq "synthetic: without script every row is in the page" \
    "$(( $(sed -n '/id="port-table"/,/<\/table>/p' noscript.dom | grep -o '<tr' | wc -l) - 1 ))" "$total"
check_eq "synthetic: without script the table is not paged" "$(attr noscript data-init-ms)" ""

python3 "$SYNTH" --hosts 30 --open 6 --hostile --no-summary >evil.jsonl
"$PSCAN" report --html -o evil.html evil.jsonl
check_eq "hostile file: reported" "$?" 0
dom evil "$T/evil.html"
no_injection evil
check_cmd "hostile file: the hostile host names are text" grep -q '(&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;h1 id=pwned&gt;' evil.dom
printf '198.18.0.0/24 22\n' >p22.txt
"$PSCAN" report --junit --expect p22.txt evil.jsonl >evil.xml
check_eq "hostile file: --junit exits 3 on violations" "$?" 3
check_cmd "hostile file: JUnit validates" xmllint --noout --schema "$XSD" evil.xml
check_cmd "hostile file: a cut scan is a JUnit error" grep -q '<error type="incomplete-scan"' evil.xml

# ------------------------------------------------------------------ 3. bad input

bad() { # bad NAME WANT ARGS...: exit 1 and WANT on stderr
    local name=$1 want=$2
    shift 2
    "$PSCAN" "$@" >bad.out 2>bad.err
    local rc=$?
    if [ "$rc" = 1 ] && grep -qF -- "$want" bad.err && [ "$(wc -l <bad.err)" = 1 ]; then
        ok "$name"
    else
        not_ok "$name" "exit $rc, stderr: $(cat bad.err)"
    fi
}
head -n 1 a.jsonl >broken.jsonl
echo '{"schema":1,"type":"host","host":"198.18.0.1","ports":[{"port":99999}]}' >>broken.jsonl
bad "bad input: a malformed line names file and line" 'pscan report: broken.jsonl:2: "port" is not a port number' report --html broken.jsonl
echo '{"schema":2,"type":"scan"}' >new.jsonl
bad "bad input: a newer schema is refused" "new.jsonl:1: schema is newer" report --html new.jsonl
echo '<nmaprun/>' >x.xml
bad "bad input: XML is named as such" "x.xml: XML; pscan report reads pscan's JSON Lines" report --html x.xml
bad "bad input: a missing file" "cannot read 'nope.jsonl'" report --html nope.jsonl
bad "bad input: --junit needs --expect" "--junit writes the checks of a policy" report --junit a.jsonl
bad "bad input: one format" "give one of --html and --junit" report a.jsonl
bad "bad input: an unknown option" "unknown option '--pdf'" report --html --pdf a.jsonl
printf 'tls 127.0.0.1 443 min-days=x\n' >badpol.txt
bad "bad input: a bad tls line" "badpol.txt:1: min-days takes a number of days" report --html --expect badpol.txt a.jsonl
bad "bad input: -oU needs --expect" "-oU writes the results of a policy" -sT -p 1 127.0.0.1 -oU u.xml
bad "bad input: a tls line needs -sV" "policy.txt:2: a tls line checks what -sV finds: add -sV" -sT -p 1 127.0.0.1 --expect policy.txt
finish
