/* lane_set.c: the engine's open lanes as a set: the timer heap that
 * orders them by the next moment each needs attention (lane->wake, its
 * deadline or the end of its quiet spell), and closing a lane -- out of
 * epoll, the heap and its job's list, onto the reap list, with every
 * count (job, track, host, engine) taken down.  The engine, its jobs and
 * the lanes themselves all close lanes; none of them is needed for it. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "svc.h"

static void heap_swap(struct ps_svc_engine *eng, size_t a, size_t b)
{
    svc_lane *t = eng->heap[a];
    eng->heap[a] = eng->heap[b];
    eng->heap[b] = t;
    eng->heap[a]->heap_i = a;
    eng->heap[b]->heap_i = b;
}

static void heap_fix(struct ps_svc_engine *eng, size_t i)
{
    while (i > 0 && eng->heap[(i - 1) / 2]->wake > eng->heap[i]->wake) {
        heap_swap(eng, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < eng->nheap && eng->heap[l]->wake < eng->heap[m]->wake)
            m = l;
        if (r < eng->nheap && eng->heap[r]->wake < eng->heap[m]->wake)
            m = r;
        if (m == i)
            return;
        heap_swap(eng, i, m);
        i = m;
    }
}

void svc_heap_set(struct ps_svc_engine *eng, svc_lane *l)
{
    if (l->heap_i == SIZE_MAX) {
        /* capheap >= max lanes (allocated in ps_svc_new): never grows */
        l->heap_i = eng->nheap;
        eng->heap[eng->nheap++] = l;
    }
    heap_fix(eng, l->heap_i);
}

void svc_heap_del(struct ps_svc_engine *eng, svc_lane *l)
{
    size_t i = l->heap_i;
    if (i == SIZE_MAX)
        return;
    l->heap_i = SIZE_MAX;
    eng->nheap--;
    if (i == eng->nheap)
        return;
    eng->heap[i] = eng->heap[eng->nheap];
    eng->heap[i]->heap_i = i;
    heap_fix(eng, i);
}

/* ---- closing ------------------------------------------------------------ */

void svc_lane_close(svc_lane *l)
{
    if (l->st == LANE_DEAD)
        return;
    struct ps_svc_engine *eng = l->eng;
    svc_job *job = l->job;
    if (l->ev)
        epoll_ctl(eng->epfd, EPOLL_CTL_DEL, l->c.fd, NULL);
    l->ev = 0;
    l->c.t->close(&l->c);
    svc_heap_del(eng, l);
    if (l->prev)
        l->prev->next = l->next;
    else
        job->lanes = l->next;
    if (l->next)
        l->next->prev = l->prev;
    l->next = l->prev = NULL;
    job->nlanes--;
    job->tr[l->track].lanes--;
    job->host->nlanes--;
    eng->nlanes--;
    if (l->retry)
        eng->nretry--, job->host->nretry--;
    l->st = LANE_DEAD;
    l->dead_next = eng->dead;
    eng->dead = l;
}

void svc_lane_free(svc_lane *l)
{
    free(l->buf);
    free(l);
}
