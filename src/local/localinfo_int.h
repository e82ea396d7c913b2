/* localinfo_int.h: the parts of local/ that its three files share: the
 * kernel's socket table (localinfo_sock.c), the inode -> process map
 * (localinfo_proc.c) and the escaping of what /proc says.  Private to
 * src/local/ and its unit test. */
#ifndef PSCAN_LOCALINFO_INT_H
#define PSCAN_LOCALINFO_INT_H

#include "pscan/localinfo.h"

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
