/* pacer.c: the token bucket behind the sender's rate (see include/pscan/pacer.h).
 *
 * Integer arithmetic only, so the rate never drifts: credit is kept in
 * "packet-nanoseconds" (one packet = 1e9 units) and every elapsed
 * nanosecond adds `rate` units.  At 3 packets/s, 1/3 s adds exactly 1e9
 * units: no rounding is ever dropped, fractions carry over to the next
 * refill.  The cap (about (cap + 1) x 1e9, cap <= 1e7) is at most ~1e16, and the
 * elapsed time is clamped before it is multiplied, so nothing can overflow
 * even at 1 G packets/s after an hour of idling.
 *
 * Waiting: nanosleep overshoots by tens of microseconds, so the pacer
 * sleeps only when more than 100 us ahead, and then for 50 us less than the
 * gap; the rest is spent yielding (sched_yield), re-reading the clock. */
#include <sched.h>
#include <time.h>

#include "pscan/clock.h"
#include "pscan/pacer.h"

#define NS_PER_S 1000000000ull
#define SLEEP_THRESHOLD_NS 100000ull /* sleep only when this far ahead */
#define SLEEP_SLACK_NS 50000ull      /* wake this early, then yield */
#define MAX_WAIT_NS 50000000ull      /* acquire gives up (returns 0) after this */

static uint64_t real_now(void *ctx)
{
    (void)ctx;
    return ps_mono_ns();
}

static void real_sleep(void *ctx, uint64_t ns)
{
    (void)ctx;
    if (ns == 0) {
        sched_yield();
        return;
    }
    struct timespec ts = { .tv_sec = (time_t)(ns / NS_PER_S), .tv_nsec = (long)(ns % NS_PER_S) };
    nanosleep(&ts, NULL); /* an early wake (signal) only means one more loop */
}

/* The bucket holds `cap` whole packets plus any fraction of the next one:
 * a fraction clipped at every refill would make the real rate fall short
 * of the asked one whenever the caller polls in coarse steps.  Likewise the
 * cap is 10 ms of traffic rather than one burst, because a nanosleep that
 * wakes a few hundred microseconds late (common on a busy or virtual
 * machine) would otherwise throw those microseconds' tokens away; measured,
 * a 1-burst cap delivered 70-75% of the asked rate at 100 k/s. */
static uint64_t cap_units(const ps_pacer *p)
{
    return (p->cap + 1) * NS_PER_S - 1;
}

static void refill(ps_pacer *p)
{
    uint64_t t = p->now(p->ctx);
    if (t <= p->last_ns)
        return; /* same instant, or a clock that stepped back: no credit */
    uint64_t dt = t - p->last_ns;
    p->last_ns = t;
    uint64_t cap = cap_units(p);
    if (p->credit >= cap)
        return;
    uint64_t room = cap - p->credit;
    /* dt * rate >= room  <=>  dt >= ceil(room / rate): test before multiplying */
    if (dt >= room / p->rate + 1)
        p->credit = cap;
    else
        p->credit += dt * p->rate; /* < room + rate: no overflow */
    if (p->credit > cap)
        p->credit = cap;
}

int ps_pacer_init(ps_pacer *p, uint64_t rate, uint32_t max_batch, ps_err *e)
{
    if (rate > PS_PACER_MAX_RATE)
        return ps_fail(e, PS_EINPUT, "rate %llu packets/s is above the limit of %llu",
                       (unsigned long long)rate, (unsigned long long)PS_PACER_MAX_RATE);
    if (max_batch == 0 || max_batch > PS_PACER_MAX_BATCH)
        return ps_fail(e, PS_EINPUT, "batch size %u is not in 1..%u", max_batch,
                       PS_PACER_MAX_BATCH);
    p->rate = rate;
    /* About 1 ms of traffic per burst: batches at high rates, single
     * packets spread evenly at low ones. */
    uint64_t b = rate / 1000;
    if (b < 1)
        b = 1;
    if (b > max_batch)
        b = max_batch;
    p->burst = (uint32_t)b;
    p->cap = rate / 100 > b ? rate / 100 : b;
    p->sleeps = p->yields = 0;
    ps_pacer_set_clock(p, real_now, real_sleep, NULL);
    return PS_OK;
}

void ps_pacer_set_clock(ps_pacer *p, ps_pacer_clock_fn now, ps_pacer_sleep_fn sleep, void *ctx)
{
    p->now = now;
    p->sleep = sleep;
    p->ctx = ctx;
    p->last_ns = now(ctx);
    p->credit = (uint64_t)p->burst * NS_PER_S;
}

uint32_t ps_pacer_take(ps_pacer *p, uint32_t want)
{
    if (p->rate == 0)
        return want;
    refill(p);
    uint64_t have = p->credit / NS_PER_S;
    uint32_t n = have < want ? (uint32_t)have : want;
    p->credit -= (uint64_t)n * NS_PER_S;
    return n;
}

uint64_t ps_pacer_ahead_ns(ps_pacer *p, uint32_t n)
{
    if (p->rate == 0)
        return 0;
    if (n > p->burst)
        n = p->burst;
    refill(p);
    uint64_t need = (uint64_t)n * NS_PER_S;
    if (p->credit >= need)
        return 0;
    return (need - p->credit + p->rate - 1) / p->rate;
}

uint32_t ps_pacer_acquire(ps_pacer *p, uint32_t want)
{
    if (p->rate == 0 || want == 0)
        return want;
    uint32_t n = want < p->burst ? want : p->burst;
    uint64_t start = p->now(p->ctx);
    for (;;) { /* bounded by MAX_WAIT_NS below */
        uint64_t ahead = ps_pacer_ahead_ns(p, n);
        if (ahead == 0)
            return ps_pacer_take(p, want);
        uint64_t waited = p->now(p->ctx) - start;
        if (waited >= MAX_WAIT_NS)
            return 0;
        if (ahead > SLEEP_THRESHOLD_NS) {
            uint64_t ns = ahead - SLEEP_SLACK_NS;
            if (ns > MAX_WAIT_NS - waited)
                ns = MAX_WAIT_NS - waited;
            p->sleep(p->ctx, ns);
            p->sleeps++;
        } else {
            p->sleep(p->ctx, 0);
            p->yields++;
        }
    }
}
