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
#include "pscan/ports.h"
#include "pscan/result.h"

typedef struct ps_localinfo ps_localinfo;

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

/* ------------------------------------------------------------------------
 * Internals, shared by src/localinfo*.c and exposed for the unit tests.
 * Not for other modules. */

/* One socket from the kernel's table. */
typedef struct ps_li_sock {
    enum ps_proto proto;
    ps_addr bound;      /* bound address; family is the socket's */
    uint16_t port;
    int v6only;         /* IPv6 sockets: 1, 0, or -1 unknown (/proc/net has no such column) */
    int ifindex;        /* SO_BINDTODEVICE interface, 0 none or unknown */
    uint32_t uid;       /* socket owner */
    uint64_t inode;     /* 0 for sockets without a file (kernel sockets) */
    int netns;          /* index of the foreign namespace, -1 for ours */
} ps_li_sock;

typedef struct ps_li_socks {
    ps_li_sock *v;
    size_t n, cap;
} ps_li_socks;

/* One line of /proc/net/{tcp,tcp6,udp,udp6}.  family AF_INET or AF_INET6
 * (which file), proto which protocol.  Returns 1 and fills out for a
 * listening TCP or bound unconnected UDP socket, 0 for any other well-formed
 * line (the header, a connection), -1 for a malformed one. */
int ps_li_parse_proc_net_line(const char *line, int family, enum ps_proto proto, ps_li_sock *out);

/* Append every listener of one /proc/net-style directory ("/proc/net",
 * "/proc/PID/net") for proto/family to t.  PS_ERUNTIME if the file cannot be
 * read or holds a malformed line. */
int ps_li_socks_read_proc(ps_li_socks *t, const char *dir, int family, enum ps_proto proto, ps_err *e);

/* This namespace's listeners: sock_diag netlink, with /proc/net as fallback
 * per table (*all_netlink = 0 when a fallback was used). */
int ps_li_socks_read(ps_li_socks *t, int *all_netlink, ps_err *e);

void ps_li_socks_free(ps_li_socks *t);

/* Raw bytes (a cmdline with NULs, a comm) into printable text: NUL -> ' ',
 * '\\' -> "\\\\", other bytes outside 0x20..0x7e -> "\\xHH".  Trailing NULs
 * are dropped.  Never splits an escape; marks a cut with "...".  out is
 * always terminated (outlen > 0).  Returns strlen(out). */
size_t ps_li_escape(const char *in, size_t n, char *out, size_t outlen);

/* The processes holding each socket inode, and each process's namespace. */
typedef struct ps_li_fdref {
    uint64_t inode;
    int pid;
} ps_li_fdref;

typedef struct ps_li_pid {
    int pid;
    uint64_t netns; /* inode of /proc/PID/ns/net, 0 if unreadable */
} ps_li_pid;

typedef struct ps_li_procs {
    ps_li_fdref *refs; /* sorted by inode, then pid */
    size_t nrefs, caprefs;
    ps_li_pid *pids;
    size_t npids, cappids;
    size_t denied;     /* fd tables we could not read */
    int truncated;     /* a bound was hit: the map is partial */
    uint64_t own_netns;
} ps_li_procs;

/* Walk procdir ("/proc"): fills p (freed first). */
int ps_li_procs_scan(ps_li_procs *p, const char *procdir, ps_err *e);
void ps_li_procs_free(ps_li_procs *p);
/* The holders of inode: *first indexes p->refs; returns their count. */
size_t ps_li_procs_holders(const ps_li_procs *p, uint64_t inode, size_t *first);
/* Which holder names the socket: pid 1 (socket activation) only when alone,
 * then one whose parent is not itself a holder (a master, not its workers),
 * then the lowest pid. */
int ps_li_procs_pick(const ps_li_procs *p, const char *procdir, size_t first, size_t count);
/* name, cmdline, user (effective uid) of pid.  PS_OK, or PS_ERUNTIME when
 * the process is gone or unreadable. */
int ps_li_proc_fill(const char *procdir, int pid, ps_proc_info *out);
/* uid as a user name (getpwuid_r), or its decimal form. */
void ps_li_user_name(uint32_t uid, char *out, size_t outlen);

#endif
