/* test_service.c: the service engine against real servers on loopback.
 *
 * The servers are build/tests/tools/svc_server processes (banner, silent,
 * accept-and-close, HTTP, TLS with a certificate made by `openssl req` at
 * test time, trickle, flood) on 127.0.0.1 ports derived from our pid.  The
 * probe database is $PSCAN_PROBE_DB (file or directory), else pscan's own
 * probes/ directory, else nmap's /usr/share/nmap/nmap-service-probes; with
 * none of them every test reports "# SKIP".  Real daemons are in
 * tests/integration/service_local.sh. */
#include "svc_test.h"

/* ---- tests -------------------------------------------------------------- */

static void test_plan_order(void)
{
    const ps_probe *plan[1024];
    size_t n = ps_svc_plan(db, PS_TCP, 80, 0, 7, plan, 1024);
    CHECK(n > 3, "plan of %zu probes", n);
    CHECK_STR(ps_probe_name(plan[0]), "NULL");
    size_t i = 1;
    while (i < n && ps_probe_on_port(plan[i], 80))
        i++;
    CHECK(i > 1, "no probe lists port 80");
    int last = 0;
    for (; i < n; i++) {
        CHECK(!ps_probe_on_port(plan[i], 80), "listed probe %s late", ps_probe_name(plan[i]));
        CHECK(ps_probe_rarity(plan[i]) <= 7, "%s rarity %d", ps_probe_name(plan[i]),
              ps_probe_rarity(plan[i]));
        CHECK(ps_probe_rarity(plan[i]) >= last, "rarity order broken at %s",
              ps_probe_name(plan[i]));
        last = ps_probe_rarity(plan[i]);
    }
    size_t n0 = ps_svc_plan(db, PS_TCP, 80, 0, 0, plan, 1024);
    for (i = 1; i < n0; i++)
        CHECK(ps_probe_on_port(plan[i], 80), "intensity 0 ran %s", ps_probe_name(plan[i]));
    size_t n9 = ps_svc_plan(db, PS_TCP, 80, 0, 9, plan, 1024);
    CHECK(n9 >= n && n >= n0, "plans %zu %zu %zu not growing with intensity", n0, n, n9);
}

static void test_tls_looks_like(void)
{
    static const uint8_t hello[] = {0x16, 0x03, 0x03, 0x00, 0x40};
    static const uint8_t alert[] = {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46};
    CHECK(ps_tls_looks_like(hello, sizeof hello), "ServerHello");
    CHECK(ps_tls_looks_like(alert, sizeof alert), "alert");
    CHECK(!ps_tls_looks_like((const uint8_t *)"HTTP/1.1", 8), "HTTP");
    CHECK(!ps_tls_looks_like(hello, 2), "short");
}

static void test_bad_options(void)
{
    ps_svc_opts o;
    ps_err e = {{0}};
    ps_svc_opts_default(&o);
    o.intensity = 10;
    CHECK(ps_svc_new(db, &o, on_result, NULL, &e) == NULL, "intensity 10 accepted");
    CHECK(strstr(e.msg, "intensity") != NULL, "message '%s'", e.msg);
    ps_svc_opts_default(&o);
    o.min_wait_ms = 500;
    o.max_wait_ms = 100;
    CHECK(ps_svc_new(db, &o, on_result, NULL, &e) == NULL, "max_wait < min_wait accepted");
    CHECK(strstr(e.msg, "max_wait_ms") != NULL, "message '%s'", e.msg);
    ps_svc_opts_default(&o);
    ps_svc_engine *s = ps_svc_new(db, &o, on_result, NULL, &e);
    ps_addr a = loopback();
    CHECK(s && ps_svc_submit(s, &a, 0, PS_TCP) == PS_EINPUT, "port 0 accepted");
    a.family = 12345;
    CHECK(s && ps_svc_submit(s, &a, 22, PS_TCP) == PS_EINPUT, "bad family accepted");
    ps_svc_free(s); /* never started, nothing submitted */
}

static void test_banner_ssh(void)
{
    ps_svc_result r;
    double ms;
    if (one("banner", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\\r\\n", NULL, &r, &ms) < 0)
        return;
    CHECK(r.status == PS_SVC_MATCH, "status %s", ps_svc_status_name(r.status));
    CHECK_STR(r.info.service, "ssh");
    CHECK(strstr(r.info.product, "OpenSSH") != NULL, "product '%s'", r.info.product);
    CHECK_STR(r.info.version, "9.2p1 Debian 2+deb12u3");
    /* The banner reaches every parallel connection of the port, so the
     * NULL probe's or another probe's connection may be the one to match
     * it (through the NULL fallback): either way a probe is named. */
    CHECK(r.probe != NULL, "no probe named");
    CHECK(!r.tls, "tls");
    CHECK(ms < 1000, "took %.0f ms", ms);
}

static void test_http(void)
{
    ps_svc_result r;
    double ms;
    if (one("http", NULL, NULL, &r, &ms) < 0)
        return;
    CHECK(r.status == PS_SVC_MATCH, "status %s", ps_svc_status_name(r.status));
    CHECK_STR(r.info.service, "http");
    CHECK_STR(r.info.product, "nginx");
    CHECK_STR(r.info.version, "1.22.1");
    CHECK(r.probe && strcmp(r.probe, "NULL") != 0, "probe %s", r.probe ? r.probe : "-");
    CHECK(!r.tls, "tls");
    CHECK(ms < 1000, "took %.0f ms: the GET probe should not wait for the NULL probe", ms);
}

static int sh(const char *cmd, char *out, size_t cap)
{
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
    return pclose(f) == 0 ? 0 : -1;
}

static void test_tls_http(void)
{
    char cmd[1024], want[512], crt[128], key[128];
    if (make_cert(crt, key, sizeof crt) < 0)
        return;
    ps_svc_result r;
    double ms;
    if (one("tls", crt, key, &r, &ms) < 0)
        return;
    CHECK(r.status == PS_SVC_MATCH, "status %s", ps_svc_status_name(r.status));
    CHECK(r.tls == 1, "not found through TLS");
    CHECK_STR(r.info.service, "http");
    CHECK_STR(r.info.product, "nginx");
    CHECK(r.has_cert, "no certificate");
    printf("#   %s %s subject=%s sans=%s %s..%s\n#   sha256=%s\n", r.cert.version, r.cert.cipher,
           r.cert.subject, r.cert.sans, r.cert.not_before, r.cert.not_after, r.cert.sha256);
    CHECK(strncmp(r.cert.version, "TLSv1", 5) == 0, "version '%s'", r.cert.version);
    CHECK(r.cert.cipher[0], "no cipher");
    snprintf(cmd, sizeof cmd, "openssl x509 -in %s -noout -fingerprint -sha256 | cut -d= -f2",
             crt);
    if (sh(cmd, want, sizeof want) == 0)
        CHECK_STR(r.cert.sha256, want);
    snprintf(cmd, sizeof cmd, "openssl x509 -in %s -noout -subject -nameopt RFC2253 | cut -d= -f2-",
             crt);
    if (sh(cmd, want, sizeof want) == 0)
        CHECK_STR(r.cert.subject, want);
    CHECK_STR(r.cert.issuer, r.cert.subject);
    CHECK_STR(r.cert.sans, "DNS:localhost, IP:127.0.0.1");
    snprintf(cmd, sizeof cmd,
             "openssl x509 -in %s -noout -enddate -dateopt iso_8601 | cut -d= -f2 | tr ' ' T", crt);
    if (sh(cmd, want, sizeof want) == 0)
        CHECK_STR(r.cert.not_after, want);
    CHECK(strlen(r.cert.not_before) == 20 && r.cert.not_before[10] == 'T', "not_before '%s'",
          r.cert.not_before);
    CHECK(ms < 3000, "took %.0f ms", ms);
}

/* Ports some probe lists in sslports: TLS is tried from the start, beside
 * the plain probes; a plain server there must still be named plainly.  These
 * ports are fixed (14443, 11712), so a busy one skips rather than fails. */
static void test_sslports(void)
{
    char crt[128], key[128];
    snprintf(crt, sizeof crt, "%s/cert.pem", tmpdir);
    snprintf(key, sizeof key, "%s/key.pem", tmpdir);
    if (access(crt, R_OK) != 0) {
        printf("# no certificate from test_tls_http: nothing to check\n");
        return;
    }
    pid_t pt = server("tls", "14443", crt, key);
    pid_t ph = server("http", "11712", NULL, NULL);
    if (pt > 0) {
        struct results *rs = calloc(1, sizeof *rs);
        ps_svc_opts o;
        ps_svc_opts_default(&o);
        scan(&o, 14443, 1, rs);
        CHECK(rs->n == 1 && rs->r[0].tls && !strcmp(rs->r[0].info.service, "http") &&
                  rs->r[0].has_cert,
              "14443: %s tls=%d '%s'", ps_svc_status_name(rs->r[0].status), rs->r[0].tls,
              rs->r[0].info.service);
        CHECK(rs->r[0].elapsed_ms < 500, "14443 took %.0f ms", rs->r[0].elapsed_ms);
        show(&rs->r[0]);
        free(rs);
    } else {
        printf("# 14443 busy: TLS half not run\n");
    }
    if (ph > 0) {
        struct results *rs = calloc(1, sizeof *rs);
        ps_svc_opts o;
        ps_svc_opts_default(&o);
        scan(&o, 11712, 1, rs);
        CHECK(rs->n == 1 && !rs->r[0].tls && !strcmp(rs->r[0].info.service, "http"),
              "11712: %s tls=%d '%s'", ps_svc_status_name(rs->r[0].status), rs->r[0].tls,
              rs->r[0].info.service);
        show(&rs->r[0]);
        free(rs);
    } else {
        printf("# 11712 busy: plain half not run\n");
    }
    server_stop(pt);
    server_stop(ph);
}

/* A banner only a softmatch recognises: reported as such, soon. */
static void test_softmatch(void)
{
    ps_svc_result r;
    double ms;
    if (one("banner", "+OK zq ready\\r\\n", NULL, &r, &ms) < 0)
        return;
    CHECK(r.status == PS_SVC_SOFT && r.info.soft, "status %s", ps_svc_status_name(r.status));
    CHECK_STR(r.info.service, "pop3");
    CHECK(ms < 5000, "took %.0f ms", ms);
}

static void test_tcpwrapped(void)
{
    ps_svc_result r;
    double ms;
    if (one("close", NULL, NULL, &r, &ms) < 0)
        return;
    CHECK(r.status == PS_SVC_TCPWRAPPED, "status %s", ps_svc_status_name(r.status));
    CHECK(ms < 1000, "took %.0f ms", ms);
}

static void test_silent(void)
{
    ps_svc_result r;
    double ms;
    if (one("silent", NULL, NULL, &r, &ms) < 0)
        return;
    CHECK(r.status == PS_SVC_UNKNOWN, "status %s", ps_svc_status_name(r.status));
    CHECK_STR(r.info.service, "");
    CHECK(r.banner_len == 0, "banner of %zu bytes", r.banner_len);
    CHECK(!r.tls, "tls");
    CHECK(ms < 15000, "took %.0f ms", ms);
}

/* opts.stop: once set, every port ends at once, reported cut, with no
 * descriptor left; a submission after it is reported cut untouched. */
static void test_stop(void)
{
    char range[32];
    int lo = base_port + 180;
    snprintf(range, sizeof range, "%d-%d", lo, lo + 19);
    pid_t pid = server("silent", range, NULL, NULL);
    CHECK(pid > 0, "svc_server silent on %s did not start", range);
    if (pid <= 0)
        return;
    struct results *rs = calloc(1, sizeof *rs);
    pthread_mutex_init(&rs->mu, NULL);
    volatile sig_atomic_t stop = 0;
    ps_svc_opts o;
    ps_err e = {{0}};
    ps_svc_opts_default(&o);
    o.stop = &stop;
    int fds0 = count_fds();
    ps_svc_engine *s = ps_svc_new(db, &o, on_result, rs, &e);
    CHECK(s && ps_svc_start(s) == PS_OK, "engine: %s", e.msg);
    ps_addr a = loopback();
    for (int i = 0; s && i < 20; i++) ps_svc_submit(s, &a, (uint16_t)(lo + i), PS_TCP);
    usleep(300000); /* every port connected, listening for a banner */
    double t0 = now_ms();
    stop = 1;
    usleep(200000);
    CHECK(s && ps_svc_submit(s, &a, (uint16_t)lo, PS_TCP) == PS_OK, "a late submission is taken");
    CHECK(s && ps_svc_finish(s) == PS_OK, "finish");
    double ms = now_ms() - t0;
    ps_svc_free(s);
    CHECK(ms < 2000, "ended %.0f ms after the stop (silent ports take seconds)", ms);
    CHECK(rs->n == 21, "%d results for 21 submissions", rs->n);
    int cut = 0;
    for (int i = 0; i < rs->n && i < MAXR; i++) cut += rs->r[i].cut;
    CHECK(cut == 21, "%d of them cut", cut);
    CHECK(count_fds() == fds0, "descriptors %d before, %d after", fds0, count_fds());
    server_stop(pid);
    free(rs);
}

static void test_trickle_and_flood(void)
{
    ps_svc_result r;
    double ms;
    if (one("trickle", NULL, NULL, &r, &ms) == 0) {
        CHECK(r.status == PS_SVC_UNKNOWN, "trickle status %s", ps_svc_status_name(r.status));
        CHECK(r.banner_len > 0 && r.banner[0] == 'x', "trickle banner %zu", r.banner_len);
        CHECK(ms < 15000, "trickle took %.0f ms", ms);
    }
    if (one("flood", NULL, NULL, &r, &ms) == 0) {
        CHECK(r.status == PS_SVC_UNKNOWN, "flood status %s", ps_svc_status_name(r.status));
        CHECK(r.banner_len == sizeof r.banner, "flood banner %zu", r.banner_len);
        CHECK(ms < 15000, "flood took %.0f ms", ms);
    }
}

static void test_closed(void)
{
    struct results *rs = calloc(1, sizeof *rs);
    ps_svc_opts o;
    ps_svc_opts_default(&o);
    double ms = scan(&o, base_port + 97, 1, rs); /* nobody listens there */
    CHECK(rs->n == 1, "%d results", rs->n);
    CHECK(rs->r[0].status == PS_SVC_CLOSED, "status %s", ps_svc_status_name(rs->r[0].status));
    CHECK(ms < 500, "took %.0f ms", ms);
    free(rs);
}

struct feeder {
    ps_svc_engine *s;
    int lo, n;
};

static void *feed(void *arg)
{
    struct feeder *f = arg;
    ps_addr a = loopback();
    for (int i = 0; i < f->n; i++) {
        ps_svc_submit(f->s, &a, (uint16_t)(f->lo + i), PS_TCP);
        if (i % 10 == 9)
            usleep(20000); /* streaming, as from a port scan */
    }
    return NULL;
}

/* 50 ports of three kinds at once, fed from another thread while the
 * engine runs: each reported once, right, and no descriptor left open. */
static void test_fifty_ports_no_leak(void)
{
    char r1[32], r2[32], r3[32];
    int lo = base_port + 100;
    snprintf(r1, sizeof r1, "%d-%d", lo, lo + 19);
    snprintf(r2, sizeof r2, "%d-%d", lo + 20, lo + 39);
    snprintf(r3, sizeof r3, "%d-%d", lo + 40, lo + 49);
    pid_t p1 = server("banner", r1, "220 mail.example.com ESMTP Postfix (Debian/GNU)\\r\\n", NULL);
    pid_t p2 = server("http", r2, NULL, NULL);
    pid_t p3 = server("close", r3, NULL, NULL);
    CHECK(p1 > 0 && p2 > 0 && p3 > 0, "servers did not start");
    if (p1 > 0 && p2 > 0 && p3 > 0) {
        int fds0 = count_fds();
        struct results *rs = calloc(1, sizeof *rs);
        pthread_mutex_init(&rs->mu, NULL);
        ps_err e = {{0}};
        ps_svc_opts o;
        ps_svc_opts_default(&o);
        o.max_parallelism = 40; /* fewer connections than work: the queue must drain */
        o.max_per_host = 24;
        double t0 = now_ms();
        ps_svc_engine *s = ps_svc_new(db, &o, on_result, rs, &e);
        CHECK(s != NULL, "%s", e.msg);
        if (s) {
            ps_svc_start(s);
            struct feeder f = {s, lo, 50};
            pthread_t t;
            pthread_create(&t, NULL, feed, &f);
            pthread_join(t, NULL);
            ps_svc_finish(s);
            ps_svc_free(s);
        }
        double ms = now_ms() - t0;
        int seen[50] = {0};
        CHECK(rs->n == 50, "%d results for 50 ports", rs->n);
        for (int i = 0; i < rs->n && i < MAXR; i++) {
            const ps_svc_result *r = &rs->r[i];
            int k = r->port - lo;
            CHECK(k >= 0 && k < 50, "stray port %u", r->port);
            if (k < 0 || k >= 50)
                continue;
            seen[k]++;
            const char *want = k < 20 ? "smtp" : k < 40 ? "http" : "";
            enum ps_svc_status st = k < 40 ? PS_SVC_MATCH : PS_SVC_TCPWRAPPED;
            CHECK(r->status == st && strcmp(r->info.service, want) == 0,
                  "port %u: %s '%s'", r->port, ps_svc_status_name(r->status), r->info.service);
        }
        for (int k = 0; k < 50; k++)
            CHECK(seen[k] == 1, "port %d reported %d times", lo + k, seen[k]);
        int fds1 = count_fds();
        CHECK(fds0 == fds1, "descriptors: %d before, %d after", fds0, fds1);
        printf("#   50 ports in %.0f ms, descriptors %d -> %d\n", ms, fds0, fds1);
        free(rs);
    }
    server_stop(p1);
    server_stop(p2);
    server_stop(p3);
}

/* Host A has a queue of slow (silent) ports, host B one SMTP port submitted
 * after all of them: round-robin must serve B at once, not after A. */
static void test_fairness(void)
{
    char ra[32], rb[32];
    int lo = base_port + 160;
    snprintf(ra, sizeof ra, "%d-%d", lo, lo + 11);
    snprintf(rb, sizeof rb, "%d", lo + 13);
    pid_t pa = server_at("127.0.0.1", "silent", ra, NULL, NULL);
    pid_t pb = server_at("127.0.0.2", "banner", rb, "220 mx.example.com ESMTP Postfix\\r\\n", NULL);
    CHECK(pa > 0 && pb > 0, "servers did not start");
    if (pa > 0 && pb > 0) {
        struct results *rs = calloc(1, sizeof *rs);
        pthread_mutex_init(&rs->mu, NULL);
        ps_err e = {{0}};
        ps_svc_opts o;
        ps_svc_opts_default(&o);
        o.intensity = 0; /* NULL probe only on these ports: 250 ms each */
        o.tls = 0;
        o.probes_per_port = 1;
        o.max_per_host = 2;
        o.max_parallelism = 3;
        ps_svc_engine *s = ps_svc_new(db, &o, on_result, rs, &e);
        CHECK(s != NULL, "%s", e.msg);
        if (s) {
            ps_addr a = loopback(), b = loopback();
            b.u.v4 = 0x7f000002;
            double t0 = now_ms();
            for (int i = 0; i < 12; i++)
                ps_svc_submit(s, &a, (uint16_t)(lo + i), PS_TCP);
            ps_svc_submit(s, &b, (uint16_t)(lo + 13), PS_TCP);
            ps_svc_start(s);
            ps_svc_finish(s);
            ps_svc_free(s);
            double tb = -1, ta = 0;
            for (int i = 0; i < rs->n && i < MAXR; i++) {
                if (rs->r[i].addr.u.v4 == 0x7f000002) {
                    tb = rs->at[i] - t0;
                    CHECK_STR(rs->r[i].info.service, "smtp");
                } else if (rs->at[i] - t0 > ta) {
                    ta = rs->at[i] - t0;
                }
            }
            CHECK(rs->n == 13, "%d results", rs->n);
            CHECK(tb >= 0 && tb < 150 && ta > 1000, "host B done at %.0f ms, host A at %.0f ms",
                  tb, ta);
            printf("#   host B (1 port) done at %.0f ms, host A (12 silent) at %.0f ms\n", tb, ta);
        }
        free(rs);
    }
    server_stop(pa);
    server_stop(pb);
}

static void test_udp_closed(void)
{
    struct results *rs = calloc(1, sizeof *rs);
    pthread_mutex_init(&rs->mu, NULL);
    ps_err e = {{0}};
    ps_svc_engine *s = ps_svc_new(db, NULL, on_result, rs, &e);
    CHECK(s != NULL, "%s", e.msg);
    if (s) {
        ps_addr a = loopback();
        ps_svc_submit(s, &a, (uint16_t)(base_port + 99), PS_UDP); /* nobody there */
        ps_svc_finish(s); /* starts the engine itself */
        ps_svc_free(s);
    }
    CHECK(rs->n == 1 && rs->r[0].status == PS_SVC_CLOSED && rs->r[0].proto == PS_UDP,
          "%d results, %s", rs->n, rs->n ? ps_svc_status_name(rs->r[0].status) : "-");
    free(rs);
}

/* The same engine over IPv6 loopback. */
static void test_ipv6(void)
{
    char ports[16];
    int port = base_port + 95;
    snprintf(ports, sizeof ports, "%d", port);
    pid_t pid = server_at("::1", "banner", ports, "SSH-2.0-OpenSSH_9.2p1 Debian-2\\r\\n", NULL);
    if (pid <= 0) {
        printf("# no IPv6 loopback here: nothing to check\n");
        return;
    }
    struct results *rs = calloc(1, sizeof *rs);
    pthread_mutex_init(&rs->mu, NULL);
    ps_err e = {{0}};
    ps_svc_engine *s = ps_svc_new(db, NULL, on_result, rs, &e);
    CHECK(s != NULL, "%s", e.msg);
    if (s) {
        ps_addr a;
        memset(&a, 0, sizeof a);
        a.family = AF_INET6;
        a.u.v6[15] = 1;
        ps_svc_submit(s, &a, (uint16_t)port, PS_TCP);
        ps_svc_finish(s);
        ps_svc_free(s);
    }
    CHECK(rs->n == 1 && rs->r[0].status == PS_SVC_MATCH && !strcmp(rs->r[0].info.service, "ssh") &&
              rs->r[0].addr.family == AF_INET6,
          "%d results, %s '%s'", rs->n, rs->n ? ps_svc_status_name(rs->r[0].status) : "-",
          rs->n ? rs->r[0].info.service : "");
    free(rs);
    server_stop(pid);
}

/* Fill n bytes of a text field with printable bytes and end it with NUL. */
static void fill_text(char *f, size_t size, size_t n, unsigned *seed)
{
    for (size_t i = 0; i < n && i + 1 < size; i++) f[i] = (char)(' ' + 1 + rand_r(seed) % 94);
}

/* Packing keeps every field, empty, full or in between. */
static void test_pack_round_trip(void)
{
    unsigned seed = 7;
    for (int round = 0; round < 200; round++) {
        ps_svc_result a, b;
        memset(&a, 0, sizeof a);
        size_t n = round == 0 ? 0 : round == 1 ? 100000 : (size_t)rand_r(&seed) % 600;
        a.addr.family = AF_INET6;
        a.addr.u.v6[15] = (uint8_t)round;
        a.port = (uint16_t)(round * 131);
        a.proto = round & 1 ? PS_UDP : PS_TCP;
        a.status = (enum ps_svc_status)(round % 5);
        a.tls = round & 2;
        a.has_cert = round & 4;
        a.probe = round & 8 ? "GetRequest" : NULL;
        a.rtt_ms = round * 0.5;
        a.pass = (uint8_t)(round % 3);
        a.why = (uint8_t)(round % PS_WHY_COUNT);
        a.cut = round & 32;
        a.elapsed_ms = round * 3.25;
        a.info.ncpe = round % 5;
        a.info.soft = round & 16;
        fill_text(a.info.service, sizeof a.info.service, n, &seed);
        fill_text(a.info.product, sizeof a.info.product, n / 2, &seed);
        fill_text(a.info.version, sizeof a.info.version, n, &seed);
        fill_text(a.info.info, sizeof a.info.info, n, &seed);
        fill_text(a.info.cpe[3], sizeof a.info.cpe[3], n, &seed);
        fill_text(a.cert.subject, sizeof a.cert.subject, n, &seed);
        fill_text(a.cert.sans, sizeof a.cert.sans, n, &seed);
        fill_text(a.cert.sha256, sizeof a.cert.sha256, n, &seed);
        a.banner_len = n < sizeof a.banner ? n : sizeof a.banner;
        for (size_t i = 0; i < a.banner_len; i++) a.banner[i] = (uint8_t)rand_r(&seed);
        uint8_t *p = ps_svc_pack(&a);
        CHECK(p != NULL, "pack");
        if (!p) return;
        memset(&b, 0xaa, sizeof b);
        ps_svc_unpack(p, &b);
        free(p);
        int same = b.port == a.port && b.proto == a.proto && b.status == a.status && b.tls == a.tls &&
                   b.has_cert == a.has_cert && b.probe == a.probe && b.rtt_ms == a.rtt_ms &&
                   b.elapsed_ms == a.elapsed_ms && b.banner_len == a.banner_len && b.pass == a.pass &&
                   b.why == a.why && b.cut == a.cut &&
                   memcmp(&b.addr, &a.addr, sizeof a.addr) == 0 && memcmp(&b.info, &a.info, sizeof a.info) == 0 &&
                   memcmp(&b.cert, &a.cert, sizeof a.cert) == 0 && memcmp(b.banner, a.banner, a.banner_len) == 0;
        CHECK(same, "round %d (fields of %zu bytes) comes back equal", round, n);
        if (!same) return;
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    load_db();
    static const char *names[] = {
        "test_plan_order",  "test_tls_looks_like",    "test_bad_options", "test_banner_ssh",
        "test_http",        "test_tls_http",          "test_sslports",    "test_tcpwrapped",
        "test_silent",      "test_trickle_and_flood", "test_closed",      "test_fifty_ports_no_leak",
        "test_fairness",    "test_udp_closed",        "test_ipv6",        "test_softmatch",
        "test_stop"};
    if (!db) {
        for (size_t i = 0; i < sizeof names / sizeof *names; i++)
            printf("ok - %s # SKIP no probe database (probes/ or nmap-service-probes)\n",
                   names[i]);
        return 0;
    }
    printf("# probe database: %s (%zu probes)\n", db_name, ps_probedb_count(db));
    RUN(test_plan_order);
    RUN(test_pack_round_trip);
    RUN(test_tls_looks_like);
    RUN(test_bad_options);
    if (access(SERVER_BIN, X_OK) != 0) {
        for (size_t i = 3; i < sizeof names / sizeof *names; i++)
            printf("ok - %s # SKIP %s not built (make test builds it)\n", names[i], SERVER_BIN);
        ps_probedb_free(db);
        return UNIT_END();
    }
    base_port = 10001 + (int)(getpid() % 100) * 200; /* below the ephemeral range */
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pscan_svc_test.%d", (int)getpid());
    mkdir(tmpdir, 0700);
    RUN(test_banner_ssh);
    RUN(test_http);
    RUN(test_tls_http);
    RUN(test_sslports);
    RUN(test_softmatch);
    RUN(test_tcpwrapped);
    RUN(test_silent);
    RUN(test_stop);
    RUN(test_trickle_and_flood);
    RUN(test_closed);
    RUN(test_fifty_ports_no_leak);
    RUN(test_fairness);
    RUN(test_udp_closed);
    RUN(test_ipv6);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", tmpdir);
    ps_probedb_free(db);
    return UNIT_END();
}
