/* trace.c: --version-trace, the story of every lane on one line each:
 *
 *   sv 0.412 198.18.0.5:993 tls NULL: connected in 0.3 ms
 *   sv 3.905 198.18.0.5:993 retry tls NULL: 24 bytes after 2.1 ms
 *
 * seconds since the engine started, the port, "retry" on the second pass,
 * the track and probe, then what happened.  It is for people finding out
 * why a port was named as it was; nothing reads it. */
#include <stdarg.h>
#include <stdio.h>

#include "svc.h"

static void head(FILE *fp, const svc_job *job)
{
    char ip[PS_ADDRSTRLEN];
    const struct ps_svc_engine *eng = job->eng;
    fprintf(fp, "sv %.3f %s:%u/%s %s", (double)(eng->now - eng->t0) / 1e6,
            ps_addr_str(&job->r.addr, ip, sizeof ip), job->r.port, ps_proto_name(job->r.proto),
            job->pass ? "retry " : "");
}

/* One whole line among the other threads' output: the head, the lane's
 * track and probe when there is a lane, the text. */
static void line(const svc_job *job, const svc_lane *l, const char *fmt, va_list ap)
{
    FILE *fp = job->eng->o.trace;
    flockfile(fp);
    head(fp, job);
    if (l)
        fprintf(fp, "%s %s: ", l->track ? "tls" : "tcp", ps_probe_name(l->probe));
    vfprintf(fp, fmt, ap);
    fputc('\n', fp);
    funlockfile(fp);
}

void svc_trace(const svc_lane *l, const char *fmt, ...)
{
    if (!l->eng->o.trace)
        return;
    va_list ap;
    va_start(ap, fmt);
    line(l->job, l, fmt, ap);
    va_end(ap);
}

void svc_trace_job(const svc_job *job, const char *fmt, ...)
{
    if (!job->eng->o.trace)
        return;
    va_list ap;
    va_start(ap, fmt);
    line(job, NULL, fmt, ap);
    va_end(ap);
}
