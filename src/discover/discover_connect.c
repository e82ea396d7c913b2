/* discover_connect.c: host discovery without raw-socket rights.
 *
 * Without CAP_NET_RAW nothing can be sent but what the kernel's sockets
 * send, so, like nmap, discovery becomes a TCP connect() to a few ports of
 * each host (80 and 443, or the -PS / -PA ports): a completed handshake
 * ("syn-ack") or a refusal ("conn-refused") proves something answered at
 * that address.  EHOSTUNREACH / ENETUNREACH (no route, or no ARP answer)
 * and silence mean down.  Connections that complete are closed with a
 * reset (SO_LINGER 0) so no TIME_WAIT is left behind.
 *
 * Hosts pass through a window of `width` slots as in discover.c, each with
 * one socket per port, watched by one epoll set; a host's first answer on
 * any port decides it and closes the rest.  Unanswered hosts get up to
 * max_tries tries, each given one RTO (RFC 6298, from the connect times of
 * first tries). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pscan/clock.h"
#include "discover_int.h"

enum { MAX_PORTS = 16, MAX_SOCKETS = 512 };

struct cslot {
    uint64_t host;
    ps_addr addr;
    int active, tries, pending; /* pending: sockets still connecting */
    int fds[MAX_PORTS];
    double sent;
};

struct cdisc {
    const ps_disc_run *run;
    uint16_t ports[MAX_PORTS];
    int nports;
    struct cslot *slots;
    uint64_t width, lo, hi;
    int epfd;
    ps_rtt rtt;
};

static void close_host(struct cdisc *c, struct cslot *s)
{
    for (int i = 0; i < c->nports; i++)
        if (s->fds[i] >= 0) {
            close(s->fds[i]); /* also leaves the epoll set */
            s->fds[i] = -1;
        }
    s->pending = 0;
}

static void host_up(struct cdisc *c, struct cslot *s, const char *why)
{
    double rtt = ps_mono_s() - s->sent;
    if (s->tries == 1) ps_rtt_sample(&c->rtt, rtt);
    close_host(c, s);
    s->active = 0;
    ps_discover_result res = {.addr = s->addr, .up = 1, .reason = why, .ttl = -1, .rtt_s = rtt};
    c->run->st->up++;
    c->run->st->replies++;
    if (c->run->cb) c->run->cb(c->run->ctx, s->host, &res);
}

/* One try: a non-blocking connect to each port.  Answers that come at once
 * (loopback, a refusal from the local stack) decide the host here. */
static void start_try(struct cdisc *c, struct cslot *s, uint64_t host)
{
    s->tries++;
    s->sent = ps_mono_s();
    if (s->tries == 1) c->run->st->sent += (uint64_t)c->nports;
    else c->run->st->resent += (uint64_t)c->nports;
    int failed = 0;
    for (int i = 0; i < c->nports && s->active; i++) {
        struct sockaddr_storage ss;
        socklen_t len = ps_addr_to_sockaddr(&s->addr, c->ports[i], &ss);
        int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0 || ps_addr_bind_source(fd, ss.ss_family, c->run->o->source_ip) < 0) {
            if (fd >= 0) close(fd);
            failed++;
            continue;
        }
        struct linger lg = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        if (connect(fd, (struct sockaddr *)&ss, len) == 0 || errno == ECONNREFUSED) {
            int refused = errno == ECONNREFUSED;
            close(fd);
            host_up(c, s, refused ? "conn-refused" : "syn-ack");
            return;
        }
        if (errno != EINPROGRESS) { /* unreachable, no route, refused by policy */
            close(fd);
            failed++;
            continue;
        }
        struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = host * MAX_PORTS + (uint64_t)i};
        if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            close(fd);
            failed++;
            continue;
        }
        s->fds[i] = fd;
        s->pending++;
    }
    if (s->active && failed == c->nports) { /* every port unreachable: down */
        close_host(c, s);
        s->active = 0;
    }
}

static void on_event(struct cdisc *c, uint64_t data)
{
    uint64_t host = data / MAX_PORTS;
    int i = (int)(data % MAX_PORTS);
    struct cslot *s = &c->slots[host % c->width];
    if (!s->active || s->host != host || s->fds[i] < 0) return;
    int err = 0;
    socklen_t el = sizeof err;
    if (getsockopt(s->fds[i], SOL_SOCKET, SO_ERROR, &err, &el) < 0) err = errno;
    if (err == 0 || err == ECONNREFUSED) {
        host_up(c, s, err ? "conn-refused" : "syn-ack");
        return;
    }
    close(s->fds[i]); /* unreachable: this port has nothing to say */
    s->fds[i] = -1;
    if (--s->pending == 0 && s->tries >= c->run->max_tries) s->active = 0;
}

static void admit(struct cdisc *c)
{
    uint64_t idx = c->hi++;
    struct cslot *s = &c->slots[idx % c->width];
    memset(s, 0, sizeof *s);
    for (int i = 0; i < MAX_PORTS; i++) s->fds[i] = -1;
    s->host = idx;
    ps_targets_get(c->run->t, idx, &s->addr);
    if (ps_localinfo_is_local(c->run->li, &s->addr)) {
        ps_disc_local_up(c->run, idx, &s->addr);
        return;
    }
    s->active = 1;
    start_try(c, s, idx);
}

static void ports_from(struct cdisc *c, const ps_ports *p)
{
    for (size_t i = 0; i < p->ntcp && c->nports < MAX_PORTS; i++) {
        int dup = 0;
        for (int j = 0; j < c->nports; j++) dup |= c->ports[j] == p->tcp[i];
        if (!dup) c->ports[c->nports++] = p->tcp[i];
    }
}

int ps_disc_connect_run(const ps_disc_run *run, ps_err *e)
{
    struct cdisc c = {.run = run, .epfd = -1, .rtt = run->rtt};
    ports_from(&c, &run->o->syn_ports);
    ports_from(&c, &run->o->ack_ports);
    if (!c.nports) {
        c.ports[0] = 80;
        c.ports[1] = 443;
        c.nports = 2;
    }
    /* Sockets in flight: at most MAX_SOCKETS, and well inside the fd limit. */
    uint64_t socks = MAX_SOCKETS;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < socks + 64)
        socks = rl.rlim_cur > 96 ? rl.rlim_cur - 64 : 32;
    c.width = socks / (uint64_t)c.nports;
    if (c.width < 1) c.width = 1;
    c.slots = calloc(c.width, sizeof *c.slots);
    if (!c.slots) return ps_fail(e, PS_ERUNTIME, "out of memory");
    c.epfd = epoll_create1(EPOLL_CLOEXEC);
    if (c.epfd < 0) {
        free(c.slots);
        return ps_fail(e, PS_ERUNTIME, "epoll: %s", strerror(errno));
    }
    struct epoll_event evs[64];
    while (c.lo < run->n) {
        int stopping = ps_disc_stopping(run);
        while (!stopping && c.hi < run->n && c.hi - c.lo < c.width) admit(&c);
        int n = epoll_wait(c.epfd, evs, 64, 2);
        for (int i = 0; i < n; i++) on_event(&c, evs[i].data.u64);
        double now = ps_mono_s(), rto = ps_rtt_timeout(&c.rtt);
        for (uint64_t h = c.lo; h < c.hi; h++) {
            struct cslot *s = &c.slots[h % c.width];
            if (!s->active) continue;
            if (stopping || now >= s->sent + rto) {
                close_host(&c, s);
                if (!stopping && s->tries < run->max_tries) start_try(&c, s, h);
                else s->active = 0;
            }
        }
        while (c.lo < c.hi && !c.slots[c.lo % c.width].active) c.lo++;
        run->st->rto_s = rto;
        if (stopping && c.lo >= c.hi) break;
    }
    for (uint64_t h = c.lo; h < c.hi; h++) close_host(&c, &c.slots[h % c.width]);
    close(c.epfd);
    free(c.slots);
    return PS_OK;
}
