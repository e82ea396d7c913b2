/* localinfo.c: naming the process behind an open port of this machine
 * (localinfo.h; sources in localinfo_sock.c and localinfo_proc.c).
 *
 * A snapshot is three tables, read together on the first lookup:
 *   - this namespace's listeners (localinfo_sock.c): proto, bound address,
 *     port, v6only, bound interface, uid, inode;
 *   - the inode -> holders map and every process's namespace
 *     (localinfo_proc.c);
 *   - later, only if a lookup finds nothing here: the listeners of the
 *     other network namespaces that have a process in /proc, read from one
 *     member's /proc/PID/net tables each (bounded: LI_MAX_NETNS namespaces).
 *
 * Which socket takes a connection to ADDR:PORT is decided as the kernel's
 * listener lookup does: a socket bound to ADDR itself beats one bound to the
 * wildcard; for an IPv4 target an AF_INET socket beats an AF_INET6 one
 * (dual-stack "::" or "::ffff:a.b.c.d"); a v6-only IPv6 socket never takes
 * IPv4; a socket bound with SO_BINDTODEVICE to anything but lo never sees
 * traffic from this machine (it arrives on lo).  When sock_diag was not
 * available the v6only flag is unknown and a "::" socket is assumed to be
 * dual-stack (Linux's default, net.ipv6.bindv6only=0). */
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pscan/clock.h"

#include "localinfo_int.h"

#define LI_PROCDIR "/proc"
#define LI_MAX_NETNS 1024   /* foreign namespaces examined */
#define LI_MAX_IFADDRS 65536
#define LI_LOOPBACK_IFINDEX 1 /* lo is always interface 1 in its namespace */

struct ps_localinfo {
    int have_snapshot;
    int snapshot_failed;
    ps_err err;

    ps_li_socks socks;    /* this namespace */
    int all_netlink;
    int complete;
    ps_li_procs procs;
    double snapshot_ms;

    int have_foreign;
    ps_li_socks foreign;  /* sock.netns indexes foreign_pid */
    int *foreign_pid;     /* one process in each foreign namespace */
    size_t nforeign;

    int have_ifaddrs;
    ps_addr *ifaddrs;
    size_t nifaddrs;
};

ps_localinfo *ps_localinfo_new(ps_err *e)
{
    ps_localinfo *li = calloc(1, sizeof *li);
    if (!li)
        ps_fail(e, PS_ERUNTIME, "out of memory");
    return li;
}

static void li_drop_snapshot(ps_localinfo *li)
{
    ps_li_socks_free(&li->socks);
    ps_li_procs_free(&li->procs);
    ps_li_socks_free(&li->foreign);
    free(li->foreign_pid);
    li->foreign_pid = NULL;
    li->nforeign = 0;
    li->have_foreign = 0;
    li->have_snapshot = 0;
    li->snapshot_failed = 0;
    li->err.msg[0] = '\0';
}

void ps_localinfo_free(ps_localinfo *li)
{
    if (!li)
        return;
    li_drop_snapshot(li);
    free(li->ifaddrs);
    free(li);
}

const char *ps_localinfo_error(const ps_localinfo *li)
{
    return li ? li->err.msg : "";
}

/* ----------------------------------------------------------- locality */

static void li_read_ifaddrs(ps_localinfo *li)
{
    struct ifaddrs *ifa = NULL;

    free(li->ifaddrs);
    li->ifaddrs = NULL;
    li->nifaddrs = 0;
    li->have_ifaddrs = 1;
    if (getifaddrs(&ifa) < 0)
        return; /* only the fixed loopback rules then */
    size_t n = 0;
    for (struct ifaddrs *i = ifa; i; i = i->ifa_next)
        if (i->ifa_addr && (i->ifa_addr->sa_family == AF_INET || i->ifa_addr->sa_family == AF_INET6))
            n++;
    if (n > LI_MAX_IFADDRS)
        n = LI_MAX_IFADDRS;
    li->ifaddrs = n ? calloc(n, sizeof *li->ifaddrs) : NULL;
    for (struct ifaddrs *i = ifa; i && li->ifaddrs && li->nifaddrs < n; i = i->ifa_next) {
        ps_addr *a = &li->ifaddrs[li->nifaddrs];
        if (!i->ifa_addr)
            continue;
        if (i->ifa_addr->sa_family == AF_INET) {
            const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)i->ifa_addr;
            a->family = AF_INET;
            a->u.v4 = ntohl(s4->sin_addr.s_addr);
        } else if (i->ifa_addr->sa_family == AF_INET6) {
            const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)i->ifa_addr;
            a->family = AF_INET6;
            memcpy(a->u.v6, &s6->sin6_addr, 16);
        } else {
            continue;
        }
        li->nifaddrs++;
    }
    freeifaddrs(ifa);
}

static int li_is_v4mapped(const uint8_t v6[16])
{
    static const uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(v6, pfx, 12) == 0;
}

/* The address a connection really goes to: IPv4-mapped IPv6 is IPv4, and
 * the unspecified addresses mean loopback (Linux connects them there). */
static ps_addr li_normalize(const ps_addr *a)
{
    ps_addr n = *a;
    static const uint8_t zero[16];

    if (a->family == AF_INET6 && li_is_v4mapped(a->u.v6)) {
        n.family = AF_INET;
        n.u.v4 = (uint32_t)a->u.v6[12] << 24 | (uint32_t)a->u.v6[13] << 16 |
                 (uint32_t)a->u.v6[14] << 8 | a->u.v6[15];
    }
    if (n.family == AF_INET && n.u.v4 == 0)
        n.u.v4 = 0x7f000001u;
    if (n.family == AF_INET6 && memcmp(n.u.v6, zero, 16) == 0)
        n.u.v6[15] = 1;
    return n;
}

static int li_addr_eq(const ps_addr *a, const ps_addr *b)
{
    if (a->family != b->family)
        return 0;
    if (a->family == AF_INET)
        return a->u.v4 == b->u.v4;
    return memcmp(a->u.v6, b->u.v6, 16) == 0;
}

int ps_localinfo_is_local(ps_localinfo *li, const ps_addr *a)
{
    static const uint8_t lo6[16] = {[15] = 1};
    ps_addr n;

    if (!a || (a->family != AF_INET && a->family != AF_INET6))
        return 0;
    n = li_normalize(a);
    if (n.family == AF_INET && (n.u.v4 >> 24) == 127)
        return 1;
    if (n.family == AF_INET6 && memcmp(n.u.v6, lo6, 16) == 0)
        return 1;
    if (!li)
        return 0;
    if (!li->have_ifaddrs)
        li_read_ifaddrs(li);
    for (size_t i = 0; i < li->nifaddrs; i++)
        if (li_addr_eq(&n, &li->ifaddrs[i]))
            return 1;
    return 0;
}

/* ----------------------------------------------------------- snapshot */

/* Tables are sorted by (proto, port), then inode, so a lookup is a binary
 * search and ties (SO_REUSEPORT groups) resolve the same way every time. */
static int li_sock_cmp(const void *a, const void *b)
{
    const ps_li_sock *x = a, *y = b;
    if (x->proto != y->proto)
        return x->proto < y->proto ? -1 : 1;
    if (x->port != y->port)
        return x->port < y->port ? -1 : 1;
    return (x->inode > y->inode) - (x->inode < y->inode);
}

static void li_sort(ps_li_socks *t)
{
    if (t->n > 1)
        qsort(t->v, t->n, sizeof *t->v, li_sock_cmp);
}

/* The first entry of t with proto/port (t sorted); t->n if none. */
static size_t li_first(const ps_li_socks *t, enum ps_proto proto, uint16_t port)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const ps_li_sock *s = &t->v[mid];
        if (s->proto < proto || (s->proto == proto && s->port < port))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* See ps_localinfo_complete. */
static int li_compute_complete(const ps_localinfo *li)
{
    uid_t me = geteuid();

    if (li->procs.denied > 0 || li->procs.truncated)
        return 0;
    /* /proc mounted with hidepid hides other users' processes outright, so
     * nothing is "denied": a listener of another user with no visible
     * holder gives it away. */
    if (me != 0) {
        for (size_t i = 0; i < li->socks.n; i++) {
            const ps_li_sock *s = &li->socks.v[i];
            size_t first;
            if (s->inode && s->uid != (uint32_t)me && ps_li_procs_holders(&li->procs, s->inode, &first) == 0)
                return 0;
        }
    }
    return 1;
}

int ps_localinfo_refresh(ps_localinfo *li, ps_err *e)
{
    double t0 = ps_mono_s() * 1e3;
    int rc;

    if (!li)
        return ps_fail(e, PS_EINPUT, "localinfo: no object");
    li_drop_snapshot(li);
    li_read_ifaddrs(li);
    rc = ps_li_socks_read(&li->socks, &li->all_netlink, &li->err);
    if (rc == PS_OK)
        rc = ps_li_procs_scan(&li->procs, LI_PROCDIR, &li->err);
    li->snapshot_ms = ps_mono_s() * 1e3 - t0;
    li->have_snapshot = 1;
    if (rc != PS_OK) {
        li->snapshot_failed = 1;
        ps_li_socks_free(&li->socks);
        ps_li_procs_free(&li->procs);
        if (e)
            *e = li->err;
        return rc;
    }
    li_sort(&li->socks);
    li->complete = li_compute_complete(li);
    return PS_OK;
}

/* Other namespaces' listeners, read once: one process per namespace stands
 * for it; its /proc/PID/net shows that namespace's tables. */
static void li_read_foreign(ps_localinfo *li)
{
    const ps_li_procs *p = &li->procs;
    uint64_t *seen;

    li->have_foreign = 1;
    if (!p->own_netns || p->npids == 0)
        return;
    seen = calloc(LI_MAX_NETNS, sizeof *seen);
    li->foreign_pid = calloc(LI_MAX_NETNS, sizeof *li->foreign_pid);
    if (!seen || !li->foreign_pid) {
        free(seen);
        free(li->foreign_pid);
        li->foreign_pid = NULL;
        return;
    }
    for (size_t i = 0; i < p->npids && li->nforeign < LI_MAX_NETNS; i++) {
        uint64_t ns = p->pids[i].netns;
        size_t k, before;
        char dir[64];
        int ok = 1;

        if (!ns || ns == p->own_netns)
            continue;
        for (k = 0; k < li->nforeign && seen[k] != ns; k++)
            ;
        if (k < li->nforeign)
            continue;
        before = li->foreign.n;
        snprintf(dir, sizeof dir, LI_PROCDIR "/%d/net", p->pids[i].pid);
        for (int fam = 0; fam < 2 && ok; fam++)
            for (int pr = 0; pr < 2 && ok; pr++)
                ok = ps_li_socks_read_proc(&li->foreign, dir, fam ? AF_INET6 : AF_INET,
                                           pr ? PS_UDP : PS_TCP, NULL) == PS_OK;
        if (!ok) {
            /* Gone or unreadable: another member may do, so do not mark it seen. */
            li->foreign.n = before;
            continue;
        }
        for (size_t j = before; j < li->foreign.n; j++)
            li->foreign.v[j].netns = (int)li->nforeign;
        seen[li->nforeign] = ns;
        li->foreign_pid[li->nforeign] = p->pids[i].pid;
        li->nforeign++;
    }
    free(seen);
    li_sort(&li->foreign);
}

/* ------------------------------------------------------------- lookup */

/* How well s takes a connection to target (normalized); -1: not at all. */
static int li_score(const ps_li_sock *s, const ps_addr *target)
{
    static const uint8_t any6[16];
    int exact = 0, wildcard = 0, same_family = s->bound.family == target->family;

    if (s->ifindex != 0 && s->ifindex != LI_LOOPBACK_IFINDEX)
        return -1;
    if (same_family) {
        if (li_addr_eq(&s->bound, target))
            exact = 1;
        else if (target->family == AF_INET ? s->bound.u.v4 == 0 : memcmp(s->bound.u.v6, any6, 16) == 0)
            wildcard = 1;
    } else if (target->family == AF_INET && s->bound.family == AF_INET6) {
        /* An IPv6 socket takes IPv4 through mapped addresses unless v6-only. */
        if (s->v6only == 1)
            return -1;
        if (memcmp(s->bound.u.v6, any6, 16) == 0) {
            wildcard = 1;
        } else if (li_is_v4mapped(s->bound.u.v6)) {
            uint32_t v4 = (uint32_t)s->bound.u.v6[12] << 24 | (uint32_t)s->bound.u.v6[13] << 16 |
                          (uint32_t)s->bound.u.v6[14] << 8 | s->bound.u.v6[15];
            exact = v4 == target->u.v4;
            wildcard = v4 == 0; /* "::ffff:0.0.0.0" */
        }
    }
    if (!exact && !wildcard)
        return -1;
    return exact * 4 + same_family * 2 + (s->ifindex == LI_LOOPBACK_IFINDEX);
}

static void li_fill_owner(ps_localinfo *li, const ps_li_sock *s, ps_proc_info *out)
{
    size_t first = 0, n = ps_li_procs_holders(&li->procs, s->inode, &first);
    int pid = ps_li_procs_pick(&li->procs, LI_PROCDIR, first, n);

    ps_addr_str(&s->bound, out->bind, sizeof out->bind);
    if (pid > 0 && ps_li_proc_fill(LI_PROCDIR, pid, out) == PS_OK) {
        out->visible = 1;
        return;
    }
    /* No holder we can see (no rights, a kernel socket, or it just exited):
     * the socket's own uid still names a user. */
    out->visible = 0;
    out->pid = 0;
    out->name[0] = out->cmdline[0] = '\0';
    ps_li_user_name(s->uid, out->user, sizeof out->user);
}

static int li_is_loopback(const ps_addr *a)
{
    static const uint8_t lo6[16] = {[15] = 1};
    if (a->family == AF_INET)
        return (a->u.v4 >> 24) == 127;
    return memcmp(a->u.v6, lo6, 16) == 0 ||
           (li_is_v4mapped(a->u.v6) && a->u.v6[12] == 127);
}

int ps_localinfo_lookup(ps_localinfo *li, const ps_addr *addr, uint16_t port,
                        enum ps_proto proto, ps_proc_info *out)
{
    const ps_li_sock *best = NULL;
    int best_score = -1;
    ps_addr target;

    if (!li || !addr || !out || (addr->family != AF_INET && addr->family != AF_INET6) ||
        (proto != PS_TCP && proto != PS_UDP))
        return PS_EINPUT;
    memset(out, 0, sizeof *out);
    if (!li->have_snapshot && ps_localinfo_refresh(li, NULL) != PS_OK)
        return PS_ERUNTIME;
    if (li->snapshot_failed)
        return PS_ERUNTIME;
    target = li_normalize(addr);

    for (size_t i = li_first(&li->socks, proto, port); i < li->socks.n; i++) {
        const ps_li_sock *s = &li->socks.v[i];
        int sc;
        if (s->proto != proto || s->port != port)
            break;
        sc = li_score(s, &target);
        /* Ties (an SO_REUSEPORT group): the lowest inode. */
        if (sc > best_score) {
            best_score = sc;
            best = s;
        }
    }
    if (best) {
        out->found = 1;
        li_fill_owner(li, best, out);
        return PS_OK;
    }

    /* Nothing here.  Another namespace listening on that port is a likely
     * explanation (DNAT to a container); its loopback-bound sockets cannot
     * be reached from outside it, so they do not count. */
    if (!li->have_foreign)
        li_read_foreign(li);
    for (size_t i = li_first(&li->foreign, proto, port); i < li->foreign.n; i++) {
        const ps_li_sock *s = &li->foreign.v[i];
        size_t first = 0, n;
        int pid;

        if (s->proto != proto || s->port != port)
            break;
        if (li_is_loopback(&s->bound))
            continue;
        if (s->bound.family == AF_INET6 && target.family == AF_INET && s->v6only == 1)
            continue;
        if (s->bound.family == AF_INET && target.family == AF_INET6)
            continue;
        n = ps_li_procs_holders(&li->procs, s->inode, &first);
        pid = n ? ps_li_procs_pick(&li->procs, LI_PROCDIR, first, n) : 0;
        out->other_netns = 1;
        ps_addr_str(&s->bound, out->bind, sizeof out->bind);
        if (pid > 0 && ps_li_proc_fill(LI_PROCDIR, pid, out) == PS_OK) {
            out->visible = 1;
        } else {
            out->pid = 0;
            out->name[0] = out->cmdline[0] = '\0';
            ps_li_user_name(s->uid, out->user, sizeof out->user);
        }
        return PS_OK;
    }
    return PS_OK;
}

/* ----------------------------------------------------------- reporting */

int ps_localinfo_complete(const ps_localinfo *li)
{
    if (!li || !li->have_snapshot || li->snapshot_failed)
        return 1;
    return li->complete;
}

void ps_localinfo_get_stats(const ps_localinfo *li, ps_localinfo_stats *st)
{
    memset(st, 0, sizeof *st);
    if (!li)
        return;
    st->procs = li->procs.npids;
    st->procs_denied = li->procs.denied;
    st->sock_fds = li->procs.nrefs;
    st->listeners = li->socks.n;
    st->via_netlink = li->all_netlink;
    st->snapshot_ms = li->snapshot_ms;
}
