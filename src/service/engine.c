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
 *  4. Each host and each port gets only as many connections as it shows
 *     it can take (flow.c), and a port the first pass could not name
 *     while it stayed silent or showed trouble is tried once more, gently
 *     and patiently, after its host's first pass (retry.c).  At scale,
 *     servers slow down under many connections (login processes queue,
 *     MaxStartups drops): the answer must be the same on a /24 as on one
 *     host, and speed is how we get there, not what we trade it for.
 *
 * Fairness.  Submissions wait in per-host queues; hosts with work sit in a
 * ring, which sched.c walks one lane per host per turn.
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
    o->retry = 1;
    o->max_reply = 65536;
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
                h->nfirst--;
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
        svc_host *h = p ? svc_host_get(eng, &in[i].addr) : NULL;
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
        h->nfirst++;
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
        eng->retry_wake = 0;
        if (!eng->stopped) svc_fill(eng);
        svc_reap(eng);
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
        if (eng->retry_wake) {
            int64_t d = eng->retry_wake - eng->now;
            int t = d <= 0 ? 0 : (int)((d + 999) / 1000);
            if (timeout < 0 || timeout > t)
                timeout = t;
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
        svc_reap(eng);
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
    eng->t0 = ps_mono_us();
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
    free(eng->greet_min);
    if (eng->epfd >= 0)
        close(eng->epfd);
    if (eng->evfd >= 0)
        close(eng->evfd);
    ps_tls_ctx_free(eng->tls);
    pthread_mutex_destroy(&eng->mu);
    free(eng);
}
