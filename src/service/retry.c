/* retry.c: the patient second pass.
 *
 * The first pass is fast: many lanes at once, waits scaled from the
 * connect round trip.  A server that is struggling (its login processes
 * queued, MaxStartups dropping, a backlog full) or merely slow to greet
 * (a reverse lookup that times out before the banner) can end that pass
 * unnamed.  Reporting it "unknown" then would make the answer depend on
 * the scale of the scan, so a TCP port that ends its first pass unnamed
 * (unknown, tcpwrapped, or only "ssl" with the handshake never finished)
 * while it stayed silent or showed trouble (flow.c) is tried once more:
 *
 *  1. after its host's first pass is over (the queue of that host has no
 *     first-pass port left) and its window has calmed down after the last
 *     trouble (flow.c), so the retry does not compete with the storm that
 *     may have caused it;
 *  2. gently: two lanes for the port at most, and the retrying ports of a
 *     host share half its window (sched.c);
 *  3. first the NULL probe alone, with a patient wait (twice max_wait at
 *     least, more if this host greeted or accepted slowly), and, where TLS
 *     is plausible (a handshake timed out, "ssl" was named, or the port
 *     said nothing), a handshake with the same patience;
 *  4. then, if that step heard anything or the first pass showed trouble
 *     beyond silence (a handshake timeout on a port that never sent a
 *     byte counts as silence), the rest of the plan, with waits four times the
 *     first pass's (at least a second);
 *  5. a NULL connection closed empty again confirms tcpwrapped.
 *
 * A port that spoke but matched nothing, with no trouble, is not retried:
 * it would say the same again.  Silence alone earns a retry on the first
 * SVC_SILENT_RETRIES ports of a host only: a host (or a middlebox) that
 * accepts every port and says nothing would otherwise cost a patient wait
 * per port.  The result tells how it was reached
 * (ps_svc_result.pass: first, retry, gave-up) and why it was retried. */
#include "svc.h"

static enum ps_svc_why most_telling(unsigned bits)
{
    for (int w = PS_WHY_NONE + 1; w < PS_WHY_COUNT; w++)
        if (bits & (1u << w))
            return (enum ps_svc_why)w;
    return PS_WHY_NONE;
}

/* Might the port wait for a ClientHello? */
static int tls_plausible(const svc_job *job)
{
    const unsigned hint = 1u << PS_WHY_HANDSHAKE | 1u << PS_WHY_SILENT;
    return job->eng->o.tls && !job->wrapped && job->tls == TLS_NONE &&
           ((job->first_trouble & hint) || job->have_ssl);
}

int svc_retry_begin(svc_job *job, enum ps_svc_status st, int only_ssl)
{
    struct ps_svc_engine *eng = job->eng;
    if (job->pass || !eng->o.retry || job->r.cut || eng->stopped || job->r.proto != PS_TCP)
        return 0;
    if (st != PS_SVC_UNKNOWN && st != PS_SVC_TCPWRAPPED && !only_ssl)
        return 0;
    unsigned t = job->trouble;
    if (!job->any_bytes) /* a handshake timeout there is silence too */
        t = (t & ~(1u << PS_WHY_HANDSHAKE)) | 1u << PS_WHY_SILENT;
    if (!t)
        return 0; /* it spoke, nothing matched, nothing went wrong */
    if (t == 1u << PS_WHY_SILENT) {
        if (job->host->nsilent >= SVC_SILENT_RETRIES)
            return 0; /* this host keeps ports that accept and say nothing */
        job->host->nsilent++;
    }
    while (job->lanes) /* a first pass cut by its deadline */
        svc_lane_close(job->lanes);
    job->first_trouble = t;
    job->trouble = 0;
    job->pass = 1;
    job->stage = RETRY_WAIT;
    job->host->nwait++;
    eng->nwait++;
    job->deadline = INT64_MAX; /* set when the retry starts */
    job->any_bytes = job->connected_once = job->hold = 0;
    svc_track *p = &job->tr[0], *s = &job->tr[1];
    s->next = 0;
    if (job->tls == TLS_OK) {
        p->st = TRACK_STOP; /* TLS works: look inside again */
        s->st = TRACK_RUN;
    } else {
        p->next = 0;
        p->st = TRACK_RUN;
        s->st = TRACK_OFF;
        if (job->tls_late || job->tls == TLS_TRYING)
            job->tls = TLS_NONE; /* a timeout is no refusal */
    }
    p->bytes = s->bytes = 0;
    job->host->nfirst--;
    job->r.why = (uint8_t)most_telling(t);
    svc_trace_job(job, "first pass ended unnamed (%s): retry queued", ps_svc_why_text(job->r.why));
    return 1;
}

int svc_retry_pick(svc_job *job)
{
    svc_track *p = &job->tr[0], *s = &job->tr[1];
    switch (job->stage) {
    case RETRY_WAIT:
        /* Waiting jobs do not count against the host's job limit (sched.c),
         * but only max_per_host of them wait: more start at once, so the
         * first pass is never starved of job slots. */
        if (job->host->nfirst > 0 && job->host->nwait <= job->eng->o.max_per_host)
            return -1;
        if (job->eng->now < job->host->flow.calm_until) { /* let the trouble pass */
            int64_t *w = &job->eng->retry_wake;
            if (!*w || *w > job->host->flow.calm_until)
                *w = job->host->flow.calm_until;
            return -1;
        }
        svc_retry_unwait(job);
        job->stage = RETRY_PROBE;
        job->deadline = job->eng->now + (int64_t)job->eng->o.port_timeout_ms * 1000;
        if (tls_plausible(job))
            svc_job_tls_begin(job);
        svc_trace_job(job, "retry starts%s", job->tls == TLS_TRYING ? ", with a TLS handshake" : "");
        /* fall through */
    case RETRY_PROBE:
        if (job->nlanes >= SVC_RETRY_LANES)
            return -1;
        if (p->st == TRACK_RUN && p->next == 0)
            return 0;
        if ((job->tls == TLS_TRYING || job->tls == TLS_OK) && s->st == TRACK_RUN && s->next == 0)
            return 1;
        return -1;
    case RETRY_FULL:
        return job->nlanes >= SVC_RETRY_LANES ? -1 : 2;
    }
    return -1;
}

void svc_retry_unwait(svc_job *job)
{
    job->host->nwait--;
    job->eng->nwait--;
}

int svc_retry_escalate(svc_job *job)
{
    unsigned beyond_silence = job->first_trouble & ~(1u << PS_WHY_SILENT);
    if (!job->any_bytes && job->tls != TLS_OK && !beyond_silence)
        return 0;
    job->stage = RETRY_FULL;
    svc_trace_job(job, "retry goes on with the rest of the plan");
    return 1;
}
