/* flow.c: how many connections a host and a port may have at once.
 *
 * A server that is handed more connections than it can serve does not say
 * so: sshd past MaxStartups drops some before its banner, Dovecot queues
 * new clients until a login process is free, a listen backlog that is
 * full drops SYNs.  Each address and each (address, port) is therefore a
 * flow with its own window, the way TCP keeps one per path:
 *
 *  - it starts small (SVC_HOST_WINDOW0 lanes per host, SVC_JOB_WINDOW0 per
 *    port) and grows by one for every sign that the server keeps up (a
 *    connect, a first reply byte on time): doubling per round trip up to
 *    the threshold, then by 1/window per sign;
 *  - it halves, and the threshold with it, on trouble: a connect or a TLS
 *    handshake that timed out, a connection closed before a word or
 *    refused while others got through, a connect that needed SYN
 *    retransmissions, a greeting far later than this host's first ones.
 *    One cut per episode: the lanes open when trouble shows will mostly
 *    show it too, so no second cut before a handshake wait has passed.
 *
 * Trouble is also written on the job (job->trouble): if the port ends
 * unnamed, retry.c reads it to decide on a second, patient pass and the
 * output says why.  Global limits (descriptors, max_parallelism) stay in
 * sched.c. */
#include <stdlib.h>

#include "svc.h"

/* A greeting is late when it comes this many times after the earliest
 * seen on the same port number (of any host: an audit meets the same
 * service on the same port across a network), and at least min_wait
 * after it. */
#define LATE_FACTOR 4
/* A connect this much slower than the host's fastest needed a SYN resent. */
#define SLOW_CONNECT_US 900000

void svc_flow_init(svc_flow *f, double start, double max)
{
    f->max = max < 1 ? 1 : max;
    f->cwnd = start < f->max ? start : f->max;
    f->ssthresh = f->max;
    f->calm_until = 0;
}

int svc_flow_room(const svc_flow *f)
{
    int n = (int)f->cwnd;
    return n < 1 ? 1 : n;
}

static void grow(svc_flow *f)
{
    f->cwnd += f->cwnd < f->ssthresh ? 1.0 : 1.0 / f->cwnd;
    if (f->cwnd > f->max)
        f->cwnd = f->max;
}

static void cut(svc_flow *f, int64_t now, int64_t calm)
{
    if (now < f->calm_until)
        return;
    f->ssthresh = f->cwnd / 2 < 2 ? 2 : f->cwnd / 2;
    f->cwnd = f->cwnd / 2 < 1 ? 1 : f->cwnd / 2;
    f->calm_until = now + calm;
}

static void good(svc_lane *l)
{
    grow(&l->job->flow);
    grow(&l->job->host->flow);
}

void svc_flow_trouble(svc_lane *l, enum ps_svc_why why)
{
    svc_job *job = l->job;
    int64_t calm = svc_job_handshake_us(job);
    job->trouble |= 1u << why;
    cut(&job->flow, l->eng->now, calm);
    cut(&job->host->flow, l->eng->now, calm);
    svc_trace(l, "trouble: %s; windows now %.1f (port), %.1f (host)", ps_svc_why_text(why),
              job->flow.cwnd, job->host->flow.cwnd);
}

void svc_flow_connected(svc_lane *l)
{
    svc_host *h = l->job->host;
    int64_t took = l->t_conn - l->t_open;
    if (took > h->rtt_max_us)
        h->rtt_max_us = took;
    if (took >= SLOW_CONNECT_US && h->rtt_us && h->rtt_us < SLOW_CONNECT_US / 4)
        svc_flow_trouble(l, PS_WHY_CONNECT);
    else
        good(l);
}

void svc_flow_first_byte(svc_lane *l)
{
    struct ps_svc_engine *eng = l->eng;
    svc_host *h = l->job->host;
    if (!svc_is_null_probe(l->probe) || l->track == 1) {
        good(l); /* an answer to a question: the server keeps up */
        return;
    }
    if (!eng->greet_min && !(eng->greet_min = calloc(65536, sizeof *eng->greet_min))) {
        good(l);
        return;
    }
    int64_t took = l->t_first - l->t_wait;
    uint32_t *min = &eng->greet_min[l->job->r.port];
    int64_t late = LATE_FACTOR * (int64_t)*min, floor = (int64_t)*min + (int64_t)eng->o.min_wait_ms * 1000;
    int is_late = *min > 0 && took > late && took > floor;
    if (!*min || took < *min)
        *min = took <= 0 ? 1 : took > UINT32_MAX ? UINT32_MAX : (uint32_t)took;
    if (took > h->fb_max_us)
        h->fb_max_us = took;
    if (is_late)
        svc_flow_trouble(l, PS_WHY_LATE);
    else
        good(l);
}
