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
 * Receiving runs on its own thread (syn_recv.c, over recv_pcap.c and
 * decode.c): SYN-ACK ->
 * open, RST -> closed, ICMP unreachable -> filtered, validated by cookie;
 * the reply's (address, port) maps back through ps_targets_index and the
 * inverse permutation to its position, whose bit it sets.  Unanswered
 * probes are filtered (no-response) by the report's default. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pscan/caps.h"
#include "pscan/clock.h"
#include "pscan/progress.h"

#include "syn_int.h"

/* After a stop, the last replies are waited for this long at most (s):
 * whatever is still unanswered is left to --resume anyway. */
#define STOP_WAIT 0.5

double syn_rto(struct syn *s)
{
    pthread_mutex_lock(&s->rtt_lock);
    double t = ps_rtt_timeout(&s->rtt);
    pthread_mutex_unlock(&s->rtt_lock);
    return t;
}

static uint16_t sport_of(const struct syn *s, uint32_t cookie, int pass)
{
    if (s->cfg->source_port) return (uint16_t)s->cfg->source_port;
    return (uint16_t)(s->sport_lo + ((cookie + (uint32_t)pass) & (SPORT_SPAN - 1)));
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
    uint32_t cookie = syn_cookie(s, &p->route.src, &dst, port);
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

/* Send up to `budget` probes of chunk c's current pass: each unanswered
 * position once per copy round, rounds one after the other so the copies
 * of a probe are a round's time apart. */
static int work_chunk(struct syn *s, struct chunk *c, int budget, ps_err *e)
{
    uint64_t base = c->id * CHUNK;
    while (budget > 0 && !*s->ctx->stop) {
        if (c->cursor >= c->len) {
            if (c->copy + 1 >= c->copies) break;
            c->copy++;
            c->cursor = 0;
        }
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
    if ((c->cursor >= c->len && c->copy + 1 >= c->copies) || *s->ctx->stop) {
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
    c->pass_end = c->base_end = 0;
    c->copies = 1;
    c->copy = c->extra = 0;
    c->ans_mark = c->open_mark = c->n_pass0 = 0;
    __atomic_store_n(&c->opened, 0, __ATOMIC_RELAXED);
    /* --resume: positions before skip_below were finished last time; they
     * count as answered, so no pass sends them. */
    uint64_t base = id * CHUNK;
    if (s->skip_below > base) {
        uint64_t n = s->skip_below - base < c->len ? s->skip_below - base : c->len;
        c->ans_mark = n;
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

/* Loss.  A try of a responsive port (open or closed) is lost with some
 * probability q: the probe or its answer dropped on the way.  Pass k of a
 * chunk finds n_k new answers; with one copy per probe, n_1 / n_0 = q,
 * which is how q is estimated, over every chunk.  After a pass whose tries
 * each miss with m = q^copies, the open ports still hidden in the chunk
 * are expected to number o * m / (1 - m), o being the opens that pass
 * found.  While that exceeds the chunk's share of 0.05 missed open ports
 * for the whole scan (hidden_ok: a 5% chance of missing one), within --loss-retries passes beyond
 * --max-retries and --loss-time after the chunk's first pass, the chunk
 * gets another pass of its unanswered probes, each sent d times so that
 * the next pass should leave less than the share:
 * d = ceil(log(hidden_ok / hidden) / log q), at most MAX_COPIES.  A
 * lossless path answers everything in pass 0 and never gets here; a dead
 * one finds no open port and ends at --max-retries as before.  Only
 * unanswered probes are ever sent again. */
static double loss_estimate(const struct syn *s)
{
    if (s->q_den < LOSS_MIN_SAMPLES) return -1;
    double q = (double)(s->q_num + 1) / (double)(s->q_den + 2);
    return q > LOSS_MAX ? LOSS_MAX : q;
}

/* Chunk c's pass is over (its timeout passed, or every probe answered):
 * count what it found.  Returns the opens it found. */
static uint64_t tally(struct syn *s, struct chunk *c, uint64_t done)
{
    uint64_t opened = __atomic_load_n(&c->opened, __ATOMIC_RELAXED);
    uint64_t n = done - c->ans_mark, o = opened - c->open_mark;
    if (c->pass == 0) {
        c->n_pass0 = n;
        c->base_end = c->pass_end;
    } else if (c->pass == 1 && c->copies == 1) {
        s->q_num += n;
        s->q_den += c->n_pass0;
    }
    c->ans_mark = done;
    c->open_mark = opened;
    return o;
}

/* After its tally, does chunk c get another pass (1, with c->copies set)
 * or retire (0)?  o is the opens its last pass found. */
static int next_pass(struct syn *s, struct chunk *c, uint64_t o, double t)
{
    if (*s->ctx->stop) return 0;
    /* No estimate yet (no pass 1 anywhere): no loss is assumed. */
    double q = loss_estimate(s), m = q < 0 ? 0 : pow(q, c->copies);
    double hidden = (double)o * m / (1 - m);
    /* Copies of one probe are not quite independent tries (a target that
     * lost our RST answers the next copy from its half-open state, or not
     * at all), so the estimate alone is not trusted to end a lossy chunk: a
     * pass that still found open ports is followed by one more. */
    if (hidden < (double)o * 0.5) hidden = (double)o * 0.5;
    int base = c->pass < s->cfg->max_retries;
    int extra_ok = c->extra < s->max_extra && t - c->base_end < s->extra_time;
    if (!base && !(q > 0 && o > 0 && extra_ok)) return 0;
    int d = 1;
    if (c->pass >= 1 && q > 0 && hidden > s->hidden_ok) d = (int)ceil(log(s->hidden_ok / hidden) / log(q));
    c->copies = d < 1 ? 1 : d > MAX_COPIES ? MAX_COPIES : d;
    if (!base) {
        c->extra++;
        s->extra_passes++;
    }
    return 1;
}

/* One step of the scheduler: retire what is finished, then give the
 * oldest due work a slice.  Returns 1 if it did something, 0 if idle,
 * -1 on error. */
static int step(struct syn *s, double *wake, ps_err *e)
{
    double t = ps_mono_s(), timeout = syn_rto(s);
    if (*s->ctx->stop && timeout > STOP_WAIT) timeout = STOP_WAIT; /* a stop waits this long at most */
    *wake = t + 0.001;
    for (uint64_t id = s->next_chunk > NCHUNKS ? s->next_chunk - NCHUNKS : 0; id < s->next_chunk; id++) {
        struct chunk *c = &s->chunks[id % NCHUNKS];
        if (!c->active || c->sending) continue;
        uint64_t done = answered_in(c);
        if (done != c->len && t < c->pass_end + timeout) {
            if (c->pass_end + timeout < *wake) *wake = c->pass_end + timeout;
            continue;
        }
        uint64_t o = tally(s, c, done);
        if (done != c->len && next_pass(s, c, o, t)) {
            __atomic_store_n(&c->pass, c->pass + 1, __ATOMIC_RELAXED);
            c->cursor = 0;
            c->copy = 0;
            c->sending = 1;
            continue;
        }
        s->gave_up += c->len - answered_in(c);
        if (done != c->len && *s->ctx->stop) note_cut(s, c);
        __atomic_store_n(&c->active, 0, __ATOMIC_RELEASE);
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

/* When some probes went unanswered, a late reply may still be on its way:
 * wait a little (the RTO, 20 ms at most) before the receiver stops.  When
 * every probe was answered there is nothing left to wait for. */
static void stop_receiver(struct syn *s, pthread_t th)
{
    double grace = s->gave_up ? (syn_rto(s) < 0.02 ? syn_rto(s) : 0.02) : 0;
    double until = ps_mono_s() + grace;
    while (ps_mono_s() < until) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    __atomic_store_n(&s->recv_stop, 1, __ATOMIC_RELEASE);
    pthread_join(th, NULL);
}

/* -v: one line of what the engine did. */
static void print_stats(struct syn *s)
{
    ps_recv_stats rs = {0};
    ps_err ignore;
    if (s->recv) ps_recv_get_stats(s->recv, &rs, &ignore);
    double el = ps_mono_s() - s->start;
    double q = loss_estimate(s);
    char loss[48] = "unknown";
    if (q >= 0) snprintf(loss, sizeof loss, "%.1f%%", q * 100);
    fprintf(stderr, "syn: %llu probes sent, %llu resent, %llu answered, %llu duplicate, %llu bad cookie, "
            "%llu foreign; capture dropped %llu; %.2f s, %.0f probes/s; rto %.1f ms; loss per try %s, "
            "%llu extra passes\n",
            (unsigned long long)s->sent, (unsigned long long)s->resent, (unsigned long long)s->answered,
            (unsigned long long)s->dup, (unsigned long long)s->bad_cookie, (unsigned long long)s->foreign,
            (unsigned long long)rs.dropped, el, el > 0 ? (double)(s->sent + s->resent) / el : 0,
            syn_rto(s) * 1000, loss, (unsigned long long)s->extra_passes);
}

static int syn_run(const ps_scan_ctx *ctx, ps_err *e)
{
    struct syn *s = calloc(1, sizeof *s);
    if (!s) return ps_fail(e, PS_ERUNTIME, "out of memory");
    s->ctx = ctx;
    s->cfg = ctx->cfg;
    pthread_mutex_init(&s->rtt_lock, NULL);
    ps_rtt_init(&s->rtt, s->cfg);
    int r = syn_setup(s, e);
    if (!r) r = ps_scan_handles_open(ctx, e);
    pthread_t th;
    int started = 0;
    if (!r) {
        if (pthread_create(&th, NULL, syn_recv_main, s) != 0) r = ps_fail(e, PS_ERUNTIME, "cannot start the receiver thread");
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
    if (started) stop_receiver(s, th);
    if (s->cfg->verbose || s->cfg->debug) print_stats(s);
    syn_teardown(s);
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
    .proto = PS_TCP,
    .by_host = 0,
    .available = syn_available,
    .run = syn_run,
};
