/* sv_setup.c: from the command line to a running service engine.
 *
 * Where pscan's own probes live: $PSCAN_PROBES if set; else probes/ beside
 * the binary (a source tree); else the installed PSCAN_PROBE_DIR.  Files
 * given with --probe-db load after them, each checked for dangling
 * fallbacks. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app_int.h"

#define NMAP_PROBES "/usr/share/nmap/nmap-service-probes"

#ifndef PSCAN_PROBE_DIR
#define PSCAN_PROBE_DIR "/usr/local/share/pscan/probes"
#endif

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *probe_dir(const char *argv0, char *buf, size_t len)
{
    const char *env = getenv("PSCAN_PROBES");
    if (env && *env) return env;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0 && argv0) n = (ssize_t)strlen(strncpy(exe, argv0, sizeof exe - 1));
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(buf, len, "%s/probes", exe);
            if (is_dir(buf)) return buf;
        }
    }
    return PSCAN_PROBE_DIR;
}

/* An installed nmap's database, read at run time (never shipped: it is
 * under nmap's licence), after pscan's own and any --probe-db.  It is not
 * the user's file: if it stops loading at a line pscan cannot take (a
 * newer nmap's syntax), the scan goes on with the lines read until then. */
static void load_nmap(ps_detect *d, const ps_config *cfg)
{
    const char *path = getenv("PSCAN_NMAP_PROBES");
    if (!path || !*path) path = NMAP_PROBES;
    if (cfg->no_nmap_db || access(path, R_OK) != 0) return;
    char want[PATH_MAX], have[PATH_MAX];
    if (!realpath(path, want)) return;
    for (int i = 0; i < cfg->nprobe_dbs; i++)
        if (realpath(cfg->probe_dbs[i], have) && strcmp(have, want) == 0) return; /* given already */
    ps_err why;
    if (ps_probedb_load_file(d->db, path, &why) != PS_OK) {
        if (!cfg->quiet) fprintf(stderr, "pscan: nmap's probe database stopped loading (%s); its lines before that are used\n", why.msg);
    }
    d->nmap_db = 1;
}

static void on_result(void *ctx, const ps_svc_result *res)
{
    ps_report_service(ctx, res);
}

int ps_detect_start(ps_detect *d, const ps_config *cfg, ps_report *report, const char *argv0,
                    volatile sig_atomic_t *stop, ps_err *e)
{
    char buf[PATH_MAX + 16];
    int r;
    memset(d, 0, sizeof *d);
    d->db = ps_probedb_new();
    if (!d->db) return ps_fail(e, PS_ERUNTIME, "out of memory");
    const char *dir = probe_dir(argv0, buf, sizeof buf);
    if (is_dir(dir)) {
        if ((r = ps_probedb_load_dir(d->db, dir, e))) return r;
    } else if (cfg->nprobe_dbs == 0) {
        return ps_fail(e, PS_EINPUT, "-sV: no probe database: '%s' is not a directory (set PSCAN_PROBES or use --probe-db)", dir);
    }
    for (int i = 0; i < cfg->nprobe_dbs; i++)
        if ((r = ps_probedb_load_file(d->db, cfg->probe_dbs[i], e))) return r;
    load_nmap(d, cfg);
    if ((r = ps_probedb_check(d->db, e))) return r;

    ps_svc_opts o;
    ps_svc_opts_default(&o);
    o.intensity = cfg->version_intensity;
    o.stop = stop; /* a stop ends every port at once; the report leaves the cut ones to --resume */
    if (cfg->max_parallelism) o.max_parallelism = cfg->max_parallelism;
    o.retry = !cfg->no_version_retry;
    if (cfg->version_trace) o.trace = stderr;
    d->engine = ps_svc_new(d->db, &o, on_result, report, e);
    if (!d->engine) return PS_ERUNTIME;
    if ((r = ps_svc_start(d->engine))) return ps_fail(e, r, "cannot start the service engine");
    ps_report_set_service(report, d->engine);
    return PS_OK;
}

int ps_detect_finish(ps_detect *d, ps_err *e)
{
    int r = PS_OK;
    if (d->engine && ps_svc_finish(d->engine) != PS_OK) r = ps_fail(e, PS_ERUNTIME, "service engine failed");
    ps_svc_free(d->engine);
    d->engine = NULL;
    return r;
}

void ps_detect_free(ps_detect *d)
{
    ps_svc_free(d->engine);
    ps_probedb_free(d->db);
    memset(d, 0, sizeof *d);
}
