/* pacer.h: a token bucket that releases probes in batches at N packets/s.
 *
 * The sender asks for a batch (ps_pacer_acquire) and gets how many probes it
 * may send now.  Tokens accrue continuously with the monotonic clock.  A
 * batch is released once a burst's worth is there (about 1 ms of traffic,
 * at most the sender's batch size); the bucket holds at most 10 ms of
 * traffic, enough to make up for a late wake-up from nanosleep, too little
 * for an idle pause to turn into a flood.  Reading the clock costs
 * no syscall (clock_gettime(CLOCK_MONOTONIC) is answered by the vDSO); the
 * pacer sleeps only when it is ahead of schedule: nanosleep when more than
 * 100 us ahead, sched_yield below that.
 *
 * The clock and the sleep are injectable so tests can check the token
 * arithmetic exactly without asserting anything about wall time. */
#ifndef PSCAN_PACER_H
#define PSCAN_PACER_H

#include <stdint.h>

#include "pscan/err.h"

#define PS_PACER_MAX_RATE 1000000000ull /* 1 G packets/s */
#define PS_PACER_MAX_BATCH 65536u

/* Monotonic nanoseconds; sleep about ns (0 means yield the CPU once). */
typedef uint64_t (*ps_pacer_clock_fn)(void *ctx);
typedef void (*ps_pacer_sleep_fn)(void *ctx, uint64_t ns);

typedef struct ps_pacer {
    uint64_t rate;      /* packets per second; 0 = unlimited */
    uint32_t burst;     /* tokens a blocking acquire waits for */
    uint64_t cap;       /* most whole tokens the bucket holds (>= burst) */
    uint64_t credit;    /* tokens x 1e9: one packet costs 1e9, each ns adds `rate` */
    uint64_t last_ns;   /* clock at the last refill */
    ps_pacer_clock_fn now;
    ps_pacer_sleep_fn sleep;
    void *ctx;
    uint64_t sleeps;    /* nanosleeps done (statistics) */
    uint64_t yields;    /* short waits done by yielding */
} ps_pacer;

/* rate in packets/s (0 = unlimited, at most PS_PACER_MAX_RATE); max_batch is
 * the largest batch the sender will ask for (1..PS_PACER_MAX_BATCH).  The
 * bucket starts with one burst. */
int ps_pacer_init(ps_pacer *p, uint64_t rate, uint32_t max_batch, ps_err *e);

/* Replace the real clock and sleep (tests); resets the bucket to one burst
 * at the new clock's current time. */
void ps_pacer_set_clock(ps_pacer *p, ps_pacer_clock_fn now, ps_pacer_sleep_fn sleep, void *ctx);

/* Non-blocking: how many of `want` probes may go now (0..want); they are
 * taken from the bucket. */
uint32_t ps_pacer_take(ps_pacer *p, uint32_t want);

/* Nanoseconds until n tokens (n capped at the burst) are available; 0 if now. */
uint64_t ps_pacer_ahead_ns(ps_pacer *p, uint32_t n);

/* Blocking: wait until min(want, burst) tokens are there and take up to
 * want.  Returns the number granted; returns 0 after waiting about 50 ms
 * without enough tokens (only at rates below ~20 packets/s per batch), so
 * the caller can check whether to stop and call again. */
uint32_t ps_pacer_acquire(ps_pacer *p, uint32_t want);

#endif
