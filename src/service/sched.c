/* sched.c: the engine's hosts and who gets the next lane.
 *
 * Submissions wait in per-host queues; hosts with work sit in a ring.  The
 * scheduler walks the ring one lane per host per turn, giving a running
 * port its next probe before starting a new port, until max_parallelism
 * connections are open.  A host holds no more connections than its window
 * allows (flow.c: it grows while the host answers on time and halves when
 * it does not, up to max_per_host), so one host with a thousand open ports
 * does not starve the others, a slow host does not block a fast one, and
 * a struggling server is not flooded.  Lanes of retrying jobs (retry.c)
 * are held to a share of each host's window and of the whole. */
#include <stdlib.h>
#include <string.h>

#include "pscan/hash.h"
#include "svc.h"

/* ---- hosts ----------------------------------------------------------- */

static size_t addr_hash(const ps_addr *a)
{
    uint64_t h = ps_fnv1a_addr(PS_FNV_INIT, a);
    return (size_t)(h ^ (h >> 29));
}

static int addr_eq(const ps_addr *a, const ps_addr *b)
{
    if (a->family != b->family)
        return 0;
    return a->family == AF_INET ? a->u.v4 == b->u.v4 : memcmp(a->u.v6, b->u.v6, 16) == 0;
}

static int htab_grow(struct ps_svc_engine *eng)
{
    size_t ncap = eng->hcap ? eng->hcap * 2 : 64;
    svc_host **nt = calloc(ncap, sizeof *nt);
    if (!nt)
        return -1;
    for (size_t i = 0; i < eng->hcap; i++)
        for (svc_host *h = eng->htab[i], *nx; h; h = nx) {
            nx = h->hnext;
            size_t b = addr_hash(&h->addr) & (ncap - 1);
            h->hnext = nt[b];
            nt[b] = h;
        }
    free(eng->htab);
    eng->htab = nt;
    eng->hcap = ncap;
    return 0;
}

svc_host *svc_host_get(struct ps_svc_engine *eng, const ps_addr *a)
{
    if (eng->hcap) {
        for (svc_host *h = eng->htab[addr_hash(a) & (eng->hcap - 1)]; h; h = h->hnext)
            if (addr_eq(&h->addr, a))
                return h;
    }
    if ((eng->nhosts + 1) * 2 > eng->hcap && htab_grow(eng) < 0)
        return NULL;
    svc_host *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->addr = *a;
    svc_flow_init(&h->flow, SVC_HOST_WINDOW0, eng->o.max_per_host);
    size_t b = addr_hash(a) & (eng->hcap - 1);
    h->hnext = eng->htab[b];
    eng->htab[b] = h;
    eng->nhosts++;
    /* join the ring just behind the cursor: served last in this turn */
    if (eng->ring) {
        h->rnext = eng->ring;
        h->rprev = eng->ring->rprev;
        h->rprev->rnext = h;
        eng->ring->rprev = h;
    } else {
        h->rnext = h->rprev = h;
        eng->ring = h;
    }
    eng->nring++;
    return h;
}

static void host_drop(struct ps_svc_engine *eng, svc_host *h)
{
    svc_host **pp = &eng->htab[addr_hash(&h->addr) & (eng->hcap - 1)];
    while (*pp != h)
        pp = &(*pp)->hnext;
    *pp = h->hnext;
    eng->nhosts--;
    if (h->rnext == h) {
        eng->ring = NULL;
    } else {
        h->rprev->rnext = h->rnext;
        h->rnext->rprev = h->rprev;
        if (eng->ring == h)
            eng->ring = h->rnext;
    }
    eng->nring--;
    free(h);
}

/* ---- scheduling ------------------------------------------------------ */

/* May this job have another lane now?  Its own window, its host's share
 * for retries, and the engine's. */
static int retry_room(const struct ps_svc_engine *eng, const svc_host *h)
{
    int host = svc_flow_room(&h->flow) / 2, all = eng->o.max_parallelism / 4;
    return h->nretry < (host > 2 ? host : 2) && eng->nretry < (all > 4 ? all : 4);
}

/* Give host h one more lane if it may have one: 1 if something started,
 * 0 if the host has nothing to start now, -1 on a local failure. */
static int host_step(struct ps_svc_engine *eng, svc_host *h)
{
    int room = svc_flow_room(&h->flow);
    if (h->nlanes >= (room < eng->o.max_per_host ? room : eng->o.max_per_host))
        return 0;
    int retry_ok = retry_room(eng, h);
    for (svc_job *j = h->jobs, *nx; j; j = nx) {
        nx = j->next;
        if (eng->now >= j->deadline) {
            svc_job_expire(j);
            continue;
        }
        if (j->pass && !retry_ok)
            continue;
        int t = svc_job_pick_track(j);
        if (t >= 0)
            return svc_lane_start(j, t) < 0 ? -1 : 1;
    }
    if (!h->phead || h->njobs - h->nwait >= eng->o.max_per_host ||
        eng->njobs - eng->nwait >= eng->o.max_parallelism)
        return 0;
    svc_pending *p = h->phead;
    svc_job *job = svc_job_new(eng, h, p);
    if (!job)
        return -1;
    h->phead = p->next;
    if (!h->phead)
        h->ptail = NULL;
    eng->npending--;
    free(p->sni);
    free(p);
    int t = svc_job_pick_track(job);
    if (t >= 0 && svc_lane_start(job, t) < 0)
        return -1; /* the job stays, waiting for its first lane */
    return 1;
}

void svc_fill(struct ps_svc_engine *eng)
{
    if (eng->now < eng->backoff_until)
        return;
    size_t idle = 0;
    while (eng->ring && eng->nlanes < eng->o.max_parallelism && idle < eng->nring) {
        svc_host *h = eng->ring;
        eng->ring = h->rnext;
        int rc = host_step(eng, h);
        if (rc < 0) {
            eng->backoff_until = eng->now + 20000; /* out of sockets: retry soon */
            return;
        }
        idle = rc ? 0 : idle + 1;
    }
}

void svc_reap(struct ps_svc_engine *eng)
{
    while (eng->dead) {
        svc_lane *l = eng->dead;
        eng->dead = l->dead_next;
        svc_lane_free(l);
    }
    while (eng->done) {
        svc_job *job = eng->done;
        eng->done = job->done_next;
        svc_host *h = job->host;
        svc_job_report_free(job);
        if (--h->ndone == 0 && !h->jobs && !h->phead)
            host_drop(eng, h);
    }
}

