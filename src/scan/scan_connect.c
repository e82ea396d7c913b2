/* scan_connect.c: the TCP connect() scan (-sT), pscan's unprivileged engine.
 *
 * Each probe is a non-blocking connect() watched by epoll.  Outcomes:
 * connected -> open (syn-ack); ECONNREFUSED -> closed (conn-refused);
 * an ICMP error (EHOSTUNREACH, ENETUNREACH, EACCES) -> filtered; no answer
 * within the probe timeout -> retried, and filtered (no-response) when the
 * retries run out.  Open connections are closed with SO_LINGER 0 (a reset),
 * so a full-range scan leaves no TIME_WAIT sockets to exhaust the local
 * ports.
 *
 * Probes go out host by host, port by port, with up to `width` in flight;
 * a host is handed to the report as soon as all its ports are final, so
 * results stream while the scan goes on.  With --shard, only the pairs in
 * the shard's slice of the probe order are probed (scan.h), the same pairs
 * a SYN scan of that shard sends.
 *
 * A stop closes every connection in flight at once: the lowest host with
 * a port left unfinished (cut) and every host after it are left to
 * --resume, which scans them again in full, and the report shows none of
 * their pairs.
 *
 * Timeouts adapt to the measured round-trip time as TCP's own RTO does
 * (RFC 6298): srtt + 4 * rttvar, clamped to [min-rtt, max-rtt]; until the
 * first sample, the initial timeout.  In-flight probes sit in a FIFO in
 * send order, so expiry checks only the head. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "pscan/clock.h"
#include "pscan/hostlimits.h"
#include "pscan/permute.h"
#include "pscan/progress.h"
#include "pscan/rtt.h"
#include "pscan/scan.h"
#include "scan_int.h"

struct probe {
    int fd;
    uint32_t port_idx;
    uint64_t host;
    uint8_t tries;
    double sent;
};

struct retry {
    uint64_t host;
    uint32_t port_idx;
    uint8_t tries;
};

struct cscan {
    const ps_scan_ctx *ctx;
    size_t nports;
    uint64_t nhosts;
    struct probe *probes; /* per slot */
    ps_slots slots;
    uint32_t width;
    struct retry *retries; /* ring, capacity = width */
    uint32_t rhead, rcount;
    uint64_t next_host; /* cursor: next fresh (host, port) */
    uint32_t next_port;
    /* Hosts [done_base, next_host] still have ports pending. */
    uint64_t done_base;
    uint32_t *remaining;
    uint64_t remaining_cap;
    ps_rtt rtt;
    double started_at;
    uint64_t started;
    double blocked_until; /* local resource shortage: pause new probes */
    uint64_t finished, opened;
    int epfd, stopped;
    uint64_t cut; /* after a stop: the lowest host left unfinished */
    ps_slice slice;
};

static double rto(const struct cscan *s)
{
    return ps_rtt_timeout(&s->rtt);
}

static uint32_t *remaining_of(struct cscan *s, uint64_t host)
{
    return &s->remaining[host % s->remaining_cap];
}

/* Hand finished hosts to the report, in order. */
static void release_hosts(struct cscan *s)
{
    uint64_t last = s->done_base;
    int any = 0;
    while (s->done_base < s->next_host && *remaining_of(s, s->done_base) == 0) {
        last = s->done_base++;
        any = 1;
    }
    if (any) ps_report_hosts_done(s->ctx->report, last);
}

/* A probe's outcome is final: report it and release finished hosts.
 * PS_ST_NONE (no answer) reports nothing: the report counts unanswered
 * ports as filtered, and a host that never answered stays down. */
static void final(struct cscan *s, uint64_t host, uint32_t port_idx, enum ps_state st,
                  enum ps_reason why, double rtt)
{
    if (st != PS_ST_NONE) ps_report_port(s->ctx->report, host, port_idx, st, why, -1, rtt);
    s->finished++;
    s->opened += st == PS_ST_OPEN;
    (*remaining_of(s, host))--;
    release_hosts(s);
}

/* Host h's pairs in the shard's slice. */
static uint32_t host_pairs(const struct cscan *s, uint64_t h)
{
    if (s->slice.count == s->slice.n) return (uint32_t)s->nports;
    uint32_t n = 0;
    for (size_t p = 0; p < s->nports; p++) n += (uint32_t)ps_slice_has(&s->slice, h * s->nports + p);
    return n;
}

static void release(struct cscan *s, uint32_t i)
{
    close(s->probes[i].fd);
    s->probes[i].fd = -1;
    ps_slots_release(&s->slots, i);
}

static void queue_retry(struct cscan *s, uint64_t host, uint32_t port_idx, uint8_t tries)
{
    /* The ring holds at most `width` entries: each comes from a slot. */
    uint32_t at = (s->rhead + s->rcount++) % s->width;
    s->retries[at] = (struct retry){host, port_idx, tries};
}

static int grow_remaining(struct cscan *s)
{
    uint64_t cap = s->remaining_cap * 2;
    uint32_t *n = calloc(cap, sizeof *n);
    if (!n) return -1;
    for (uint64_t h = s->done_base; h < s->next_host; h++) n[h % cap] = *remaining_of(s, h);
    free(s->remaining);
    s->remaining = n;
    s->remaining_cap = cap;
    return 0;
}

/* A connect to a local port in the ephemeral range can meet itself: with
 * nothing listening, the kernel may pick that very port as the source,
 * and TCP's simultaneous open "succeeds".  Such a port is closed. */
static int self_connected(int fd)
{
    struct sockaddr_storage a, b;
    socklen_t la = sizeof a, lb = sizeof b;
    if (getsockname(fd, (struct sockaddr *)&a, &la) < 0 || getpeername(fd, (struct sockaddr *)&b, &lb) < 0)
        return 0;
    return la == lb && memcmp(&a, &b, la) == 0;
}

/* Start one connect.  Returns 0 if started or finished at once, -1 if a
 * local resource ran out (the probe is put back for later). */
static int launch(struct cscan *s, uint64_t host, uint32_t port_idx, uint8_t tries)
{
    const ps_ports *ports = s->ctx->ports;
    ps_addr a;
    struct sockaddr_storage ss;
    ps_targets_get(s->ctx->targets, host, &a);
    socklen_t len = ps_addr_to_sockaddr(&a, ports->tcp[port_idx], &ss);

    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) goto shortage;
    const ps_config *c = s->ctx->cfg;
    if (ps_addr_bind_source(fd, ss.ss_family, c->has_source_ip ? &c->source_ip : NULL) < 0) {
        close(fd);
        goto shortage;
    }
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    double t0 = ps_mono_s();
    if (connect(fd, (struct sockaddr *)&ss, len) == 0) {
        int self = self_connected(fd);
        close(fd);
        final(s, host, port_idx, self ? PS_ST_CLOSED : PS_ST_OPEN, self ? PS_R_CONN_REFUSED : PS_R_SYN_ACK,
              ps_mono_s() - t0);
        return 0;
    }
    switch (errno) {
    case EINPROGRESS: break;
    case ECONNREFUSED:
        close(fd);
        final(s, host, port_idx, PS_ST_CLOSED, PS_R_CONN_REFUSED, ps_mono_s() - t0);
        return 0;
    case ENETUNREACH:
    case EHOSTUNREACH: /* no route, or no ARP answer: the host did not speak */
        close(fd);
        final(s, host, port_idx, PS_ST_NONE, PS_R_NONE, -1);
        return 0;
    case EACCES:
    case EPERM:
        close(fd);
        final(s, host, port_idx, PS_ST_FILTERED, PS_R_ADMIN_PROHIBITED, -1);
        return 0;
    default: /* EADDRNOTAVAIL, EAGAIN, ENOBUFS: local shortage */
        close(fd);
        goto shortage;
    }
    uint32_t i = ps_slots_take(&s->slots);
    s->probes[i] = (struct probe){fd, port_idx, host, tries, t0};
    struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = i};
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        release(s, i);
        goto shortage;
    }
    return 0;
shortage:
    queue_retry(s, host, port_idx, tries);
    s->blocked_until = ps_mono_s() + 0.005;
    return -1;
}

/* Fill free slots: retries first, then fresh probes, within the rate. */
static int fill(struct cscan *s)
{
    const ps_config *c = s->ctx->cfg;
    while (s->slots.busy < s->width) {
        double t = ps_mono_s();
        if (*s->ctx->stop) return 0; /* stop_now() ends what is in flight */
        if (t < s->blocked_until) return 0;
        if (c->max_rate > 0 && (double)s->started >= c->max_rate * (t - s->started_at) + 1) return 0;
        if (s->rcount) {
            struct retry r = s->retries[s->rhead];
            s->rhead = (s->rhead + 1) % s->width;
            s->rcount--;
            s->started++;
            if (launch(s, r.host, r.port_idx, r.tries) < 0) return 0;
            continue;
        }
        if (s->next_host >= s->nhosts) return 0;
        if (s->next_port == 0) {
            if (s->next_host - s->done_base >= s->remaining_cap && grow_remaining(s) < 0)
                return -1;
            *remaining_of(s, s->next_host) = host_pairs(s, s->next_host);
        }
        uint64_t host = s->next_host;
        uint32_t port = s->next_port;
        if (++s->next_port == s->nports) {
            s->next_port = 0;
            s->next_host++;
            release_hosts(s); /* a host with no pair of this shard */
        }
        if (!ps_slice_has(&s->slice, host * s->nports + port)) continue;
        s->started++;
        if (launch(s, host, port, 0) < 0) return 0;
    }
    return 0;
}

static void completed(struct cscan *s, uint32_t i)
{
    struct probe *p = &s->probes[i];
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (err == 0 && self_connected(p->fd)) err = ECONNREFUSED;
    double rtt = ps_mono_s() - p->sent;
    uint64_t host = p->host;
    uint32_t port = p->port_idx;
    uint8_t tries = p->tries;
    release(s, i);
    switch (err) {
    case 0:
        if (tries == 0) ps_rtt_sample(&s->rtt, rtt);
        final(s, host, port, PS_ST_OPEN, PS_R_SYN_ACK, rtt);
        break;
    case ECONNREFUSED:
        if (tries == 0) ps_rtt_sample(&s->rtt, rtt);
        final(s, host, port, PS_ST_CLOSED, PS_R_CONN_REFUSED, rtt);
        break;
    case EHOSTUNREACH: /* from a router, or a failed ARP: the host is not up */
    case ENETUNREACH: final(s, host, port, PS_ST_NONE, PS_R_NONE, -1); break;
    case EACCES:
    case EPERM: final(s, host, port, PS_ST_FILTERED, PS_R_ADMIN_PROHIBITED, -1); break;
    default: /* ETIMEDOUT and the like: treat as no answer yet */
        if (tries < s->ctx->cfg->max_retries) queue_retry(s, host, port, (uint8_t)(tries + 1));
        else final(s, host, port, PS_ST_NONE, PS_R_NONE, -1);
    }
}

static void expire(struct cscan *s)
{
    double t = ps_mono_s(), limit = rto(s);
    while (s->slots.head != PS_SLOT_NIL && t - s->probes[s->slots.head].sent >= limit) {
        struct probe *p = &s->probes[s->slots.head];
        uint64_t host = p->host;
        uint32_t port = p->port_idx;
        uint8_t tries = p->tries;
        release(s, s->slots.head);
        if (tries < s->ctx->cfg->max_retries) /* after a stop, stop_now() ends it */
            queue_retry(s, host, port, (uint8_t)(tries + 1));
        else
            final(s, host, port, PS_ST_NONE, PS_R_NONE, -1);
    }
}


/* The stop: every connection in flight and every queued retry ends now,
 * unanswered; the lowest host among them (or the first not wholly
 * started) is where a resumed run starts, and the report is told before
 * any host from there on is released. */
static void stop_now(struct cscan *s)
{
    uint64_t cut = s->next_host;
    s->stopped = 1;
    for (uint32_t i = s->slots.head; i != PS_SLOT_NIL; i = s->slots.link[i].next)
        if (s->probes[i].host < cut) cut = s->probes[i].host;
    for (uint32_t k = 0; k < s->rcount; k++)
        if (s->retries[(s->rhead + k) % s->width].host < cut) cut = s->retries[(s->rhead + k) % s->width].host;
    s->cut = cut;
    ps_report_cover_stop(s->ctx->report, PS_TCP, cut);
    while (s->slots.head != PS_SLOT_NIL) {
        struct probe p = s->probes[s->slots.head];
        release(s, s->slots.head);
        final(s, p.host, p.port_idx, PS_ST_NONE, PS_R_NONE, -1);
    }
    while (s->rcount) {
        struct retry q = s->retries[s->rhead];
        s->rhead = (s->rhead + 1) % s->width;
        s->rcount--;
        final(s, q.host, q.port_idx, PS_ST_NONE, PS_R_NONE, -1);
    }
}

static int connect_run(const ps_scan_ctx *ctx, ps_err *e)
{
    if (ps_scan_handles_open(ctx, e)) return PS_ERUNTIME; /* needs no rights */
    struct cscan s;
    memset(&s, 0, sizeof s);
    s.ctx = ctx;
    s.nports = ctx->ports->ntcp;
    s.nhosts = ps_targets_count(ctx->targets);
    s.width = ps_fd_width(ctx->cfg->max_parallelism, 16);
    s.remaining_cap = 1024;
    s.probes = calloc(s.width, sizeof *s.probes);
    for (uint32_t i = 0; s.probes && i < s.width; i++) s.probes[i].fd = -1;
    s.retries = calloc(s.width, sizeof *s.retries);
    s.remaining = calloc(s.remaining_cap, sizeof *s.remaining);
    s.epfd = epoll_create1(EPOLL_CLOEXEC);
    int r = PS_OK;
    if (!s.probes || !s.retries || !s.remaining || s.epfd < 0 || ps_slots_init(&s.slots, s.width) < 0) {
        r = ps_fail(e, PS_ERUNTIME, "connect scan: cannot allocate %u slots: %s", s.width, strerror(errno));
        goto out;
    }
    ps_rtt_init(&s.rtt, ctx->cfg);
    if ((r = ps_slice_init(&s.slice, s.nhosts * s.nports, ctx->seed, ctx->cfg->shard, ctx->cfg->nshards, e)))
        goto out;
    s.started_at = ps_mono_s();
    /* --resume: the hosts before resume_from were finished last time. */
    if (ctx->resume_from && ctx->resume_from <= s.nhosts) s.next_host = s.done_base = ctx->resume_from;

    struct epoll_event evs[256];
    ps_progress prog;
    ps_progress_init(&prog, ctx->cfg);
    for (;;) {
        if (*ctx->stop && !s.stopped) stop_now(&s);
        ps_progress_update(&prog, s.finished, s.slice.count, s.opened);
        if (fill(&s) < 0) {
            r = ps_fail(e, PS_ERUNTIME, "connect scan: out of memory");
            break;
        }
        if (s.slots.busy == 0 && s.rcount == 0 && (s.next_host >= s.nhosts || *ctx->stop)) break;
        int wait_ms = 1;
        if (s.slots.head != PS_SLOT_NIL) {
            double left = s.probes[s.slots.head].sent + rto(&s) - ps_mono_s();
            wait_ms = left <= 0 ? 0 : (int)(left * 1000) + 1;
            if (wait_ms > 100) wait_ms = 100;
        }
        if (s.slots.busy < s.width && (s.rcount || s.next_host < s.nhosts) && wait_ms > 1) wait_ms = 1;
        int n = epoll_wait(s.epfd, evs, 256, wait_ms);
        if (n < 0 && errno != EINTR) {
            r = ps_fail(e, PS_ERUNTIME, "epoll_wait: %s", strerror(errno));
            break;
        }
        for (int k = 0; k < n; k++) completed(&s, evs[k].data.u32);
        expire(&s);
    }
    ps_progress_end(&prog);
    if (s.nhosts && s.next_host) ps_report_hosts_done(ctx->report, s.next_host - 1);
    /* Hosts below next_host are finished, or below the cut of a stop. */
    ctx->state->done = s.stopped && s.cut < s.next_host ? s.cut : s.next_host;
    ctx->state->total = s.nhosts;
out:
    for (uint32_t i = 0; s.probes && i < s.width; i++)
        if (s.probes[i].fd >= 0) close(s.probes[i].fd);
    if (s.epfd >= 0) close(s.epfd);
    free(s.probes);
    ps_slots_free(&s.slots);
    free(s.retries);
    free(s.remaining);
    return r;
}

static int connect_available(const ps_config *cfg, ps_err *e)
{
    (void)cfg;
    (void)e;
    return PS_OK;
}

const struct ps_scanner_ops ps_scan_connect = {
    .name = "connect",
    .proto = PS_TCP,
    .by_host = 1,
    .available = connect_available,
    .run = connect_run,
};
