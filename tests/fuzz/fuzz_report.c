/* fuzz_report.c: libFuzzer harness for pscan report's reader of JSON
 * Lines (src/audit/audit_read.c, audit_port.c) and the two reports it
 * feeds (src/output/audit_html.c, audit_junit.c).  `make fuzz` builds and
 * runs it over tests/fuzz/corpus/report.
 *
 * The input is a results file.  A policy with port and tls lines is
 * checked against it, so the checker runs on whatever the file holds.
 * Beyond memory safety: a failure is PS_EINPUT or PS_ERUNTIME with a
 * message that starts with the file name; a success yields an HTML page
 * in which nothing from the input became markup (exactly the report's own
 * one <style> and two <script> elements, no other element a hostile file
 * might try: img, svg, iframe, object) and JUnit XML with as many
 * <testcase as checks plus scans. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/audit/audit_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count(const char *hay, size_t n, const char *needle)
{
    size_t k = 0, l = strlen(needle);
    for (const char *p = hay; (p = memmem(p, n - (size_t)(p - hay), needle, l)); p += l) k++;
    return k;
}

static ps_policy *policy(void)
{
    static const char text[] = "198.18.0.0/16 22 443\n127.0.0.1 T:80 U:53\ntls * 443,8443 min-days=30 "
                               "min-version=TLSv1.2\n* none\n";
    FILE *f = fmemopen((void *)(uintptr_t)text, sizeof text - 1, "r");
    ps_policy *p = NULL;
    ps_err e;
    if (!f || ps_policy_load_stream(&p, f, "policy", &e)) abort();
    fclose(f);
    return p;
}

static void render(ps_audit *a)
{
    char *buf = NULL;
    size_t n = 0;
    ps_err e;
    FILE *m = open_memstream(&buf, &n);
    if (!m || ps_audit_html(a, m, &e)) abort();
    fclose(m);
    if (count(buf, n, "<style") != 1 || count(buf, n, "<script") != 2) abort();
    if (count(buf, n, "<img") || count(buf, n, "<svg") || count(buf, n, "<iframe") || count(buf, n, "<object")) abort();
    free(buf);
    m = open_memstream(&buf, &n);
    if (!m || ps_audit_junit(a, m, &e)) abort();
    fclose(m);
    if (count(buf, n, "<testcase ") != a->nchecks + (a->nscans ? a->nscans : 1)) abort();
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ps_policy *pol;
    if (!pol) pol = policy();
    ps_audit a;
    ps_err e = {{0}};
    ps_audit_init(&a);
    a.policy = pol;
    a.policy_name = ps_audit_cstr(&a, "policy");
    int rc = ps_audit_read_jsonl(&a, (const char *)data, size, "fuzz", &e);
    if (rc) {
        if ((rc != PS_EINPUT && rc != PS_ERUNTIME) || strncmp(e.msg, "fuzz", 4) != 0) abort();
    } else {
        render(&a);
    }
    ps_audit_free(&a);
    return 0;
}
