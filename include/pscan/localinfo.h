/* localinfo.h: who listens behind an open port of this machine.
 *
 * When a target is this machine (127.0.0.0/8, ::1, or an address of a local
 * interface), pscan can name the process that owns each open port: the
 * kernel's socket table gives the listening socket (bound address, port,
 * owner uid, inode), and the links in /proc/PID/fd give the processes holding that
 * inode.  Nothing is sent and nothing is run (no ss, lsof or netstat).
 *
 *   ps_localinfo *li = ps_localinfo_new(&e);        // cheap
 *   if (ps_localinfo_is_local(li, &addr)) {
 *       ps_proc_info pi;
 *       if (ps_localinfo_lookup(li, &addr, port, PS_TCP, &pi) == PS_OK && pi.found) ...
 *   }
 *   if (!ps_localinfo_complete(li)) note "cannot see the owners of some sockets (run as root)"
 *   ps_localinfo_free(li);
 *
 * The socket table and the inode -> process map are read once, on the first
 * lookup, and kept: a scan's results describe one moment.  Where it all comes
 * from, the rights it needs and its limits: docs/localinfo.md.  Linux only. */
#ifndef PSCAN_LOCALINFO_H
#define PSCAN_LOCALINFO_H

#include <stddef.h>
#include <stdint.h>

#include "pscan/addr.h"
#include "pscan/err.h"
#include "pscan/proto.h"

typedef struct ps_localinfo ps_localinfo;

/* Who listens behind an open port of this machine. */
typedef struct ps_proc_info {
    int found;           /* a listening socket for the port was found */
    int visible;         /* its owner could be read (else: no rights) */
    int other_netns;     /* the listener is in another network namespace */
    int pid;
    char name[64];       /* program name: see name_source */
    /* Where name came from: "exe" (basename of /proc/PID/exe) or "cmdline"
     * (basename of argv[0]) when the kernel's comm was cut at 15 bytes and
     * that name starts with it; else "comm". */
    const char *name_source;
    char cmdline[256];   /* arguments joined by spaces, escaped */
    char user[64];
    char bind[PS_ADDRSTRLEN + 8]; /* address the socket is bound to: "0.0.0.0", "127.0.0.2", "::" */
} ps_proc_info;


/* Cheap: allocates, reads nothing.  NULL (with e filled) only when out of memory. */
ps_localinfo *ps_localinfo_new(ps_err *e);
void ps_localinfo_free(ps_localinfo *li);

/* 1 when a connection to a reaches this machine: 127.0.0.0/8, ::1, the
 * unspecified addresses (0.0.0.0 and :: connect to loopback on Linux),
 * IPv4-mapped forms of those, or an address of a local interface (read with
 * getifaddrs on first use, re-read by refresh).  0 otherwise. */
int ps_localinfo_is_local(ps_localinfo *li, const ps_addr *a);

/* Who listens on addr:port/proto as reached from here: a socket bound to
 * that address, or to the wildcard of its family, or (IPv4 targets) an IPv6
 * socket on "::" without IPV6_V6ONLY; the most specific one wins, as in the
 * kernel.  TCP: sockets in LISTEN.  UDP: bound, unconnected sockets.
 *
 * out->found = 0 when no socket in this network namespace would take the
 * connection; then, if a process in another network namespace listens on
 * that port/proto (a container reached through DNAT, say), other_netns = 1
 * and pid, name, cmdline, user, bind describe it: a hint, not a proof.
 * found = 1, visible = 0: the socket exists but no process holding it could
 * be seen (no rights to read its /proc/PID/fd, or a kernel socket); user is
 * then the socket's owner uid.
 *
 * Takes the snapshot on first call.  Returns PS_OK, PS_EINPUT (bad
 * arguments) or PS_ERUNTIME (the snapshot could not be taken: see
 * ps_localinfo_error, or call ps_localinfo_refresh first to get the ps_err). */
int ps_localinfo_lookup(ps_localinfo *li, const ps_addr *addr, uint16_t port,
                        enum ps_proto proto, ps_proc_info *out);

/* (Re)take the snapshot now: socket table, inode -> process map, interface
 * addresses. */
int ps_localinfo_refresh(ps_localinfo *li, ps_err *e);

/* 1 when every process's fds could be read (root, or only our own processes
 * exist); 0 means some owners may be hidden, and the caller should say once:
 * "cannot see the owners of some sockets (run as root)".  1 before any
 * snapshot. */
int ps_localinfo_complete(const ps_localinfo *li);

/* Why the last snapshot failed ("" if it did not). */
const char *ps_localinfo_error(const ps_localinfo *li);

/* What the last snapshot saw, for -d output and measurements. */
typedef struct ps_localinfo_stats {
    size_t procs;          /* processes walked in /proc */
    size_t procs_denied;   /* ... whose fd table could not be read */
    size_t sock_fds;       /* socket descriptors found (all kinds) */
    size_t listeners;      /* listening TCP + bound UDP sockets, this namespace */
    int via_netlink;       /* 1: sock_diag for every table; 0: some from /proc/net */
    double snapshot_ms;    /* wall time of the last snapshot */
} ps_localinfo_stats;

void ps_localinfo_get_stats(const ps_localinfo *li, ps_localinfo_stats *st);

#endif
