/* job.c: one port being identified: its probe plans, TLS, and the verdict.
 *
 * A job owns two tracks, plain and TLS, each a probe plan (plan.c) and a
 * cursor.  The scheduler (engine.c) asks svc_job_pick_track for the next
 * lane; lanes (lane.c) report back matches and how they ended, and the
 * functions here decide:
 *
 *  - a hard match finishes the job (MATCH), unless it names "ssl"/"tls"
 *    or "ssl/NAME" on the plain track: then it is remembered and TLS is
 *    tried, because "ssl" says only how the real service is wrapped, and
 *    even a plain "ssl/http" (nginx's "plain HTTP request sent to HTTPS
 *    port") leaves the certificate to learn.  "ssl/NAME" is reported as
 *    NAME with r.tls = 1;
 *  - a softmatch is kept, and from then on only matches naming the same
 *    service count (lane.c passes it as only_service), and probes that
 *    cannot name it (ps_probe_can_match) are not sent at all;
 *  - TLS is tried when the port is in some probe's sslports (from the
 *    start, beside the plain track), when a reply starts like a TLS record
 *    or matched "ssl" (the plain track pauses meanwhile), or when the plain
 *    plan ran out and the server never sent a byte.  A completed handshake
 *    stops the plain track for good and resets what it found (a TLS
 *    server's answers to plain probes are noise); a failed one resumes it;
 *  - the NULL probe's connection closed by the peer with no data, within
 *    the probe's tcpwrappedms, before anything else spoke: TCPWRAPPED;
 *  - the first connection refused: CLOSED; never connected: UNKNOWN;
 *  - nothing left to run: SOFT if a softmatch, the remembered "ssl" match,
 *    else UNKNOWN with the first reply as banner.  A silent server thus
 *    ends UNKNOWN with an empty name: we never guess a name.
 *
 * Waits scale with the host's measured connect RTT (wait.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pscan/recog.h"

#include "svc.h"

static void finish(svc_job *job, enum ps_svc_status st)
{
    struct ps_svc_engine *eng = job->eng;
    if (job->done)
        return;
    job->done = 1;
    job->r.status = st;
    if (job->pass)
        job->r.pass = st == PS_SVC_UNKNOWN ? PS_SVC_GAVE_UP : PS_SVC_RETRY;
    else
        job->host->nfirst--;
    if (job->pass && job->stage == RETRY_WAIT) /* stopped while it waited */
        svc_retry_unwait(job);
    svc_trace_job(job, "ends: %s %s%s (%s pass)", ps_svc_status_name(st), job->r.tls ? "ssl/" : "",
                  job->r.info.service[0] ? job->r.info.service : "-", ps_svc_pass_name((enum ps_svc_pass)job->r.pass));
    while (job->lanes)
        svc_lane_close(job->lanes);
    svc_host *h = job->host;
    if (job->prev)
        job->prev->next = job->next;
    else
        h->jobs = job->next;
    if (job->next)
        job->next->prev = job->prev;
    job->next = job->prev = NULL;
    h->njobs--;
    h->ndone++;
    eng->njobs--;
    job->done_next = eng->done;
    eng->done = job;
}

static void report(svc_job *job, const ps_service_info *info, const char *probe, int tls,
                   enum ps_svc_status st)
{
    job->r.info = *info;
    job->r.info.soft = st == PS_SVC_SOFT;
    job->r.probe = probe;
    job->r.tls = tls;
    finish(job, st);
}

/* Nothing more will be learnt: report the best we have.  A hard match
 * without a version goes first, unless a softmatch said more (product and
 * version are never lost to an answer with less).  A plain reply that
 * named "ssl/NAME" (a server complaining about plain text on its TLS port)
 * is a hard answer about what runs inside, so it outranks softmatches.
 * Unless the first pass ends unnamed and retry.c takes the port up again. */
static void finish_best(svc_job *job)
{
    int hl = job->have_hard ? ps_info_level(&job->hard) : 0, sl = job->have_soft ? ps_info_level(&job->soft) : 0,
        rl = job->have_rec ? ps_info_level(&job->rec) : 0;
    int only_ssl = job->have_ssl && !job->ssl_inner && job->tls != TLS_OK && !job->have_hard && !job->have_soft &&
                   rl < 2;
    int wrapped = job->wrapped && !job->any_bytes && job->tls != TLS_OK && !job->have_ssl;
    enum ps_svc_status st = wrapped ? PS_SVC_TCPWRAPPED : PS_SVC_UNKNOWN;
    if (job->have_hard || job->have_soft || job->have_rec || job->have_ssl)
        st = PS_SVC_MATCH;
    if (st != PS_SVC_MATCH || only_ssl) {
        if (svc_retry_begin(job, st, only_ssl))
            return;
    }
    if (job->have_hard && hl >= sl && hl >= rl)
        report(job, &job->hard, job->hard_probe, job->hard_tls, PS_SVC_MATCH);
    else if (rl >= 2 && rl > sl && rl > hl)
        report(job, &job->rec, job->rec_probe, job->rec_track, PS_SVC_MATCH);
    else if (job->have_ssl && job->ssl_inner && job->ssl_rc == 2)
        report(job, &job->ssl, job->ssl_probe, 1, PS_SVC_MATCH);
    else if (job->have_soft)
        report(job, &job->soft, job->soft_probe, job->soft_track == 1, PS_SVC_SOFT);
    else if (job->have_ssl && job->ssl_inner)
        report(job, &job->ssl, job->ssl_probe, 1, PS_SVC_SOFT);
    else if (job->have_ssl && job->tls != TLS_OK)
        report(job, &job->ssl, job->ssl_probe, 0, job->ssl_rc == 2 ? PS_SVC_MATCH : PS_SVC_SOFT);
    else if (job->have_rec) /* the shape of a reply named the protocol */
        report(job, &job->rec, job->rec_probe, job->rec_track, PS_SVC_SOFT);
    else {
        memset(&job->r.info, 0, sizeof job->r.info);
        finish(job, st);
    }
    if (only_ssl && job->pass)
        job->r.pass = PS_SVC_GAVE_UP; /* it never got inside */
}

/* Something suggests TLS: try it, and hold the plain track meanwhile. */
static void tls_hint(svc_job *job)
{
    if (!job->eng->o.tls || job->r.proto != PS_TCP)
        return;
    svc_job_tls_begin(job);
    if (job->tls == TLS_TRYING && job->tr[0].st == TRACK_RUN)
        job->tr[0].st = TRACK_PAUSED;
}

static void tls_failed(svc_job *job)
{
    job->tls = TLS_FAILED;
    job->tr[1].st = TRACK_STOP;
    while (job->tr[1].lanes) {
        for (svc_lane *l = job->lanes; l; l = l->next)
            if (l->track == 1) {
                svc_lane_close(l);
                break;
            }
    }
    if (job->tr[0].st == TRACK_PAUSED)
        job->tr[0].st = TRACK_RUN;
}

const char *svc_job_only(const svc_job *job)
{
    return job->have_soft ? job->soft.service : job->have_hard ? job->hard.service : NULL;
}

/* After a softmatch or a hard match without a version, step over probes
 * that cannot name that service. */
static void skip_hopeless(svc_job *job, svc_track *t)
{
    const char *only = svc_job_only(job);
    if (!only)
        return;
    while (t->next < t->n && !ps_probe_can_match(t->plan[t->next], only))
        t->next++;
}

int svc_job_pick_track(svc_job *job)
{
    int room = svc_flow_room(&job->flow);
    if (job->done || job->hold || job->nlanes >= job->eng->o.probes_per_port || job->nlanes >= room)
        return -1;
    if (job->pass) {
        int r = svc_retry_pick(job);
        if (r != 2)
            return r;
    }
    svc_track *p = &job->tr[0], *t = &job->tr[1];
    skip_hopeless(job, p);
    if (job->tls == TLS_OK)
        skip_hopeless(job, t);
    int can0 = p->st == TRACK_RUN && p->next < p->n;
    int can1 = t->st == TRACK_RUN && t->next < t->n &&
               (job->tls == TLS_OK || (job->tls == TLS_TRYING && t->next == 0));
    if (can0 && p->next == 0)
        return 0; /* the NULL probe first: most services name themselves there */
    if (can1)
        return 1;
    return can0 ? 0 : -1;
}

/* Keep the first bytes of the most telling reply: the earliest probe in
 * plan order, and a TLS track reply over any plain one. */
static void capture_banner(svc_job *job, const svc_lane *l)
{
    if (l->len == 0)
        return;
    if (job->r.banner_len) {
        int better = l->track > job->banner_track ||
                     (l->track == job->banner_track && l->plan_i < job->banner_rank);
        if (!better)
            return;
    }
    size_t n = l->len < sizeof job->r.banner ? l->len : sizeof job->r.banner;
    memcpy(job->r.banner, l->buf, n);
    job->r.banner_len = n;
    job->banner_track = l->track;
    job->banner_rank = l->plan_i;
    job->r.probe = ps_probe_name(l->probe);
}

/* 1 for "ssl" / "tls" (it speaks TLS, nothing more), 2 for "ssl/NAME". */
static int names_ssl(const ps_service_info *info)
{
    if (strcasecmp(info->service, "ssl") == 0 || strcasecmp(info->service, "tls") == 0)
        return 1;
    return strncasecmp(info->service, "ssl/", 4) == 0 && info->service[4] ? 2 : 0;
}

/* info without the "ssl/" of an "ssl/NAME" service. */
static ps_service_info strip_ssl(const ps_service_info *info)
{
    ps_service_info in = *info;
    if (names_ssl(info) == 2)
        memmove(in.service, in.service + 4, strlen(in.service + 4) + 1);
    return in;
}

/* A more specific answer keeps what a less specific one of the same
 * service knew and it does not (the host name from SNMP's sysDescr, say). */
static void keep_details(ps_service_info *to, const ps_service_info *from)
{
    if (strcmp(to->service, from->service) != 0) return;
    if (!to->info[0]) memcpy(to->info, from->info, sizeof to->info);
    if (!to->hostname[0]) memcpy(to->hostname, from->hostname, sizeof to->hostname);
    if (!to->ostype[0]) memcpy(to->ostype, from->ostype, sizeof to->ostype);
    if (!to->devicetype[0]) memcpy(to->devicetype, from->devicetype, sizeof to->devicetype);
}

/* Close the lanes (other than l) that have heard nothing and whose probe
 * cannot name the service found: they can only add waiting. */
static void drop_hopeless_lanes(svc_job *job, const svc_lane *l, const char *only)
{
    for (svc_lane *p = job->lanes, *nx; p; p = nx) {
        nx = p->next;
        if (p != l && p->len == 0 && !ps_probe_can_match(p->probe, only))
            svc_lane_close(p);
    }
}

int svc_job_on_match(svc_job *job, svc_lane *l, int rc, const ps_service_info *info)
{
    if (rc <= 0 || job->done)
        return job->done;
    if (l->track == 0 && job->tls == TLS_OK)
        return 0; /* a straggler from before the handshake */
    int kind = names_ssl(info);
    ps_service_info in = strip_ssl(info);
    if (l->track == 0 && kind && job->eng->o.tls && job->r.proto == PS_TCP &&
        job->tls != TLS_FAILED) {
        /* Remember it, and look inside: the handshake gives the certificate
         * and the probes inside TLS may name more. */
        int better = !job->have_ssl || (kind == 2 && !job->ssl_inner) ||
                     (kind == 2 && rc > job->ssl_rc);
        if (better) {
            job->have_ssl = 1;
            job->ssl = in;
            job->ssl_rc = rc;
            job->ssl_inner = kind == 2;
            job->ssl_probe = ps_probe_name(l->probe);
        }
        tls_hint(job);
        return 0;
    }
    capture_banner(job, l);
    int tls = l->track == 1 || kind == 2, lv = ps_info_level(&in);
    if (rc == 2 && lv >= 3) {
        report(job, &in, ps_probe_name(l->probe), tls, PS_SVC_MATCH);
        return 1;
    }
    if (rc == 2) {
        /* Named, but without a version: keep it, and let the probes that
         * can name this service say more (another database's, a later
         * probe's).  Lanes that can add nothing stop now.  With a product,
         * only the probes already under way may: most services that name
         * themselves without a version have none to give, and the port
         * should not cost more probes for it. */
        if (!job->have_hard || lv > ps_info_level(&job->hard)) {
            if (job->have_hard) keep_details(&in, &job->hard);
            job->have_hard = 1;
            job->hard = in;
            job->hard_probe = ps_probe_name(l->probe);
            job->hard_tls = tls;
        }
        if (lv >= 2) job->hold = 1;
        drop_hopeless_lanes(job, l, in.service);
        return 0;
    }
    if (!job->have_soft || lv > ps_info_level(&job->soft)) {
        job->have_soft = 1;
        job->soft = in;
        job->soft_probe = ps_probe_name(l->probe);
        job->soft_track = tls;
    }
    return 0;
}

int svc_job_on_recog(svc_job *job, svc_lane *l, const ps_service_info *info)
{
    if (job->done || (l->track == 0 && job->tls == TLS_OK))
        return job->done;
    capture_banner(job, l);
    if (job->have_rec && ps_info_level(info) <= ps_info_level(&job->rec))
        return 0;
    job->have_rec = 1;
    job->rec = *info;
    job->rec_probe = ps_probe_name(l->probe);
    job->rec_track = l->track == 1;
    return 0;
}

void svc_job_seen_bytes(svc_job *job, svc_lane *l)
{
    job->any_bytes = 1;
    job->tr[l->track].bytes = 1;
    if (l->track == 0 && l->matched_at == 0 && ps_tls_looks_like(l->buf, l->len))
        tls_hint(job);
}

void svc_job_tls_ok(svc_job *job, svc_lane *l)
{
    if (job->tls == TLS_OK || job->done)
        return;
    job->tls = TLS_OK;
    job->r.tls = 1;
    job->r.has_cert = ps_tls_info_get(&l->c, &job->r.cert) == 1;
    job->tr[0].st = TRACK_STOP;
    for (svc_lane *p = job->lanes, *nx; p; p = nx) {
        nx = p->next;
        if (p->track == 0)
            svc_lane_close(p);
    }
    if (job->have_soft && job->soft_track == 0)
        job->have_soft = 0;
    if (job->have_hard && !job->hard_tls)
        job->have_hard = 0;
    if (job->have_rec && !job->rec_track)
        job->have_rec = 0;
    if (job->banner_track == 0) {
        job->r.banner_len = 0;
        job->r.probe = NULL;
    }
    if (job->pass && job->stage == RETRY_PROBE)
        svc_retry_escalate(job); /* inside at last: the plan, now */
}

/* Called whenever a lane ended and nothing finished the job yet. */
static void check_exhausted(svc_job *job)
{
    if (job->done || job->nlanes > 0 || svc_job_pick_track(job) >= 0)
        return;
    if (job->pass && job->stage == RETRY_PROBE && svc_retry_escalate(job) && svc_job_pick_track(job) >= 0)
        return;
    if (job->tls == TLS_NONE && job->eng->o.tls && job->r.proto == PS_TCP &&
        job->connected_once && !job->tr[0].bytes && !job->have_soft && !job->have_hard) {
        svc_job_tls_begin(job); /* silent to every plain probe: maybe it waits for a ClientHello */
        if (svc_job_pick_track(job) >= 0)
            return;
    }
    finish_best(job);
}

void svc_job_lane_done(svc_job *job, svc_lane *l, enum lane_end why)
{
    struct ps_svc_engine *eng = job->eng;
    if (job->done)
        return;
    switch (why) {
    case END_CONNFAIL:
        if (l->c.err == ETIMEDOUT) {
            /* Filtered since the port scan, or a backlog that drops SYNs:
             * without a first connection this pass is over (the retry
             * tries again, patiently). */
            svc_flow_trouble(l, PS_WHY_CONNECT);
            if (!job->connected_once)
                job->tr[0].st = job->tr[1].st = TRACK_STOP;
            if (l->track == 1)
                job->tls_late = 1;
        } else if (!job->connected_once) {
            finish(job, l->c.err == ECONNREFUSED ? PS_SVC_CLOSED : PS_SVC_UNKNOWN);
            return;
        } else {
            svc_flow_trouble(l, PS_WHY_REFUSED);
        }
        if (l->track == 1 && job->tls == TLS_TRYING)
            tls_failed(job);
        break;
    case END_HSFAIL:
        if (l->c.err == ETIMEDOUT) {
            job->tls_late = 1; /* slow is not "no" */
            svc_flow_trouble(l, PS_WHY_HANDSHAKE);
        }
        if (job->tls == TLS_TRYING)
            tls_failed(job);
        break;
    case END_EOF:
    case END_RESET:
        if (job->r.proto == PS_UDP && l->c.err == ECONNREFUSED && !job->any_bytes) {
            finish(job, PS_SVC_CLOSED);
            return;
        }
        if (l->track == 0 && l->len == 0 && svc_is_null_probe(l->probe) && l->t_conn &&
            eng->now - l->t_conn < eng->wrapped_us && job->tls != TLS_OK) {
            if (job->any_bytes) {
                svc_flow_trouble(l, PS_WHY_DROPPED); /* it talks, but not on this one */
            } else if (job->pass) {
                finish(job, PS_SVC_TCPWRAPPED); /* closed empty twice: it is */
                return;
            } else {
                /* A wrapper closing, or a server shedding load: no more
                 * probes now; the retry asks once more, alone. */
                job->wrapped = 1;
                svc_flow_trouble(l, PS_WHY_DROPPED);
                job->tr[0].st = TRACK_STOP;
                if (job->tls != TLS_TRYING)
                    job->tr[1].st = TRACK_STOP;
            }
        }
        /* fall through */
    case END_REPLY:
        if (!(l->track == 0 && job->tls == TLS_OK))
            capture_banner(job, l);
        break;
    }
    check_exhausted(job);
}

void svc_job_expire(svc_job *job)
{
    for (svc_lane *l = job->lanes; l; l = l->next)
        if (!(l->track == 0 && job->tls == TLS_OK))
            capture_banner(job, l);
    finish_best(job);
}

svc_job *svc_job_new(struct ps_svc_engine *eng, svc_host *h, svc_pending *p)
{
    svc_job *job = calloc(1, sizeof *job);
    if (!job)
        return NULL;
    job->eng = eng;
    job->host = h;
    job->r.addr = h->addr;
    job->r.port = p->port;
    job->r.proto = p->proto;
    job->r.rtt_ms = -1;
    job->sni = p->sni;
    p->sni = NULL;
    job->t_start = eng->now;
    job->deadline = eng->now + (int64_t)eng->o.port_timeout_ms * 1000;
    svc_flow_init(&job->flow, SVC_JOB_WINDOW0, eng->o.probes_per_port);
    job->next = h->jobs;
    if (h->jobs)
        h->jobs->prev = job;
    h->jobs = job;
    h->njobs++;
    eng->njobs++;

    if (ps_probedb_excluded(eng->db, p->proto, p->port)) {
        finish(job, PS_SVC_UNKNOWN);
        return job;
    }
    svc_track *t = &job->tr[0];
    t->plan = malloc(eng->nprobes * sizeof *t->plan + 1);
    if (t->plan)
        t->n = ps_svc_plan(eng->db, p->proto, p->port, 0, eng->o.intensity, t->plan, eng->nprobes);
    if (t->n == 0) {
        finish(job, PS_SVC_UNKNOWN);
        return job;
    }
    t->st = TRACK_RUN;
    if (eng->o.tls && p->proto == PS_TCP) {
        for (size_t i = 0; i < eng->nprobes; i++) {
            const ps_probe *q = ps_probedb_get(eng->db, i);
            if (ps_probe_proto(q) == PS_TCP && ps_probe_on_sslport(q, p->port)) {
                svc_job_tls_begin(job); /* beside the plain track, not instead */
                break;
            }
        }
    }
    return job;
}

void svc_job_report_free(svc_job *job)
{
    struct ps_svc_engine *eng = job->eng;
    job->r.rtt_ms = job->rtt_us ? (double)job->rtt_us / 1000.0 : -1.0;
    job->r.elapsed_ms = (double)(eng->now - job->t_start) / 1000.0;
    if (job->r.status == PS_SVC_CLOSED || job->r.status == PS_SVC_TCPWRAPPED) {
        job->r.probe = NULL;
        job->r.banner_len = 0;
    }
    eng->cb(eng->ctx, &job->r);
    free(job->tr[0].plan);
    free(job->tr[1].plan);
    free(job->sni);
    free(job);
}
