/* svc_scan.c: run the service engine on a few loopback services, by hand.
 *
 *   svc_scan [-d PROBE_DB] [-i INTENSITY] 127.x.y.z:PORT ...
 *
 * Prints one line per service, "PORT STATUS [ssl/]NAME product=".." version=".."
 * probe=NAME ms=N", then "total_ms=N".  The database is -d (file or
 * directory), else $PSCAN_PROBE_DB, else probes/, else nmap's
 * nmap-service-probes; exit status 3 when none loads.  Loopback only: it is
 * a test driver (tests/integration/service_local.sh), not a scanner. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pscan/service.h"

struct out {
    pthread_mutex_t mu;
    int n;
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void on_result(void *ctx, const ps_svc_result *r)
{
    struct out *o = ctx;
    pthread_mutex_lock(&o->mu);
    printf("%u %s %s%s product=\"%s\" version=\"%s\" probe=%s ms=%.0f\n", r->port,
           ps_svc_status_name(r->status), r->tls ? "ssl/" : "",
           r->info.service[0] ? r->info.service : "unknown", r->info.product, r->info.version,
           r->probe ? r->probe : "-", r->elapsed_ms);
    if (r->has_cert)
        printf("  cert %s %s subject=\"%s\" sha256=%s\n", r->cert.version, r->cert.cipher,
               r->cert.subject, r->cert.sha256);
    o->n++;
    pthread_mutex_unlock(&o->mu);
}

static int load(ps_probedb *db, const char *path, ps_err *e)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return ps_probedb_load_dir(db, path, e);
    return ps_probedb_load_file(db, path, e);
}

int main(int argc, char **argv)
{
    const char *dbpath = getenv("PSCAN_PROBE_DB");
    ps_svc_opts o;
    ps_svc_opts_default(&o);
    int c;
    while ((c = getopt(argc, argv, "d:i:")) != -1) {
        if (c == 'd')
            dbpath = optarg;
        else if (c == 'i')
            o.intensity = atoi(optarg);
        else
            return 2;
    }
    if (!dbpath || !*dbpath) {
        struct stat st;
        dbpath = stat("probes", &st) == 0 && S_ISDIR(st.st_mode)
                     ? "probes"
                     : "/usr/share/nmap/nmap-service-probes";
    }
    ps_err e = {{0}};
    ps_probedb *db = ps_probedb_new();
    if (!db || load(db, dbpath, &e) != PS_OK || ps_probedb_check(db, &e) != PS_OK) {
        fprintf(stderr, "svc_scan: no probe database (%s): %s\n", dbpath, e.msg);
        ps_probedb_free(db);
        return 3;
    }
    struct out out = {PTHREAD_MUTEX_INITIALIZER, 0};
    ps_svc_engine *s = ps_svc_new(db, &o, on_result, &out, &e);
    if (!s) {
        fprintf(stderr, "svc_scan: %s\n", e.msg);
        ps_probedb_free(db);
        return 2;
    }
    double t0 = now_ms();
    ps_svc_start(s);
    for (int i = optind; i < argc; i++) {
        unsigned b[4], port;
        char tail;
        if (sscanf(argv[i], "%u.%u.%u.%u:%u%c", &b[0], &b[1], &b[2], &b[3], &port, &tail) != 5 ||
            b[0] != 127 || b[1] > 255 || b[2] > 255 || b[3] > 255 || port == 0 || port > 65535) {
            fprintf(stderr, "svc_scan: want 127.x.y.z:PORT, not '%s'\n", argv[i]);
            continue;
        }
        ps_addr a;
        memset(&a, 0, sizeof a);
        a.family = AF_INET;
        a.u.v4 = b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
        ps_svc_submit(s, &a, (uint16_t)port, PS_TCP);
    }
    ps_svc_finish(s);
    ps_svc_free(s);
    printf("total_ms=%.0f\n", now_ms() - t0);
    ps_probedb_free(db);
    return 0;
}
