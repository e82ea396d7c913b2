/* route.c: route, interface and next-hop MAC for one destination, asked of
 * the kernel over rtnetlink (see include/pscan/route.h).
 *
 * Three questions, each one netlink request on one NETLINK_ROUTE socket:
 *   RTM_GETROUTE  for the destination: output interface, preferred source,
 *                 gateway, route MTU and route type (local or unicast);
 *   RTM_GETLINK   for that interface: name, MAC, MTU, link type, flags;
 *   RTM_GETNEIGH  (a dump, filtered here) for the next hop's MAC.
 *
 * A neighbour entry that is missing, INCOMPLETE or FAILED cannot be waited
 * for passively: the kernel only resolves a neighbour when something is
 * about to be sent to it.  So we send one UDP datagram to port 9 (discard)
 * of the next hop through a socket bound to the interface; the kernel parks
 * it in the neighbour queue, sends ARP (IPv4) or a Neighbour Solicitation
 * (IPv6), and we poll the table every 10 ms until the entry becomes usable
 * or the bounded wait (1 s by default) runs out.  A FAILED entry is poked
 * again, at most every 200 ms, because the kernel does not retry by itself.
 *
 * Every recv has a timeout and every loop a count or deadline, so a
 * misbehaving kernel or an absent neighbour turns into an error, not a hang. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pscan/clock.h"
#include "pscan/route.h"

#define NL_BUFSZ 32768
#define NL_MAX_READS 4096 /* a neighbour dump of a huge LAN still fits */

/* ---- small address helpers (independent of addr.c) ---- */

static size_t addr_bytes(const ps_addr *a, uint8_t out[16])
{
    if (a->family == AF_INET) {
        uint32_t n = htonl(a->u.v4);
        memcpy(out, &n, 4);
        return 4;
    }
    memcpy(out, a->u.v6, 16);
    return 16;
}

static int addr_from_bytes(int family, const void *p, size_t len, ps_addr *a)
{
    memset(a, 0, sizeof *a);
    if (family == AF_INET && len == 4) {
        uint32_t n;
        memcpy(&n, p, 4);
        a->family = AF_INET;
        a->u.v4 = ntohl(n);
        return 0;
    }
    if (family == AF_INET6 && len == 16) {
        a->family = AF_INET6;
        memcpy(a->u.v6, p, 16);
        return 0;
    }
    return -1;
}

static const char *addr_text(const ps_addr *a, char *buf, size_t len)
{
    uint8_t b[16];
    addr_bytes(a, b);
    if (!inet_ntop(a->family, b, buf, (socklen_t)len))
        snprintf(buf, len, "?");
    return buf;
}

static int addr_equal(const ps_addr *a, const ps_addr *b)
{
    if (a->family != b->family)
        return 0;
    if (a->family == AF_INET)
        return a->u.v4 == b->u.v4;
    return memcmp(a->u.v6, b->u.v6, 16) == 0;
}

const char *ps_mac_str(const uint8_t mac[6], char *buf, size_t len)
{
    snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x",
             mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    return buf;
}

/* ---- netlink plumbing ---- */

typedef struct nl_sock {
    int fd;
    uint32_t seq;
    uint8_t buf[NL_BUFSZ];
} nl_sock;

/* Called for each reply message; returns 0 to go on. */
typedef int (*nl_cb)(const struct nlmsghdr *h, void *ctx);

static int nl_open(nl_sock *s, ps_err *e)
{
    s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (s->fd < 0)
        return ps_fail(e, PS_ERUNTIME, "cannot open a netlink socket: %s", strerror(errno));
    struct timeval tv = { .tv_sec = 1, .tv_usec = 0 };
    setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    s->seq = (uint32_t)time(NULL);
    return PS_OK;
}

/* Send one request and feed every reply message to cb until the kernel
 * says done (dump) or has answered (plain get).  Returns 0 or -errno. */
static int nl_talk(nl_sock *s, struct nlmsghdr *req, nl_cb cb, void *ctx)
{
    req->nlmsg_seq = ++s->seq;
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    if (sendto(s->fd, req, req->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0)
        return -errno;
    int dump = (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;

    for (int reads = 0; reads < NL_MAX_READS; reads++) {
        ssize_t n = recv(s->fd, s->buf, sizeof s->buf, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN ? -ETIMEDOUT : -errno;
        }
        int len = (int)n;
        for (struct nlmsghdr *h = (struct nlmsghdr *)s->buf; NLMSG_OK(h, (unsigned)len);
             h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_seq != s->seq)
                continue; /* a late answer to an earlier request */
            if (h->nlmsg_type == NLMSG_DONE)
                return 0;
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *err = NLMSG_DATA(h);
                if (h->nlmsg_len < NLMSG_LENGTH(sizeof *err))
                    return -EPROTO;
                return err->error; /* 0 is a plain ack */
            }
            int rc = cb(h, ctx);
            if (rc)
                return rc;
            if (!dump && !(h->nlmsg_flags & NLM_F_MULTI))
                return 0;
        }
    }
    return -EOVERFLOW;
}

/* Append one attribute to the request at msg (a buffer of cap bytes that
 * starts with its nlmsghdr). */
static void nl_put_attr(void *msg, size_t cap, int type, const void *data, size_t len)
{
    struct nlmsghdr *h = msg;
    size_t off = NLMSG_ALIGN(h->nlmsg_len);
    size_t alen = RTA_LENGTH(len);
    if (off + RTA_ALIGN(alen) > cap)
        return; /* callers size their buffers; cannot happen */
    struct rtattr *rta = (struct rtattr *)((uint8_t *)h + off);
    rta->rta_type = (unsigned short)type;
    rta->rta_len = (unsigned short)alen;
    memcpy(RTA_DATA(rta), data, len);
    h->nlmsg_len = (uint32_t)(off + RTA_ALIGN(alen));
}

/* ---- RTM_GETROUTE ---- */

typedef struct route_ans {
    int got;
    int type;
    int oif;
    int has_src, has_gw;
    ps_addr src, gw;
    uint32_t mtu;
} route_ans;

static int on_route(const struct nlmsghdr *h, void *ctx)
{
    route_ans *a = ctx;
    if (h->nlmsg_type != RTM_NEWROUTE)
        return 0;
    const struct rtmsg *r = NLMSG_DATA(h);
    int len = (int)RTM_PAYLOAD(h);
    a->got = 1;
    a->type = r->rtm_type;
    for (const struct rtattr *rta = RTM_RTA(r); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
        const void *d = RTA_DATA(rta);
        size_t dl = RTA_PAYLOAD(rta);
        switch (rta->rta_type) {
        case RTA_OIF:
            if (dl == 4)
                memcpy(&a->oif, d, 4);
            break;
        case RTA_PREFSRC:
            a->has_src = addr_from_bytes(r->rtm_family, d, dl, &a->src) == 0;
            break;
        case RTA_GATEWAY:
            a->has_gw = addr_from_bytes(r->rtm_family, d, dl, &a->gw) == 0;
            break;
        case RTA_VIA: { /* IPv4 route via an IPv6 next hop (RFC 5549) */
            const struct rtvia *v = d;
            if (dl >= sizeof *v)
                a->has_gw = addr_from_bytes(v->rtvia_family, v->rtvia_addr,
                                            dl - sizeof *v, &a->gw) == 0;
            break;
        }
        case RTA_METRICS: {
            int ml = (int)dl;
            for (const struct rtattr *m = d; RTA_OK(m, ml); m = RTA_NEXT(m, ml))
                if (m->rta_type == RTAX_MTU && RTA_PAYLOAD(m) == 4)
                    memcpy(&a->mtu, RTA_DATA(m), 4);
            break;
        }
        }
    }
    return 0;
}

static int get_route(nl_sock *s, const ps_addr *dst, int force_oif, route_ans *a, ps_err *e)
{
    struct {
        struct nlmsghdr n;
        struct rtmsg r;
        uint8_t attrs[64];
    } req;
    memset(&req, 0, sizeof req);
    req.n.nlmsg_len = NLMSG_LENGTH(sizeof req.r);
    req.n.nlmsg_type = RTM_GETROUTE;
    req.n.nlmsg_flags = NLM_F_REQUEST;
    req.r.rtm_family = (unsigned char)dst->family;
    uint8_t b[16];
    size_t blen = addr_bytes(dst, b);
    req.r.rtm_dst_len = (unsigned char)(blen * 8);
    nl_put_attr(&req, sizeof req, RTA_DST, b, blen);
    if (force_oif) {
        uint32_t oif = (uint32_t)force_oif;
        nl_put_attr(&req, sizeof req, RTA_OIF, &oif, 4);
    }
    memset(a, 0, sizeof *a);
    char t[PS_ADDRSTRLEN];
    int rc = nl_talk(s, &req.n, on_route, a);
    if (rc < 0)
        return ps_fail(e, PS_ERUNTIME, "no route to %s: %s", addr_text(dst, t, sizeof t),
                       strerror(-rc));
    if (!a->got)
        return ps_fail(e, PS_ERUNTIME, "no route to %s: the kernel gave no answer",
                       addr_text(dst, t, sizeof t));
    if (a->type != RTN_UNICAST && a->type != RTN_LOCAL)
        return ps_fail(e, PS_ERUNTIME, "no route to %s (route type %d: unreachable, "
                       "blackhole or prohibited)", addr_text(dst, t, sizeof t), a->type);
    if (a->oif <= 0)
        return ps_fail(e, PS_ERUNTIME, "the route to %s names no output interface",
                       addr_text(dst, t, sizeof t));
    return PS_OK;
}

/* ---- RTM_GETLINK ---- */

typedef struct link_ans {
    int got;
    unsigned type;
    unsigned flags;
    uint32_t mtu;
    int has_mac;
    uint8_t mac[6];
    char name[PS_IFNAMSIZ];
} link_ans;

static int on_link(const struct nlmsghdr *h, void *ctx)
{
    link_ans *a = ctx;
    if (h->nlmsg_type != RTM_NEWLINK)
        return 0;
    const struct ifinfomsg *ifi = NLMSG_DATA(h);
    int len = (int)IFLA_PAYLOAD(h);
    a->got = 1;
    a->type = ifi->ifi_type;
    a->flags = ifi->ifi_flags;
    for (const struct rtattr *rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
        size_t dl = RTA_PAYLOAD(rta);
        if (rta->rta_type == IFLA_IFNAME && dl > 0) {
            size_t n = dl < sizeof a->name ? dl : sizeof a->name - 1;
            memcpy(a->name, RTA_DATA(rta), n);
            a->name[n] = '\0';
        } else if (rta->rta_type == IFLA_ADDRESS && dl == 6) {
            memcpy(a->mac, RTA_DATA(rta), 6);
            a->has_mac = 1;
        } else if (rta->rta_type == IFLA_MTU && dl == 4) {
            memcpy(&a->mtu, RTA_DATA(rta), 4);
        }
    }
    return 0;
}

static int get_link(nl_sock *s, int ifindex, link_ans *a, ps_err *e)
{
    struct {
        struct nlmsghdr n;
        struct ifinfomsg i;
        uint8_t attrs[16];
    } req;
    memset(&req, 0, sizeof req);
    req.n.nlmsg_len = NLMSG_LENGTH(sizeof req.i);
    req.n.nlmsg_type = RTM_GETLINK;
    req.n.nlmsg_flags = NLM_F_REQUEST;
    req.i.ifi_family = AF_UNSPEC;
    req.i.ifi_index = ifindex;
    uint32_t mask = RTEXT_FILTER_SKIP_STATS; /* keep the answer small */
    nl_put_attr(&req, sizeof req, IFLA_EXT_MASK, &mask, 4);
    memset(a, 0, sizeof *a);
    int rc = nl_talk(s, &req.n, on_link, a);
    if (rc < 0 || !a->got)
        return ps_fail(e, PS_ERUNTIME, "cannot read interface #%d: %s", ifindex,
                       rc < 0 ? strerror(-rc) : "no answer");
    return PS_OK;
}

/* ---- RTM_GETNEIGH ---- */

typedef struct neigh_ans {
    int ifindex;
    ps_addr want;
    int found;
    unsigned state;
    int has_mac;
    uint8_t mac[6];
} neigh_ans;

static int on_neigh(const struct nlmsghdr *h, void *ctx)
{
    neigh_ans *a = ctx;
    if (h->nlmsg_type != RTM_NEWNEIGH)
        return 0;
    const struct ndmsg *nd = NLMSG_DATA(h);
    if (nd->ndm_ifindex != a->ifindex || nd->ndm_family != a->want.family)
        return 0;
    int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *nd));
    int match = 0, has_mac = 0;
    uint8_t mac[6];
    for (const struct rtattr *rta = (const struct rtattr *)((const uint8_t *)nd + NLMSG_ALIGN(sizeof *nd));
         RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
        ps_addr d;
        if (rta->rta_type == NDA_DST &&
            addr_from_bytes(nd->ndm_family, RTA_DATA(rta), RTA_PAYLOAD(rta), &d) == 0)
            match = addr_equal(&d, &a->want);
        else if (rta->rta_type == NDA_LLADDR && RTA_PAYLOAD(rta) == 6) {
            memcpy(mac, RTA_DATA(rta), 6);
            has_mac = 1;
        }
    }
    if (match) {
        a->found = 1;
        a->state = nd->ndm_state;
        a->has_mac = has_mac;
        if (has_mac)
            memcpy(a->mac, mac, 6);
    }
    return 0;
}

static int neigh_query(nl_sock *s, neigh_ans *a)
{
    struct {
        struct nlmsghdr n;
        struct ndmsg nd;
    } req;
    memset(&req, 0, sizeof req);
    req.n.nlmsg_len = NLMSG_LENGTH(sizeof req.nd);
    req.n.nlmsg_type = RTM_GETNEIGH;
    req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.nd.ndm_family = (unsigned char)a->want.family;
    a->found = 0;
    a->has_mac = 0;
    a->state = 0;
    return nl_talk(s, &req.n, on_neigh, a);
}

static int neigh_usable(const neigh_ans *a)
{
    unsigned ok = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP;
    return a->found && a->has_mac && (a->state & ok);
}

/* Make the kernel resolve hop: one UDP datagram to its discard port. */
static void neigh_poke(const ps_addr *hop, int ifindex, const char *ifname)
{
    int fd = socket(hop->family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return;
    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname));
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sl;
    if (hop->family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(9);
        sin->sin_addr.s_addr = htonl(hop->u.v4);
        sl = sizeof *sin;
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(9);
        memcpy(&sin6->sin6_addr, hop->u.v6, 16);
        sin6->sin6_scope_id = (uint32_t)ifindex; /* needed for fe80:: gateways */
        sl = sizeof *sin6;
    }
    if (connect(fd, (struct sockaddr *)&ss, sl) == 0)
        (void)send(fd, "", 1, MSG_DONTWAIT);
    close(fd);
}

static int resolve_neigh(nl_sock *s, ps_route *r, int timeout_ms, ps_err *e)
{
    neigh_ans a = { .ifindex = r->ifindex, .want = r->nexthop };
    char t[PS_ADDRSTRLEN];
    const char *proto = r->nexthop.family == AF_INET ? "ARP" : "NDP";
    uint64_t start = ps_mono_ms(), last_poke = 0;
    int poked = 0;

    for (;;) { /* bounded by the deadline below */
        int rc = neigh_query(s, &a);
        if (rc < 0)
            return ps_fail(e, PS_ERUNTIME, "cannot read the neighbour table: %s", strerror(-rc));
        if (neigh_usable(&a)) {
            memcpy(r->nexthop_mac, a.mac, 6);
            return PS_OK;
        }
        uint64_t now = ps_mono_ms();
        if (now - start >= (uint64_t)timeout_ms)
            break;
        /* Poke when nothing is pending: no entry, or the last try FAILED. */
        int pending = a.found && (a.state & NUD_INCOMPLETE);
        if (!poked || (!pending && now - last_poke >= 200)) {
            neigh_poke(&r->nexthop, r->ifindex, r->ifname);
            poked = 1;
            last_poke = now;
        }
        poll(NULL, 0, 10);
    }
    return ps_fail(e, PS_ERUNTIME, "no %s reply from %s on %s within %d ms", proto,
                   addr_text(&r->nexthop, t, sizeof t), r->ifname, timeout_ms);
}

/* ---- the lookup ---- */

static int lookup(nl_sock *s, const ps_addr *dst, const ps_route_opts *opts, int force_oif,
                  int timeout_ms, ps_route *out, ps_err *e)
{
    char t[PS_ADDRSTRLEN];
    route_ans ra;
    int rc = get_route(s, dst, force_oif, &ra, e);
    if (rc)
        return rc;
    out->dst = *dst;
    out->ifindex = force_oif ? force_oif : ra.oif;
    link_ans la;
    if ((rc = get_link(s, out->ifindex, &la, e)))
        return rc;
    snprintf(out->ifname, sizeof out->ifname, "%s", la.name);
    if (!(la.flags & IFF_UP))
        return ps_fail(e, PS_ERUNTIME, "interface %s (route to %s) is down", out->ifname,
                       addr_text(dst, t, sizeof t));
    out->is_loopback = la.type == ARPHRD_LOOPBACK || (la.flags & IFF_LOOPBACK);
    if (!out->is_loopback && (la.type != ARPHRD_ETHER || !la.has_mac))
        return ps_fail(e, PS_ERUNTIME, "interface %s (route to %s) is not Ethernet "
                       "(link type %u); raw scans need Ethernet or loopback",
                       out->ifname, addr_text(dst, t, sizeof t), la.type);
    out->mtu = ra.mtu ? ra.mtu : la.mtu;

    if (opts->source)
        out->src = *opts->source;
    else if (ra.has_src && ra.src.family == dst->family)
        out->src = ra.src;
    else
        return ps_fail(e, PS_ERUNTIME, "no source address to reach %s on %s; "
                       "give one with --source-ip", addr_text(dst, t, sizeof t), out->ifname);

    out->has_gateway = ra.has_gw;
    out->nexthop = ra.has_gw ? ra.gw : *dst;
    if (out->is_loopback) {
        /* lo frames carry all-zero MACs; IPv4 ones would be dropped as
         * martians (see route.h), so ask for raw IP injection. */
        out->inject_l3 = dst->family == AF_INET;
        return PS_OK;
    }
    memcpy(out->src_mac, la.mac, 6);
    if (opts->skip_neigh)
        return PS_OK;
    if (la.flags & IFF_NOARP)
        return ps_fail(e, PS_ERUNTIME, "interface %s does not use ARP/NDP; cannot find the "
                       "next hop's MAC", out->ifname);
    return resolve_neigh(s, out, timeout_ms, e);
}

int ps_route_lookup(const ps_addr *dst, const ps_route_opts *opts, ps_route *out, ps_err *e)
{
    static const ps_route_opts none = { 0 };
    if (!opts)
        opts = &none;
    memset(out, 0, sizeof *out);
    if (!dst || (dst->family != AF_INET && dst->family != AF_INET6))
        return ps_fail(e, PS_EINPUT, "route lookup: destination is not an IPv4 or IPv6 address");
    char t1[PS_ADDRSTRLEN], t2[PS_ADDRSTRLEN];
    if (opts->source && opts->source->family != dst->family)
        return ps_fail(e, PS_EINPUT, "source address %s and target %s are not the same family",
                       addr_text(opts->source, t1, sizeof t1), addr_text(dst, t2, sizeof t2));
    int timeout_ms = opts->resolve_timeout_ms > 0 ? opts->resolve_timeout_ms : 5000;
    if (timeout_ms > 10000)
        timeout_ms = 10000;

    int force_oif = 0;
    if (opts->ifname) {
        if (strlen(opts->ifname) >= PS_IFNAMSIZ ||
            (force_oif = (int)if_nametoindex(opts->ifname)) == 0)
            return ps_fail(e, PS_EINPUT, "no such interface '%s'", opts->ifname);
    }

    nl_sock *s = malloc(sizeof *s); /* 32 KiB: too big for small thread stacks */
    if (!s)
        return ps_fail(e, PS_ERUNTIME, "out of memory");
    int rc = nl_open(s, e);
    if (rc) {
        free(s);
        return rc;
    }
    rc = lookup(s, dst, opts, force_oif, timeout_ms, out, e);
    close(s->fd);
    free(s);
    return rc;
}
