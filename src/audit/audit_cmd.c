/* audit_cmd.c: `pscan report` (audit_cmd.h): the command line, reading the
 * inputs once (standard input cannot be read twice: the document and the
 * baseline comparison share the bytes), and writing the report.
 *
 * Exit status: 0 the report is written; 3 it is written and the --expect
 * policy is violated (as a scan with --expect would exit); 1 bad usage or
 * input (a malformed file: the message names file and line); 2 writing
 * failed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pscan/audit_cmd.h"
#include "pscan/diff.h"

#include "audit_int.h"

enum { MAX_INPUTS = 4096 };

static const char usage[] =
    "usage: pscan report (--html | --junit) [-o FILE] [--baseline OLD] [--expect POLICY [--expect-strict]] "
    "SCAN.jsonl...\n";

static const char help[] =
    "Make an audit report from pscan's JSON Lines results (-oJ), one file or many (a sharded scan's parts).\n"
    "  --html             a self-contained HTML report: findings, summary, certificates, every open port\n"
    "  --junit            the --expect policy's checks as JUnit XML, for CI systems (needs --expect)\n"
    "  -o FILE            write to FILE (default: standard output)\n"
    "  --baseline OLD     add what changed since OLD (-oJ or XML), as pscan diff OLD SCAN... says\n"
    "  --expect POLICY    check the results against a policy (docs/ci.md); --expect-strict as in a scan\n"
    "'-' reads standard input.  Exit status: 0 written, 3 written and the policy violated, 1 bad input, 2 error.\n";

struct opts {
    int html, junit, strict, help;
    const char *out, *baseline, *expect;
    char *inputs[MAX_INPUTS];
    int n;
};

static int need_arg(int argc, char **argv, int *i, const char **dst, ps_err *e)
{
    if (*i + 1 >= argc) return ps_fail(e, PS_EINPUT, "%s needs an argument", argv[*i]);
    *dst = argv[++*i];
    return PS_OK;
}

static int parse(struct opts *o, int argc, char **argv, ps_err *e)
{
    int rc = PS_OK, stdin_used = 0;
    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--html") == 0) o->html = 1;
        else if (strcmp(a, "--junit") == 0) o->junit = 1;
        else if (strcmp(a, "--expect-strict") == 0) o->strict = 1;
        else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) o->help = 1;
        else if (strcmp(a, "-o") == 0) rc = need_arg(argc, argv, &i, &o->out, e);
        else if (strcmp(a, "--baseline") == 0) rc = need_arg(argc, argv, &i, &o->baseline, e);
        else if (strcmp(a, "--expect") == 0) rc = need_arg(argc, argv, &i, &o->expect, e);
        else if (a[0] == '-' && a[1]) rc = ps_fail(e, PS_EINPUT, "unknown option '%s' (pscan report --help)", a);
        else if (o->n == MAX_INPUTS) rc = ps_fail(e, PS_EINPUT, "more than %d input files", MAX_INPUTS);
        else {
            if (strcmp(a, "-") == 0 && stdin_used++) return ps_fail(e, PS_EINPUT, "'-' (standard input) given twice");
            o->inputs[o->n++] = argv[i];
        }
    }
    if (rc || o->help) return rc;
    if (o->html + o->junit != 1) return ps_fail(e, PS_EINPUT, "give one of --html and --junit (pscan report --help)");
    if (!o->n) return ps_fail(e, PS_EINPUT, "no result file to report on (pscan report --help)");
    if (o->junit && !o->expect) return ps_fail(e, PS_EINPUT, "--junit writes the checks of a policy: add --expect FILE");
    if (o->strict && !o->expect) return ps_fail(e, PS_EINPUT, "--expect-strict needs --expect FILE");
    if (o->baseline && strcmp(o->baseline, "-") == 0 && stdin_used)
        return ps_fail(e, PS_EINPUT, "only one of the baseline and the inputs can be '-'");
    return PS_OK;
}

/* Write the report to o->out ("-" or none: standard output). */
static int write_report(const struct opts *o, ps_audit *a, ps_err *e)
{
    int to_stdout = !o->out || strcmp(o->out, "-") == 0;
    FILE *fp = to_stdout ? stdout : fopen(o->out, "w");
    if (!fp) return ps_fail(e, PS_EINPUT, "cannot write '%s': %s", o->out, strerror(errno));
    int rc = o->junit ? ps_audit_junit(a, fp, e) : ps_audit_html(a, fp, e);
    if (!to_stdout) {
        if (fclose(fp) && !rc) rc = ps_fail(e, PS_ERUNTIME, "writing '%s' failed: %s", o->out, strerror(errno));
        if (rc) unlink(o->out);
    }
    return rc;
}

static int run(const struct opts *o, ps_audit *a, char **bufs, size_t *lens, ps_err *e)
{
    ps_policy *pol = NULL;
    int rc = PS_OK;
    if (o->expect) {
        if ((rc = ps_policy_load_file(&pol, o->expect, e))) return rc;
        a->policy = pol;
        a->policy_name = ps_audit_cstr(a, o->expect);
        a->strict = o->strict;
    }
    for (int i = 0; i < o->n && !rc; i++) {
        rc = ps_diff_load(o->inputs[i], &bufs[i], &lens[i], e);
        if (!rc) rc = ps_audit_read_jsonl(a, bufs[i] ? bufs[i] : "", lens[i], o->inputs[i], e);
    }
    if (!rc && o->baseline) rc = ps_audit_baseline(a, o->baseline, bufs, lens, o->inputs, o->n, e);
    if (!rc) rc = write_report(o, a, e);
    if (!rc && pol) {
        ps_audit_totals t;
        ps_audit_totals_get(a, &t);
        rc = t.failed ? 3 : 0;
    }
    ps_policy_free(pol);
    return rc;
}

int ps_audit_main(int argc, char **argv, ps_err *e)
{
    struct opts *o = calloc(1, sizeof *o);
    if (!o) return ps_fail(e, PS_ERUNTIME, "out of memory");
    int rc = parse(o, argc, argv, e);
    if (!rc && o->help) {
        fputs(usage, stdout);
        fputs(help, stdout);
    } else if (!rc) {
        char **bufs = calloc((size_t)o->n, sizeof *bufs);
        size_t *lens = calloc((size_t)o->n, sizeof *lens);
        ps_audit a;
        ps_audit_init(&a);
        rc = bufs && lens ? run(o, &a, bufs, lens, e) : ps_fail(e, PS_ERUNTIME, "out of memory");
        for (int i = 0; bufs && i < o->n; i++) free(bufs[i]);
        free(bufs);
        free(lens);
        ps_audit_free(&a);
    }
    free(o);
    return rc;
}
