/* test_service_retry.c: the service engine's patient second pass
 * (src/service/retry.c) against loopback servers that misbehave the way
 * loaded ones do:
 *
 *  - "busy": for a moment every connection is closed before a word (sshd
 *    past MaxStartups); the first pass sees a tcpwrapped port, the retry,
 *    once the trouble has calmed, the banner;
 *  - "slowtls": the TLS handshake starts long after the ClientHello (a
 *    server too loaded to answer soon); the first pass's handshake times
 *    out, the retry's patient one gets through and the plan runs inside;
 *  - silent ports: retried for silence on the first few ports of a host
 *    only, and given up honestly;
 *  - opts.retry = 0: the first pass's answer stands.
 *
 * Each result must say how it was reached (pass) and why it was retried
 * (why), and every port is reported exactly once with no descriptor
 * left behind. */
#include "svc_test.h"

static ps_svc_opts opts(int retry)
{
    ps_svc_opts o;
    ps_svc_opts_default(&o);
    o.retry = retry;
    return o;
}

/* One server on a fresh port, one scan of it with retry on or off; the
 * result with its pass and why shown. */
static int one_port(const char *mode, const char *a1, const char *a2, const char *a3, int retry,
                    ps_svc_result *out)
{
    ps_svc_opts o = opts(retry);
    double ms;
    if (one_with(&o, mode, a1, a2, a3, out, &ms) < 0)
        return -1;
    printf("#   pass %s, why '%s'\n", ps_svc_pass_name(out->pass), ps_svc_why_name(out->why));
    return 0;
}

#define SSH_BANNER "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\\r\\n"

static void test_busy_named_on_retry(void)
{
    ps_svc_result r;
    if (one_port("busy", "300", SSH_BANNER, NULL, 1, &r) < 0)
        return;
    CHECK(r.status == PS_SVC_MATCH, "status %s", ps_svc_status_name(r.status));
    CHECK_STR(r.info.service, "ssh");
    CHECK_STR(r.info.product, "OpenSSH");
    CHECK(r.pass == PS_SVC_RETRY, "pass %s", ps_svc_pass_name(r.pass));
    CHECK(r.why != PS_WHY_NONE, "no reason for the retry");
}

static void test_busy_without_retry(void)
{
    ps_svc_result r;
    if (one_port("busy", "300", SSH_BANNER, NULL, 0, &r) < 0)
        return;
    CHECK(r.status == PS_SVC_TCPWRAPPED, "status %s", ps_svc_status_name(r.status));
    CHECK(r.pass == PS_SVC_FIRST && r.why == PS_WHY_NONE, "pass %s why %s",
          ps_svc_pass_name(r.pass), ps_svc_why_name(r.why));
}

/* A closing server stays tcpwrapped: the retry confirms it. */
static void test_tcpwrapped_confirmed(void)
{
    ps_svc_result r;
    if (one_port("close", NULL, NULL, NULL, 1, &r) < 0)
        return;
    CHECK(r.status == PS_SVC_TCPWRAPPED, "status %s", ps_svc_status_name(r.status));
    CHECK(r.pass == PS_SVC_RETRY, "pass %s", ps_svc_pass_name(r.pass));
}

static void test_slow_tls_named_on_retry(void)
{
    char crt[128], key[128];
    if (make_cert(crt, key, sizeof crt) < 0)
        return;
    ps_svc_result r;
    if (one_port("slowtls", "1500", crt, key, 1, &r) < 0)
        return;
    CHECK(r.status == PS_SVC_MATCH, "status %s", ps_svc_status_name(r.status));
    CHECK(r.tls, "not found through TLS");
    CHECK_STR(r.info.service, "http");
    CHECK_STR(r.info.product, "nginx");
    CHECK(r.pass == PS_SVC_RETRY, "pass %s", ps_svc_pass_name(r.pass));
}

/* Eight silent ports of one host: the first four (in the order their first
 * pass ends) are retried and given up, the rest end on the first pass;
 * all eight unknown, each reported once. */
static void test_silent_budget(void)
{
    char range[32];
    int lo = base_port + 100;
    snprintf(range, sizeof range, "%d-%d", lo, lo + 7);
    pid_t pid = server("silent", range, NULL, NULL);
    CHECK(pid > 0, "svc_server silent on %s did not start", range);
    if (pid <= 0)
        return;
    ps_svc_opts o = opts(1);
    struct results *rs = calloc(1, sizeof *rs);
    scan(&o, lo, 8, rs);
    server_stop(pid);
    CHECK(rs->n == 8, "%d results for 8 ports", rs->n);
    int seen[8] = {0}, gave_up = 0, first = 0;
    for (int i = 0; i < rs->n && i < MAXR; i++) {
        const ps_svc_result *r = &rs->r[i];
        if (r->port >= lo && r->port < lo + 8)
            seen[r->port - lo]++;
        CHECK(r->status == PS_SVC_UNKNOWN, "port %u: %s", r->port, ps_svc_status_name(r->status));
        if (r->pass == PS_SVC_GAVE_UP) {
            gave_up++;
            CHECK(r->why == PS_WHY_SILENT, "port %u: why %s", r->port, ps_svc_why_name(r->why));
        } else if (r->pass == PS_SVC_FIRST) {
            first++;
        }
    }
    for (int i = 0; i < 8; i++)
        CHECK(seen[i] == 1, "port %d reported %d times", lo + i, seen[i]);
    CHECK(gave_up == 4 && first == 4, "%d given up after a retry, %d first pass (want 4, 4)",
          gave_up, first);
    free(rs);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    load_db();
    static const char *names[] = {"test_busy_named_on_retry", "test_busy_without_retry",
                                  "test_tcpwrapped_confirmed", "test_slow_tls_named_on_retry",
                                  "test_silent_budget"};
    const char *why = !db ? "no probe database (probes/ or nmap-service-probes)"
                          : access(SERVER_BIN, X_OK) != 0 ? SERVER_BIN " not built (make test builds it)"
                                                          : NULL;
    if (why) {
        for (size_t i = 0; i < sizeof names / sizeof *names; i++)
            printf("ok - %s # SKIP %s\n", names[i], why);
        ps_probedb_free(db);
        return 0;
    }
    base_port = 10001 + (int)(getpid() % 100) * 200; /* below the ephemeral range */
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pscan_svc_retry.%d", (int)getpid());
    mkdir(tmpdir, 0700);
    RUN(test_busy_named_on_retry);
    RUN(test_busy_without_retry);
    RUN(test_tcpwrapped_confirmed);
    RUN(test_slow_tls_named_on_retry);
    RUN(test_silent_budget);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", tmpdir);
    ps_probedb_free(db);
    return UNIT_END();
}
