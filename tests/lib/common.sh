# tests/lib/common.sh: what every integration script shares.
#
# Source it first: `. "$(dirname "$0")/../lib/common.sh"`.  It gives
#   - TAP lines: ok NAME, not_ok NAME WHY, skip NAME WHY, check_eq NAME GOT WANT,
#     check_set NAME GOT WANT (whitespace-separated numbers, order and
#     duplicates ignored), check_cmd / check_not NAME CMD..., bail WHY (one "not ok" line, then exit 1);
#   - need_root / need_cmd: skip the whole script (exit 0) when it cannot run;
#   - PSCAN (./pscan) and LISTENER (build/tests/tools/listener), as absolute
#     paths, TEST_TMP (a private temp dir; the integration scripts cd there
#     first, so that whatever pscan leaves in its working directory, such as
#     pscan.resume, never lands in the work tree);
#   - pscan_run TAG ARGS...: runs pscan under `timeout 60`, with stdin passed
#     through, inside PSCAN_NS when that is set, leaving OUT, ERR (files) and RC;
#   - listener_start [-n NS] TAG ARGS...: starts a listener, waits (at most
#     2 s) for its ready line, sets L_PID and L_PORTS;
#   - report_* : readers of pscan's normal output (see below);
#   - at_exit CMD: cleanup hooks.
#
# Cleanup: one handler runs on EXIT, INT and TERM, exactly once.  It runs the
# at_exit hooks newest first (netns.sh registers tb_destroy there), kills the
# processes the script started (by PID), and removes TEST_TMP.  A signal still
# ends the script, with status 128+N, after cleanup.
#
# Scripts do not use `set -e`: a failed check is a "not ok" line, not an exit.
# Only a broken precondition (a route check, a test host that cannot be built)
# aborts through bail.

set -u

TEST_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PSCAN=${PSCAN:-$TEST_ROOT/pscan}
LISTENER=${LISTENER:-$TEST_ROOT/build/tests/tools/listener}
# The scripts cd to TEST_TMP: a relative path given from outside must not break.
case "$PSCAN" in /*) ;; */*) PSCAN=$PWD/$PSCAN ;; esac
case "$LISTENER" in /*) ;; */*) LISTENER=$PWD/$LISTENER ;; esac
TEST_NAME=$(basename "$0" .sh)
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/pscan-$TEST_NAME.XXXXXX") || exit 2
PSCAN_TIMEOUT=${PSCAN_TIMEOUT:-60}
PSCAN_NS=""

_tests_failed=0
_cleanup_hooks=()
_tracked_pids=()
_cleaned=0

# ---------------------------------------------------------------- TAP lines

ok() { echo "ok - $1"; }

not_ok() {
    echo "not ok - $1"
    [ $# -gt 1 ] && [ -n "$2" ] && printf '%s\n' "$2" | sed 's/^/#   /'
    _tests_failed=$((_tests_failed + 1))
    return 0
}

skip() { echo "ok - $1 # SKIP ${2:-}"; }

# note TEXT: a diagnostic line that run.sh does not count.
note() { printf '%s\n' "$*" | sed 's/^/# /'; }

check_eq() {
    if [ "$2" = "$3" ]; then
        ok "$1"
    else
        not_ok "$1" "got:  '$2'
want: '$3'"
    fi
}

# check_cmd NAME CMD...: ok when CMD succeeds; check_not NAME CMD...: when it fails.
check_cmd() {
    local name=$1
    shift
    if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi
}

check_not() {
    local name=$1
    shift
    if "$@"; then not_ok "$name" "succeeded: $*"; else ok "$name"; fi
}

# The canonical form of a set of numbers: sorted, unique, one line.
_set_norm() { tr -s ' \t\n,' '\n' <<<"$1" | sed '/^$/d' | sort -n -u | tr '\n' ' ' | sed 's/ $//'; }

check_set() {
    local got want
    got=$(_set_norm "$2")
    want=$(_set_norm "$3")
    if [ "$got" = "$want" ]; then
        ok "$1"
    else
        local g w
        g=$(tr ' ' '\n' <<<"$got" | sed '/^$/d' | sort)
        w=$(tr ' ' '\n' <<<"$want" | sed '/^$/d' | sort)
        not_ok "$1" "got:  {$got}
want: {$want}
missing: {$(comm -13 <(echo "$g") <(echo "$w") | sed '/^$/d' | sort -n | tr '\n' ' ')}
extra:   {$(comm -23 <(echo "$g") <(echo "$w") | sed '/^$/d' | sort -n | tr '\n' ' ')}"
    fi
}

# bail WHY: the script cannot go on safely (a route check failed, a test host
# could not be built).  One failure line, then exit; cleanup still runs.
bail() {
    echo "not ok - $TEST_NAME aborted: $*"
    exit 1
}

# End of a script: its exit status tells run.sh nothing more than the lines.
finish() { exit 0; }

# ------------------------------------------------------------- preconditions

need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        skip "$TEST_NAME" "needs root (network namespaces)"
        exit 0
    fi
}

need_cmd() {
    local c
    for c in "$@"; do
        if ! command -v "$c" >/dev/null 2>&1; then
            skip "$TEST_NAME" "needs $c"
            exit 0
        fi
    done
}

# need_file PATH WHAT: a built artefact the script cannot do without; its
# absence is a failure (the build is broken), not a skip.
need_file() {
    [ -x "$1" ] || bail "$2 not built ($1)"
}

# ------------------------------------------------------------------- cleanup

at_exit() { _cleanup_hooks+=("$*"); }

track_pid() { _tracked_pids+=("$1"); }

_cleanup() {
    [ "$_cleaned" -eq 1 ] && return 0
    _cleaned=1
    local i pid
    for ((i = ${#_cleanup_hooks[@]} - 1; i >= 0; i--)); do
        eval "${_cleanup_hooks[$i]}" >/dev/null 2>&1 || true
    done
    for pid in "${_tracked_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    # Bounded: listeners die on SIGTERM at once; 20 x 50 ms at most.
    for pid in "${_tracked_pids[@]}"; do
        for i in $(seq 20); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf "$TEST_TMP"
}

_on_signal() {
    trap - EXIT INT TERM
    _cleanup
    exit $((128 + $1))
}

trap '_cleanup' EXIT
trap '_on_signal 2' INT
trap '_on_signal 15' TERM

# ---------------------------------------------------------------- processes

# in_ns NS CMD...: CMD in namespace NS, or here when NS is empty.
in_ns() {
    local ns=$1
    shift
    if [ -n "$ns" ]; then
        ip netns exec "$ns" "$@"
    else
        "$@"
    fi
}

# pscan_run TAG ARGS...: one pscan invocation, bounded by PSCAN_TIMEOUT.
# Leaves OUT and ERR (file names) and RC.  Stdin is the caller's.
pscan_run() {
    local tag=$1
    shift
    OUT=$TEST_TMP/$tag.out
    ERR=$TEST_TMP/$tag.err
    in_ns "$PSCAN_NS" timeout "$PSCAN_TIMEOUT" "$PSCAN" "$@" >"$OUT" 2>"$ERR"
    RC=$?
    if [ "$RC" -eq 124 ]; then
        note "pscan $* did not finish within ${PSCAN_TIMEOUT}s"
    fi
    return 0
}

# show_run: the last run's output as diagnostics (after a failure).
show_run() {
    note "exit status $RC; stdout:"
    sed 's/^/#   | /' "$OUT" | head -60
    note "stderr:"
    sed 's/^/#   | /' "$ERR" | head -20
}

# listener_start [-n NS] TAG LISTENER-ARGS...
# Starts build/tests/tools/listener in the background (in NS if given) and
# waits for its "ready PID PORT..." line: at most 2 s, polling every 10 ms.
# Sets L_PID and L_PORTS (array, in argument order).  Returns 1 on failure.
listener_start() {
    local ns="" tag ready line i
    if [ "${1:-}" = "-n" ]; then
        ns=$2
        shift 2
    fi
    tag=$1
    shift
    ready=$TEST_TMP/listener-$tag.ready
    : >"$ready"
    in_ns "$ns" "$LISTENER" -t 120 "$@" >"$ready" 2>"$TEST_TMP/listener-$tag.err" &
    track_pid $!
    line=""
    for i in $(seq 200); do
        line=$(head -n 1 "$ready")
        case "$line" in ready\ *) break ;; esac
        kill -0 $! 2>/dev/null || break
        sleep 0.01
    done
    case "$line" in
    ready\ *) ;;
    *)
        note "listener $tag ($*) not ready: $(cat "$TEST_TMP/listener-$tag.err")"
        return 1
        ;;
    esac
    read -r _ L_PID L_PORTS_STR <<<"$line"
    read -r -a L_PORTS <<<"$L_PORTS_STR"
    track_pid "$L_PID"
    return 0
}

# listen_ports [-n NS] FAMILY ADDR: the ports on which a TCP connection to
# ADDR would meet a listener, according to `ss -ltnH` (the ground truth).
# FAMILY 4: sockets on ADDR, 0.0.0.0, or "*" (an IPv6 wildcard that also
# takes IPv4, i.e. without IPV6_V6ONLY).  FAMILY 6: [ADDR], [::] or "*".
listen_ports() {
    local ns=""
    if [ "$1" = "-n" ]; then
        ns=$2
        shift 2
    fi
    local fam=$1 addr=$2
    in_ns "$ns" ss -ltnH | awk -v fam="$fam" -v addr="$addr" '
        {
            local = $4
            i = match(local, /:[0-9]+$/)
            if (!i) next
            port = substr(local, i + 1)
            host = substr(local, 1, i - 1)
            sub(/%[^\]]*/, "", host)          # 127.0.0.1%lo, [fe80::1%eth0]
            if (fam == 4 && (host == addr || host == "0.0.0.0" || host == "*")) print port
            if (fam == 6 && (host == "[" addr "]" || host == "[::]" || host == "*")) print port
        }' | sort -n -u | tr '\n' ' ' | sed 's/ $//'
}

# --------------------------------------------------------- reading reports
#
# pscan's normal output, per host:
#   pscan scan report for NAME (ADDR)      or   ... for ADDR
#   Host is up (...).
#   Not shown: N closed tcp ports (conn-refused), M filtered tcp ports (...)
#   PORT     STATE    SERVICE
#   22/tcp   open     ssh
# and a final "pscan done: ..." line.  HOST below is the address.

# report_hosts FILE: the address of each host with a report, in order.
report_hosts() {
    awk '/^pscan scan report for / {
            h = $NF
            if (h ~ /^\(.*\)$/) h = substr(h, 2, length(h) - 2)
            print h
        }' "$1"
}

# _report_block FILE HOST: the lines of HOST's report.
_report_block() {
    awk -v want="$2" '
        /^pscan scan report for / {
            h = $NF
            if (h ~ /^\(.*\)$/) h = substr(h, 2, length(h) - 2)
            inside = (h == want)
            next
        }
        /^pscan done:/ { inside = 0 }
        inside' "$1"
}

# report_ports FILE HOST STATE: the ports listed in HOST's table in STATE.
report_ports() {
    _report_block "$1" "$2" | awk -v st="$3" '$1 ~ /^[0-9]+\/tcp$/ && $2 == st {
        split($1, a, "/"); print a[1] }' | sort -n | tr '\n' ' ' | sed 's/ $//'
}

# report_states FILE HOST: every distinct STATE in HOST's table.
report_states() {
    _report_block "$1" "$2" | awk '$1 ~ /^[0-9]+\/tcp$/ { print $2 }' | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# report_notshown FILE HOST STATE: N from "N STATE tcp ports" in HOST's
# "Not shown:" line, 0 when the line or the state is absent.
report_notshown() {
    _report_block "$1" "$2" | awk -v st="$3" '
        /^Not shown: / {
            line = substr($0, 12)
            n = split(line, parts, /, /)
            for (i = 1; i <= n; i++) {
                split(parts[i], w, " ")
                if (w[2] == st && w[3] == "tcp") { print w[1]; found = 1 }
            }
        }
        END { if (!found) print 0 }'
}

# report_count FILE HOST STATE: ports in STATE, listed or folded.
report_count() {
    local listed folded
    listed=$(report_ports "$1" "$2" "$3" | wc -w)
    folded=$(report_notshown "$1" "$2" "$3")
    echo $((listed + folded))
}

# report_done FILE: the final line, without its timing.
report_done() {
    grep '^pscan done: ' "$1" | sed 's/ scanned in .*//'
}
