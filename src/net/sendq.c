/* sendq.c: the second sending thread (see include/pscan/sendq.h).
 *
 * One mutex guards a queue of at most PS_SENDQ_DEPTH batches, oldest
 * first; the oldest is the one the thread is sending, with the lock
 * released around the send.  The depth of two matters: with a single
 * hand-over slot the thread idles from the end of each batch until the
 * caller's next flush (workload b of bench/ took 6.3 s instead of 5.3 s).
 * The caller signals `wake` only when the thread sleeps on it, and the
 * thread signals `idle` only when the queue empties, so a batch costs one
 * lock round trip on each side and, while the queue is neither empty nor
 * full, no system call for waking. */
#include <pthread.h>
#include <stdlib.h>

#include "pscan/sendq.h"

struct entry {
    const ps_frame *frames;
    size_t n;
    ps_sender *snd;
    unsigned slot;
};

struct ps_sendq {
    pthread_t th;
    pthread_mutex_t lock;
    pthread_cond_t wake, idle;
    int sleeping; /* the thread waits on `wake` */
    int quit;
    int nq;       /* batches held, oldest (being sent) first */
    struct entry q[PS_SENDQ_DEPTH];
    int err;      /* a send failed: e says how */
    ps_err e;
};

static void *sendq_main(void *arg)
{
    ps_sendq *q = arg;
    pthread_mutex_lock(&q->lock);
    for (;;) {
        while (!q->nq && !q->quit) {
            q->sleeping = 1;
            pthread_cond_wait(&q->wake, &q->lock);
            q->sleeping = 0;
        }
        if (!q->nq) break; /* quit, and everything queued was sent */
        struct entry b = q->q[0];
        pthread_mutex_unlock(&q->lock);
        ps_err e;
        int r = ps_sender_send(b.snd, b.frames, b.n, &e);
        pthread_mutex_lock(&q->lock);
        if (r && !q->err) {
            q->err = 1;
            q->e = e;
        }
        for (int i = 1; i < q->nq; i++) q->q[i - 1] = q->q[i];
        if (--q->nq == 0) pthread_cond_signal(&q->idle);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

int ps_sendq_start(ps_sendq **out, ps_err *e)
{
    *out = NULL;
    ps_sendq *q = calloc(1, sizeof *q);
    if (!q) return ps_fail(e, PS_ERUNTIME, "out of memory");
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->wake, NULL);
    pthread_cond_init(&q->idle, NULL);
    if (pthread_create(&q->th, NULL, sendq_main, q) != 0) {
        pthread_mutex_destroy(&q->lock);
        pthread_cond_destroy(&q->wake);
        pthread_cond_destroy(&q->idle);
        free(q);
        return ps_fail(e, PS_ERUNTIME, "cannot start the sending thread");
    }
    *out = q;
    return PS_OK;
}

int ps_sendq_offer(ps_sendq *q, const ps_frame *frames, size_t n, ps_sender *snd, unsigned slot,
                   int *taken, unsigned *held, ps_err *e)
{
    *taken = 0;
    *held = 0;
    if (slot > 31) return ps_fail(e, PS_EINPUT, "send queue: slot %u is not in 0..31", slot);
    pthread_mutex_lock(&q->lock);
    if (q->err) {
        *e = q->e;
        pthread_mutex_unlock(&q->lock);
        return PS_ERUNTIME;
    }
    if (q->nq < PS_SENDQ_DEPTH) {
        q->q[q->nq++] = (struct entry){frames, n, snd, slot};
        if (q->sleeping) pthread_cond_signal(&q->wake);
        *taken = 1;
    }
    for (int i = 0; i < q->nq; i++) *held |= 1u << q->q[i].slot;
    pthread_mutex_unlock(&q->lock);
    return PS_OK;
}

int ps_sendq_drain(ps_sendq *q, ps_err *e)
{
    if (!q) return PS_OK;
    pthread_mutex_lock(&q->lock);
    while (q->nq) pthread_cond_wait(&q->idle, &q->lock);
    int r = q->err ? PS_ERUNTIME : PS_OK;
    if (r) *e = q->e;
    pthread_mutex_unlock(&q->lock);
    return r;
}

void ps_sendq_stop(ps_sendq *q)
{
    if (!q) return;
    pthread_mutex_lock(&q->lock);
    q->quit = 1;
    pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->lock);
    pthread_join(q->th, NULL);
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->wake);
    pthread_cond_destroy(&q->idle);
    free(q);
}
