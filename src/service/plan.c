/* plan.c: which probes a port gets, and in what order.
 *
 * The order is the bet that decides how fast a service is named:
 *
 *   1. the NULL probe (TCP only): send nothing, listen.  Banner-first
 *      protocols (SSH, SMTP, FTP, MySQL...) name themselves here;
 *   2. the probes whose `ports` list holds the port (`sslports` once inside
 *      TLS), in database order: the registry's best guess for the port;
 *   3. every other probe of rarity <= intensity, rarest-last (rarity 1
 *      first), database order among equals.
 *
 * Probes of step 2 are tried whatever their rarity: naming a port is the
 * database's way of saying the probe is worth it there.  Intensity 0 is
 * thus "NULL probe plus the port's own probes".  The engine runs the plan
 * on several connections at once, so "order" is the order probes start,
 * not a strict sequence; a softmatch narrows what later replies may match
 * (see engine.c). */
#include <stdlib.h>
#include <string.h>

#include "svc.h"

int svc_is_null_probe(const ps_probe *p)
{
    size_t len = 0;
    const char *n = ps_probe_name(p);
    ps_probe_payload(p, &len);
    return len == 0 && n && strcmp(n, "NULL") == 0;
}

static int listed(const ps_probe *p, uint16_t port, int tls)
{
    return tls ? ps_probe_on_sslport(p, port) : ps_probe_on_port(p, port);
}

size_t ps_svc_plan(const ps_probedb *db, enum ps_proto proto, uint16_t port, int tls,
                   int intensity, const ps_probe **out, size_t max)
{
    size_t n = 0, count = ps_probedb_count(db);
    if (intensity < 0)
        intensity = 0;
    if (intensity > 9)
        intensity = 9;

    for (size_t i = 0; i < count && n < max; i++) {
        const ps_probe *p = ps_probedb_get(db, i);
        if (ps_probe_proto(p) == proto && proto == PS_TCP && svc_is_null_probe(p)) {
            out[n++] = p;
            break;
        }
    }
    for (size_t i = 0; i < count && n < max; i++) {
        const ps_probe *p = ps_probedb_get(db, i);
        if (ps_probe_proto(p) == proto && !svc_is_null_probe(p) && listed(p, port, tls))
            out[n++] = p;
    }
    for (int r = 1; r <= 9 && n < max; r++) {
        for (size_t i = 0; i < count && n < max; i++) {
            const ps_probe *p = ps_probedb_get(db, i);
            int rar = ps_probe_rarity(p);
            if (rar < 1)
                rar = 1;
            if (rar > 9)
                rar = 9;
            if (rar != r || rar > intensity || ps_probe_proto(p) != proto || svc_is_null_probe(p) ||
                listed(p, port, tls))
                continue;
            out[n++] = p;
        }
    }
    return n;
}

/* The TLS track of a job: its plan (sslports first), built on first use. */
void svc_job_tls_begin(svc_job *job)
{
    if (job->tls != TLS_NONE)
        return;
    svc_track *t = &job->tr[1];
    if (!t->plan)
        t->plan = malloc(job->eng->nprobes * sizeof *t->plan + 1);
    if (!t->plan) {
        job->tls = TLS_FAILED;
        return;
    }
    t->n = ps_svc_plan(job->eng->db, PS_TCP, job->r.port, 1, job->eng->o.intensity, t->plan,
                       job->eng->nprobes);
    if (t->n == 0) {
        job->tls = TLS_FAILED;
        return;
    }
    t->st = TRACK_RUN;
    job->tls = TLS_TRYING;
}
