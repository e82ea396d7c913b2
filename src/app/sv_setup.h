/* sv_setup.h: service detection (-sV) as the command line sets it up. */
#ifndef PSCAN_SV_SETUP_H
#define PSCAN_SV_SETUP_H

#include "pscan/config.h"
#include "pscan/err.h"
#include "pscan/probedb.h"
#include "pscan/report.h"
#include "pscan/service.h"

typedef struct ps_detect {
    ps_probedb *db;
    ps_svc_engine *engine;
} ps_detect;

/* Load the probe databases (pscan's own, then --probe-db files) and start
 * the engine, wired to the report.  argv0 helps find probes/ beside the
 * binary in a source tree. */
int ps_detect_start(ps_detect *d, const ps_config *cfg, ps_report *report, const char *argv0, ps_err *e);
/* Wait for every submitted port's result and stop the engine. */
int ps_detect_finish(ps_detect *d, ps_err *e);
/* Free the probe database: only once the report is finished, because
 * service results point into it (the name of the probe that matched). */
void ps_detect_free(ps_detect *d);

#endif
