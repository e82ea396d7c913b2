/* app_int.h: what the files of app/ share -- the run (run.c), its host
 * discovery step (run_discover.c) and the -sV set-up (sv_setup.c).
 * Private to src/app/. */
#ifndef PSCAN_APP_INT_H
#define PSCAN_APP_INT_H

#include <signal.h>
#include <stdint.h>

#include "pscan/cli.h"
#include "pscan/config.h"
#include "pscan/discover.h"
#include "pscan/err.h"
#include "pscan/probedb.h"
#include "pscan/report.h"
#include "pscan/service.h"

/* ---- -sV (sv_setup.c) ---------------------------------------------------- */

typedef struct ps_detect {
    ps_probedb *db;
    ps_svc_engine *engine;
    int nmap_db; /* an installed nmap's database was read too */
} ps_detect;

/* Load the probe databases (pscan's own, then --probe-db files) and start
 * the engine, wired to the report.  argv0 helps find probes/ beside the
 * binary in a source tree.  Once *stop is set the engine ends every port
 * at once (service.h). */
int ps_detect_start(ps_detect *d, const ps_config *cfg, ps_report *report, const char *argv0,
                    volatile sig_atomic_t *stop, ps_err *e);
/* Wait for every submitted port's result (not long after a stop) and end
 * the engine. */
int ps_detect_finish(ps_detect *d, ps_err *e);
/* Free the probe database: only once the report is finished, because
 * service results point into it (the name of the probe that matched). */
void ps_detect_free(ps_detect *d);

/* ---- the list scan (list.c) --------------------------------------------- */

/* -sL: print every target, send nothing. */
int ps_app_list(const ps_cli *cli, ps_err *e);

/* ---- -e and -S against the routes (route_check.c) ------------------------ */

/* PS_EINPUT, naming the target and the route, when -e or -S cannot work
 * for the targets: replies could never come back. */
int ps_app_check_routes(const ps_cli *cli, ps_err *e);

/* ---- host discovery before the scan (run_discover.c) --------------------- */

/* Hosts host discovery found up, in the order it found them. */
typedef struct ps_up_list {
    ps_addr *addr;
    ps_discover_result *res;
    size_t n, cap;
} ps_up_list;

/* Does this run start with host discovery? */
int ps_app_wants_discovery(const ps_cli *cli);
/* Run it and replace cli->targets with the hosts found up (unchanged when
 * none is); *asked is how many addresses were asked about. */
int ps_app_discover(ps_cli *cli, ps_up_list *up, uint64_t *asked, volatile sig_atomic_t *stop, ps_err *e);
/* Tell the report which hosts discovery found up, and why. */
void ps_app_report_up(ps_report *report, const ps_targets *t, const ps_up_list *up, uint64_t asked);
void ps_up_list_free(ps_up_list *up);

#endif
