/* scan.h: port scan engines behind one interface.
 *
 * An engine takes the finalised targets and ports, sends its probes, and
 * reports every outcome to the report (report.h).  The connect scan is
 * the unprivileged engine and the fallback; the raw SYN engine needs
 * CAP_NET_RAW. */
#ifndef PSCAN_SCAN_H
#define PSCAN_SCAN_H

#include <signal.h>

#include "pscan/config.h"
#include "pscan/err.h"
#include "pscan/ports.h"
#include "pscan/report.h"
#include "pscan/targets.h"

/* Where an engine got to, for --resume (resume.h).  `done` counts the
 * engine's own unit (ps_scanner_ops.by_host): hosts for the connect and
 * UDP scans, positions of the shard's slice of the probe order for the
 * SYN scan. */
typedef struct ps_scan_state {
    uint64_t done; /* work below this point is finished */
    uint64_t total;
} ps_scan_state;

typedef struct ps_scan_ctx {
    const ps_config *cfg;
    const ps_targets *targets;
    const ps_ports *ports;
    ps_report *report;
    volatile sig_atomic_t *stop; /* set by SIGINT: stop sending, finish cleanly */
    uint64_t seed;               /* of the probe order and the --shard slices */
    uint64_t resume_from;        /* skip the work below this point */
    ps_scan_state *state;        /* filled in by the engine */
    /* Called once by the engine as soon as it holds every handle that needs
     * rights (raw senders, capture), before it sends; at its start for an
     * engine that needs none.  main drops the last capabilities there
     * (privdrop.h).  NULL: nothing to call.  Non-zero (with e filled) fails
     * the run. */
    int (*handles_open)(void *arg, ps_err *e);
    void *handles_arg;
} ps_scan_ctx;

/* The engines' one call to it. */
static inline int ps_scan_handles_open(const ps_scan_ctx *ctx, ps_err *e)
{
    return ctx->handles_open ? ctx->handles_open(ctx->handles_arg, e) : PS_OK;
}

/* --shard: every engine splits its protocol's pairs (x = host * nports +
 * port) by the same slice of the seeded probe order (permute.h), so
 * shards of a SYN scan and of a connect scan with one --seed cover the
 * same pairs.  The engine tells the report what it covered (report.h):
 * a stop's cut with ps_report_cover_stop before it emits a host there. */
struct ps_scanner_ops {
    const char *name; /* "connect", "syn", "udp" */
    enum ps_proto proto;
    int by_host;      /* its unit: 1 hosts, 0 positions of the slice */
    /* PS_OK if the engine can run here (rights, devices); else why not. */
    int (*available)(const ps_config *cfg, ps_err *e);
    int (*run)(const ps_scan_ctx *ctx, ps_err *e);
};

extern const struct ps_scanner_ops ps_scan_connect;
extern const struct ps_scanner_ops ps_scan_syn;
extern const struct ps_scanner_ops ps_scan_udp; /* -sU, scan_udp.c */

#endif
