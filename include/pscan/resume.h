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

#endif
