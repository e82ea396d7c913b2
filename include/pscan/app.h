/* app.h: one scan run, from the understood command line to its exit
 * status (src/app/run.c).  main.c only dispatches to it. */
#ifndef PSCAN_APP_H
#define PSCAN_APP_H

#include "pscan/cli.h"
#include "pscan/err.h"
#include "pscan/resume.h"

/* Where an interrupted scan leaves its state (resume.h). */
#define PS_RESUME_FILE "pscan.resume"

/* Run the scan cli describes; resume is the interrupted run's state when
 * --resume was given (resume->argc == 0 otherwise).  argc/argv are the
 * scan's own command line, recorded in outputs and the resume file.
 * Returns the exit status (0, or 3 from --expect) or an error code with e
 * filled. */
int ps_app_scan(ps_cli *cli, const ps_resume *resume, int argc, char **argv, ps_err *e);

#endif
