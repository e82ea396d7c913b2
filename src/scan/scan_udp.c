/* scan_udp.c: the UDP scan (-sU), with ordinary sockets: no raw rights.
 *
 * Each probe is its own UDP socket (connected, so the kernel drops
 * datagrams from anyone but the target) with IP_RECVERR set, so an ICMP
 * error about the probe is queued on that socket with its type and code.
 * A datagram back means open; ICMP port unreachable, closed; another ICMP
 * destination unreachable, filtered; nothing at all, open|filtered (the
 * report's PS_ST_NONE).  Ports whose servers answer from another port
 * (TFTP) get an unconnected socket that takes any datagram from the host.
 * Every answer is an unambiguous round-trip sample (one send per socket),
 * which feeds the RFC 6298 timeout of rtt.c.
 *
 * THE PROBLEM: ICMP RATE LIMITS.  Silence is the "open|filtered" answer,
 * so a closed port whose ICMP error was never sent looks open|filtered.
 * Hosts ration those errors.  Measured here (Linux 6.18, default sysctls):
 *   - loopback: no limit at all.  icmp_send() skips the global limiter
 *     for packets that came in on a loopback device, and the per-peer
 *     limiter for routes out through one: 1,000 closed ports blasted in
 *     13 ms drew 1,000 errors.
 *   - a veth peer, IPv4: the per-peer token bucket (inetpeer): a burst of
 *     6, then one error per net.ipv4.icmp_ratelimit (1000 ms) per source
 *     address.  1,000 probes in 8 ms drew 6 errors.  The global limit
 *     (icmp_msgs_per_sec 1000, burst 50) is never the one that binds.
 *   - a veth peer, IPv6: the same bucket with net.ipv6.icmp.ratelimit
 *     (100 ms): a burst of 6, then about 10 per second.
 * So a closed port costs one token of the target's bucket, and no scheme
 * can tell 1,000 closed ports of a Linux IPv4 host in much less than
 * ~1,000 s.  nmap gets there by assuming one error per second everywhere;
 * but most buckets are faster (loopback, IPv6, other systems, tuned
 * hosts), and open or filtered ports cost no token at all, so pacing every
 * probe at 1/s wastes nearly all the time on them.
 *
 * THE SCHEME: ROUNDS CHECKED BY A CANARY.  Per host, the scan runs in
 * rounds.  A round sends a batch of the ports still unanswered, all at
 * once, then two probes to a "canary": a port of that host that has
 * already drawn an ICMP error.  The target's bucket serves requests in
 * arrival order, so if the canaries' errors come back, the bucket was not
 * empty after the batch, and every closed port of the batch got its error:
 * the batch's silent ports are really silent for this try (a "clean"
 * try).  If a canary goes unanswered the round is "dirty": the answers
 * that came are final, and the silent ports are simply tried again later,
 * not counted against their retries.  A silent port becomes open|filtered
 * after max_retries + 1 clean tries (at least two on a host that has shown
 * a limit, so one unlucky refill cannot decide it).  Canary errors cost a
 * token only when they come back: two in a clean round, none when the
 * bucket was empty, one when it held a single token (the round is dirty
 * and the token spent), which is why rounds are spaced by at least the
 * refill of two tokens (see PACING).
 *
 * Why two canaries, and why the 20 ms minimum between rounds: a refill in
 * the middle of a round could deny a closed port, then answer the canary.
 * Linux's per-peer bucket refills one token at a time, continuously: two
 * canaries sent back to back would need two refills within microseconds.
 * Its global credit refills in lumps, but at most once per 20 ms, and the
 * refill happens at the first denial after that; a round that starts 20 ms
 * after the last one and sends its batch in well under 20 ms therefore
 * sees at most one refill, at its first exhaustion, never later.  Batches
 * are capped (512 probes) on limited hosts so they go out in a few ms.
 *
 * PACING: MEASURE THE BUCKET.  Round 0 sends every port; on a limited host
 * it is dirty, and the errors it drew estimate the bucket's burst B.  The
 * rate R is the errors drawn per second over a chain of dirty rounds (each
 * starts with the bucket emptied by the last).  Waiting longer than B / R
 * between rounds would let the bucket overflow and waste tokens; waiting
 * less only costs packets.  So rounds start every 0.5 B / R, but at least
 * 2 / R (the refill of the round's two canaries) (20 ms .. 5 s),
 * with batches of 4 B ports (64 .. 512), so the batch holds enough closed
 * ports to spend every token.  Until the first token comes back, the gap
 * doubles from 20 ms.  Clean rounds double the batch (more silent ports
 * confirmed per round).  A host whose rounds stay dirty with no answer at
 * all for 10 rounds in a row (the gap at its 5 s cap) is given up: its
 * remaining ports are reported open|filtered.
 *
 * Hosts run side by side in a window (a ring of slots), each with its own
 * rounds, and are handed to the report in order as they finish.  With
 * --shard a host's ports are those of its pairs in the shard's slice of
 * the probe order (scan.h).  A stop ends the probes in flight at once;
 * every host with a port still unsettled, the lowest of them (cut) and all
 * after it, is left to --resume and shown by the report not at all. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "pscan/clock.h"
#include "pscan/hostlimits.h"
#include "pscan/progress.h"

#include "udp_int.h"

/* ---- rounds -------------------------------------------------------------- */

static void start_round(struct host *h, double t)
{
    uint32_t n = h->k < h->npend ? h->k : h->npend;
    if (h->cursor >= h->npend) h->cursor = 0;
    for (uint32_t j = 0; j < n; j++) h->batch[j] = h->pend[(h->cursor + j) % h->npend];
    h->cursor = (h->cursor + n) % h->npend;
    memset(&h->r, 0, sizeof h->r);
    h->r.nbatch = n;
    h->r.start = t;
    h->phase = H_SEND;
}

/* Send what the window and the rate allow.  A limited host's batch and
 * canaries go out together or not at all (the canary's verdict needs
 * them close in time). */
static void send_round(struct uscan *s, uint32_t slot)
{
    struct host *h = &s->hosts[slot];
    const ps_config *c = s->ctx->cfg;
    int want_canary = h->canary != NIL && h->rounds > 0;
    uint32_t total = h->r.nbatch + (want_canary ? NCANARY : 0);
    if (h->limited && h->r.nsent == 0 && s->width - s->slots.busy < total && s->slots.busy > 0) return;
    while (h->r.nsent + h->r.ncanary < total) {
        double t = ps_mono_s();
        if (s->slots.busy >= s->width || t < s->blocked_until) return;
        if (c->max_rate > 0 && (double)s->sent >= c->max_rate * (t - s->started_at) + 1) return;
        if (h->r.nsent < h->r.nbatch) {
            if (!udp_launch(s, slot, h->batch[h->r.nsent], 0)) return;
            h->r.nsent++;
        } else {
            if (!udp_launch(s, slot, h->canary, 1)) return;
            h->r.ncanary++;
        }
    }
    h->phase = H_COLLECT;
}

static void give_up(struct uscan *s, struct host *h)
{
    if (*s->ctx->stop && h->npend && h->idx < s->cut) {
        s->cut = h->idx;
        ps_report_cover_stop(s->ctx->report, PS_UDP, h->idx); /* before release() emits it */
    }
    for (uint32_t j = 0; j < h->npend; j++) udp_port_final(s, h, h->pend[j], PS_ST_NONE, PS_R_NONE, -1);
    h->npend = 0;
}

static void end_round(struct uscan *s, struct host *h, double t)
{
    const ps_config *c = s->ctx->cfg;
    struct round *r = &h->r;
    uint32_t silent = 0;
    for (uint32_t j = 0; j < r->nbatch; j++) silent += !h->ps[h->batch[j]].done;
    int clean = r->ncanary ? r->canary_ok == r->ncanary : r->icmp == 0 || silent == 0;
    if (!clean) h->limited = 1;
    int need = s->max_retries + 1, unverified = !r->ncanary && r->icmp == 0;
    int span_ok = !unverified || t - h->started >= SILENT_SPAN;
    if (h->limited && need < 2) need = 2;
    for (uint32_t j = 0; j < r->nbatch; j++) {
        struct pstate *ps = &h->ps[h->batch[j]];
        if (ps->done) continue;
        if (ps->tries < UINT8_MAX) ps->tries++;
        if (clean && ++ps->clean >= need && span_ok) udp_port_final(s, h, h->batch[j], PS_ST_NONE, PS_R_NONE, -1);
    }
    h->rounds++;

    if (clean && unverified) { /* wait longer each time for the bucket */
        h->gap = h->gap * 2 > GAP_MAX ? GAP_MAX : h->gap * 2;
        h->k = h->k > UINT32_MAX / 2 ? UINT32_MAX : h->k * 2;
    } else if (clean) {
        h->stalls = 0;
        h->chain_start = -1;
        h->gap = GAP_MIN;
        h->k = h->k > UINT32_MAX / 2 ? UINT32_MAX : h->k * 2;
    } else {
        if (r->icmp > h->burst) h->burst = r->icmp;
        if (h->chain_start >= 0) { /* the bucket was emptied at chain_start */
            h->tokens += r->icmp;
            h->token_time += r->start - h->chain_start;
        }
        h->chain_start = r->start;
        if (r->icmp == 0) {
            h->stalls++;
            h->gap = h->gap * 2 > GAP_MAX ? GAP_MAX : h->gap * 2;
        } else {
            h->stalls = 0;
            if (h->tokens > 0 && h->token_time > 0) {
                /* Half the burst's refill, but never less than the refill
                 * of the round's own canaries: a burst estimated at 1 (a
                 * first round with one closed port) would otherwise start
                 * rounds whose second canary is always denied, and every
                 * round would be dirty. */
                double burst = 0.5 * h->burst < NCANARY ? NCANARY : 0.5 * h->burst;
                double g = burst / (h->tokens / h->token_time);
                h->gap = g < GAP_MIN ? GAP_MIN : g > GAP_MAX ? GAP_MAX : g;
            }
        }
        double k = 4 * h->burst;
        h->k = k < BATCH_MIN ? BATCH_MIN : (uint32_t)k;
    }
    if (h->limited && h->k > BATCH_LIMITED_MAX) h->k = BATCH_LIMITED_MAX;
    if (h->limited && h->k > s->width - NCANARY) h->k = s->width - NCANARY; /* all out at once */

    /* Keep the unanswered ports, and the rotation's place among them. */
    uint32_t w = 0, cur = 0;
    for (uint32_t j = 0; j < h->npend; j++) {
        if (j == h->cursor) cur = w;
        if (!h->ps[h->pend[j]].done) h->pend[w++] = h->pend[j];
    }
    h->cursor = h->cursor >= h->npend ? 0 : cur;
    h->npend = w;

    if (h->stalls >= STALL_LIMIT || *s->ctx->stop ||
        (c->host_timeout_ms > 0 && t - h->started >= c->host_timeout_ms / 1000.0))
        give_up(s, h);
    if (h->npend == 0) {
        h->phase = H_DONE;
        return;
    }
    h->phase = H_WAIT;
    h->next_round_at = r->start + h->gap;
}

static void admit(struct uscan *s, double t)
{
    while (!*s->ctx->stop && s->next < s->nhosts && s->next - s->base < s->nslots) {
        struct host *h = slot_host(s, s->next);
        struct pstate *ps = h->ps;
        uint32_t *pend = h->pend, *batch = h->batch;
        memset(h, 0, sizeof *h);
        h->ps = ps;
        h->pend = pend;
        h->batch = batch;
        memset(ps, 0, s->nports * sizeof *ps);
        h->idx = s->next++;
        for (uint32_t j = 0; j < s->nports; j++) {
            if (ps_slice_has(&s->slice, h->idx * s->nports + j)) pend[h->npend++] = j;
            else ps[j].done = 1; /* another shard's */
        }
        ps_targets_get(s->ctx->targets, h->idx, &h->addr);
        h->k = h->npend ? h->npend : 1;
        h->canary = NIL;
        h->gap = GAP_MIN;
        h->chain_start = -1;
        h->started = t;
        h->next_round_at = t;
        h->phase = h->npend ? H_WAIT : H_DONE;
    }
}

/* Hosts leave in order: the report wants them so. */
static void release(struct uscan *s)
{
    int any = 0;
    uint64_t last = 0;
    while (s->base < s->next && slot_host(s, s->base)->phase == H_DONE) {
        slot_host(s, s->base)->phase = H_FREE;
        last = s->base++;
        any = 1;
    }
    if (any) ps_report_hosts_done(s->ctx->report, last);
}

/* One pass over the active hosts; returns the seconds until one of them
 * has something to do (capped by the caller). */
static double step(struct uscan *s, double t)
{
    double wait = 0.1;
    for (uint64_t x = s->base; x < s->next; x++) {
        uint32_t slot = (uint32_t)(x % s->nslots);
        struct host *h = &s->hosts[slot];
        if (h->phase == H_WAIT && *s->ctx->stop) {
            give_up(s, h);
            h->phase = H_DONE;
        }
        if (h->phase == H_WAIT) {
            if (t < h->next_round_at) {
                if (h->next_round_at - t < wait) wait = h->next_round_at - t;
                continue;
            }
            start_round(h, t);
        }
        if (h->phase == H_SEND) {
            if (*s->ctx->stop) h->phase = H_COLLECT;
            else send_round(s, slot);
            if (h->phase == H_SEND) wait = 0.001;
        }
        if (h->phase == H_COLLECT && h->r.inflight == 0) {
            end_round(s, h, t);
            wait = 0;
        }
    }
    return wait;
}

static void free_scan(struct uscan *s)
{
    for (uint32_t i = 0; s->probes && i < s->width; i++)
        if (s->probes[i].fd >= 0) close(s->probes[i].fd);
    for (uint32_t i = 0; s->hosts && i < s->nslots; i++) {
        free(s->hosts[i].ps);
        free(s->hosts[i].pend);
        free(s->hosts[i].batch);
    }
    if (s->epfd >= 0) close(s->epfd);
    free(s->hosts);
    free(s->probes);
    ps_slots_free(&s->slots);
}

static int udp_run(const ps_scan_ctx *ctx, ps_err *e)
{
    if (ps_scan_handles_open(ctx, e)) return PS_ERUNTIME; /* ordinary sockets: no rights */
    struct uscan s;
    memset(&s, 0, sizeof s);
    s.ctx = ctx;
    s.ports = ctx->ports->udp;
    s.nports = (uint32_t)ctx->ports->nudp;
    s.port_base = ctx->ports->ntcp;
    s.nhosts = ps_targets_count(ctx->targets);
    s.epfd = -1;
    if (s.nports == 0 || s.nhosts == 0) return PS_OK;
    s.max_retries = ctx->cfg->max_retries < 0 ? 2 : ctx->cfg->max_retries > 50 ? 50 : ctx->cfg->max_retries;
    ps_rtt_init(&s.rtt, ctx->cfg);
    s.width = ps_fd_width(ctx->cfg->max_parallelism, NCANARY + 1);
    size_t per_host = (size_t)s.nports * (sizeof(struct pstate) + 2 * sizeof(uint32_t));
    s.nslots = (uint32_t)(HOST_MEM_BUDGET / per_host);
    if (s.nslots > HOST_SLOTS_MAX) s.nslots = HOST_SLOTS_MAX;
    if (s.nslots < 1) s.nslots = 1;
    if (s.nhosts < s.nslots) s.nslots = (uint32_t)s.nhosts;
    s.probes = calloc(s.width, sizeof *s.probes);
    for (uint32_t i = 0; s.probes && i < s.width; i++) s.probes[i].fd = -1;
    s.hosts = calloc(s.nslots, sizeof *s.hosts);
    s.epfd = epoll_create1(EPOLL_CLOEXEC);
    int r = PS_OK;
    if (!s.probes || !s.hosts || s.epfd < 0 || ps_slots_init(&s.slots, s.width) < 0) goto nomem;
    for (uint32_t i = 0; i < s.nslots; i++) {
        s.hosts[i].ps = calloc(s.nports, sizeof(struct pstate));
        s.hosts[i].pend = calloc(s.nports, sizeof(uint32_t));
        s.hosts[i].batch = calloc(s.nports, sizeof(uint32_t));
        if (!s.hosts[i].ps || !s.hosts[i].pend || !s.hosts[i].batch) goto nomem;
    }
    if ((r = ps_slice_init(&s.slice, s.nhosts * s.nports, ctx->seed, ctx->cfg->shard, ctx->cfg->nshards, e))) {
        free_scan(&s);
        return r;
    }
    s.started_at = ps_mono_s();
    s.cut = UINT64_MAX;
    /* --resume: the hosts before resume_from were finished last time. */
    if (ctx->resume_from && ctx->resume_from <= s.nhosts) s.base = s.next = ctx->resume_from;

    struct epoll_event evs[256];
    ps_progress prog;
    ps_progress_init(&prog, ctx->cfg);
    for (;;) {
        double t = ps_mono_s();
        admit(&s, t);
        double wait = step(&s, t);
        release(&s);
        ps_progress_update(&prog, s.finished, s.slice.count, s.opened);
        if (s.base >= s.next && (s.next >= s.nhosts || *ctx->stop)) break;
        if (s.slots.head != PS_SLOT_NIL) {
            double left = s.probes[s.slots.head].sent + ps_rtt_timeout(&s.rtt) - t;
            if (left < wait) wait = left;
        }
        int wait_ms = wait <= 0 ? 0 : (int)(wait * 1000) + 1;
        int n = epoll_wait(s.epfd, evs, 256, wait_ms);
        if (n < 0 && errno != EINTR) {
            r = ps_fail(e, PS_ERUNTIME, "UDP scan: epoll_wait: %s", strerror(errno));
            break;
        }
        for (int k = 0; k < n; k++) udp_on_ready(&s, evs[k].data.u32);
        udp_expire(&s, ps_mono_s());
    }
    ps_progress_end(&prog);
    if (s.next) ps_report_hosts_done(ctx->report, s.next - 1);
    /* Hosts are finished in order: all below the first one a stop cut. */
    ctx->state->done = s.cut < s.next ? s.cut : s.next;
    ctx->state->total = s.nhosts;
    free_scan(&s);
    return r;
nomem:
    r = ps_fail(e, PS_ERUNTIME, "UDP scan: cannot allocate %u probe slots and %u hosts of %u ports", s.width,
                s.nslots, s.nports);
    free_scan(&s);
    return r;
}

static int udp_available(const ps_config *cfg, ps_err *e)
{
    (void)cfg;
    (void)e;
    return PS_OK;
}

const struct ps_scanner_ops ps_scan_udp = {
    .name = "udp",
    .proto = PS_UDP,
    .by_host = 1,
    .available = udp_available,
    .run = udp_run,
};
