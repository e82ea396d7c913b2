/* resume.h: carrying an interrupted scan over to a later run.
 *
 * When a scan is interrupted (SIGINT, SIGTERM), pscan writes a state file:
 * the command line it ran with, the seed of its probe order, the engine,
 * and how far the work is finished.  `pscan --resume FILE` reads it back,
 * re-parses the same command line, and the engine skips the finished part:
 * the connect scan starts at the first unfinished host, the SYN scan at the
 * first unfinished chunk of its (seeded, sharded) probe order.  The outputs
 * of the resumed run hold the results it found; those of the first run are
 * in the first run's outputs (JSON Lines files concatenate, pscan diff
 * reads either). */
#ifndef PSCAN_RESUME_H
#define PSCAN_RESUME_H

#include <stdint.h>

#include "pscan/err.h"

typedef struct ps_resume {
    char engine[16];  /* "connect", "syn" */
    uint64_t seed;
    uint64_t done;    /* work below this point is finished (engine's unit) */
    uint64_t hosts;   /* targets scanned (after host discovery): must match */
    int argc;         /* the original arguments, argv[0] included */
    char **argv;      /* owned; NULL-terminated */
} ps_resume;

/* Write the state file (mode 0600); PS_ERUNTIME with the reason on error. */
int ps_resume_save(const char *path, const char *engine, uint64_t seed, uint64_t done,
                   uint64_t hosts, int argc, char **argv, ps_err *e);
/* Read one back; PS_EINPUT naming the file and line on a bad file. */
int ps_resume_load(const char *path, ps_resume *out, ps_err *e);
void ps_resume_free(ps_resume *r);

/* Where an interrupted scan's state goes.  Normally ps_resume_save writes
 * the file when the scan stops.  But once pscan has dropped root
 * (privdrop.h) it may no longer create files in its working directory, and
 * a state file written by the unprivileged user could be rewritten by any
 * other process of that user before root resumes it (and its arguments
 * name the files root will write).  So before the drop, ps_resume_out_keep
 * forks a keeper: a process that stays the original user, does nothing but
 * wait on a socket, and on request writes the file itself, taking from the
 * scanner only the engine name and three numbers; the arguments are its
 * own copy.  It ignores SIGINT and SIGTERM (the stop is the scanner's to
 * handle) and exits when the scanner closes the socket or exits. */
typedef struct ps_resume_out {
    const char *path;
    int argc;
    char **argv;
    int keeper; /* pid of the keeper, 0: none (write directly) */
    int fd;     /* socket to it */
} ps_resume_out;

void ps_resume_out_init(ps_resume_out *o, const char *path, int argc, char **argv);
/* Start the keeper.  Call before dropping root, with path, argc and argv
 * staying valid.  PS_ERUNTIME if it cannot be started. */
int ps_resume_out_keep(ps_resume_out *o, ps_err *e);
/* Write the state file, through the keeper when there is one. */
int ps_resume_out_save(ps_resume_out *o, const char *engine, uint64_t seed, uint64_t done, uint64_t hosts,
                       ps_err *e);
/* End the keeper (if any) and wait for it, a bounded time. */
void ps_resume_out_close(ps_resume_out *o);

#endif
