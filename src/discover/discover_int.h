/* discover_int.h: what the two discovery engines share -- the raw-packet
 * one (discover.c) and the unprivileged connect() one (discover_connect.c).
 * Private to src/. */
#ifndef PSCAN_DISCOVER_INT_H
#define PSCAN_DISCOVER_INT_H

#include "pscan/discover.h"
#include "pscan/localinfo.h"

/* One run's settings with every default applied, read-only once built. */
typedef struct ps_disc_run {
    const ps_discover_opts *o;
    const ps_targets *t;
    ps_discover_cb cb;
    void *ctx;
    volatile sig_atomic_t *stop;
    uint64_t n;             /* targets */
    int max_tries;          /* max_retries + 1 */
    double rto_init, rto_min, rto_max; /* seconds */
    double deadline;        /* monotonic seconds: the run ends by then */
    ps_localinfo *li;       /* is a target this machine? */
    ps_discover_stats *st;  /* counters, written by the engine */
} ps_disc_run;

double ps_disc_now(void);
/* Stop asked for, or the deadline passed. */
int ps_disc_stopping(const ps_disc_run *r);
/* TCP's RTO from a smoothed RTT (RFC 6298), clamped to the run's bounds. */
double ps_disc_rto(const ps_disc_run *r, int have, double srtt, double rttvar);
void ps_disc_rtt_sample(int *have, double *srtt, double *rttvar, double sample);
/* Report a local target as up ("localhost-response"). */
void ps_disc_local_up(const ps_disc_run *r, uint64_t idx, const ps_addr *a);

/* The unprivileged engine: TCP connect() to 80 and 443 (or the -PS/-PA ports). */
int ps_disc_connect_run(const ps_disc_run *r, ps_err *e);

#endif
