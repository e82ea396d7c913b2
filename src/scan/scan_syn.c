/* scan_syn.c: the stateless raw SYN scan (-sS).
 *
 * The probe space is every (host, port) pair, numbered x = host * nports +
 * port, and visited in the order of a keyed permutation (permute.c), so
 * consecutive probes hit different hosts and the order is reproducible
 * from --seed.  --shard k/N takes a contiguous slice of that order.
 *
 * Sending.  Each probe is the family's packet template with the target's
 * address, port, source port and sequence number patched in (template.c);
 * the sequence number is a SipHash cookie of the 4-tuple (cookie.c), so a
 * reply proves itself without a table of outstanding probes.  Frames go
 * out in batches (sender.h) at the rate the pacer allows.  On big scans
 * over AF_PACKET a helper thread (sendq.h) takes a batch whenever it has
 * room, on a second socket, so the kernel's share of sending spreads over
 * two cores; the scheduler sends the batches it does not take.
 *
 * Completeness.  The slice is cut into chunks of CHUNK positions, each
 * with a bitmap of the probes answered.  A chunk is sent once (pass 0);
 * when the round-trip timeout has passed since the end of a pass, the
 * probes still unanswered in it, and only those, are sent again (pass 1,
 * 2, ... up to --max-retries).  A chunk retires when every probe is
 * answered (at once: no fixed wait) or when its last pass has had its
 * timeout.  Several chunks are in flight at once, so retries of old
 * chunks interleave with first sends of new ones and the wire stays busy.
 * The timeout is TCP's RTO (srtt + 4 rttvar, RFC 6298) computed from
 * replies, whose send time is known to within a block of BLOCK probes.
 *
 * Receiving runs on its own thread (recv_pcap.c + decode.c): SYN-ACK ->
 * open, RST -> closed, ICMP unreachable -> filtered, validated by cookie;
 * the reply's (address, port) maps back through ps_targets_index and the
 * inverse permutation to its position, whose bit it sets.  Unanswered
 * probes are filtered (no-response) by the report's default. */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "pscan/caps.h"
#include "pscan/checksum.h"
#include "pscan/clock.h"
#include "pscan/cookie.h"
#include "pscan/decode.h"
#include "pscan/hostlimits.h"
#include "pscan/pacer.h"
#include "pscan/permute.h"
#include "pscan/progress.h"
#include "pscan/recv.h"
#include "pscan/route.h"
#include "pscan/rtt.h"
#include "pscan/scan.h"
#include "pscan/sender.h"
#include "pscan/sendq.h"
#include "pscan/template.h"

enum {
    CHUNK = 1 << 16,  /* positions per chunk */
    NCHUNKS = 64,     /* chunks in flight at most */
    BLOCK = 256,      /* send-time granularity */
    BATCH = 256,      /* frames per send call */
    SPORT_SPAN = 256, /* source ports used, a power of two */
    HELPER_MIN = 1 << 16, /* probes for which a helper sender pays */
    EVBATCH = 512,    /* receiver outcomes handed over at once */
};

/* The receiver reads id, active, pass, bits and block_sent of any chunk
 * at any time (mark()), so the scheduler writes those with atomic stores
 * (it reads its own writes plainly); the other fields are the scheduler's
 * alone. */
struct chunk {
    uint64_t id;       /* positions [id * CHUNK, ...) of the slice */
    uint64_t len;
    int active;        /* set last and cleared first, with release */
    int pass;          /* pass being sent, or last one sent when done */
    int sending;       /* a pass is under way */
    uint64_t cursor;
    double pass_end;   /* when the last pass finished */
    uint64_t bits[CHUNK / 64];
    double block_sent[CHUNK / BLOCK]; /* pass-0 send time per block */
};

/* One address family's way out. */
struct path {
    int ready;
    ps_route route;
    ps_template tpl;
    ps_sender *sender;
    ps_sender *sender2; /* the helper thread's, or NULL */
};

/* Batch buffers: one being built, and the ones the helper sender may
 * hold (sendq.h: PS_SENDQ_DEPTH). */
enum { NBUF = PS_SENDQ_DEPTH + 1 };

struct syn {
    const ps_scan_ctx *ctx;
    const ps_config *cfg;
    uint64_t nports, total, first, count;
    ps_permute perm;
    ps_cookie_key key;
    struct path v4, v6;
    ps_recv *recv;
    int dlt;
    ps_pacer pacer;
    uint16_t sport_lo;
    uint32_t *port_index; /* port -> index + 1, 0 if not scanned */
    struct chunk *chunks;  /* ring of NCHUNKS */
    uint64_t next_chunk, nchunks;
    double start;

    /* Batch being built in buffer cur; the helper may hold the others. */
    uint8_t frames[NBUF][BATCH][PS_TEMPLATE_MAX];
    ps_frame batch[NBUF][BATCH];
    int cur;
    struct path *batch_path;
    size_t nbatch;
    ps_sendq *helper; /* a second sending thread, or NULL */

    /* The receiver's: outcomes waiting to go to the report and the RTT
     * estimator, which take one lock per batch rather than per reply; and
     * the time the current capture batch is handled (0: not read yet). */
    ps_port_event ev[EVBATCH];
    size_t nev;
    double rx_now;

    /* Shared with the receiver. */
    pthread_mutex_t rtt_lock;
    ps_rtt rtt;
    volatile int recv_stop;
    int recv_err;
    ps_err recv_e;

    /* Counters (sender's; receiver's are atomics). */
    uint64_t sent, resent;
    uint64_t gave_up; /* probes whose chunk retired unanswered */
    uint64_t skip_below; /* --resume: positions finished by the earlier run */
    uint64_t resume_at;  /* after a stop: the first unfinished position */
    uint64_t answered, opened, dup, bad_cookie, foreign, decode_err;
};

/* The RTT estimate is shared with the receiver thread, which samples it. */
static double rto(struct syn *s)
{
    pthread_mutex_lock(&s->rtt_lock);
    double t = ps_rtt_timeout(&s->rtt);
    pthread_mutex_unlock(&s->rtt_lock);
    return t;
}

/* The cookie ignores the source port, which is derived from it: a reply
 * is ours if its ack matches and its port is one the cookie allows. */
static uint32_t cookie_of(const struct syn *s, const ps_addr *src, const ps_addr *dst, uint16_t dport)
{
    return ps_cookie_addr(&s->key, src, dst, 0, dport);
}

static uint16_t sport_of(const struct syn *s, uint32_t cookie, int pass)
{
    if (s->cfg->source_port) return (uint16_t)s->cfg->source_port;
    return (uint16_t)(s->sport_lo + ((cookie + (uint32_t)pass) & (SPORT_SPAN - 1)));
}

static int sport_ok(const struct syn *s, uint32_t cookie, uint16_t sport)
{
    if (s->cfg->source_port) return sport == s->cfg->source_port;
    uint32_t pass = (uint32_t)(sport - s->sport_lo - cookie) & (SPORT_SPAN - 1);
    return sport >= s->sport_lo && sport < s->sport_lo + SPORT_SPAN &&
           pass <= (uint32_t)s->cfg->max_retries;
}

/* ---- sending -------------------------------------------------------------- */

/* Send the batch being built, or hand it to the helper if the helper has
 * room, and build on in a buffer it does not hold. */
static int flush_batch(struct syn *s, ps_err *e)
{
    if (!s->nbatch) return PS_OK;
    ps_sender *snd2 = s->batch_path->sender2;
    if (s->helper && snd2) {
        int taken;
        unsigned held;
        int r = ps_sendq_offer(s->helper, s->batch[s->cur], s->nbatch, snd2, (unsigned)s->cur, &taken, &held, e);
        if (r) return r;
        if (taken) {
            for (s->cur = 0; held >> s->cur & 1; s->cur++) continue;
            s->nbatch = 0;
            return PS_OK;
        }
    }
    int r = ps_sender_send(s->batch_path->sender, s->batch[s->cur], s->nbatch, e);
    s->nbatch = 0;
    return r;
}

/* Queue the probe at slice position pos (pass > 0: a resend). */
static int send_probe(struct syn *s, uint64_t pos, int pass, ps_err *e)
{
    uint64_t x = ps_permute_at(&s->perm, s->first + pos);
    uint64_t host = x / s->nports;
    uint16_t port = s->ctx->ports->tcp[x % s->nports];
    ps_addr dst;
    ps_targets_get(s->ctx->targets, host, &dst);
    struct path *p = dst.family == AF_INET6 ? &s->v6 : &s->v4;
    if (s->nbatch && s->batch_path != p) {
        int r = flush_batch(s, e);
        if (r) return r;
    }
    s->batch_path = p;
    uint32_t cookie = cookie_of(s, &p->route.src, &dst, port);
    uint8_t *f = s->frames[s->cur][s->nbatch];
    size_t len = ps_template_patch(&p->tpl, f, &dst, port, sport_of(s, cookie, pass), cookie);
    s->batch[s->cur][s->nbatch++] = (ps_frame){f, (uint32_t)len};
    if (pass) s->resent++;
    else s->sent++;
    if (s->nbatch == BATCH) return flush_batch(s, e);
    return PS_OK;
}

static uint64_t answered_in(const struct chunk *c)
{
    uint64_t n = 0;
    for (uint64_t i = 0; i < (c->len + 63) / 64; i++)
        n += (uint64_t)__builtin_popcountll(__atomic_load_n(&c->bits[i], __ATOMIC_RELAXED));
    return n;
}

static int is_answered(const struct chunk *c, uint64_t i)
{
    return (__atomic_load_n(&c->bits[i / 64], __ATOMIC_RELAXED) >> (i % 64)) & 1;
}

/* Send up to `budget` probes of chunk c's current pass. */
static int work_chunk(struct syn *s, struct chunk *c, int budget, ps_err *e)
{
    uint64_t base = c->id * CHUNK;
    while (budget > 0 && c->cursor < c->len && !*s->ctx->stop) {
        uint64_t i = c->cursor++;
        if (c->pass == 0) {
            if (i % BLOCK == 0) {
                double t = ps_mono_s();
                __atomic_store(&c->block_sent[i / BLOCK], &t, __ATOMIC_RELAXED);
            }
        } else if (is_answered(c, i)) {
            continue;
        }
        int r = send_probe(s, base + i, c->pass, e);
        if (r) return r;
        budget--;
    }
    /* The pass is over when every position was visited, or when a stop
     * cut it short: the chunk then retires after one timeout. */
    if (c->cursor >= c->len || *s->ctx->stop) {
        c->sending = 0;
        c->pass_end = ps_mono_s();
    }
    return PS_OK;
}

/* Start the next chunk in the ring slot of one retired NCHUNKS ago, to
 * which a late reply may still be on its way through mark().  So: close
 * the slot (active = 0, release), store the new id, clear with atomic
 * stores, and open it (active = 1, release) once all is in place.  A late
 * reply that sees active = 0 or the new id is ignored by mark() (its
 * result still reaches the report).  One that read active = 1 and the old
 * id just before the slot closed (the receiver stalled for the moment
 * between the retirement and this call) may set its bit in the new bitmap
 * after the clear: that one position of the new chunk is still sent in
 * pass 0 but gets no retry, its real answer counts as a duplicate, and
 * the estimator may get one round trip too short (never below 0).
 * Nothing worse: no write outside the ring, no torn field. */
static void activate(struct syn *s)
{
    struct chunk *c = &s->chunks[s->next_chunk % NCHUNKS];
    uint64_t id = s->next_chunk++;
    __atomic_store_n(&c->active, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&c->id, id, __ATOMIC_RELAXED);
    __atomic_store_n(&c->pass, 0, __ATOMIC_RELAXED);
    for (size_t w = 0; w < CHUNK / 64; w++) __atomic_store_n(&c->bits[w], 0, __ATOMIC_RELAXED);
    double zero = 0;
    for (size_t b = 0; b < CHUNK / BLOCK; b++) __atomic_store(&c->block_sent[b], &zero, __ATOMIC_RELAXED);
    c->len = s->count - id * CHUNK < CHUNK ? s->count - id * CHUNK : CHUNK;
    c->sending = 1;
    c->cursor = 0;
    c->pass_end = 0;
    /* --resume: positions before skip_below were finished last time; they
     * count as answered, so no pass sends them. */
    uint64_t base = id * CHUNK;
    if (s->skip_below > base) {
        uint64_t n = s->skip_below - base < c->len ? s->skip_below - base : c->len;
        for (uint64_t w = 0; w < (n + 63) / 64; w++) {
            uint64_t m = n - w * 64 >= 64 ? ~0ull : (1ull << (n - w * 64)) - 1;
            __atomic_fetch_or(&c->bits[w], m, __ATOMIC_RELAXED);
        }
        c->cursor = n;
    }
    __atomic_store_n(&c->active, 1, __ATOMIC_RELEASE);
}

/* A chunk retired early by a stop: its first unanswered position is where
 * a resumed scan must pick up (or earlier, if an older chunk says so). */
static void note_cut(struct syn *s, const struct chunk *c)
{
    for (uint64_t i = 0; i < c->len; i++)
        if (!is_answered(c, i)) {
            if (c->id * CHUNK + i < s->resume_at) s->resume_at = c->id * CHUNK + i;
            return;
        }
}

/* One step of the scheduler: retire what is finished, then give the
 * oldest due work a slice.  Returns 1 if it did something, 0 if idle,
 * -1 on error. */
static int step(struct syn *s, double *wake, ps_err *e)
{
    double t = ps_mono_s(), timeout = rto(s);
    *wake = t + 0.001;
    for (uint64_t id = s->next_chunk > NCHUNKS ? s->next_chunk - NCHUNKS : 0; id < s->next_chunk; id++) {
        struct chunk *c = &s->chunks[id % NCHUNKS];
        if (!c->active || c->sending) continue;
        uint64_t done = answered_in(c);
        int last = c->pass >= s->cfg->max_retries || *s->ctx->stop;
        if (done == c->len || (last && t >= c->pass_end + timeout)) {
            s->gave_up += c->len - done;
            if (done != c->len && *s->ctx->stop) note_cut(s, c);
            __atomic_store_n(&c->active, 0, __ATOMIC_RELEASE);
            continue;
        }
        if (!last && t >= c->pass_end + timeout) {
            __atomic_store_n(&c->pass, c->pass + 1, __ATOMIC_RELAXED);
            c->cursor = 0;
            c->sending = 1;
        } else if (c->pass_end + timeout < *wake) {
            *wake = c->pass_end + timeout;
        }
    }
    /* Oldest sending chunk first: retries before new probes. */
    for (uint64_t id = s->next_chunk > NCHUNKS ? s->next_chunk - NCHUNKS : 0; id < s->next_chunk; id++) {
        struct chunk *c = &s->chunks[id % NCHUNKS];
        if (!c->active || !c->sending) continue;
        uint32_t budget = ps_pacer_acquire(&s->pacer, BATCH);
        return work_chunk(s, c, (int)budget, e) ? -1 : 1;
    }
    if (s->next_chunk < s->nchunks && !*s->ctx->stop &&
        !s->chunks[s->next_chunk % NCHUNKS].active) {
        activate(s);
        return 1;
    }
    return 0;
}

static int any_active(const struct syn *s)
{
    for (int i = 0; i < NCHUNKS; i++)
        if (s->chunks[i].active) return 1;
    return 0;
}

/* ---- receiving ------------------------------------------------------------ */

/* Set the answered bit of probe x; returns the round trip if it can be
 * told (a first answer to a first send), else -1.  The replies of one
 * capture batch share one reading of the clock: they were captured up to
 * a block's timeout (1 ms) apart anyway. */
static double mark(struct syn *s, uint64_t x)
{
    uint64_t pos = ps_permute_inverse(&s->perm, x);
    if (pos < s->first || pos >= s->first + s->count) return -1;
    pos -= s->first;
    struct chunk *c = &s->chunks[(pos / CHUNK) % NCHUNKS];
    /* Acquire pairs with activate()'s release: id and the cleared bitmap
     * of the chunk seen active are visible (see activate for late replies). */
    if (!__atomic_load_n(&c->active, __ATOMIC_ACQUIRE) || __atomic_load_n(&c->id, __ATOMIC_RELAXED) != pos / CHUNK)
        return -1;
    uint64_t i = pos % CHUNK, bit = 1ull << (i % 64);
    uint64_t old = __atomic_fetch_or(&c->bits[i / 64], bit, __ATOMIC_RELAXED);
    if (old & bit) {
        __atomic_fetch_add(&s->dup, 1, __ATOMIC_RELAXED);
        return -1;
    }
    double sent;
    __atomic_load(&c->block_sent[i / BLOCK], &sent, __ATOMIC_RELAXED);
    if (__atomic_load_n(&c->pass, __ATOMIC_RELAXED) != 0 || sent <= 0) return -1;
    if (s->rx_now <= 0) s->rx_now = ps_mono_s();
    double rtt = s->rx_now - sent;
    return rtt >= 0 ? rtt : 0;
}

/* Hand the batch of outcomes over: round trips to the estimator, results
 * to the report. */
static void recv_flush(struct syn *s)
{
    if (!s->nev) return;
    pthread_mutex_lock(&s->rtt_lock);
    for (size_t i = 0; i < s->nev; i++)
        if (s->ev[i].rtt_s >= 0) ps_rtt_sample(&s->rtt, s->ev[i].rtt_s);
    pthread_mutex_unlock(&s->rtt_lock);
    ps_report_ports(s->ctx->report, s->ev, s->nev);
    s->nev = 0;
}

static enum ps_reason icmp_reason(int family, uint8_t type, uint8_t code)
{
    if (family == AF_INET) {
        if (type != 3) return PS_R_NONE;
        switch (code) {
        case 0: return PS_R_NET_UNREACH;
        case 1: return PS_R_HOST_UNREACH;
        case 2: return PS_R_PROTO_UNREACH;
        case 3: return PS_R_PORT_UNREACH;
        case 9: case 10: case 13: return PS_R_ADMIN_PROHIBITED;
        default: return PS_R_HOST_UNREACH;
        }
    }
    if (type != 1) return PS_R_NONE;
    switch (code) {
    case 0: return PS_R_NET_UNREACH;
    case 1: return PS_R_ADMIN_PROHIBITED;
    case 4: return PS_R_PORT_UNREACH;
    default: return PS_R_HOST_UNREACH;
    }
}

static void on_packet(void *ctx, const uint8_t *pkt, uint32_t caplen, uint32_t wirelen,
                      const struct timeval *ts)
{
    struct syn *s = ctx;
    ps_decoded d;
    (void)wirelen;
    (void)ts;
    if (ps_decode(s->dlt, pkt, caplen, &d) != PS_DEC_OK) {
        __atomic_fetch_add(&s->decode_err, 1, __ATOMIC_RELAXED);
        return;
    }
    const ps_addr *target, *us;
    uint16_t tport, ours;
    enum ps_state st;
    enum ps_reason why;
    if (d.proto == IPPROTO_TCP && (d.tcp_flags & (PS_TCP_SYN | PS_TCP_ACK)) == (PS_TCP_SYN | PS_TCP_ACK)) {
        target = &d.src, us = &d.dst, tport = d.sport, ours = d.dport;
        st = PS_ST_OPEN, why = PS_R_SYN_ACK;
    } else if (d.proto == IPPROTO_TCP && (d.tcp_flags & PS_TCP_RST)) {
        target = &d.src, us = &d.dst, tport = d.sport, ours = d.dport;
        st = PS_ST_CLOSED, why = PS_R_RESET;
    } else if (d.has_inner && d.inner.proto == IPPROTO_TCP && d.inner.has_ports) {
        target = &d.inner.dst, us = &d.inner.src, tport = d.inner.dport, ours = d.inner.sport;
        st = PS_ST_FILTERED, why = icmp_reason(d.family, d.icmp_type, d.icmp_code);
        if (why == PS_R_NONE) return;
    } else {
        return;
    }
    const struct path *p = target->family == AF_INET6 ? &s->v6 : &s->v4;
    uint32_t pidx = s->port_index[tport];
    uint64_t host;
    if (!p->ready || ps_addr_cmp(us, &p->route.src) != 0 || !pidx ||
        !ps_targets_index(s->ctx->targets, target, &host)) {
        __atomic_fetch_add(&s->foreign, 1, __ATOMIC_RELAXED);
        return;
    }
    uint32_t cookie = cookie_of(s, us, target, tport);
    int valid = sport_ok(s, cookie, ours);
    if (st == PS_ST_FILTERED) valid = valid && (!d.inner.has_seq || d.inner.seq == cookie);
    else valid = valid && ps_cookie_ack_ok(cookie, d.ack);
    if (!valid) {
        __atomic_fetch_add(&s->bad_cookie, 1, __ATOMIC_RELAXED);
        return;
    }
    __atomic_fetch_add(&s->answered, 1, __ATOMIC_RELAXED);
    if (st == PS_ST_OPEN) __atomic_fetch_add(&s->opened, 1, __ATOMIC_RELAXED);
    uint64_t x = host * s->nports + (pidx - 1);
    double rtt = mark(s, x);
    s->ev[s->nev++] = (ps_port_event){.host = host, .port_idx = pidx - 1, .state = (uint8_t)st,
                                      .reason = (uint8_t)why, .ttl = (int16_t)d.ttl, .rtt_s = (float)rtt};
    if (s->nev == EVBATCH) recv_flush(s);
}

static void *recv_main(void *arg)
{
    struct syn *s = arg;
    while (!__atomic_load_n(&s->recv_stop, __ATOMIC_ACQUIRE)) {
        int got = 0;
        s->rx_now = 0;
        int r = ps_recv_next_batch(s->recv, on_packet, s, 1024, 2, &got, &s->recv_e);
        recv_flush(s);
        if (r) { /* recv_e first: the scheduler reads it once it sees recv_err */
            __atomic_store_n(&s->recv_err, 1, __ATOMIC_RELEASE);
            break;
        }
    }
    /* Drain what is already captured. */
    for (int i = 0; i < 64; i++) {
        int got = 0;
        s->rx_now = 0;
        ps_err ignore; /* recv_e holds the first error, if any */
        int r = ps_recv_next_batch(s->recv, on_packet, s, 4096, 0, &got, &ignore);
        recv_flush(s);
        if (r || !got) break;
    }
    return NULL;
}

/* ---- set-up ---------------------------------------------------------------- */

/* Route, template and sender for one family, from its first target; every
 * other range of that family must leave the same way. */
static int open_path(struct syn *s, struct path *p, const ps_addr *first, ps_err *e)
{
    ps_route_opts ro = {.ifname = s->cfg->iface};
    if (s->cfg->has_source_ip && s->cfg->source_ip.family == first->family) ro.source = &s->cfg->source_ip;
    int r = ps_route_lookup(first, &ro, &p->route, e);
    if (r) return r;
    ps_template_opts to = {.link = PS_LINK_ETHERNET, .src = p->route.src};
    memcpy(to.src_mac, p->route.src_mac, 6);
    memcpy(to.dst_mac, p->route.nexthop_mac, 6);
    if (getrandom(&to.entropy, sizeof to.entropy, 0) != sizeof to.entropy) to.entropy = (uint64_t)ps_mono_s();
    if ((r = ps_template_build(&p->tpl, &to, e))) return r;

    ps_sender_cfg sc = {.ifindex = p->route.ifindex, .ifname = p->route.ifname, .batch = BATCH};
    /* Raw IP when the kernel must route or resolve for us: IPv4 over lo,
     * and on-link targets, each of which has its own MAC. */
    int onlink_many = !p->route.has_gateway && !p->route.is_loopback;
    if (p->route.inject_l3 || onlink_many) {
        r = ps_sender_open_l3(&sc, &p->sender, e);
    } else {
        r = ps_sender_open_link(&sc, &p->sender, e);
        /* A second handle for the helper thread, when the back-end gains
         * from one, the scan is big enough to be worth a thread and there
         * is a second CPU. */
        ps_err ignore;
        if (!r && p->sender->ops->parallel && s->count >= HELPER_MIN && sysconf(_SC_NPROCESSORS_ONLN) > 1 &&
            p->sender->ops->open(&sc, &p->sender2, &ignore) != PS_OK)
            p->sender2 = NULL;
    }
    if (r) return r;
    p->ready = 1;
    return PS_OK;
}

static int setup(struct syn *s, ps_err *e)
{
    const ps_targets *t = s->ctx->targets;
    uint64_t n = ps_targets_count(t);
    int r;
    s->nports = s->ctx->ports->ntcp;
    s->total = n * s->nports;
    if (s->nports && s->total / s->nports != n)
        return ps_fail(e, PS_EINPUT, "%llu hosts x %llu ports is too many probes to count",
                       (unsigned long long)n, (unsigned long long)s->nports);
    uint64_t seed = s->cfg->seed;
    if (!s->cfg->seed_given && getrandom(&seed, sizeof seed, 0) != sizeof seed) seed = (uint64_t)ps_mono_s();
    ps_permute_init(&s->perm, s->total, seed);
    s->ctx->state->seed = seed;
    if ((r = ps_shard_range(s->total, s->cfg->shard, s->cfg->nshards ? s->cfg->nshards : 1,
                            &s->first, &s->count, e)))
        return r;
    if ((r = ps_cookie_key_random(&s->key, e))) return r;
    s->nchunks = (s->count + CHUNK - 1) / CHUNK;
    /* --resume: positions before resume_from were finished last time. */
    s->skip_below = s->ctx->resume_from < s->count ? s->ctx->resume_from : s->count;
    s->next_chunk = s->skip_below / CHUNK;
    if (s->skip_below == s->count) s->next_chunk = s->nchunks;
    s->resume_at = UINT64_MAX;
    s->sport_lo = ps_sport_base(SPORT_SPAN);

    s->port_index = calloc(65536, sizeof *s->port_index);
    s->chunks = calloc(NCHUNKS, sizeof *s->chunks);
    if (!s->port_index || !s->chunks) return ps_fail(e, PS_ERUNTIME, "out of memory");
    for (size_t i = 0; i < s->nports; i++) s->port_index[s->ctx->ports->tcp[i]] = (uint32_t)i + 1;

    /* IPv4 targets come first in the set, IPv6 after. */
    ps_addr a;
    ps_targets_get(t, 0, &a);
    if (a.family == AF_INET && (r = open_path(s, &s->v4, &a, e))) return r;
    ps_targets_get(t, n - 1, &a);
    if (a.family == AF_INET6 && (r = open_path(s, &s->v6, &a, e))) return r;
    if (s->v4.ready && s->v6.ready && s->v4.route.ifindex != s->v6.route.ifindex)
        return ps_fail(e, PS_EINPUT, "IPv4 targets leave by %s and IPv6 targets by %s: scan them separately",
                       s->v4.route.ifname, s->v6.route.ifname);
    const struct path *any = s->v4.ready ? &s->v4 : &s->v6;
    /* The last address of each family must take the same way out. */
    for (int fam = 0; fam < 2; fam++) {
        const struct path *p = fam ? &s->v6 : &s->v4;
        if (!p->ready) continue;
        ps_route other;
        ps_err ignore;
        ps_route_opts ro = {.ifname = s->cfg->iface};
        uint64_t idx = fam ? n - 1 : 0;
        if (!fam) /* last IPv4 target */
            for (uint64_t lo = 0, hi = n; lo < hi;) {
                uint64_t mid = lo + (hi - lo) / 2;
                ps_targets_get(t, mid, &a);
                if (a.family == AF_INET) idx = mid, lo = mid + 1;
                else hi = mid;
            }
        ps_targets_get(t, idx, &a);
        if (ps_route_lookup(&a, &ro, &other, &ignore) == PS_OK && other.ifindex != p->route.ifindex) {
            char x[PS_ADDRSTRLEN];
            return ps_fail(e, PS_EINPUT, "targets leave by different interfaces (%s for %s, %s for %s): "
                           "scan them separately or choose one with -e", p->route.ifname,
                           ps_addr_str(&p->route.dst, x, sizeof x), other.ifname, ps_addr_str(&a, x, sizeof x));
        }
    }

    char filter[512];
    if ((r = ps_recv_filter_replies(filter, sizeof filter, s->v4.ready && s->v6.ready ? 0 : any->route.dst.family,
                                    s->cfg->source_port ? (uint16_t)s->cfg->source_port : s->sport_lo,
                                    s->cfg->source_port ? (uint16_t)s->cfg->source_port
                                                        : (uint16_t)(s->sport_lo + SPORT_SPAN - 1), e)))
        return r;
    /* The capture ring absorbs bursts of replies while the receiver thread
     * is not running: 4 MiB holds ~30 ms at a million replies a second.  It
     * counts in our resident memory, and a big one costs ~40 ms to set up. */
    ps_recv_cfg rc = {.ifname = any->route.ifname, .filter = filter,
                      .buffer_mb = s->count <= (1u << 20) ? 4 : 8, .inbound_only = !any->route.is_loopback};
    if ((r = ps_recv_open(&rc, &s->recv, e))) return r;
    s->dlt = ps_recv_datalink(s->recv);
    uint64_t rate = s->cfg->max_rate > 0 ? (uint64_t)s->cfg->max_rate : 0;
    return ps_pacer_init(&s->pacer, rate, BATCH, e);
}

static void *close_sender(void *arg)
{
    ps_sender_close(arg);
    return NULL;
}

static void teardown(struct syn *s)
{
    ps_sendq_stop(s->helper);
    /* Closing a packet socket waits for an RCU grace period (the kernel's
     * synchronize_net, 5-25 ms each, two for the capture's ring): closed
     * one after another they add up, closed at once they share one. */
    ps_sender *snd[4] = {s->v4.sender, s->v6.sender, s->v4.sender2, s->v6.sender2};
    pthread_t closer[4];
    int closing[4] = {0};
    for (int i = 0; i < 4; i++)
        if (snd[i] && pthread_create(&closer[i], NULL, close_sender, snd[i]) == 0) closing[i] = 1;
        else ps_sender_close(snd[i]);
    if (s->recv) ps_recv_close(s->recv);
    for (int i = 0; i < 4; i++)
        if (closing[i]) pthread_join(closer[i], NULL);
    free(s->port_index);
    free(s->chunks);
    pthread_mutex_destroy(&s->rtt_lock);
}

static int syn_run(const ps_scan_ctx *ctx, ps_err *e)
{
    struct syn *s = calloc(1, sizeof *s);
    if (!s) return ps_fail(e, PS_ERUNTIME, "out of memory");
    s->ctx = ctx;
    s->cfg = ctx->cfg;
    pthread_mutex_init(&s->rtt_lock, NULL);
    ps_rtt_init(&s->rtt, s->cfg);
    int r = setup(s, e);
    if (!r) r = ps_scan_handles_open(ctx, e);
    pthread_t th;
    int started = 0;
    if (!r) {
        if (pthread_create(&th, NULL, recv_main, s) != 0) r = ps_fail(e, PS_ERUNTIME, "cannot start the receiver thread");
        else started = 1;
    }
    if (!r && (s->v4.sender2 || s->v6.sender2)) {
        ps_err ignore; /* without the helper, the scheduler sends everything */
        if (ps_sendq_start(&s->helper, &ignore) != PS_OK) s->helper = NULL;
    }
    s->start = ps_mono_s();
    ps_progress prog;
    ps_progress_init(&prog, s->cfg);
    while (!r) {
        if (prog.enabled) {
            ps_progress_update(&prog, s->sent, s->count, __atomic_load_n(&s->opened, __ATOMIC_RELAXED));
        }
        double wake;
        int did = step(s, &wake, e);
        if (did < 0) {
            r = PS_ERUNTIME;
            break;
        }
        if (__atomic_load_n(&s->recv_err, __ATOMIC_ACQUIRE)) {
            r = ps_fail(e, PS_ERUNTIME, "receiver: %s", s->recv_e.msg);
            break;
        }
        if (did) continue;
        if ((r = flush_batch(s, e))) break;
        if ((r = ps_sendq_drain(s->helper, e))) break;
        if (s->next_chunk >= s->nchunks && !any_active(s)) break;
        if (*ctx->stop && !any_active(s)) break;
        double left = wake - ps_mono_s();
        if (left > 0) {
            struct timespec ts = {0, (long)((left > 0.002 ? 0.002 : left) * 1e9)};
            nanosleep(&ts, NULL);
        }
    }
    if (!r) r = flush_batch(s, e);
    if (!r) r = ps_sendq_drain(s->helper, e);
    ps_progress_end(&prog);
    /* Chunks never started, and the unanswered part of those a stop cut
     * short, are what a resumed scan has left to do. */
    uint64_t done = s->next_chunk * CHUNK < s->count ? s->next_chunk * CHUNK : s->count;
    ctx->state->done = s->resume_at < done ? s->resume_at : done;
    ctx->state->total = s->count;
    if (started) {
        /* When some probes went unanswered, a late reply may still be on
         * its way: wait a little (the RTO, 20 ms at most).  When every
         * probe was answered there is nothing left to wait for. */
        double grace = s->gave_up ? (rto(s) < 0.02 ? rto(s) : 0.02) : 0;
        double until = ps_mono_s() + grace;
        while (ps_mono_s() < until) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
        __atomic_store_n(&s->recv_stop, 1, __ATOMIC_RELEASE);
        pthread_join(th, NULL);
    }
    if (s->cfg->verbose || s->cfg->debug) {
        ps_recv_stats rs = {0};
        ps_err ignore;
        if (s->recv) ps_recv_get_stats(s->recv, &rs, &ignore);
        double el = ps_mono_s() - s->start;
        fprintf(stderr, "syn: %llu probes sent, %llu resent, %llu answered, %llu duplicate, %llu bad cookie, "
                "%llu foreign; capture dropped %llu; %.2f s, %.0f probes/s; rto %.1f ms\n",
                (unsigned long long)s->sent, (unsigned long long)s->resent, (unsigned long long)s->answered,
                (unsigned long long)s->dup, (unsigned long long)s->bad_cookie, (unsigned long long)s->foreign,
                (unsigned long long)rs.dropped, el, el > 0 ? (double)(s->sent + s->resent) / el : 0,
                rto(s) * 1000);
    }
    teardown(s);
    free(s);
    return r;
}

/* Raw scanning needs CAP_NET_RAW in the effective set. */
static int syn_available(const ps_config *cfg, ps_err *e)
{
    (void)cfg;
    return ps_can_raw(e);
}

const struct ps_scanner_ops ps_scan_syn = {
    .name = "syn",
    .available = syn_available,
    .run = syn_run,
};
