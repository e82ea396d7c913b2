/* test_pacer.c: token-bucket arithmetic with an injected clock.
 *
 * Nothing here reads the real clock or asserts wall time: a fake clock
 * advances only when the test (or the pacer's injected sleep) says so, so
 * every number below is exact. */
#include "pscan/pacer.h"
#include "unit.h"

typedef struct fake {
    uint64_t t;          /* ns */
    uint64_t slept;      /* total ns asked of sleep */
    uint64_t nsleeps, nyields;
    uint64_t max_sleep;
} fake;

static uint64_t fake_now(void *ctx)
{
    return ((fake *)ctx)->t;
}

/* Sleeping advances the fake clock by exactly what was asked; a yield by 1 us. */
static void fake_sleep(void *ctx, uint64_t ns)
{
    fake *f = ctx;
    if (ns == 0) {
        f->t += 1000;
        f->nyields++;
        return;
    }
    f->t += ns;
    f->slept += ns;
    f->nsleeps++;
    if (ns > f->max_sleep)
        f->max_sleep = ns;
}

static void setup(ps_pacer *p, fake *f, uint64_t rate, uint32_t batch)
{
    ps_err e = { "" };
    memset(f, 0, sizeof *f);
    f->t = 1000000000ull; /* arbitrary non-zero start */
    CHECK(ps_pacer_init(p, rate, batch, &e) == PS_OK, "%s", e.msg);
    ps_pacer_set_clock(p, fake_now, fake_sleep, f);
}

static void test_init_errors(void)
{
    ps_pacer p;
    ps_err e = { "" };
    CHECK(ps_pacer_init(&p, PS_PACER_MAX_RATE + 1, 64, &e) == PS_EINPUT, "huge rate accepted");
    CHECK(strstr(e.msg, "1000000001") != NULL, "message: %s", e.msg);
    CHECK(ps_pacer_init(&p, 1000, 0, &e) == PS_EINPUT, "batch 0 accepted");
    CHECK(ps_pacer_init(&p, 1000, PS_PACER_MAX_BATCH + 1, &e) == PS_EINPUT, "big batch accepted");
}

static void test_burst_size(void)
{
    ps_pacer p;
    fake f;
    setup(&p, &f, 10, 256);
    CHECK(p.burst == 1, "10 pps: burst %u", p.burst);
    setup(&p, &f, 50000, 256);
    CHECK(p.burst == 50, "50 kpps: burst %u", p.burst);
    setup(&p, &f, 1400000, 256);
    CHECK(p.burst == 256, "1.4 Mpps: burst %u", p.burst);
}

static void test_unlimited(void)
{
    ps_pacer p;
    fake f;
    setup(&p, &f, 0, 64);
    CHECK(ps_pacer_take(&p, 1000000) == 1000000, "rate 0 should not limit");
    CHECK(ps_pacer_acquire(&p, 64) == 64, "rate 0 acquire");
    CHECK(ps_pacer_ahead_ns(&p, 64) == 0, "rate 0 is never ahead");
    CHECK(f.nsleeps == 0 && f.nyields == 0, "rate 0 should not wait");
}

static void test_take_exact(void)
{
    ps_pacer p;
    fake f;
    setup(&p, &f, 1000, 64); /* burst 1, one packet per ms */
    CHECK(ps_pacer_take(&p, 10) == 1, "starts with one burst");
    CHECK(ps_pacer_take(&p, 10) == 0, "bucket empty");
    CHECK(ps_pacer_ahead_ns(&p, 1) == 1000000, "ahead %llu",
          (unsigned long long)ps_pacer_ahead_ns(&p, 1));
    f.t += 999999;
    CHECK(ps_pacer_take(&p, 1) == 0, "1 ns early");
    CHECK(ps_pacer_ahead_ns(&p, 1) == 1, "one ns to go");
    f.t += 1;
    CHECK(ps_pacer_take(&p, 1) == 1, "on time");
}

/* 3 packets/s never divides a nanosecond evenly: once the initial burst is
 * spent, 10 s in 1 ms steps accrue exactly 30 tokens. */
static void test_fraction_carries(void)
{
    ps_pacer p;
    fake f;
    setup(&p, &f, 3, 64);
    CHECK(ps_pacer_take(&p, 1) == 1, "initial burst");
    uint64_t got = 0;
    for (int i = 0; i < 10000; i++) {
        f.t += 1000000;
        got += ps_pacer_take(&p, 1);
    }
    CHECK(got == 30, "got %llu", (unsigned long long)got);
}

static void test_cap_after_idle(void)
{
    ps_pacer p;
    fake f;
    setup(&p, &f, 1000000, 256);
    CHECK(p.cap == 10000, "cap %llu", (unsigned long long)p.cap);
    CHECK(ps_pacer_take(&p, 100000) == 256, "initial burst");
    f.t += 3600ull * 1000000000ull; /* an hour idle */
    CHECK(ps_pacer_take(&p, 100000) == 10000, "idle must not build more than 10 ms");
    setup(&p, &f, PS_PACER_MAX_RATE, PS_PACER_MAX_BATCH);
    CHECK(ps_pacer_take(&p, 1u << 30) == PS_PACER_MAX_BATCH, "initial burst at max rate");
    f.t += 100000ull * 1000000000ull; /* no overflow at the largest rate */
    CHECK(ps_pacer_take(&p, 1u << 30) == 10000000, "10 ms at 1 G/s after idle");
    setup(&p, &f, 10, 256);
    CHECK(p.cap == 1, "cap at 10/s: %llu", (unsigned long long)p.cap);
}

static void test_clock_backwards(void)
{
    ps_pacer p;
    fake f;
    setup(&p, &f, 1000, 64);
    ps_pacer_take(&p, 1);
    f.t -= 500000000;
    CHECK(ps_pacer_take(&p, 1) == 0, "a clock step back gives no credit");
}

/* At 1 M/s in batches of 64 the gap is 64 us: the pacer yields, never sleeps,
 * and 1000 batches take exactly as long as 64000 packets should (within a
 * yield's 1 us step). */
static void test_acquire_high_rate(void)
{
    ps_pacer p;
    fake f;
    setup(&p, &f, 1000000, 64);
    uint64_t t0 = f.t, sent = 0;
    for (int i = 0; i < 1000; i++)
        sent += ps_pacer_acquire(&p, 64);
    uint64_t dt = f.t - t0;
    CHECK(sent == 64000, "sent %llu", (unsigned long long)sent);
    CHECK(f.nsleeps == 0, "%llu sleeps for 64 us gaps", (unsigned long long)f.nsleeps);
    /* first batch is free (full bucket): 999 batches x 64 us */
    CHECK(dt >= 63936000 && dt <= 63936000 + 1000, "took %llu ns", (unsigned long long)dt);
}

/* At 100/s the gap is 10 ms: one sleep of gap - 50 us, then yields. */
static void test_acquire_sleeps_when_ahead(void)
{
    ps_pacer p;
    fake f;
    setup(&p, &f, 100, 64);
    CHECK(ps_pacer_acquire(&p, 1) == 1, "first");
    uint64_t t0 = f.t;
    CHECK(ps_pacer_acquire(&p, 1) == 1, "second");
    CHECK(f.nsleeps == 1 && f.max_sleep == 10000000 - 50000, "sleeps %llu max %llu",
          (unsigned long long)f.nsleeps, (unsigned long long)f.max_sleep);
    CHECK(f.t - t0 == 10000000, "released after %llu ns", (unsigned long long)(f.t - t0));
    CHECK(p.sleeps == 1 && p.yields == 50, "pacer counted %llu sleeps %llu yields",
          (unsigned long long)p.sleeps, (unsigned long long)p.yields);
}

/* A sleep that wakes 300 us late must not cost tokens: at 100 k/s
 * (burst 100) with every sleep overshooting, 1 s still releases 100 k. */
static void late_sleep(void *ctx, uint64_t ns)
{
    fake *f = ctx;
    f->t += ns ? ns + 300000 : 1000;
}

static void test_late_wakeups_keep_rate(void)
{
    ps_pacer p;
    fake f;
    setup(&p, &f, 100000, 256);
    ps_pacer_set_clock(&p, fake_now, late_sleep, &f);
    uint64_t t0 = f.t, sent = 0;
    while (f.t - t0 < 1000000000ull)
        sent += ps_pacer_acquire(&p, 256);
    /* 1 s of tokens plus the initial burst, give or take one batch at the edge */
    CHECK(sent >= 100000 && sent <= 100100 + 256, "sent %llu in 1 s", (unsigned long long)sent);
}

/* At 1/s, acquire gives up after 50 ms so the caller can check for stop. */
static void test_acquire_bounded_wait(void)
{
    ps_pacer p;
    fake f;
    setup(&p, &f, 1, 64);
    CHECK(ps_pacer_acquire(&p, 1) == 1, "first");
    uint64_t t0 = f.t;
    CHECK(ps_pacer_acquire(&p, 1) == 0, "should give up");
    CHECK(f.t - t0 == 50000000, "waited %llu ns", (unsigned long long)(f.t - t0));
    int zeros = 1; /* 50 ms each: 19 give-ups, then the 20th call succeeds at 1 s */
    while (ps_pacer_acquire(&p, 1) == 0 && zeros < 100)
        zeros++;
    CHECK(zeros == 19 && f.t - t0 == 1000000000, "zeros %d, t %llu", zeros,
          (unsigned long long)(f.t - t0));
}

int main(void)
{
    RUN(test_init_errors);
    RUN(test_burst_size);
    RUN(test_unlimited);
    RUN(test_take_exact);
    RUN(test_fraction_carries);
    RUN(test_cap_after_idle);
    RUN(test_clock_backwards);
    RUN(test_acquire_high_rate);
    RUN(test_acquire_sleeps_when_ahead);
    RUN(test_late_wakeups_keep_rate);
    RUN(test_acquire_bounded_wait);
    return UNIT_END();
}
