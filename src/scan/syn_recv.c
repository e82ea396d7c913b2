/* syn_recv.c: the SYN engine's receiver thread.
 *
 * Captured frames (recv_pcap.c) are decoded (decode.c) and read as an
 * answer to one of our probes: SYN-ACK -> open, RST -> closed, an ICMP
 * unreachable quoting our SYN -> filtered.  An answer proves itself: its
 * ack (or the quoted sequence number) must be the probe's cookie and its
 * port one the cookie allows, so nothing is kept per probe.  The answer's
 * (address, port) maps back through the inverse permutation to its
 * position, whose answered bit it sets (mark); outcomes go to the report
 * and round trips to the estimator a capture batch at a time. */
#include <netinet/in.h>
#include <pthread.h>
#include <time.h>

#include "pscan/clock.h"
#include "pscan/decode.h"

#include "syn_int.h"

static int sport_ok(const struct syn *s, uint32_t cookie, uint16_t sport)
{
    if (s->cfg->source_port) return sport == s->cfg->source_port;
    uint32_t pass = (uint32_t)(sport - s->sport_lo - cookie) & (SPORT_SPAN - 1);
    return sport >= s->sport_lo && sport < s->sport_lo + SPORT_SPAN &&
           pass <= (uint32_t)(s->cfg->max_retries + s->max_extra);
}

/* When the reply was captured, on the monotonic clock: the capture's own
 * time stamp (CLOCK_REALTIME, per packet) moved by the offset between the
 * two clocks, read once per capture batch; the batch's reading of the
 * monotonic clock when the stamp is missing.  Per packet, so hosts whose
 * replies share a batch still get their own round trips. */
static double captured_at(struct syn *s, const struct timeval *ts)
{
    if (s->rx_now <= 0) {
        struct timespec real;
        clock_gettime(CLOCK_REALTIME, &real);
        s->rx_now = ps_mono_s();
        s->rx_off = (double)real.tv_sec + real.tv_nsec / 1e9 - s->rx_now;
    }
    if (!ts || ts->tv_sec <= 0) return s->rx_now;
    double at = (double)ts->tv_sec + ts->tv_usec / 1e6 - s->rx_off;
    return at <= s->rx_now ? at : s->rx_now;
}

/* Set the answered bit of probe x (and count it in its chunk's opens when
 * it is a first answer saying open); returns the round trip if it can be
 * told (a first answer to a first send), else -1.  The send time is the
 * pass-0 time of the probe's block of BLOCK positions. */
static double mark(struct syn *s, uint64_t x, int open, double at)
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
    if (open) __atomic_fetch_add(&c->opened, 1, __ATOMIC_RELAXED);
    double sent;
    __atomic_load(&c->block_sent[i / BLOCK], &sent, __ATOMIC_RELAXED);
    if (__atomic_load_n(&c->pass, __ATOMIC_RELAXED) != 0 || sent <= 0) return -1;
    double rtt = at - sent;
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
    uint32_t cookie = syn_cookie(s, us, target, tport);
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
    double rtt = mark(s, x, st == PS_ST_OPEN, captured_at(s, ts));
    s->ev[s->nev++] = (ps_port_event){.host = host, .port_idx = pidx - 1, .state = (uint8_t)st,
                                      .reason = (uint8_t)why, .ttl = (int16_t)d.ttl, .rtt_s = (float)rtt};
    if (s->nev == EVBATCH) recv_flush(s);
}

void *syn_recv_main(void *arg)
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
