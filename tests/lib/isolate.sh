#!/usr/bin/env bash
# tests/lib/isolate.sh: run a command in a network namespace of its own, in
# which there is no route out at all.
#
#   tests/lib/isolate.sh CMD [ARG]...
#       CMD in a new network namespace that holds only lo (up) and a new
#       mount namespace (a slave of this one) with /sys mounted again, so that
#       /sys/class/net shows that namespace's links, as `ip netns exec` does.
#       The exit status is CMD's (non-zero, with a message, when the namespace
#       cannot be made: root, or CAP_SYS_ADMIN, is needed).  Always a fresh
#       namespace, also when called from inside one.  The process is the same one throughout
#       (unshare and this script exec), so a signal sent to it reaches CMD.
#
#   . tests/lib/isolate.sh; isolate_reexec SCRIPT "$@"
#       at the top of a script: unless it already runs in such a namespace
#       (or is not root), run SCRIPT again in one (with bash) and end with
#       its status.  The benchmarks (bench/*.sh) start this way.
#   isolated
#       true in a namespace this script made (PSCAN_NETNS_ISOLATED holds its
#       identity, net:[INODE], and must match the current one).
#
# Why.  The integration tests (tests/run.sh starts each script this way) and
# the benchmarks build veth test hosts and routes in 198.18.0.0/15.  On the
# host they share the routing table with everything else on the machine: a
# route someone else added (a 198.18.0.0/15 of their own, a whole 198.19/16 of
# a benchmark) made the suites find "no free 198.18.X.0/30 slot", and a tool
# that picks its own route could send into someone else's namespace.  Here the
# only routes are the test's own; with no default route and no link but lo and
# the test's veths, no packet of a test can reach a real network, and nothing
# outside can disturb one.  Loopback is private too: 127.0.0.1 holds only the
# test's own listeners.
#
# Test hosts made inside (`ip netns add`, tests/lib/netns.sh) work as before:
# their names under /run/netns are on the shared file system (netns.sh keeps
# them unique with the PID), their bind mounts stay in this mount namespace,
# so they disappear with it even when a test could not remove them.

isolated() {
    [ -n "${PSCAN_NETNS_ISOLATED:-}" ] && [ "$(readlink /proc/self/ns/net)" = "$PSCAN_NETNS_ISOLATED" ]
}

_ISOLATE_SH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")

isolate_reexec() {
    isolated && return 0
    # Not root: no namespace; the script's own "needs root" says so.
    [ "$(id -u)" -eq 0 ] || return 0
    local script=$1
    shift
    exec bash "$_ISOLATE_SH" bash "$script" "$@"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -u
    if [ "${1:-}" = --enter ]; then
        outer=$2
        shift 2
        cur=$(readlink /proc/self/ns/net)
        if [ "$cur" = "$outer" ]; then
            echo "isolate.sh: still in the outer network namespace" >&2
            exit 125
        fi
        # The cgroup file systems under /sys survive the new sysfs (a
        # scheduler's slurmd needs them): kept aside, then put back.
        cg=""
        if mountpoint -q /sys/fs/cgroup 2>/dev/null && cg=$(mktemp -d /run/pscan-isolate-cg.XXXXXX); then
            mount --rbind /sys/fs/cgroup "$cg" 2>/dev/null || { rmdir "$cg"; cg=""; }
        fi
        if ! umount -l /sys 2>/dev/null || ! mount -t sysfs -o nosuid,nodev,noexec sysfs /sys; then
            echo "isolate.sh: cannot mount /sys for the new namespace" >&2
            exit 125
        fi
        if [ -n "$cg" ]; then
            mount --move "$cg" /sys/fs/cgroup 2>/dev/null || mount --rbind "$cg" /sys/fs/cgroup 2>/dev/null ||
                echo "isolate.sh: note: no cgroup file system in the namespace" >&2
            umount -l "$cg" 2>/dev/null
            rmdir "$cg" 2>/dev/null
        fi
        ip link set lo up || { echo "isolate.sh: cannot bring lo up" >&2; exit 125; }
        export PSCAN_NETNS_ISOLATED=$cur
        exec "$@"
    fi
    [ $# -gt 0 ] || { echo "usage: tests/lib/isolate.sh CMD [ARG]..." >&2; exit 2; }
    exec unshare --net --mount --propagation slave -- bash "$_ISOLATE_SH" --enter "$(readlink /proc/self/ns/net)" "$@"
    echo "isolate.sh: unshare failed" >&2
    exit 125
fi
