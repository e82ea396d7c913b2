/* svc_test.h: what the service-engine unit tests share: the probe
 * database they load, svc_server processes on loopback, and a scan of
 * some ports with its results (test_service.c, test_service_retry.c). */
#ifndef PSCAN_SVC_TEST_H
#define PSCAN_SVC_TEST_H

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pscan/service.h"
#include "unit.h"

#define SERVER_BIN "build/tests/tools/svc_server"
#define MAXR 256

static ps_probedb *db;
static const char *db_name;
static int base_port;
static char tmpdir[64];

struct results {
    pthread_mutex_t mu;
    ps_svc_result r[MAXR];
    double at[MAXR]; /* when reported (now_ms) */
    int n;
};

static inline double now_ms(void);

static inline void on_result(void *ctx, const ps_svc_result *r)
{
    struct results *rs = ctx;
    pthread_mutex_lock(&rs->mu);
    if (rs->n < MAXR) {
        rs->r[rs->n] = *r;
        rs->at[rs->n] = now_ms();
    }
    rs->n++;
    pthread_mutex_unlock(&rs->mu);
}

static inline double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static inline ps_addr loopback(void)
{
    ps_addr a;
    memset(&a, 0, sizeof a);
    a.family = AF_INET;
    a.u.v4 = 0x7f000001;
    return a;
}

static inline int has_probes_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = 0;
    if (!d)
        return 0;
    while (!found && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        found = l > 7 && strcmp(e->d_name + l - 7, ".probes") == 0;
    }
    closedir(d);
    return found;
}

static inline void load_db(void)
{
    ps_err e = {{0}};
    const char *env = getenv("PSCAN_PROBE_DB");
    struct stat st;
    db = ps_probedb_new();
    int rc = -1;
    if (env && *env) {
        db_name = env;
        rc = stat(env, &st) == 0 && S_ISDIR(st.st_mode) ? ps_probedb_load_dir(db, env, &e)
                                                         : ps_probedb_load_file(db, env, &e);
    } else if (has_probes_dir("probes")) {
        db_name = "probes/";
        rc = ps_probedb_load_dir(db, "probes", &e);
    } else if (access("/usr/share/nmap/nmap-service-probes", R_OK) == 0) {
        db_name = "/usr/share/nmap/nmap-service-probes";
        rc = ps_probedb_load_file(db, db_name, &e);
    }
    if (rc == PS_OK)
        rc = ps_probedb_check(db, &e);
    if (rc != PS_OK) {
        if (db_name)
            printf("# probe database %s: %s\n", db_name, e.msg);
        ps_probedb_free(db);
        db = NULL;
    }
}

/* ---- servers ------------------------------------------------------------ */

/* Start svc_server on addr with args; wait for its "ready".  Returns pid or -1. */
static inline pid_t server_at3(const char *addr, const char *mode, const char *ports,
                               const char *a1, const char *a2, const char *a3)
{
    int pfd[2];
    if (pipe(pfd) < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        execl(SERVER_BIN, SERVER_BIN, "-t", "120", "-a", addr, mode, ports, a1, a2, a3, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    struct pollfd p = {.fd = pfd[0], .events = POLLIN};
    char buf[16] = "";
    ssize_t n = 0;
    if (poll(&p, 1, 5000) == 1)
        n = read(pfd[0], buf, sizeof buf - 1);
    close(pfd[0]);
    if (n < 5 || strncmp(buf, "ready", 5) != 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    return pid;
}

static inline pid_t server_at(const char *addr, const char *mode, const char *ports, const char *a1,
                              const char *a2)
{
    return server_at3(addr, mode, ports, a1, a2, NULL);
}

static inline pid_t server(const char *mode, const char *ports, const char *a1, const char *a2)
{
    return server_at("127.0.0.1", mode, ports, a1, a2);
}

static inline void server_stop(pid_t pid)
{
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
}

/* Run the engine on ports [lo, lo+n) of 127.0.0.1; fills rs, returns ms. */
static inline double scan(const ps_svc_opts *o, int lo, int n, struct results *rs)
{
    ps_err e = {{0}};
    memset(rs, 0, sizeof *rs);
    pthread_mutex_init(&rs->mu, NULL);
    double t0 = now_ms();
    ps_svc_engine *s = ps_svc_new(db, o, on_result, rs, &e);
    CHECK(s != NULL, "ps_svc_new: %s", e.msg);
    if (!s)
        return 0;
    CHECK(ps_svc_start(s) == PS_OK, "start");
    ps_addr a = loopback();
    for (int i = 0; i < n; i++)
        CHECK(ps_svc_submit(s, &a, (uint16_t)(lo + i), PS_TCP) == PS_OK, "submit");
    CHECK(ps_svc_finish(s) == PS_OK, "finish");
    ps_svc_free(s);
    return now_ms() - t0;
}

static inline void show(const ps_svc_result *r)
{
    printf("#   port %u: %s%s%s product='%s' version='%s' probe=%s banner=%zu bytes, "
           "%.0f ms\n",
           r->port, ps_svc_status_name(r->status), r->tls ? " ssl/" : " ", r->info.service,
           r->info.product, r->info.version, r->probe ? r->probe : "-", r->banner_len,
           r->elapsed_ms);
}

/* One server (MODE A1 A2 A3) on a fresh port, one scan of it with opts o:
 * the result, checked to be the only one and to leave no descriptor. */
static inline int one_with(const ps_svc_opts *o, const char *mode, const char *a1, const char *a2,
                           const char *a3, ps_svc_result *out, double *ms)
{
    static int k;
    int port = base_port + 2 * (k++ % 40);
    char ports[16];
    snprintf(ports, sizeof ports, "%d", port);
    pid_t pid = server_at3("127.0.0.1", mode, ports, a1, a2, a3);
    CHECK(pid > 0, "svc_server %s on %d did not start", mode, port);
    if (pid <= 0)
        return -1;
    struct results *rs = calloc(1, sizeof *rs);
    int fds0 = count_fds();
    *ms = scan(o, port, 1, rs);
    int fds1 = count_fds();
    CHECK(fds0 == fds1, "%s: descriptors %d before, %d after", mode, fds0, fds1);
    server_stop(pid);
    CHECK(rs->n == 1, "%d results for one port", rs->n);
    int ok = rs->n == 1;
    if (ok) {
        *out = rs->r[0];
        show(out);
    }
    free(rs);
    return ok ? 0 : -1;
}

/* The same with the default options. */
static inline int one(const char *mode, const char *a1, const char *a2, ps_svc_result *out,
                      double *ms)
{
    ps_svc_opts o;
    ps_svc_opts_default(&o);
    return one_with(&o, mode, a1, a2, NULL, out, ms);
}

/* A self-signed certificate for localhost (SAN DNS:localhost, IP:127.0.0.1)
 * in tmpdir: crt and key get its paths (cap bytes each); 0 when made. */
static inline int make_cert(char *crt, char *key, size_t cap)
{
    char cmd[1024];
    snprintf(crt, cap, "%s/cert.pem", tmpdir);
    snprintf(key, cap, "%s/key.pem", tmpdir);
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout %s -out %s "
             "-subj '/CN=localhost/O=pscan test' "
             "-addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' 2>/dev/null",
             key, crt);
    if (system(cmd) == 0)
        return 0;
    printf("# openssl req failed: nothing to check\n");
    return -1;
}

#endif
