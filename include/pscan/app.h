/* app.h: one scan run, from the understood command line to its exit
 * status (src/app/run.c).  main.c only dispatches to it. */
#ifndef PSCAN_APP_H
#define PSCAN_APP_H

#include "pscan/cli.h"
#include "pscan/err.h"
#include "pscan/resume.h"

/* Where an interrupted scan leaves its state (resume.h). */
#define PS_RESUME_FILE "pscan.resume"

/* What main hands a scan besides the parsed command line. */
typedef struct ps_app_args {
    const ps_resume *resume;  /* --resume: the interrupted run's state, else NULL */
    const char *resume_path;  /* --resume: its file, where this run's state goes too */
    const char *prog;         /* argv[0] as pscan was invoked, for the resume hint */
    int argc;                 /* the scan's own command line (the first run's on */
    char **argv;              /* --resume), recorded in outputs and the resume file */
} ps_app_args;

/* Run the scan cli describes.  Returns the exit status: 0, PS_EPOLICY
 * from --expect, or an error code with e filled (PS_ESTOPPED for a run a
 * signal interrupted: its outputs are valid but partial, and e holds the
 * resume hint). */
int ps_app_scan(ps_cli *cli, const ps_app_args *args, ps_err *e);

#endif
