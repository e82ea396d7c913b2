/* test_sendq.c: the second sending thread (sendq.h).
 *
 * The queue sends on whatever ps_sender it is given, through the sender's
 * ops table; here that is a back-end of the test's own that sends nothing:
 * it records each batch (its first frame's length names it) and, while
 * its gate is shut, holds the thread inside the send, so the queue's
 * "taken"/"full" answers and held slots are deterministic.  Every wait is
 * bounded (a shut gate opens by itself after 5 s). */
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "pscan/sendq.h"
#include "unit.h"

struct stub {
    ps_sender base;
    pthread_mutex_t m;
    pthread_cond_t c;
    int shut;           /* hold senders until opened */
    int inside;         /* a send is waiting at the gate */
    uint32_t fail_name; /* a batch by this name fails */
    int nbatch;
    uint32_t names[16];
    size_t frames;
};

static int stub_send(ps_sender *snd, const ps_frame *f, size_t n, ps_err *e)
{
    struct stub *st = (struct stub *)snd;
    pthread_mutex_lock(&st->m);
    st->inside = 1;
    pthread_cond_broadcast(&st->c);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    while (st->shut)
        if (pthread_cond_timedwait(&st->c, &st->m, &until) != 0) break;
    st->inside = 0;
    if (st->nbatch < 16) st->names[st->nbatch] = f[0].len;
    st->nbatch++;
    st->frames += n;
    int fail = f[0].len == st->fail_name;
    pthread_mutex_unlock(&st->m);
    return fail ? ps_fail(e, PS_ERUNTIME, "stub: batch %u failed", (unsigned)f[0].len) : PS_OK;
}

static int stub_flush(ps_sender *snd, ps_err *e)
{
    (void)snd;
    (void)e;
    return PS_OK;
}

static void stub_close(ps_sender *snd)
{
    (void)snd;
}

static const struct ps_sender_ops stub_ops = {
    .name = "stub", .send_batch = stub_send, .flush = stub_flush, .close = stub_close};

static void stub_init(struct stub *st)
{
    memset(st, 0, sizeof *st);
    st->base.ops = &stub_ops;
    pthread_mutex_init(&st->m, NULL);
    pthread_cond_init(&st->c, NULL);
}

static void stub_open_gate(struct stub *st)
{
    pthread_mutex_lock(&st->m);
    st->shut = 0;
    pthread_cond_broadcast(&st->c);
    pthread_mutex_unlock(&st->m);
}

/* Wait (at most 5 s) until the thread sits at the shut gate. */
static int stub_wait_inside(struct stub *st)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    pthread_mutex_lock(&st->m);
    while (!st->inside)
        if (pthread_cond_timedwait(&st->c, &st->m, &until) != 0) break;
    int in = st->inside;
    pthread_mutex_unlock(&st->m);
    return in;
}

static void stub_done(struct stub *st)
{
    pthread_mutex_destroy(&st->m);
    pthread_cond_destroy(&st->c);
}

/* Batch number k: n frames, the first one's length is its name. */
static void make_batch(ps_frame *f, size_t n, uint32_t name)
{
    static const uint8_t bytes[64];
    for (size_t i = 0; i < n; i++) f[i] = (ps_frame){bytes, i ? 60 : name};
}

static void test_depth_and_held_slots(void)
{
    struct stub st;
    stub_init(&st);
    st.shut = 1;
    ps_sendq *q;
    ps_err e;
    CHECK(ps_sendq_start(&q, &e) == PS_OK, "start: %s", e.msg);
    if (!q) return;
    ps_frame b[4][8];
    int taken;
    unsigned held;
    make_batch(b[0], 8, 100);
    make_batch(b[1], 5, 101);
    make_batch(b[2], 3, 102);
    make_batch(b[3], 2, 103);
    CHECK(ps_sendq_offer(q, b[0], 8, &st.base, 0, &taken, &held, &e) == PS_OK, "offer 0");
    CHECK(taken == 1 && held == 1u, "first batch: taken %d, held %#x", taken, held);
    CHECK(stub_wait_inside(&st), "the thread is sending the first batch");
    CHECK(ps_sendq_offer(q, b[1], 5, &st.base, 1, &taken, &held, &e) == PS_OK, "offer 1");
    CHECK(taken == 1 && held == 3u, "second batch: taken %d, held %#x", taken, held);
    /* Two held: the third is the caller's to send. */
    CHECK(ps_sendq_offer(q, b[2], 3, &st.base, 2, &taken, &held, &e) == PS_OK, "offer 2");
    CHECK(taken == 0 && held == 3u, "third batch: taken %d, held %#x", taken, held);
    stub_open_gate(&st);
    CHECK(ps_sendq_drain(q, &e) == PS_OK, "drain: %s", e.msg);
    CHECK(st.nbatch == 2 && st.frames == 13, "sent %d batches, %zu frames", st.nbatch, st.frames);
    CHECK(st.names[0] == 100 && st.names[1] == 101, "order %u %u", st.names[0], st.names[1]);
    /* Drained: nothing held, a new offer is taken and held alone. */
    CHECK(ps_sendq_offer(q, b[3], 2, &st.base, 2, &taken, &held, &e) == PS_OK, "offer 3");
    CHECK(taken == 1 && (held & ~4u) == 0, "after drain: taken %d, held %#x", taken, held);
    CHECK(ps_sendq_drain(q, &e) == PS_OK, "drain again");
    CHECK(st.nbatch == 3 && st.names[2] == 103, "%d batches, last %u", st.nbatch, st.names[2]);
    ps_sendq_stop(q);
    stub_done(&st);
}

static void test_first_error_sticks(void)
{
    struct stub st;
    stub_init(&st);
    st.fail_name = 201;
    ps_sendq *q;
    ps_err e;
    CHECK(ps_sendq_start(&q, &e) == PS_OK, "start");
    if (!q) return;
    ps_frame b[2][4];
    int taken;
    unsigned held;
    make_batch(b[0], 4, 200);
    make_batch(b[1], 4, 201);
    CHECK(ps_sendq_offer(q, b[0], 4, &st.base, 0, &taken, &held, &e) == PS_OK && taken, "offer ok batch");
    CHECK(ps_sendq_drain(q, &e) == PS_OK, "a good batch drains clean");
    CHECK(ps_sendq_offer(q, b[1], 4, &st.base, 1, &taken, &held, &e) == PS_OK && taken, "offer bad batch");
    memset(&e, 0, sizeof e);
    CHECK(ps_sendq_drain(q, &e) == PS_ERUNTIME, "drain reports the failure");
    CHECK_STR(e.msg, "stub: batch 201 failed");
    memset(&e, 0, sizeof e);
    CHECK(ps_sendq_offer(q, b[0], 4, &st.base, 0, &taken, &held, &e) == PS_ERUNTIME && !taken,
          "offers after a failure are refused");
    CHECK_STR(e.msg, "stub: batch 201 failed");
    CHECK(ps_sendq_drain(q, &e) == PS_ERUNTIME, "the error sticks");
    ps_sendq_stop(q);
    CHECK(st.nbatch == 2, "%d batches sent", st.nbatch);
    stub_done(&st);
}

static void test_stop_sends_what_is_queued(void)
{
    struct stub st;
    stub_init(&st);
    st.shut = 1;
    ps_sendq *q;
    ps_err e;
    CHECK(ps_sendq_start(&q, &e) == PS_OK, "start");
    if (!q) return;
    ps_frame b[2][4];
    int taken;
    unsigned held;
    make_batch(b[0], 4, 300);
    make_batch(b[1], 4, 301);
    CHECK(ps_sendq_offer(q, b[0], 4, &st.base, 0, &taken, &held, &e) == PS_OK && taken, "offer 0");
    CHECK(ps_sendq_offer(q, b[1], 4, &st.base, 1, &taken, &held, &e) == PS_OK && taken, "offer 1");
    stub_open_gate(&st);
    ps_sendq_stop(q); /* joins only after both are sent */
    CHECK(st.nbatch == 2 && st.frames == 8, "%d batches, %zu frames", st.nbatch, st.frames);
    stub_done(&st);
}

static void test_edges(void)
{
    ps_err e;
    CHECK(ps_sendq_drain(NULL, &e) == PS_OK, "drain(NULL)");
    ps_sendq_stop(NULL);
    struct stub st;
    stub_init(&st);
    ps_sendq *q;
    CHECK(ps_sendq_start(&q, &e) == PS_OK, "start");
    if (!q) return;
    ps_frame f[1];
    make_batch(f, 1, 400);
    int taken = 1;
    unsigned held = 1;
    CHECK(ps_sendq_offer(q, f, 1, &st.base, 32, &taken, &held, &e) == PS_EINPUT && !taken && !held,
          "slot 32 is refused");
    CHECK(strstr(e.msg, "32") != NULL, "message names the slot: %s", e.msg);
    ps_sendq_stop(q); /* an idle thread ends at once */
    CHECK(st.nbatch == 0, "nothing sent");
    stub_done(&st);
}

int main(void)
{
    RUN(test_depth_and_held_slots);
    RUN(test_first_error_sticks);
    RUN(test_stop_sends_what_is_queued);
    RUN(test_edges);
    return UNIT_END();
}
