#!/usr/bin/env bash
# tests/integration/sv_truth.sh: pscan -sV against real daemons, row by row.
#
# A test host (tests/lib/netns.sh) runs real Debian daemons on ports that are
# not theirs (2740, IANA's "alarm", is sshd), each with a private config and
# data directory (tests/lib/daemons.sh), plus a listener that closes at once
# and one that never speaks.  pscan scans them from the host side with -sV
# and JSON Lines output; each port is checked against the truth: the service
# name (ssl/NAME through TLS), the product, and the version wherever the
# daemon puts it on the wire.  Where it does not (Postfix, Dovecot,
# PostgreSQL, a protected-mode Redis), pscan must not invent one.
#
# The truth comes from the installed packages (dpkg-query), and is first
# checked against what each daemon really sends (dm_wire), so a failing
# "pscan" line blames pscan and a failing "wire" line blames the truth.
#
# A daemon whose program is not installed is skipped, row by row.  The
# packages for all of them: openssh-server vsftpd postfix dovecot-imapd
# dovecot-pop3d nginx-light (or nginx) redis-server memcached mariadb-server
# postgresql, and openssl, jq.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/daemons.sh"
# Whatever pscan writes in its working directory (pscan.resume when it is
# stopped, -oA files) lands in the test's own directory, never in the work tree.
cd "$TEST_TMP" || bail "cannot enter $TEST_TMP"
need_root
need_cmd ip ss jq timeout dpkg-query
need_file "$PSCAN" "pscan"
need_file "$LISTENER" "listener"

tb_create svtruth || bail "cannot create the test host"
tb_route_check "$TB_IP4" "$TB_VH" || bail "$TB_IP4 is not routed via $TB_VH"
dm_setup || bail "cannot prepare the daemons' directory"

# kind ports...: the rows, in one place.
plan=(
    "ssh 2740"
    "ftp 2741"
    "smtp 2742"
    "mail 2743 2744 2745 2746"
    "http 2747 2748"
    "redis 2749"
    "redis-protected 2750"
    "memcached 2751"
    "mysql 2752"
    "postgresql 2753"
    "wrapped 2754"
    "silent 2755"
)
t0=$(date +%s%N)
for spec in "${plan[@]}"; do
    # shellcheck disable=SC2086
    dm_start $spec
    case $? in
    0) ;;
    2) skip "${spec%% *} daemon" "not installed" ;;
    *) not_ok "${spec%% *} daemon: preparation failed" ;;
    esac
done
[ ${#DM_PORTS[@]} -gt 0 ] || { skip "$TEST_NAME" "no daemon installed"; finish; }
dm_wait 30
note "daemons started in $((($(date +%s%N) - t0) / 1000000)) ms"

ports=()
for p in "${DM_PORTS[@]}"; do
    if dm_port_ok "$p"; then
        ports+=("$p")
    else
        not_ok "$(dm_row "$p") daemon listens on $p" "see the notes above"
    fi
done
[ ${#ports[@]} -gt 0 ] || bail "no daemon came up"

# The truth against the wire: every version we expect must be in what the
# daemon sends.
for p in "${ports[@]}"; do
    row=$(dm_row "$p")
    IFS='|' read -r _ _ want_v <<<"$(dm_truth "$row")"
    [ -n "$want_v" ] || continue
    wire=$(dm_wire "$p")
    # OpenSSH writes "9.2p1 Debian-2+deb12u10"; the truth has a blank there.
    if [[ "${wire//-/ }" == *"${want_v//-/ }"* ]]; then
        ok "wire: $row on $p sends $want_v"
    else
        not_ok "wire: $row on $p sends $want_v" "it sent: '$wire'"
    fi
done

plist=$(IFS=,; echo "${ports[*]}")
json=$TEST_TMP/sv.jsonl
s0=$(date +%s%N)
pscan_run sv -n -q -sV --no-nmap-db -p "$plist" "$TB_IP4" -oJ "$json"
ms=$((($(date +%s%N) - s0) / 1000000))
check_eq "pscan -sV: exit 0" "$RC" 0
[ "$RC" -eq 0 ] || show_run
# Time is measured in bench/sv_bench.sh, not asserted here.
note "pscan -sV on ${#ports[@]} ports: ${ms} ms"

# One line per port from the host line: state, service as printed
# (ssl/NAME), status, product, version, info, the probe that matched, and
# which pass of the version scan named it (and why it was retried),
# separated by US (0x1f: read(1) would merge empty fields between tabs).
rows=$TEST_TMP/rows.txt
US=$'\x1f'
jq -r 'select(.type == "host") | .ports[] | [
        .port, .state,
        (if .service.tls then "ssl/" else "" end) + (.service.name // ""),
        (.service.status // ""), (.service.product // ""), (.service.version // ""),
        (.service.info // ""), (.service.probe // ""),
        (.service.pass // ""), (.service.retry_why // "")
    ] | map(tostring | gsub("[\u0000-\u001f]"; "?")) | join("\u001f")' "$json" >"$rows" 2>/dev/null
check_eq "one JSON host line" "$(jq -c 'select(.type == "host")' "$json" 2>/dev/null | wc -l)" 1

for p in "${ports[@]}"; do
    row=$(dm_row "$p")
    IFS='|' read -r want_s want_p want_v <<<"$(dm_truth "$row")"
    line=$(awk -F"$US" -v p="$p" '$1 == p' "$rows")
    if [ -z "$line" ]; then
        not_ok "$row on $p: in the report"
        continue
    fi
    IFS=$US read -r _ state svc status prod ver info probe pass why <<<"$line"
    note "$p $row: ${svc:-(none)} [$status] '$prod' '$ver' ($info) via ${probe:--}, $pass pass${why:+ ($why)}"
    check_eq "$row on $p: open" "$state" open
    case "$row" in
    wrapped)
        check_eq "$row on $p: status" "$status" tcpwrapped
        # Closed empty on the first pass, confirmed by the patient one.
        check_eq "$row on $p: confirmed on the second pass" "$pass:$why" retry:closed-empty
        ;;
    silent)
        check_eq "$row on $p: status (nothing named)" "$status" unknown
        check_eq "$row on $p: retried, then given up" "$pass:$why" gave-up:silent
        ;;
    *)
        # Under load a daemon may need the second pass; it must not give up.
        check_not "$row on $p: not given up" test "$pass" = gave-up
        check_eq "$row on $p: status" "$status" match
        # The probe that matched, by name (a probe name is [A-Za-z0-9_.-]).
        if [[ "$probe" =~ ^[A-Za-z0-9_.-]{1,63}$ ]]; then
            ok "$row on $p: names its probe ($probe)"
        else
            not_ok "$row on $p: names its probe" "probe field: '$probe'"
        fi
        ;;
    esac
    # TLS mail: "ssl/imaps" is as right as "ssl/imap".
    case "$row:$svc" in
    imaps:ssl/imaps | pop3s:ssl/pop3s) svc=$want_s ;;
    esac
    check_eq "$row on $p: service" "$svc" "$want_s"
    check_eq "$row on $p: product" "$prod" "$want_p"
    if [ -n "$want_v" ]; then
        check_eq "$row on $p: version" "$ver" "$want_v"
    else
        check_eq "$row on $p: no version (none on the wire)" "$ver" ""
    fi
done

# With nmap's database on top (--probe-db), the service names must hold too
# (its products are spelt differently: bench/sv_bench.sh scores those).
NMAP_DB=/usr/share/nmap/nmap-service-probes
if [ ! -r "$NMAP_DB" ]; then
    skip "nmap's probe database" "$NMAP_DB not installed (nmap-common)"
    finish
fi
json2=$TEST_TMP/sv-nmapdb.jsonl
s0=$(date +%s%N)
pscan_run svdb -n -q -sV --probe-db "$NMAP_DB" -p "$plist" "$TB_IP4" -oJ "$json2"
note "pscan -sV --probe-db nmap-service-probes: $((($(date +%s%N) - s0) / 1000000)) ms"
check_eq "--probe-db nmap-service-probes: exit 0" "$RC" 0
if [ "$RC" -ne 0 ]; then
    show_run
    finish
fi
for p in "${ports[@]}"; do
    row=$(dm_row "$p")
    IFS='|' read -r want_s _ _ <<<"$(dm_truth "$row")"
    svc=$(jq -r --argjson p "$p" 'select(.type == "host") | .ports[] | select(.port == $p) |
        (if .service.tls then "ssl/" else "" end) + (.service.name // "")' "$json2" 2>/dev/null)
    case "$row:$svc" in imaps:ssl/imaps | pop3s:ssl/pop3s) svc=$want_s ;; esac
    check_eq "--probe-db nmap: $row on $p: service" "$svc" "$want_s"
done
finish
