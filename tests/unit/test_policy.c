/* test_policy.c: the --expect policy: parsing, errors with file:line,
 * most-specific matching, and the checking writer's messages and status. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pscan/output.h"
#include "pscan/policy.h"
#include "pscan/service.h"
#include "unit.h"

static ps_policy *load_n(const char *text, size_t len, ps_err *e, int *rc)
{
    ps_policy *p = NULL;
    char *copy = malloc(len + 1);
    memcpy(copy, text, len);
    FILE *f = fmemopen(copy, len, "r");
    *rc = ps_policy_load_stream(&p, f, "policy.txt", e);
    fclose(f);
    free(copy);
    return p;
}

static ps_policy *load(const char *text, ps_err *e, int *rc)
{
    return load_n(text, strlen(text), e, rc);
}

static ps_addr A(const char *s)
{
    ps_addr a;
    memset(&a, 0, sizeof a);
    if (ps_addr_parse(s, &a)) printf("# bad test address %s\n", s);
    return a;
}

static const char GOOD[] =
    "# CI policy\n"
    "198.18.0.0/24   tcp/22, tcp/443\n"
    "198.18.0.5      tcp/22 tcp/23   # telnet on the old box\n"
    "\n"
    "127.0.0.1       22,80 udp/53\n"
    "10.0.0.1-20     T:80,443 U:53,161\n"
    "2001:db8::/32   https\n"
    "*               none\n";

static void test_parse_and_match(void)
{
    ps_err e = {{0}};
    int rc, line;
    ps_policy *p = load(GOOD, &e, &rc);
    CHECK(rc == PS_OK && p, "%s", e.msg);
    if (!p) return;
    CHECK(ps_policy_nrules(p) == 6, "%zu rules", ps_policy_nrules(p));
    ps_addr a = A("198.18.0.5"), b = A("198.18.0.6"), c = A("203.0.113.1");
    CHECK(ps_policy_allows(p, &a, PS_TCP, 23, &line) && line == 3, "host rule beats network");
    CHECK(!ps_policy_allows(p, &a, PS_TCP, 443, &line) && line == 3, "host rule replaces network");
    CHECK(ps_policy_allows(p, &b, PS_TCP, 443, &line) && line == 2, "network rule");
    CHECK(!ps_policy_allows(p, &b, PS_TCP, 23, &line), "23 not on the network");
    CHECK(!ps_policy_allows(p, &c, PS_TCP, 80, &line) && line == 8, "'*' none");
    ps_addr l = A("127.0.0.1");
    CHECK(ps_policy_allows(p, &l, PS_UDP, 53, &line) && !ps_policy_allows(p, &l, PS_TCP, 53, &line), "udp/53");
    ps_addr r = A("10.0.0.7");
    CHECK(ps_policy_allows(p, &r, PS_TCP, 443, &line) && ps_policy_allows(p, &r, PS_UDP, 161, &line) &&
              !ps_policy_allows(p, &r, PS_UDP, 443, &line) && line == 6,
          "T:/U: switches");
    ps_addr v6 = A("2001:db8:1::9");
    CHECK(ps_policy_allows(p, &v6, PS_TCP, 443, &line) && line == 7, "IPv6 /32 and a service name");
    ps_policy_free(p);

    p = load("127.0.0.0/8 22\n", &e, &rc);
    CHECK(rc == PS_OK, "%s", e.msg);
    CHECK(!ps_policy_allows(p, &c, PS_TCP, 22, &line) && line == 0, "no rule covers: nothing allowed");
    ps_policy_free(p);
}

static void expect_error_n(const char *text, size_t len, const char *want)
{
    ps_err e = {{0}};
    int rc;
    ps_policy *p = load_n(text, len, &e, &rc);
    CHECK(rc == PS_EINPUT && !p, "accepted: %s", text);
    CHECK(strstr(e.msg, want) != NULL, "message '%s' lacks '%s'", e.msg, want);
}

static void expect_error(const char *text, const char *want)
{
    expect_error_n(text, strlen(text), want);
}

static void test_errors(void)
{
    expect_error("# only comments\n\n", "no rules");
    expect_error("127.0.0.1 22\n198.18.0.300 22\n", "policy.txt:2:");
    expect_error("127.0.0.1\n", "policy.txt:1: no ports");
    expect_error("127.0.0.1 22\n127.0.0.1 80\n", "policy.txt:2: '127.0.0.1' already has a rule on line 1");
    expect_error("127.0.0.1 none,22\n", "'none' cannot be combined");
    expect_error("127.0.0.1 70000\n", "policy.txt:1:");
    expect_error("127.0.0.1 tcp/\n", "empty port item");
    expect_error("localhost 22\n", "is a name");
    expect_error("10.0.0.0/33 22\n", "longer than 32 bits");
    expect_error("10.0.0.0/x 22\n", "bad network");
    expect_error_n("127.0.0.1 22\0\n", 14, "NUL byte");
    expect_error("127.0.0.1,22\n", "missing blank");
    char *big = malloc(10000);
    memset(big, ' ', 9999);
    memcpy(big, "127.0.0.1 22", 12);
    big[9999] = 0;
    expect_error(big, "longer than");
    free(big);
}

static char *capture(FILE *fp)
{
    static char buf[8192];
    fflush(fp);
    rewind(fp);
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = 0;
    return buf;
}

static void test_writer(void)
{
    char path[] = "/tmp/pscan-test-policy.XXXXXX";
    int fd = mkstemp(path);
    const char *text = "198.18.0.0/24 22,443\n198.18.0.5 22\n";
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        CHECK(0, "temp file");
        return;
    }
    close(fd);
    ps_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.ports = "22,23,443";
    ps_output_spec spec = {PS_OUT_POLICY, path};
    ps_port_result rows[] = {
        {.proto = PS_TCP, .port = 22, .state = PS_ST_OPEN, .reason = PS_R_SYN_ACK, .ttl = 64, .svc = NULL, .proc = NULL},
        {.proto = PS_TCP, .port = 23, .state = PS_ST_OPEN, .reason = PS_R_SYN_ACK, .ttl = 64, .svc = NULL, .proc = NULL},
        {.proto = PS_TCP, .port = 443, .state = PS_ST_CLOSED, .reason = PS_R_RESET, .ttl = 64, .svc = NULL, .proc = NULL},
    };
    ps_host_result h;
    memset(&h, 0, sizeof h);
    h.addr = A("198.18.0.9");
    h.up = 1;
    h.ports = rows;
    h.nports = 3;

    for (int strict = 0; strict < 2; strict++) {
        ps_writer w;
        ps_err e = {{0}};
        cfg.expect_strict = strict;
        CHECK(ps_writer_open(&w, &spec, &cfg, NULL, &e) == PS_OK, "%s", e.msg);
        FILE *out = tmpfile();
        w.fp = out;
        CHECK(w.ops->status(&w) == 0, "clean before");
        w.ops->host(&w, &h);
        const char *s = capture(out);
        CHECK(strstr(s, "pscan: unexpected open port 23/tcp on 198.18.0.9 (policy line 1)\n") != NULL, "%s", s);
        if (strict)
            CHECK(strstr(s, "pscan: expected port 443/tcp on 198.18.0.9 is closed (policy line 1)\n") != NULL, "%s", s);
        else
            CHECK(strstr(s, "expected port") == NULL, "not strict: %s", s);
        CHECK(w.ops->status(&w) == 3, "violation status");
        w.fp = stderr;
        ps_writer_close(&w);
        fclose(out);
    }

    /* Everything allowed: status 0. */
    rows[1].state = PS_ST_CLOSED;
    ps_writer w;
    ps_err e = {{0}};
    cfg.expect_strict = 0;
    CHECK(ps_writer_open(&w, &spec, &cfg, NULL, &e) == PS_OK, "%s", e.msg);
    w.ops->host(&w, &h);
    CHECK(w.ops->status(&w) == 0, "allowed");
    ps_writer_close(&w);

    /* A bad file fails the open, naming file and line. */
    FILE *f = fopen(path, "w");
    fputs("198.18.0.0/24 22\nbogus! 22\n", f);
    fclose(f);
    CHECK(ps_writer_open(&w, &spec, &cfg, NULL, &e) == PS_EINPUT, "bad file accepted");
    CHECK(strstr(e.msg, ":2:") != NULL, "%s", e.msg);
    unlink(path);
    CHECK(ps_writer_open(&w, &spec, &cfg, NULL, &e) == PS_EINPUT && strstr(e.msg, "cannot read policy"), "%s", e.msg);
}

struct cb_log {
    char *log;
    int *failed;
};

static void cb(void *ctx, const ps_host_result *hh, const ps_policy_check *c)
{
    struct cb_log *x = ctx;
    (void)hh;
    size_t n = strlen(x->log);
    snprintf(x->log + n, 2048 - n, "%s %s\n", c->failed ? "F" : "P", c->message);
    *x->failed += c->failed;
}

static void test_tls_lines(void)
{
    ps_err e = {{0}};
    int rc;
    ps_policy *p = load("198.18.0.0/24 443 8443\n"
                        "tls 198.18.0.0/24 tcp/443,8443 min-days=30 min-version=TLSv1.2\n"
                        "tls 198.18.0.5 443 min-version=1.3\n"
                        "tls * 8443 min-days=0\n",
                        &e, &rc);
    CHECK(rc == PS_OK && p, "%s", e.msg);
    if (!p) return;
    ps_addr a = A("198.18.0.5"), b = A("198.18.0.6");
    ps_tls_rule t;
    CHECK(ps_policy_tls_for(p, &a, PS_TCP, 443, &t) && t.line == 3 && t.min_version == PS_TLSV_1_3 &&
              t.min_days == -1, "host line: %d", t.line);
    CHECK(ps_policy_tls_for(p, &a, PS_TCP, 8443, &t) && t.line == 2, "the network's line lists 8443: %d", t.line);
    CHECK(ps_policy_tls_for(p, &b, PS_TCP, 443, &t) && t.line == 2 && t.min_days == 30, "network");
    CHECK(!ps_policy_tls_for(p, &b, PS_TCP, 22, &t), "22 has no tls line");
    int line;
    CHECK(ps_policy_allows(p, &a, PS_TCP, 443, &line) && line == 1, "tls lines allow nothing: %d", line);
    CHECK(ps_policy_first_tls_line(p) == 2, "first tls line");

    /* The checks of one host: an expiring certificate, an old version. */
    static ps_svc_result svc;
    memset(&svc, 0, sizeof svc);
    svc.status = PS_SVC_MATCH;
    svc.tls = 1;
    svc.has_cert = 1;
    snprintf(svc.cert.version, sizeof svc.cert.version, "TLSv1.1");
    snprintf(svc.cert.not_after, sizeof svc.cert.not_after, "2026-01-11T00:00:00Z");
    ps_port_result rows[] = {{.proto = PS_TCP, .port = 443, .state = PS_ST_OPEN, .reason = PS_R_SYN_ACK, .ttl = 64, .svc = &svc, .proc = NULL},
                             {.proto = PS_TCP, .port = 8443, .state = PS_ST_OPEN, .reason = PS_R_SYN_ACK, .ttl = 64, .svc = NULL, .proc = NULL}};
    ps_host_result h;
    memset(&h, 0, sizeof h);
    h.addr = b;
    h.ports = rows;
    h.nports = 2;
    struct tm tm = {.tm_year = 126, .tm_mon = 0, .tm_mday = 1};
    time_t now = timegm(&tm); /* 2026-01-01: 10 days left */
    char log[2048] = "";
    int failed = 0;
    struct cb_log ctx = {log, &failed};
    ps_policy_check_host(p, &h, NULL, 0, now, cb, &ctx);
    CHECK(failed == 3, "failed %d: %s", failed, log);
    CHECK(strstr(log, "F the certificate of 443/tcp on 198.18.0.6 expires in 10 days (2026-01-11T00:00:00Z); "
                      "policy line 2 requires at least 30") != NULL, "%s", log);
    CHECK(strstr(log, "F 443/tcp on 198.18.0.6 negotiated TLSv1.1; policy line 2 requires TLSv1.2 or newer"), "%s", log);
    CHECK(strstr(log, "F 8443/tcp on 198.18.0.6 was not checked for TLS: no -sV result (policy line 2)"), "%s", log);
    CHECK(strstr(log, "P open port 443/tcp on 198.18.0.6 is allowed (policy line 1)"), "%s", log);
    ps_policy_free(p);

    long days;
    CHECK(ps_cert_days_left("2025-12-31T12:00:00Z", now, &days) && days == -1, "expired: %ld", days);
    CHECK(!ps_cert_days_left("soon", now, &days), "not a time");
    CHECK(ps_tls_version_rank("TLSv1") == PS_TLSV_1_0 && ps_tls_version_rank("SSLv2") == PS_TLSV_NONE, "ranks");

    expect_error("tls 127.0.0.1 443\n", "needs min-days=N or min-version=V");
    expect_error("tls 127.0.0.1 min-days=3\n", "needs ports");
    expect_error("tls 127.0.0.1 443 min-days=x\n", "min-days takes");
    expect_error("tls 127.0.0.1 443 min-version=TLSv9\n", "min-version takes");
    expect_error("tls 127.0.0.1 443 max-days=3\n", "unknown tls requirement");
    expect_error("tls\n", "'tls' needs");
}

int main(void)
{
    RUN(test_parse_and_match);
    RUN(test_errors);
    RUN(test_writer);
    RUN(test_tls_lines);
    return UNIT_END();
}
