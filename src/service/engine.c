/* engine.c: the -sV engine's thread, event loop, scheduler and hosts.
 *
 * How pscan names services, and why it is faster than waiting
 * --------------------------------------------------------------
 * nmap's version scan talks to one service with one probe at a time and
 * waits a fixed time for each answer: six seconds of silence on the NULL
 * probe before it even asks a silent service anything.  Most of a version
 * scan is therefore spent waiting on services that have already answered
 * or never will.  pscan keeps the same knowledge (the probe database, the
 * probe order, softmatch and fallback rules) and changes the waiting:
 *
 *  1. Waits are measured, not fixed.  Every connection times its TCP
 *     handshake; the shortest per host is the RTT estimate.  A reply wait
 *     is RTT x 8, kept within [min_wait, max_wait] and the probe's own
 *     totalwaitms.  Banner protocols send within a few RTTs of the accept,
 *     so on a LAN the NULL probe costs min_wait (250 ms) instead of 6 s.
 *     A reply that has started is complete when the stream closes, when
 *     it hard-matches, or after a quiet spell (4 RTT, at least a third of
 *     min_wait) with no new bytes.
 *
 *  2. Probes of one port run side by side.  Each probe needs its own
 *     connection anyway (a service's state after one probe says nothing
 *     useful for the next), so nothing forces them to be sequential.  A
 *     port runs up to probes_per_port lanes at once: the NULL probe and the
 *     port's own probes start together, and the first hard match cancels
 *     the rest.  An HTTP server is named by the GET probe's reply in one
 *     RTT plus server time, while the NULL probe is still listening.
 *
 *  3. The answer is read as it arrives: matching runs whenever the reply
 *     has grown by half, so a match ends the lane at once; a reply is kept
 *     to max_reply bytes, and a lane never outlives its wait, so a server
 *     that streams forever or trickles a byte a second holds a connection
 *     no longer than a silent one.  A whole port is capped at
 *     port_timeout_ms.
 *
 * The loop.  One thread, one epoll set, non-blocking sockets.  A lane (one
 * connection running one probe, lane.c) is registered for the readiness
 * its transport wants; each lane has one deadline in a binary min-heap, so
 * the epoll timeout is the heap's top and expiry is O(log n).  Lanes and
 * finished jobs are freed only at the end of an iteration (the reap): an
 * event already returned by epoll_wait may name a lane closed moments
 * before by its job.  Results are reported from the reap, on this thread.
 *
 * Fairness.  Submissions wait in per-host queues; hosts with work sit in a
 * ring.  The scheduler walks the ring one lane per host per turn, giving
 * a running port its next probe before starting a new port, until
 * max_parallelism connections are open.  A host never holds more than
 * max_per_host connections, so one host with a thousand open ports does
 * not starve the others, and a slow host does not block a fast one.
 *
 * Stopping.  With opts.stop set, the loop wakes at least every 100 ms to
 * look at it; once it is set, every job ends at once with what it has
 * (svc_job_expire), every queued and later submission is reported
 * untouched, all marked cut, and the loop exits as soon as finishing.
 *
 * Threads.  ps_svc_submit may be called from any thread (the port scan
 * streams open ports in); it appends to an inbox under a mutex and wakes
 * the loop through an eventfd.  Everything else belongs to the engine
 * thread.  SIGPIPE is blocked on that thread: OpenSSL writes with write(2),
 * and a peer that resets must cost an EPIPE, not the process. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "pscan/clock.h"
#include "svc.h"

#define SVC_FD_RESERVE 64 /* descriptors left for the rest of pscan */
#define SVC_EVENTS 256

void ps_svc_opts_default(ps_svc_opts *o)
{
    memset(o, 0, sizeof *o);
    o->intensity = 7;
    o->max_parallelism = 256;
    o->max_per_host = 64;
    o->probes_per_port = 8;
    o->connect_timeout_ms = 3000;
    o->min_wait_ms = 250;
    o->max_wait_ms = 3000;
    o->port_timeout_ms = 20000;
    o->tls = 1;
    o->max_reply = 65536;
}

const char *ps_svc_status_name(enum ps_svc_status st)
{
    switch (st) {
    case PS_SVC_MATCH: return "match";
    case PS_SVC_SOFT: return "softmatch";
    case PS_SVC_UNKNOWN: return "unknown";
    case PS_SVC_TCPWRAPPED: return "tcpwrapped";
    case PS_SVC_CLOSED: return "closed";
    }
    return "?";
}

/* ---- hosts ----------------------------------------------------------- */

static size_t addr_hash(const ps_addr *a)
{
    uint64_t h = 1469598103934665603ull;
    const uint8_t *p = a->family == AF_INET ? (const uint8_t *)&a->u.v4 : a->u.v6;
    size_t n = a->family == AF_INET ? 4 : 16;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return (size_t)(h ^ (h >> 29));
}

static int addr_eq(const ps_addr *a, const ps_addr *b)
{
    if (a->family != b->family)
        return 0;
    return a->family == AF_INET ? a->u.v4 == b->u.v4 : memcmp(a->u.v6, b->u.v6, 16) == 0;
}

static int htab_grow(struct ps_svc_engine *eng)
{
    size_t ncap = eng->hcap ? eng->hcap * 2 : 64;
    svc_host **nt = calloc(ncap, sizeof *nt);
    if (!nt)
        return -1;
    for (size_t i = 0; i < eng->hcap; i++)
        for (svc_host *h = eng->htab[i], *nx; h; h = nx) {
            nx = h->hnext;
            size_t b = addr_hash(&h->addr) & (ncap - 1);
            h->hnext = nt[b];
            nt[b] = h;
        }
    free(eng->htab);
    eng->htab = nt;
    eng->hcap = ncap;
    return 0;
}

static svc_host *host_get(struct ps_svc_engine *eng, const ps_addr *a)
{
    if (eng->hcap) {
        for (svc_host *h = eng->htab[addr_hash(a) & (eng->hcap - 1)]; h; h = h->hnext)
            if (addr_eq(&h->addr, a))
                return h;
    }
    if ((eng->nhosts + 1) * 2 > eng->hcap && htab_grow(eng) < 0)
        return NULL;
    svc_host *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->addr = *a;
    size_t b = addr_hash(a) & (eng->hcap - 1);
    h->hnext = eng->htab[b];
    eng->htab[b] = h;
    eng->nhosts++;
    /* join the ring just behind the cursor: served last in this turn */
    if (eng->ring) {
        h->rnext = eng->ring;
        h->rprev = eng->ring->rprev;
        h->rprev->rnext = h;
        eng->ring->rprev = h;
    } else {
        h->rnext = h->rprev = h;
        eng->ring = h;
    }
    eng->nring++;
    return h;
}

static void host_drop(struct ps_svc_engine *eng, svc_host *h)
{
    svc_host **pp = &eng->htab[addr_hash(&h->addr) & (eng->hcap - 1)];
    while (*pp != h)
        pp = &(*pp)->hnext;
    *pp = h->hnext;
    eng->nhosts--;
    if (h->rnext == h) {
        eng->ring = NULL;
    } else {
        h->rprev->rnext = h->rnext;
        h->rnext->rprev = h->rprev;
        if (eng->ring == h)
            eng->ring = h->rnext;
    }
    eng->nring--;
    free(h);
}

/* ---- scheduling ------------------------------------------------------ */

/* Give host h one more lane if it may have one: 1 if something started,
 * 0 if the host has nothing to start now, -1 on a local failure. */
static int host_step(struct ps_svc_engine *eng, svc_host *h)
{
    if (h->nlanes >= eng->o.max_per_host)
        return 0;
    for (svc_job *j = h->jobs, *nx; j; j = nx) {
        nx = j->next;
        if (eng->now >= j->deadline) {
            svc_job_expire(j);
            continue;
        }
        int t = svc_job_pick_track(j);
        if (t >= 0)
            return svc_lane_start(j, t) < 0 ? -1 : 1;
    }
    if (!h->phead || h->njobs >= eng->o.max_per_host || eng->njobs >= eng->o.max_parallelism)
        return 0;
    svc_pending *p = h->phead;
    svc_job *job = svc_job_new(eng, h, p);
    if (!job)
        return -1;
    h->phead = p->next;
    if (!h->phead)
        h->ptail = NULL;
    eng->npending--;
    free(p->sni);
    free(p);
    int t = svc_job_pick_track(job);
    if (t >= 0 && svc_lane_start(job, t) < 0)
        return -1; /* the job stays, waiting for its first lane */
    return 1;
}

static void fill(struct ps_svc_engine *eng)
{
    if (eng->now < eng->backoff_until)
        return;
    size_t idle = 0;
    while (eng->ring && eng->nlanes < eng->o.max_parallelism && idle < eng->nring) {
        svc_host *h = eng->ring;
        eng->ring = h->rnext;
        int rc = host_step(eng, h);
        if (rc < 0) {
            eng->backoff_until = eng->now + 20000; /* out of sockets: retry soon */
            return;
        }
        idle = rc ? 0 : idle + 1;
    }
}

/* Free closed lanes, report finished jobs, forget idle hosts. */
static void reap(struct ps_svc_engine *eng)
{
    while (eng->dead) {
        svc_lane *l = eng->dead;
        eng->dead = l->dead_next;
        svc_lane_free(l);
    }
    while (eng->done) {
        svc_job *job = eng->done;
        eng->done = job->done_next;
        svc_host *h = job->host;
        svc_job_report_free(job);
        if (--h->ndone == 0 && !h->jobs && !h->phead)
            host_drop(eng, h);
    }
}

/* A submission the engine will not look at: reported at once, cut. */
static void report_untouched(struct ps_svc_engine *eng, const ps_addr *a, uint16_t port, enum ps_proto proto)
{
    ps_svc_result r;
    memset(&r, 0, sizeof r);
    r.addr = *a;
    r.port = port;
    r.proto = proto;
    r.status = PS_SVC_UNKNOWN;
    r.rtt_ms = -1;
    r.cut = 1;
    eng->cb(eng->ctx, &r);
}

/* opts.stop is set: end every job with what it has and report every
 * waiting submission untouched. */
static void stop_all(struct ps_svc_engine *eng)
{
    eng->stopped = 1;
    for (size_t b = 0; b < eng->hcap; b++)
        for (svc_host *h = eng->htab[b]; h; h = h->hnext) {
            for (svc_job *j = h->jobs, *nx; j; j = nx) {
                nx = j->next;
                j->r.cut = 1;
                svc_job_expire(j);
            }
            while (h->phead) {
                svc_pending *p = h->phead;
                h->phead = p->next;
                eng->npending--;
                report_untouched(eng, &h->addr, p->port, p->proto);
                free(p->sni);
                free(p);
            }
            h->ptail = NULL;
        }
}

static int drain_inbox(struct ps_svc_engine *eng, int *finishing)
{
    pthread_mutex_lock(&eng->mu);
    svc_submit *in = eng->in;
    size_t n = eng->nin;
    eng->in = NULL;
    eng->nin = eng->capin = 0;
    *finishing = eng->finishing;
    pthread_mutex_unlock(&eng->mu);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (eng->stopped) {
            report_untouched(eng, &in[i].addr, in[i].port, in[i].proto);
            free(in[i].sni);
            continue;
        }
        svc_pending *p = calloc(1, sizeof *p);
        svc_host *h = p ? host_get(eng, &in[i].addr) : NULL;
        if (!h) {
            /* Out of memory: report it unknown rather than lose it. */
            ps_svc_result r;
            memset(&r, 0, sizeof r);
            r.addr = in[i].addr;
            r.port = in[i].port;
            r.proto = in[i].proto;
            r.status = PS_SVC_UNKNOWN;
            r.rtt_ms = -1;
            eng->cb(eng->ctx, &r);
            free(p);
            free(in[i].sni);
            rc = -1;
            continue;
        }
        p->port = in[i].port;
        p->proto = in[i].proto;
        p->sni = in[i].sni;
        if (h->ptail)
            h->ptail->next = p;
        else
            h->phead = p;
        h->ptail = p;
        eng->npending++;
    }
    free(in);
    return rc;
}

static void *engine_main(void *arg)
{
    struct ps_svc_engine *eng = arg;
    sigset_t ss;
    sigemptyset(&ss);
    sigaddset(&ss, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &ss, NULL);
    struct epoll_event evs[SVC_EVENTS];
    for (;;) {
        int finishing = 0;
        eng->now = ps_mono_us();
        if (!eng->stopped && eng->o.stop && *eng->o.stop) stop_all(eng);
        drain_inbox(eng, &finishing);
        if (!eng->stopped) fill(eng);
        reap(eng);
        if (finishing && eng->njobs == 0 && eng->npending == 0) {
            pthread_mutex_lock(&eng->mu);
            int empty = eng->nin == 0;
            pthread_mutex_unlock(&eng->mu);
            if (empty)
                break;
            continue;
        }
        int timeout = -1;
        if (eng->nheap) {
            int64_t d = eng->heap[0]->wake - eng->now;
            timeout = d <= 0 ? 0 : (int)((d + 999) / 1000);
        }
        if (eng->backoff_until > eng->now && (timeout < 0 || timeout > 20))
            timeout = 20;
        if (eng->njobs > 0 && eng->nlanes == 0 && (timeout < 0 || timeout > 20))
            timeout = 20; /* jobs waiting for a first lane after a failure */
        if (eng->o.stop && !eng->stopped && (timeout < 0 || timeout > 100))
            timeout = 100; /* a signal wakes another thread: look at the flag */
        int n = epoll_wait(eng->epfd, evs, SVC_EVENTS, timeout);
        eng->now = ps_mono_us();
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == eng) {
                uint64_t v;
                if (read(eng->evfd, &v, sizeof v) < 0) { /* nothing to do */ }
                continue;
            }
            svc_lane_event(evs[i].data.ptr, evs[i].events);
        }
        /* Bounded: each expiry closes the lane or moves its wake forward. */
        for (int k = 0; k < 4096 && eng->nheap && eng->heap[0]->wake <= eng->now; k++)
            svc_lane_timeout(eng->heap[0]);
        reap(eng);
    }
    return NULL;
}

/* ---- public API ------------------------------------------------------ */

static int check_opts(const ps_svc_opts *o, ps_err *e)
{
#define RANGE(f, lo, hi)                                                               \
    if (o->f < (lo) || o->f > (hi))                                                    \
        return ps_fail(e, PS_EINPUT, "service option %s=%ld out of range %ld..%ld", #f, \
                       (long)o->f, (long)(lo), (long)(hi));
    RANGE(intensity, 0, 9);
    RANGE(max_parallelism, 1, 1000000);
    RANGE(max_per_host, 1, 1000000);
    RANGE(probes_per_port, 1, 64);
    RANGE(connect_timeout_ms, 1, 600000);
    RANGE(min_wait_ms, 1, 600000);
    RANGE(max_wait_ms, 1, 600000);
    RANGE(port_timeout_ms, 1, 86400000);
    RANGE(max_reply, 64, 64u << 20);
#undef RANGE
    if (o->max_wait_ms < o->min_wait_ms)
        return ps_fail(e, PS_EINPUT, "service option max_wait_ms=%d is below min_wait_ms=%d",
                       o->max_wait_ms, o->min_wait_ms);
    return PS_OK;
}

ps_svc_engine *ps_svc_new(const ps_probedb *db, const ps_svc_opts *o, ps_svc_cb cb, void *ctx,
                          ps_err *e)
{
    if (!db || !cb) {
        ps_fail(e, PS_EINPUT, "service engine needs a probe database and a callback");
        return NULL;
    }
    ps_svc_opts def;
    ps_svc_opts_default(&def);
    if (!o)
        o = &def;
    if (check_opts(o, e) != PS_OK)
        return NULL;
    struct ps_svc_engine *eng = calloc(1, sizeof *eng);
    if (!eng) {
        ps_fail(e, PS_ERUNTIME, "out of memory for the service engine");
        return NULL;
    }
    eng->db = db;
    eng->o = *o;
    eng->cb = cb;
    eng->ctx = ctx;
    eng->epfd = eng->evfd = -1;
    eng->nprobes = ps_probedb_count(db);
    const ps_probe *np = ps_probedb_find(db, PS_TCP, "NULL");
    int wms = np ? ps_probe_tcpwrappedms(np) : 0;
    eng->wrapped_us = (int64_t)(wms > 0 ? wms : 3000) * 1000;

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        long room = (long)rl.rlim_cur - SVC_FD_RESERVE;
        if (room < 4)
            room = 4;
        if (eng->o.max_parallelism > room)
            eng->o.max_parallelism = (int)room;
    }
    if (eng->o.max_per_host > eng->o.max_parallelism)
        eng->o.max_per_host = eng->o.max_parallelism;

    pthread_mutex_init(&eng->mu, NULL);
    eng->capheap = (size_t)eng->o.max_parallelism + 1;
    eng->heap = calloc(eng->capheap, sizeof *eng->heap);
    eng->epfd = epoll_create1(EPOLL_CLOEXEC);
    eng->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!eng->heap || eng->epfd < 0 || eng->evfd < 0) {
        ps_fail(e, PS_ERUNTIME, "cannot set up the service engine: %s", strerror(errno));
        ps_svc_free(eng);
        return NULL;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = eng};
    if (epoll_ctl(eng->epfd, EPOLL_CTL_ADD, eng->evfd, &ev) < 0) {
        ps_fail(e, PS_ERUNTIME, "cannot set up the service engine: %s", strerror(errno));
        ps_svc_free(eng);
        return NULL;
    }
    if (eng->o.tls) {
        eng->tls = ps_tls_ctx_new(e);
        if (!eng->tls) {
            ps_svc_free(eng);
            return NULL;
        }
    }
    return eng;
}

int ps_svc_start(ps_svc_engine *eng)
{
    if (eng->started)
        return PS_OK;
    int rc = pthread_create(&eng->thr, NULL, engine_main, eng);
    if (rc != 0)
        return PS_ERUNTIME;
    eng->started = 1;
    return PS_OK;
}

static void wake(ps_svc_engine *eng)
{
    uint64_t one = 1;
    if (write(eng->evfd, &one, sizeof one) < 0) { /* counter full: already awake */ }
}

int ps_svc_submit_name(ps_svc_engine *eng, const ps_addr *a, uint16_t port,
                       enum ps_proto proto, const char *hostname)
{
    if (!a || (a->family != AF_INET && a->family != AF_INET6) || port == 0 ||
        (proto != PS_TCP && proto != PS_UDP))
        return PS_EINPUT;
    char *sni = NULL;
    if (hostname && *hostname && !(sni = strdup(hostname)))
        return PS_ERUNTIME;
    pthread_mutex_lock(&eng->mu);
    int rc = PS_OK;
    if (eng->finishing) {
        rc = PS_EINPUT;
    } else if (eng->nin == eng->capin) {
        size_t ncap = eng->capin ? eng->capin * 2 : 64;
        svc_submit *nin = realloc(eng->in, ncap * sizeof *nin);
        if (!nin)
            rc = PS_ERUNTIME;
        else {
            eng->in = nin;
            eng->capin = ncap;
        }
    }
    if (rc == PS_OK) {
        svc_submit *s = &eng->in[eng->nin++];
        memset(s, 0, sizeof *s);
        s->addr = *a;
        s->port = port;
        s->proto = proto;
        s->sni = sni;
    }
    pthread_mutex_unlock(&eng->mu);
    if (rc != PS_OK) {
        free(sni);
        return rc;
    }
    wake(eng);
    return PS_OK;
}

int ps_svc_submit(ps_svc_engine *eng, const ps_addr *a, uint16_t port, enum ps_proto proto)
{
    return ps_svc_submit_name(eng, a, port, proto, NULL);
}

int ps_svc_finish(ps_svc_engine *eng)
{
    pthread_mutex_lock(&eng->mu);
    eng->finishing = 1;
    pthread_mutex_unlock(&eng->mu);
    if (!eng->started && ps_svc_start(eng) != PS_OK)
        return PS_ERUNTIME;
    if (!eng->joined) {
        wake(eng);
        pthread_join(eng->thr, NULL);
        eng->joined = 1;
    }
    return PS_OK;
}

void ps_svc_free(ps_svc_engine *eng)
{
    if (!eng)
        return;
    if (eng->started && !eng->joined)
        ps_svc_finish(eng);
    for (size_t i = 0; i < eng->nin; i++)
        free(eng->in[i].sni);
    free(eng->in);
    free(eng->heap);
    free(eng->htab);
    if (eng->epfd >= 0)
        close(eng->epfd);
    if (eng->evfd >= 0)
        close(eng->evfd);
    ps_tls_ctx_free(eng->tls);
    pthread_mutex_destroy(&eng->mu);
    free(eng);
}
