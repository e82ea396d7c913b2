/* audit_junit.c: the --expect policy's checks as JUnit XML (-oU, pscan
 * report --junit), the format GitLab, Jenkins, GitHub Actions reporters
 * and most CI systems show as test results:
 *
 *   <testsuites name="pscan" tests= failures= errors= time=>
 *     <testsuite name="scans">  one test case per scan: complete, or an
 *                               error when its file has no summary (cut short)
 *     <testsuite name="HOST">   per host, one test case per check of
 *                               policy_check.c: each open port (allowed, or
 *                               a failure "unexpected-port"), each expected
 *                               port that is not open (--expect-strict,
 *                               "missing-port"), each tls requirement
 *                               ("certificate-expiry", "tls-version")
 *
 * Attributes follow the common JUnit schema (Ant's, which Jenkins uses):
 * every testsuite has id, package, timestamp, hostname, properties and
 * system-out/-err.  docs/junit.xsd is the schema the tests validate with.
 * Every value is escaped for XML (PS_ESC_XML). */
#include <string.h>

#include "pscan/audit.h"
#include "pscan/escape.h"
#include "pscan/output.h"

#define X(s) ps_esc_puts(fp, (s), PS_ESC_XML)

static const char *failure_type(int kind)
{
    switch (kind) {
    case PS_CHECK_OPEN: return "unexpected-port";
    case PS_CHECK_EXPECTED: return "missing-port";
    case PS_CHECK_CERT_DAYS: return "certificate-expiry";
    default: return "tls-version";
    }
}

static void suite_open(FILE *fp, const ps_audit *a, int id, const char *name, size_t tests, size_t failures,
                       size_t errors, const char *stamp)
{
    fprintf(fp, "  <testsuite id=\"%d\" package=\"pscan\" name=\"", id);
    X(name);
    fprintf(fp, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"0\" time=\"0\" timestamp=\"%s\" "
            "hostname=\"", tests, failures, errors, stamp);
    X(name);
    fputs("\">\n    <properties>\n      <property name=\"policy\" value=\"", fp);
    X(ps_audit_s(a, a->policy_name));
    fprintf(fp, "\"/>\n      <property name=\"strict\" value=\"%s\"/>\n    </properties>\n",
            a->strict ? "true" : "false");
}

static void suite_close(FILE *fp)
{
    fputs("    <system-out></system-out>\n    <system-err></system-err>\n  </testsuite>\n", fp);
}

static void scan_suite(FILE *fp, const ps_audit *a, const char *stamp)
{
    size_t errors = 0;
    for (size_t i = 0; i < a->nscans; i++) errors += !a->scans[i].have_summary;
    suite_open(fp, a, 0, "scans", a->nscans ? a->nscans : 1, 0, errors, stamp);
    if (!a->nscans) fputs("    <testcase classname=\"pscan.scans\" name=\"scan results read\" time=\"0\"/>\n", fp);
    for (size_t i = 0; i < a->nscans; i++) {
        const ps_audit_scan *s = &a->scans[i];
        fprintf(fp, "    <testcase classname=\"pscan.scans\" name=\"scan %zu complete", i + 1);
        if (s->source) {
            fputs(" (", fp);
            X(ps_audit_s(a, s->source));
            fputc(')', fp);
        }
        fprintf(fp, "\" time=\"%.3f\">\n", s->elapsed >= 0 ? s->elapsed : 0.0);
        if (!s->have_summary)
            fputs("      <error type=\"incomplete-scan\" message=\"the results end without a summary: the scan was "
                  "cut short\"/>\n", fp);
        fputs("      <system-out>", fp);
        X(ps_audit_s(a, s->args));
        fputs("</system-out>\n    </testcase>\n", fp);
    }
    suite_close(fp);
}

static void check_case(FILE *fp, const ps_audit *a, const ps_audit_check *c, const char *ip)
{
    fputs("    <testcase classname=\"pscan.", fp);
    X(ip);
    fputs("\" name=\"", fp);
    X(ps_audit_s(a, c->what));
    fputs("\" time=\"0\">\n", fp);
    if (c->failed) {
        fprintf(fp, "      <failure type=\"%s\" message=\"", failure_type(c->kind));
        X(ps_audit_s(a, c->message));
        fputs("\">", fp);
        X(ps_audit_s(a, c->message));
        fputs("</failure>\n", fp);
    } else {
        fputs("      <system-out>", fp);
        X(ps_audit_s(a, c->message));
        fputs("</system-out>\n", fp);
    }
    fputs("    </testcase>\n", fp);
}

int ps_audit_junit(ps_audit *a, FILE *fp, ps_err *e)
{
    ps_audit_totals t;
    char stamp[48];
    struct tm tm;
    ps_audit_sort(a);
    ps_audit_totals_get(a, &t);
    gmtime_r(&a->generated, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    size_t errors = 0;
    for (size_t i = 0; i < a->nscans; i++) errors += !a->scans[i].have_summary;
    fprintf(fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- pscan %s: policy checks as test results "
            "-->\n<testsuites name=\"pscan\" tests=\"%llu\" failures=\"%llu\" errors=\"%zu\" time=\"%.3f\">\n",
            PSCAN_VERSION, (unsigned long long)(t.checks + (a->nscans ? a->nscans : 1)),
            (unsigned long long)t.failed, errors, t.elapsed >= 0 ? t.elapsed : 0.0);
    scan_suite(fp, a, stamp);
    int id = 1;
    for (size_t i = 0; i < a->nchecks;) {
        size_t j = i, failed = 0;
        while (j < a->nchecks && ps_addr_cmp(&a->checks[j].host, &a->checks[i].host) == 0)
            failed += a->checks[j++].failed;
        char ip[PS_ADDRSTRLEN];
        ps_addr_str(&a->checks[i].host, ip, sizeof ip);
        suite_open(fp, a, id++, ip, j - i, failed, 0, stamp);
        for (size_t k = i; k < j; k++) check_case(fp, a, &a->checks[k], ip);
        suite_close(fp);
        i = j;
    }
    fputs("</testsuites>\n", fp);
    if (fflush(fp) || ferror(fp)) return ps_fail(e, PS_ERUNTIME, "writing the JUnit report failed");
    return PS_OK;
}
