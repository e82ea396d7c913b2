/* udp_probe.c: one UDP probe, on a socket of its own (see scan_udp.c for
 * the scheme): sent with the port's payload, read back as a datagram, an
 * ICMP error from the socket's error queue (IP_RECVERR), or nothing by the
 * timeout.  Canary probes only say whether the host's ICMP bucket still
 * had tokens; other probes settle their port. */
#include <errno.h>
#include <time.h> /* before linux/errqueue.h, which needs struct timespec */
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pscan/clock.h"
#include "pscan/udp_payloads.h"

#include "udp_int.h"

/* A port's outcome is final.  PS_ST_NONE reports nothing: open|filtered. */
void udp_port_final(struct uscan *s, struct host *h, uint32_t port, enum ps_state st, enum ps_reason why,
                       double rtt)
{
    if (h->ps[port].done) return;
    h->ps[port].done = 1;
    if (st != PS_ST_NONE)
        ps_report_port(s->ctx->report, h->idx, s->port_base + port, st, why, -1, rtt);
    else if (!*s->ctx->stop)
        ps_report_silent(s->ctx->report, h->idx, s->port_base + port);
    s->finished++;
    s->opened += st == PS_ST_OPEN;
}

static void probe_unlink(struct uscan *s, uint32_t i)
{
    struct probe *p = &s->probes[i];
    close(p->fd);
    p->fd = -1;
    ps_slots_release(&s->slots, i);
    s->hosts[p->host].r.inflight--;
}

int udp_launch(struct uscan *s, uint32_t slot, uint32_t port, int canary)
{
    struct host *h = &s->hosts[slot];
    uint16_t pnum = s->ports[port];
    struct sockaddr_storage ss;
    socklen_t len = ps_addr_to_sockaddr(&h->addr, pnum, &ss);
    int any_src = ps_udp_reply_elsewhere(pnum);
    size_t plen;
    unsigned np = ps_udp_payload_count(pnum);
    const uint8_t *pl = ps_udp_payload_n(pnum, canary ? 0 : h->ps[port].tries % np, &plen);

    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) goto shortage;
    const ps_config *c = s->ctx->cfg;
    if (ps_addr_bind_source(fd, ss.ss_family, c->has_source_ip ? &c->source_ip : NULL) < 0) {
        close(fd);
        goto shortage;
    }
    int one = 1;
    if (ss.ss_family == AF_INET6) setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &one, sizeof one);
    else setsockopt(fd, SOL_IP, IP_RECVERR, &one, sizeof one);
    double t0 = ps_mono_s();
    ssize_t n;
    if (any_src) {
        n = sendto(fd, pl, plen, 0, (struct sockaddr *)&ss, len);
    } else {
        n = connect(fd, (struct sockaddr *)&ss, len) == 0 ? send(fd, pl, plen, 0) : -1;
    }
    if (n < 0) {
        int err = errno;
        close(fd);
        switch (err) {
        case ENETUNREACH:
        case EHOSTUNREACH: /* no route: the host cannot answer */
            if (!canary) udp_port_final(s, h, port, PS_ST_NONE, PS_R_NONE, -1);
            return 1;
        case EACCES:
        case EPERM: /* a local firewall */
            if (!canary) udp_port_final(s, h, port, PS_ST_FILTERED, PS_R_ADMIN_PROHIBITED, -1);
            return 1;
        default: goto shortage; /* EAGAIN, ENOBUFS, EADDRNOTAVAIL */
        }
    }
    uint32_t i = ps_slots_take(&s->slots);
    s->probes[i] = (struct probe){fd, slot, port, (uint8_t)canary, (uint8_t)any_src, t0};
    h->r.inflight++;
    s->sent++;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        probe_unlink(s, i);
        s->sent--;
        goto shortage_noclose;
    }
    return 1;
shortage:
shortage_noclose:
    s->blocked_until = ps_mono_s() + 0.005;
    return 0;
}

/* ICMP type/code (v4 or v6) -> the port's state; 0 if not an answer. */
static int classify_icmp(int v6, int type, int code, enum ps_state *st, enum ps_reason *why)
{
    *st = PS_ST_FILTERED;
    if (!v6) {
        if (type != 3) return 0; /* time exceeded, source quench...: no verdict */
        switch (code) {
        case 3: *st = PS_ST_CLOSED; *why = PS_R_PORT_UNREACH; return 1;
        case 0: case 6: *why = PS_R_NET_UNREACH; return 1;
        case 1: case 7: *why = PS_R_HOST_UNREACH; return 1;
        case 2: *why = PS_R_PROTO_UNREACH; return 1;
        case 9: case 10: case 13: *why = PS_R_ADMIN_PROHIBITED; return 1;
        default: return 0; /* 4: fragmentation needed, and the like */
        }
    }
    if (type != 1) return 0;
    switch (code) {
    case 4: *st = PS_ST_CLOSED; *why = PS_R_PORT_UNREACH; return 1;
    case 0: case 2: *why = PS_R_NET_UNREACH; return 1;
    case 3: *why = PS_R_HOST_UNREACH; return 1;
    case 1: case 5: case 6: *why = PS_R_ADMIN_PROHIBITED; return 1;
    default: return 0;
    }
}

enum outcome { O_NOTHING, O_ANSWER, O_SILENT };

/* What one probe's socket holds: an ICMP error from the error queue, or
 * a datagram from the host. */
static enum outcome read_probe(struct uscan *s, struct probe *p, enum ps_state *st, enum ps_reason *why,
                               int *icmp)
{
    const ps_addr *a = &s->hosts[p->host].addr;
    uint8_t data[64];
    union {
        char buf[512];
        struct cmsghdr align;
    } ctl;
    *icmp = 0;
    for (int k = 0; k < 4; k++) { /* bounded: one error is all we expect */
        struct sockaddr_storage from;
        struct iovec iov = {data, sizeof data};
        struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
                           .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
        if (recvmsg(p->fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) break;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
            if (!((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
                  (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)))
                continue;
            struct sock_extended_err ee;
            memcpy(&ee, CMSG_DATA(c), sizeof ee);
            if (ee.ee_origin == SO_EE_ORIGIN_ICMP || ee.ee_origin == SO_EE_ORIGIN_ICMP6) {
                if (classify_icmp(ee.ee_origin == SO_EE_ORIGIN_ICMP6, ee.ee_type, ee.ee_code, st, why)) {
                    *icmp = 1;
                    return O_ANSWER;
                }
            } else if (ee.ee_origin == SO_EE_ORIGIN_LOCAL) {
                return O_SILENT; /* no neighbour answered: the host is not there */
            }
        }
    }
    for (int k = 0; k < 4; k++) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(p->fd, data, sizeof data, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
        if (n < 0) {
            if (errno == ECONNREFUSED) { /* the error, without its queue entry */
                *st = PS_ST_CLOSED;
                *why = PS_R_PORT_UNREACH;
                *icmp = 1;
                return O_ANSWER;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) return O_NOTHING;
            continue; /* another pending error, read and cleared */
        }
        if (p->any_src) {
            struct sockaddr_storage want;
            ps_addr_to_sockaddr(a, 0, &want);
            int same = from.ss_family == want.ss_family &&
                       (from.ss_family == AF_INET
                            ? ((struct sockaddr_in *)&from)->sin_addr.s_addr ==
                                  ((struct sockaddr_in *)&want)->sin_addr.s_addr
                            : memcmp(&((struct sockaddr_in6 *)&from)->sin6_addr,
                                     &((struct sockaddr_in6 *)&want)->sin6_addr, 16) == 0);
            if (!same) continue; /* someone else's datagram */
        }
        *st = PS_ST_OPEN;
        *why = PS_R_UDP_RESPONSE;
        return O_ANSWER;
    }
    return O_NOTHING;
}

void udp_on_ready(struct uscan *s, uint32_t i)
{
    struct probe *p = &s->probes[i];
    if (p->fd < 0) return;
    enum ps_state st;
    enum ps_reason why;
    int icmp;
    enum outcome o = read_probe(s, p, &st, &why, &icmp);
    if (o == O_NOTHING) return;
    struct host *h = &s->hosts[p->host];
    uint32_t port = p->port;
    int canary = p->canary;
    double rtt = ps_mono_s() - p->sent;
    probe_unlink(s, i);
    if (o == O_SILENT) return;
    ps_rtt_sample(&s->rtt, rtt);
    h->r.icmp += (uint32_t)icmp;
    if (canary) {
        h->r.canary_ok += (uint32_t)icmp;
        if (!icmp) h->canary = NIL; /* the port opened: it can vouch for nothing */
        return;
    }
    if (icmp && h->canary == NIL) h->canary = port;
    udp_port_final(s, h, port, st, why, rtt);
}

void udp_expire(struct uscan *s, double t)
{
    /* After a stop nothing is waited for: the hosts it leaves unsettled
     * are scanned again by --resume. */
    double limit = *s->ctx->stop ? 0 : ps_rtt_timeout(&s->rtt);
    while (s->slots.head != PS_SLOT_NIL && t - s->probes[s->slots.head].sent >= limit)
        probe_unlink(s, s->slots.head);
}
