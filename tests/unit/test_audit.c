/* test_audit.c: the audit document (pscan/audit.h), the HTML and JUnit
 * reports written from it, and pscan report's reader of JSON Lines
 * (src/audit/): services named as the writers name them, certificates
 * judged at the scan's time, the policy's checks, unknown types and
 * fields ignored, port lines of cut scans, errors naming file and line,
 * and nothing from a server reaching the HTML as markup. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit_int.h"
#include "pscan/output.h"
#include "unit.h"

static size_t count(const char *hay, const char *needle)
{
    size_t k = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) k++;
    return k;
}

static char *html_of(ps_audit *a)
{
    char *buf = NULL;
    size_t n = 0;
    ps_err e = {{0}};
    FILE *m = open_memstream(&buf, &n);
    CHECK(ps_audit_html(a, m, &e) == PS_OK, "%s", e.msg);
    fclose(m);
    return buf;
}

static char *junit_of(ps_audit *a)
{
    char *buf = NULL;
    size_t n = 0;
    ps_err e = {{0}};
    FILE *m = open_memstream(&buf, &n);
    CHECK(ps_audit_junit(a, m, &e) == PS_OK, "%s", e.msg);
    fclose(m);
    return buf;
}

static ps_policy *policy(const char *text)
{
    ps_policy *p = NULL;
    ps_err e = {{0}};
    FILE *f = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
    CHECK(ps_policy_load_stream(&p, f, "p.txt", &e) == PS_OK, "%s", e.msg);
    fclose(f);
    return p;
}

static const char JSONL[] =
    "{\"schema\":1,\"type\":\"scan\",\"time\":\"2026-01-01T00:00:00.000Z\",\"version\":\"0.1.0\","
    "\"start\":\"2026-01-01T00:00:00.000Z\",\"scan_type\":\"syn\",\"args\":[\"pscan\",\"-sV\",\"--expect\",\"p\"],"
    "\"hosts\":256,\"ports\":3,\"version_detect\":true,\"new_field\":[1,{\"x\":null}]}\n"
    "{\"schema\":1,\"type\":\"shard\",\"part\":1}\n"
    "\n"
    "{\"schema\":1,\"type\":\"host\",\"time\":\"2026-01-01T00:00:00.000Z\",\"host\":\"198.18.0.5\","
    "\"hostname\":\"<b>web</b>\",\"status\":\"up\",\"ports\":["
    "{\"port\":2740,\"proto\":\"tcp\",\"state\":\"open\",\"reason\":\"syn-ack\",\"service_source\":\"probe\","
    "\"service\":{\"name\":\"ssh\",\"status\":\"match\",\"product\":\"OpenSSH\",\"version\":\"9.2p1\"}},"
    "{\"port\":443,\"proto\":\"tcp\",\"state\":\"open\",\"reason\":\"syn-ack\",\"service\":{\"name\":\"http\","
    "\"status\":\"match\",\"product\":\"<script>alert(1)</script>\",\"tls\":{\"version\":\"TLSv1.1\","
    "\"subject\":\"CN=\\\"><img src=x>\",\"not_after\":\"2026-01-11T00:00:00Z\"}}},"
    "{\"port\":8080,\"proto\":\"tcp\",\"state\":\"open\",\"reason\":\"syn-ack\",\"service\":{\"name\":null,"
    "\"status\":\"unknown\",\"banner\":\"x\",\"banner_hex\":\"3c2f7464\"}},"
    "{\"port\":23,\"proto\":\"tcp\",\"state\":\"closed\",\"reason\":\"reset\"}]}\n"
    "{\"schema\":1,\"type\":\"port\",\"host\":\"198.18.0.5\",\"port\":9,\"proto\":\"tcp\",\"state\":\"open\"}\n"
    "{\"schema\":1,\"type\":\"port\",\"host\":\"198.18.0.7\",\"port\":22,\"proto\":\"tcp\",\"state\":\"open\"}\n"
    "{\"schema\":1,\"type\":\"summary\",\"elapsed\":2.5,\"hosts\":256,\"hosts_up\":1}\n";

static const ps_audit_port *find(const ps_audit *a, const char *host, int port)
{
    ps_addr h;
    ps_addr_parse(host, &h);
    for (size_t i = 0; i < a->nports; i++)
        if (a->ports[i].port == port && ps_addr_cmp(&a->ports[i].host, &h) == 0) return &a->ports[i];
    return NULL;
}

static void test_read(void)
{
    ps_audit a;
    ps_err e = {{0}};
    ps_audit_init(&a);
    ps_policy *p = policy("198.18.0.0/24 443\ntls 198.18.0.0/24 443 min-days=30 min-version=TLSv1.2\n");
    a.policy = p;
    a.policy_name = ps_audit_cstr(&a, "p.txt");
    CHECK(ps_audit_read_jsonl(&a, JSONL, strlen(JSONL), "r.jsonl", &e) == PS_OK, "%s", e.msg);
    ps_audit_sort(&a);
    CHECK(a.nscans == 1 && a.scans[0].have_summary && a.scans[0].expect && a.scans[0].elapsed == 2.5, "scan");
    CHECK(a.nhosts == 2 && a.nports == 4, "hosts %zu ports %zu (port line of .5 dropped, .7 kept)", a.nhosts, a.nports);
    const ps_audit_port *ssh = find(&a, "198.18.0.5", 2740), *tls = find(&a, "198.18.0.5", 443);
    const ps_audit_port *unk = find(&a, "198.18.0.5", 8080), *cut = find(&a, "198.18.0.7", 22);
    CHECK(ssh && (ssh->flags & PS_AP_MISMATCH) && strcmp(ps_audit_s(&a, ssh->registry), "alarm") == 0, "mismatch");
    CHECK(tls && strcmp(ps_audit_s(&a, tls->service), "ssl/http") == 0 && tls->days_left == 10, "tls %d",
          tls ? tls->days_left : 0);
    CHECK(unk && strcmp(ps_audit_s(&a, unk->service), "unknown") == 0 && strcmp(ps_audit_s(&a, unk->banner), "</td") == 0,
          "unknown: %s", unk ? ps_audit_s(&a, unk->service) : "");
    CHECK(cut && strcmp(ps_audit_s(&a, cut->service), "ssh") == 0, "a cut scan's port line");
    ps_audit_totals t;
    ps_audit_totals_get(&a, &t);
    /* .5: 2740, 8080 unexpected, 443 allowed, its days and version fail; .7: 22 unexpected. */
    CHECK(t.checks == 6 && t.failed == 5 && t.soon == 1 && t.expired == 0, "checks %llu failed %llu",
          (unsigned long long)t.checks, (unsigned long long)t.failed);

    char *h = html_of(&a);
    CHECK(count(h, "<script") == 2 && count(h, "<style") == 1, "own elements only");
    CHECK(!strstr(h, "<img") && !strstr(h, "<b>web"), "no markup from the file");
    CHECK(strstr(h, "&lt;script&gt;alert(1)&lt;/script&gt;") && strstr(h, "(&lt;b&gt;web&lt;/b&gt;)"), "escaped");
    CHECK(strstr(h, "said <code>&lt;/td</code>"), "banner shown as text");
    CHECK(strstr(h, "<td class=\"mm\">alarm <span class=\"tag warn\">differs</span>"), "registry and reality both");
    CHECK(strstr(h, "5 violations"), "findings first");
    free(h);
    char *j = junit_of(&a);
    CHECK(count(j, "<testcase ") == 7 && count(j, "<failure ") == 5, "junit: %zu cases", count(j, "<testcase "));
    CHECK(strstr(j, "name=\"443/tcp TLS TLSv1.2 or newer\""), "a case per tls requirement");
    CHECK(strstr(j, "type=\"tls-version\" message=\"443/tcp on 198.18.0.5 negotiated TLSv1.1;"), "failure message");
    free(j);
    ps_audit_free(&a);
    ps_policy_free(p);
}

static void expect_error(const char *text, const char *want)
{
    ps_audit a;
    ps_err e = {{0}};
    ps_audit_init(&a);
    int rc = ps_audit_read_jsonl(&a, text, strlen(text), "f.jsonl", &e);
    CHECK(rc == PS_EINPUT && strstr(e.msg, want), "%s: got '%s'", text, e.msg);
    ps_audit_free(&a);
}

static void test_errors(void)
{
    expect_error("", "f.jsonl: no JSON lines");
    expect_error("<nmaprun>", "f.jsonl: XML");
    expect_error("{\"type\":\"scan\"}\n{\"type\":\"host\"", "f.jsonl:2: column");
    expect_error("{\"schema\":2,\"type\":\"scan\"}", "f.jsonl:1: schema is newer");
    expect_error("[1]", "f.jsonl:1: not a JSON object");
    expect_error("{\"x\":1}", "no \"type\"");
    expect_error("{\"type\":\"host\",\"host\":\"name\"}", "\"host\" is not an address");
    expect_error("{\"type\":\"host\",\"host\":\"::1\",\"ports\":[{\"port\":1,\"proto\":\"sctp\",\"state\":\"open\"}]}",
                 "\"proto\"");
    expect_error("{\"type\":\"host\",\"host\":\"::1\",\"ports\":{}}", "\"ports\" is not an array");
}

static void test_baseline(void)
{
    char path[] = "/tmp/pscan-test-audit.XXXXXX";
    int fd = mkstemp(path);
    const char *old = "{\"schema\":1,\"type\":\"host\",\"host\":\"198.18.0.5\",\"ports\":[{\"port\":443,\"proto\":\"tcp\","
                      "\"state\":\"open\",\"service\":{\"name\":\"http\",\"tls\":{}}}]}\n";
    CHECK(fd >= 0 && write(fd, old, strlen(old)) == (ssize_t)strlen(old), "temp file");
    close(fd);
    ps_audit a;
    ps_err e = {{0}};
    ps_audit_init(&a);
    char *bufs[] = {strdup(JSONL)};
    size_t lens[] = {strlen(JSONL)};
    char name[] = "r.jsonl";
    char *names[] = {name};
    CHECK(ps_audit_baseline(&a, path, bufs, lens, names, 1, &e) == PS_OK, "%s", e.msg);
    /* .5: 2740 and 8080 opened, 443 changed (a product now); .7 new, with its 22. */
    CHECK(a.nchanges == 5, "%zu changes", a.nchanges);
    char *h = html_of(&a);
    CHECK(strstr(h, "opened: ssh OpenSSH 9.2p1 (port not in OLD)") && strstr(h, "(only in NEW)"), "pscan diff's words");
    free(h);
    ps_audit_free(&a);
    free(bufs[0]);
    unlink(path);
}

int main(void)
{
    RUN(test_read);
    RUN(test_errors);
    RUN(test_baseline);
    return UNIT_END();
}
