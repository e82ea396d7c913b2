/* audit_writer.c: -oH FILE and -oU FILE, the HTML and JUnit reports
 * written straight from a scan.  Both keep the audit document (audit.h)
 * as hosts complete, with the --expect policy's checks when the scan has
 * one, and write the whole report at the end (a report shows its summary
 * first; an interrupted scan still ends here).  JUnit is the policy's
 * result, so -oU needs --expect. */
#include <stdlib.h>
#include <string.h>

#include "pscan/audit.h"
#include "pscan/output.h"

struct doc_writer {
    ps_audit a;
    ps_policy *pol;
    int junit;
    ps_err err;
    int failed;
};

static int doc_open(ps_writer *w, const char *path, int junit, ps_err *e)
{
    (void)path;
    struct doc_writer *d = calloc(1, sizeof *d);
    if (!d) return ps_fail(e, PS_ERUNTIME, "out of memory");
    w->priv = d;
    d->junit = junit;
    ps_audit_init(&d->a);
    if (!w->cfg->expect_file) {
        if (junit) return ps_fail(e, PS_EINPUT, "-oU writes the results of a policy: add --expect FILE");
        return PS_OK;
    }
    int rc = ps_policy_load_file(&d->pol, w->cfg->expect_file, e);
    if (rc) return rc;
    d->a.policy = d->pol;
    d->a.policy_name = ps_audit_cstr(&d->a, w->cfg->expect_file);
    d->a.strict = w->cfg->expect_strict;
    d->a.scanned = w->ports;
    return PS_OK;
}

static int html_open(ps_writer *w, const char *path, ps_err *e)
{
    return doc_open(w, path, 0, e);
}

static int junit_open(ps_writer *w, const char *path, ps_err *e)
{
    return doc_open(w, path, 1, e);
}

static void doc_begin(ps_writer *w, const ps_scan_info *info)
{
    struct doc_writer *d = w->priv;
    ps_audit *a = &d->a;
    ps_audit_scan s;
    char when[48];
    memset(&s, 0, sizeof s);
    s.version = ps_audit_cstr(a, PSCAN_VERSION);
    s.start = ps_audit_cstr(a, ps_iso8601(&info->start, when, sizeof when));
    s.scan_type = ps_audit_cstr(a, info->scan_type);
    size_t len = 0;
    for (int i = 0; i < info->argc; i++) len += strlen(info->argv[i]) + 1;
    char *args = malloc(len + 1);
    if (args) {
        size_t n = 0;
        for (int i = 0; i < info->argc; i++) n += (size_t)sprintf(args + n, "%s%s", i ? " " : "", info->argv[i]);
        s.args = ps_audit_str(a, args, n);
        free(args);
    }
    s.hosts = info->nhosts;
    s.ports = info->nports;
    s.elapsed = -1;
    s.version_detect = w->cfg->version_detect;
    s.expect = w->cfg->expect_file != NULL;
    if (ps_audit_add_scan(a, &s, &d->err)) d->failed = 1;
}

static void doc_host(ps_writer *w, const ps_host_result *h)
{
    struct doc_writer *d = w->priv;
    if (!d->failed && ps_audit_add_host(&d->a, h, time(NULL), &d->err)) d->failed = 1;
}

static void doc_end(ps_writer *w, const ps_scan_summary *sum)
{
    struct doc_writer *d = w->priv;
    ps_audit *a = &d->a;
    if (a->nscans) {
        ps_audit_scan *s = &a->scans[a->nscans - 1];
        s->have_summary = !d->failed;
        s->elapsed = sum->elapsed_s;
        s->hosts_up = sum->hosts_up;
        if (sum->hosts) s->hosts = sum->hosts;
    }
    ps_err e = {{0}};
    if (d->junit) ps_audit_junit(a, w->fp, &e);
    else ps_audit_html(a, w->fp, &e);
}

static void doc_close(ps_writer *w)
{
    struct doc_writer *d = w->priv;
    if (!d) return;
    ps_audit_free(&d->a);
    ps_policy_free(d->pol);
    free(d);
    w->priv = NULL;
}

const struct ps_writer_ops ps_out_html = {
    .name = "html",
    .open = html_open,
    .begin = doc_begin,
    .host = doc_host,
    .end = doc_end,
    .close = doc_close,
};

const struct ps_writer_ops ps_out_junit = {
    .name = "junit",
    .open = junit_open,
    .begin = doc_begin,
    .host = doc_host,
    .end = doc_end,
    .close = doc_close,
};
