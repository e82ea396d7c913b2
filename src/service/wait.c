/* wait.c: how long a lane waits, in one place.
 *
 * Every wait scales with the host's measured connect round trip (sched.c
 * keeps it), clamped to the options' min_wait_ms..max_wait_ms; the second
 * pass (retry.c) is patient: it waits longer still, more where this host
 * has been seen slow to accept or to greet. */
#include "svc.h"

#define SEC 1000000
#define SVC_RTT_FACTOR 8 /* reply wait = RTT x this, within [min_wait, max_wait] */
#define SVC_UDP_MIN_WAIT_US 1500000 /* see svc_job_wait_us */

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

int64_t svc_job_wait_us(const svc_job *job, const ps_probe *p)
{
    const ps_svc_opts *o = &job->eng->o;
    int64_t lo = (int64_t)o->min_wait_ms * 1000, hi = (int64_t)o->max_wait_ms * 1000;
    int64_t tw = p ? (int64_t)ps_probe_totalwaitms(p) * 1000 : 0;
    if (tw > 0 && tw < hi)
        hi = tw;
    if (lo > hi)
        lo = hi;
    /* The NULL probe waits for the application, not the network: a server
     * that accepts or greets late (reverse DNS, greeting pauses, load) is
     * not measured by the connect RTT.  It runs beside the other probes, so
     * the long wait only costs time on ports nothing else names (a silent
     * port takes max_wait_ms), never on those a probe identifies. */
    if (p && svc_is_null_probe(p))
        return job->pass ? svc_retry_wait_us(job, p, hi) : hi;
    /* A UDP service has no handshake to time, and silence is all a wrong
     * probe gets: the wait must cover the application's own delay (a DNS
     * server asking upstream, an SNMP agent walking its tables), so it is
     * at least a second and a half (RADIUS servers delay a reject by a
     * second).  Every UDP probe of a port runs at once, so a silent UDP
     * port costs about that. */
    if (job->r.proto == PS_UDP && lo < SVC_UDP_MIN_WAIT_US)
        lo = SVC_UDP_MIN_WAIT_US < hi ? SVC_UDP_MIN_WAIT_US : hi;
    int64_t w = clamp64(SVC_RTT_FACTOR * job->host->rtt_us, lo, hi);
    return job->pass ? svc_retry_wait_us(job, p, w) : w;
}

int64_t svc_job_quiet_us(const svc_job *job)
{
    const ps_svc_opts *o = &job->eng->o;
    return clamp64(4 * job->host->rtt_us, (int64_t)o->min_wait_ms * 1000 / 3,
                   (int64_t)o->max_wait_ms * 1000);
}

int64_t svc_job_handshake_us(const svc_job *job)
{
    const ps_svc_opts *o = &job->eng->o;
    int64_t lo = 2 * (int64_t)o->min_wait_ms * 1000, hi = (int64_t)o->max_wait_ms * 1000;
    if (hi < lo)
        hi = lo;
    if (job->pass)
        return svc_retry_patient_us(job);
    return clamp64(2 * SVC_RTT_FACTOR * job->host->rtt_us, lo, hi);
}

int64_t svc_retry_patient_us(const svc_job *job)
{
    const svc_host *h = job->host;
    int64_t base = 2 * (int64_t)job->eng->o.max_wait_ms * 1000, cap = 5 * base / 2;
    int64_t seen = 3 * h->fb_max_us;
    if (8 * h->rtt_max_us > seen)
        seen = 8 * h->rtt_max_us;
    int64_t w = seen > base ? seen : base;
    return w < cap ? w : cap;
}

int64_t svc_retry_wait_us(const svc_job *job, const ps_probe *p, int64_t normal)
{
    int64_t patient = svc_retry_patient_us(job);
    if (!p || svc_is_null_probe(p))
        return patient;
    int64_t w = 4 * normal < SEC ? SEC : 4 * normal;
    return w < patient ? w : patient;
}
