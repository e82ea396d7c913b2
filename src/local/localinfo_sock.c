/* localinfo_sock.c: the kernel's table of listening sockets (localinfo.h).
 *
 * Two sources, the same answer:
 *
 * sock_diag netlink (NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY with an
 * inet_diag_req_v2) dumps the sockets of one family and protocol in the
 * caller's network namespace, filtered by state in the kernel: LISTEN for
 * TCP, CLOSE for UDP (an unconnected UDP socket is "closed" in TCP's state
 * names; a connected one is ESTABLISHED and only hears its peer, so it is no
 * listener).  It also says whether an IPv6 listener is IPV6_V6ONLY
 * (INET_DIAG_SKV6ONLY, sent for LISTEN and CLOSE sockets), and the interface
 * a socket is bound to, which /proc cannot tell.
 *
 * /proc/net/{tcp,tcp6,udp,udp6} (or /proc/PID/net/..., seen from PID's
 * namespace) is the fallback when netlink is refused or the diag module is
 * missing, and the only way to see another namespace's sockets without
 * entering it.  Its addresses are the kernel's in-memory words printed with
 * %08X: the network-order bytes read as a native integer, one word for IPv4,
 * four for IPv6, so converting back is "parse the hex, copy the word's bytes
 * as they lie in memory", which is right on either endianness.
 *
 * Every read is bounded: a receive timeout on the netlink socket, a cap on
 * messages and on table size, a cap on /proc lines. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "localinfo_int.h"

#define LI_MAX_SOCKS (1u << 21)   /* listeners per table: far above any real host */
#define LI_MAX_LINES (1u << 22)   /* lines of one /proc/net file */
#define LI_NL_BUFSZ 65536
#define LI_NL_MAX_READS 65536
#define LI_TCP_LISTEN 10          /* TCP_LISTEN in the kernel's state numbering */
#define LI_TCP_CLOSE 7            /* TCP_CLOSE: an unconnected UDP socket */

void ps_li_socks_free(ps_li_socks *t)
{
    free(t->v);
    t->v = NULL;
    t->n = t->cap = 0;
}

static int li_socks_push(ps_li_socks *t, const ps_li_sock *s, ps_err *e)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        ps_li_sock *v;
        if (cap > LI_MAX_SOCKS)
            return ps_fail(e, PS_ERUNTIME, "more than %u listening sockets: giving up on local process names",
                           LI_MAX_SOCKS);
        v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return ps_fail(e, PS_ERUNTIME, "out of memory reading the socket table");
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = *s;
    return PS_OK;
}

/* ------------------------------------------------------------ /proc/net */

static int li_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Exactly ndig hex digits at *pp into *out; advances *pp. */
static int li_hex(const char **pp, int ndig, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < ndig; i++) {
        int d = li_hexval((*pp)[i]);
        if (d < 0)
            return -1;
        v = (v << 4) | (uint32_t)d;
    }
    *pp += ndig;
    *out = v;
    return 0;
}

static const char *li_skip_spaces(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* A whitespace-ended field starting at p; returns its end. */
static const char *li_field_end(const char *p)
{
    while (*p && *p != ' ' && *p != '\t' && *p != '\n')
        p++;
    return p;
}

/* A decimal field into *out (at most 20 digits, must fit 64 bits). */
static int li_dec_field(const char **pp, uint64_t *out)
{
    const char *p = li_skip_spaces(*pp);
    uint64_t v = 0;
    int nd = 0;

    while (*p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
        p++;
        nd++;
    }
    if (nd == 0 || (*p && *p != ' ' && *p != '\t' && *p != '\n'))
        return -1;
    *pp = p;
    *out = v;
    return 0;
}

/* "ADDR:PORT" in /proc/net's hex form. */
static int li_parse_endpoint(const char **pp, int family, ps_addr *a, uint16_t *port)
{
    const char *p = li_skip_spaces(*pp);
    uint32_t w, pv;

    memset(a, 0, sizeof *a);
    a->family = family;
    if (family == AF_INET) {
        if (li_hex(&p, 8, &w) < 0)
            return -1;
        uint8_t b[4];
        memcpy(b, &w, 4); /* the word as it lay in the kernel: network order */
        a->u.v4 = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    } else {
        for (int i = 0; i < 4; i++) {
            if (li_hex(&p, 8, &w) < 0)
                return -1;
            memcpy(a->u.v6 + 4 * i, &w, 4);
        }
    }
    if (*p != ':')
        return -1;
    p++;
    if (li_hex(&p, 4, &pv) < 0)
        return -1;
    if (*p && *p != ' ' && *p != '\t' && *p != '\n')
        return -1;
    *port = (uint16_t)pv;
    *pp = p;
    return 0;
}

int ps_li_parse_proc_net_line(const char *line, int family, enum ps_proto proto, ps_li_sock *out)
{
    const char *p, *end;
    ps_addr local, remote;
    uint16_t lport, rport;
    uint32_t st;
    uint64_t uid, timeout, inode;

    if (!line || (family != AF_INET && family != AF_INET6) || (proto != PS_TCP && proto != PS_UDP))
        return -1;
    p = li_skip_spaces(line);
    if (*p == '\0' || *p == '\n' || strncmp(p, "sl ", 3) == 0)
        return 0; /* blank or the header */

    /* "N:" slot number */
    end = p;
    while (*end >= '0' && *end <= '9')
        end++;
    if (end == p || *end != ':')
        return -1;
    p = end + 1;

    if (li_parse_endpoint(&p, family, &local, &lport) < 0 ||
        li_parse_endpoint(&p, family, &remote, &rport) < 0)
        return -1;
    p = li_skip_spaces(p);
    if (li_hex(&p, 2, &st) < 0 || (*p != ' ' && *p != '\t'))
        return -1;

    /* tx_queue:rx_queue, tr:tm->when, retrnsmt: shape-checked, unused */
    for (int i = 0; i < 3; i++) {
        p = li_skip_spaces(p);
        end = li_field_end(p);
        if (end == p)
            return -1;
        for (const char *q = p; q < end; q++)
            if (li_hexval(*q) < 0 && *q != ':')
                return -1;
        p = end;
    }
    if (li_dec_field(&p, &uid) < 0 || li_dec_field(&p, &timeout) < 0 || li_dec_field(&p, &inode) < 0)
        return -1;
    if (uid > UINT32_MAX)
        return -1;
    (void)timeout;
    (void)rport;

    if (proto == PS_TCP && st != LI_TCP_LISTEN)
        return 0;
    if (proto == PS_UDP && (st != LI_TCP_CLOSE || lport == 0))
        return 0;

    memset(out, 0, sizeof *out);
    out->proto = proto;
    out->bound = local;
    out->port = lport;
    out->v6only = family == AF_INET6 ? -1 : 0;
    out->ifindex = 0;
    out->uid = (uint32_t)uid;
    out->inode = inode;
    out->netns = -1;
    return 1;
}

int ps_li_socks_read_proc(ps_li_socks *t, const char *dir, int family, enum ps_proto proto, ps_err *e)
{
    char path[512];
    FILE *f;
    char *line = NULL;
    size_t cap = 0, nlines = 0;
    int rc = PS_OK;

    snprintf(path, sizeof path, "%s/%s%s", dir, proto == PS_TCP ? "tcp" : "udp",
             family == AF_INET6 ? "6" : "");
    f = fopen(path, "re");
    if (!f) {
        /* A kernel without IPv6 has no tcp6/udp6: nothing listens there. */
        if (errno == ENOENT && family == AF_INET6)
            return PS_OK;
        return ps_fail(e, PS_ERUNTIME, "cannot read %s: %s", path, strerror(errno));
    }
    while (getline(&line, &cap, f) > 0) {
        ps_li_sock s;
        int r;
        if (++nlines > LI_MAX_LINES) {
            rc = ps_fail(e, PS_ERUNTIME, "%s: more than %u lines", path, LI_MAX_LINES);
            break;
        }
        r = ps_li_parse_proc_net_line(line, family, proto, &s);
        if (r < 0) {
            rc = ps_fail(e, PS_ERUNTIME, "%s: malformed line %zu", path, nlines);
            break;
        }
        if (r == 1 && (rc = li_socks_push(t, &s, e)) != PS_OK)
            break;
    }
    free(line);
    fclose(f);
    return rc;
}

/* ------------------------------------------------------------- sock_diag */

/* Why a dump could not be done: the kernel refused the request
 * (EOPNOTSUPP/ENOENT: diag module for this protocol missing), or a real error. */
enum { LI_NL_OK = 0, LI_NL_UNSUPPORTED = 1, LI_NL_FAILED = 2 };

static void li_nl_attrs(const struct inet_diag_msg *m, size_t len, ps_li_sock *s)
{
    const struct rtattr *a = (const struct rtattr *)(const void *)((const char *)m + NLMSG_ALIGN(sizeof *m));
    unsigned int rem = len > NLMSG_ALIGN(sizeof *m) ? (unsigned int)(len - NLMSG_ALIGN(sizeof *m)) : 0;

    for (; RTA_OK(a, rem); a = RTA_NEXT(a, rem)) {
        if (a->rta_type == INET_DIAG_SKV6ONLY && RTA_PAYLOAD(a) >= 1)
            s->v6only = *(const uint8_t *)RTA_DATA(a) ? 1 : 0;
    }
}

static int li_nl_msg(const struct nlmsghdr *h, int family, enum ps_proto proto, ps_li_socks *t, ps_err *e)
{
    const struct inet_diag_msg *m;
    ps_li_sock s;

    if (h->nlmsg_len < NLMSG_LENGTH(sizeof *m))
        return PS_OK; /* short: ignore rather than misread */
    m = NLMSG_DATA(h);
    if (m->idiag_family != family)
        return PS_OK;
    if (proto == PS_TCP && m->idiag_state != LI_TCP_LISTEN)
        return PS_OK;
    if (proto == PS_UDP && m->idiag_state != LI_TCP_CLOSE)
        return PS_OK;

    memset(&s, 0, sizeof s);
    s.proto = proto;
    s.port = ntohs(m->id.idiag_sport);
    if (proto == PS_UDP && s.port == 0)
        return PS_OK;
    s.bound.family = family;
    if (family == AF_INET)
        s.bound.u.v4 = ntohl(m->id.idiag_src[0]);
    else
        memcpy(s.bound.u.v6, m->id.idiag_src, 16);
    s.v6only = family == AF_INET6 ? -1 : 0;
    s.ifindex = (int)m->id.idiag_if;
    s.uid = m->idiag_uid;
    s.inode = m->idiag_inode;
    s.netns = -1;
    li_nl_attrs(m, h->nlmsg_len - NLMSG_LENGTH(0), &s);
    return li_socks_push(t, &s, e);
}

static int li_nl_dump(int fd, int family, enum ps_proto proto, uint32_t seq, ps_li_socks *t, ps_err *e)
{
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 r;
    } req;
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
    char *buf;
    int result = LI_NL_FAILED;

    memset(&req, 0, sizeof req);
    req.nlh.nlmsg_len = sizeof req;
    req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.nlh.nlmsg_seq = seq;
    req.r.sdiag_family = (uint8_t)family;
    req.r.sdiag_protocol = proto == PS_TCP ? IPPROTO_TCP : IPPROTO_UDP;
    req.r.idiag_states = proto == PS_TCP ? 1u << LI_TCP_LISTEN : 1u << LI_TCP_CLOSE;

    if (sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&sa, sizeof sa) != (ssize_t)sizeof req) {
        ps_fail(e, PS_ERUNTIME, "sock_diag request: %s", strerror(errno));
        return LI_NL_FAILED;
    }
    buf = malloc(LI_NL_BUFSZ);
    if (!buf) {
        ps_fail(e, PS_ERUNTIME, "out of memory reading the socket table");
        return LI_NL_FAILED;
    }
    for (int reads = 0; reads < LI_NL_MAX_READS; reads++) {
        ssize_t n = recv(fd, buf, LI_NL_BUFSZ, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            ps_fail(e, PS_ERUNTIME, "sock_diag reply: %s", errno == EAGAIN ? "timed out" : strerror(errno));
            goto out;
        }
        if (n == 0) {
            ps_fail(e, PS_ERUNTIME, "sock_diag reply: socket closed");
            goto out;
        }
        unsigned int len = (unsigned int)n;
        for (struct nlmsghdr *h = (struct nlmsghdr *)(void *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_seq != seq)
                continue;
            if (h->nlmsg_type == NLMSG_DONE) {
                result = LI_NL_OK;
                goto out;
            }
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *err = NLMSG_DATA(h);
                int code = h->nlmsg_len >= NLMSG_LENGTH(sizeof *err) ? -err->error : EPROTO;
                if (code == ENOENT || code == EOPNOTSUPP || code == EPROTONOSUPPORT || code == EINVAL)
                    result = LI_NL_UNSUPPORTED;
                ps_fail(e, PS_ERUNTIME, "sock_diag: %s", strerror(code));
                goto out;
            }
            if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
                continue;
            if (li_nl_msg(h, family, proto, t, e) != PS_OK)
                goto out;
        }
    }
    ps_fail(e, PS_ERUNTIME, "sock_diag: no end of dump after %d reads", LI_NL_MAX_READS);
out:
    free(buf);
    return result;
}

static int li_nl_open(void)
{
    struct timeval tv = {.tv_sec = 2, .tv_usec = 0};
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int ps_li_socks_read(ps_li_socks *t, int *all_netlink, ps_err *e)
{
    static const struct {
        int family;
        enum ps_proto proto;
    } tables[] = {{AF_INET, PS_TCP}, {AF_INET6, PS_TCP}, {AF_INET, PS_UDP}, {AF_INET6, PS_UDP}};
    int fd = li_nl_open();

    *all_netlink = fd >= 0;
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        int r = LI_NL_UNSUPPORTED, rc;
        size_t before = t->n;
        ps_err ne;

        if (fd >= 0)
            r = li_nl_dump(fd, tables[i].family, tables[i].proto, (uint32_t)i + 1, t, &ne);
        if (r == LI_NL_OK)
            continue;
        /* A dump that failed half-way leaves a socket in an unknown state
         * (unread replies): drop it and read this and every later table
         * from /proc. */
        t->n = before;
        if (fd >= 0 && r == LI_NL_FAILED) {
            close(fd);
            fd = -1;
        }
        *all_netlink = 0;
        rc = ps_li_socks_read_proc(t, "/proc/net", tables[i].family, tables[i].proto, e);
        if (rc != PS_OK) {
            if (fd >= 0)
                close(fd);
            return rc;
        }
    }
    if (fd >= 0)
        close(fd);
    return PS_OK;
}
