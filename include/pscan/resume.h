/* resume.h: carrying an interrupted scan over to a later run.
 *
 * When a scan is interrupted (SIGINT, SIGTERM), pscan writes a state file:
 * the command line it ran with, the seed of its probe order, and for each
 * engine of the run (the TCP scan, the UDP scan) how far its work is
 * finished.  `pscan --resume FILE` reads it back, re-parses the same
 * command line, and each engine skips its finished part: the connect and
 * UDP scans start at their first unfinished host, the SYN scan at the
 * first unfinished position of its (seeded, sharded) probe order.  The
 * outputs of the resumed run hold the results it found; those of the
 * first run are in the first run's outputs, and neither shows a pair the
 * other scanned (report.h, coverage), so together they are the whole scan.
 *
 * The file's life (docs/output.md, "Interrupt and resume"): written
 * atomically (a temporary file renamed over it) whenever a run is
 * interrupted, to ./pscan.resume for a fresh run and back to FILE for a
 * resumed one; when a resumed run finishes, FILE is marked finished and
 * renamed FILE.done, so it can never be resumed twice. */
#ifndef PSCAN_RESUME_H
#define PSCAN_RESUME_H

#include <stdint.h>

#include "pscan/err.h"

enum { PS_RESUME_PHASES = 2 };

/* One engine of the run. */
typedef struct ps_resume_phase {
    char engine[16]; /* "syn", "connect", "udp" */
    uint64_t done;   /* its units below this are finished (positions or hosts) */
    uint64_t units;  /* of this many */
    uint64_t pairs;  /* host-port pairs of its shard finished with them */
} ps_resume_phase;

/* Where a run got to. */
typedef struct ps_resume_state {
    uint64_t seed;  /* of the probe order and the shard slices */
    uint64_t hosts; /* targets scanned (after host discovery): must match */
    unsigned run;   /* which run wrote it: 1 the first, 2 its resumption, ... */
    int nphases;
    ps_resume_phase phase[PS_RESUME_PHASES];
} ps_resume_state;

typedef struct ps_resume {
    ps_resume_state st;
    int argc;    /* the original arguments, argv[0] included */
    char **argv; /* owned; NULL-terminated */
} ps_resume;

/* Read a state file; PS_EINPUT naming the file (and line) when it is not
 * one, is damaged (a position beyond its end), or belongs to a scan that
 * has finished. */
int ps_resume_load(const char *path, ps_resume *out, ps_err *e);
void ps_resume_free(ps_resume *r);

/* Where a run's state goes.  Normally the file is written when the scan
 * stops.  But once pscan has dropped root (privdrop.h) it may no longer
 * create files in its working directory, and a state file written by the
 * unprivileged user could be rewritten by any other process of that user
 * before root resumes it (and its arguments name the files root will
 * write).  So before the drop, ps_resume_out_keep forks a keeper: a
 * process that stays the original user, does nothing but wait on a
 * socket, and on request writes the file itself, taking from the scanner
 * only a ps_resume_state; the arguments are its own copy.  It ignores
 * SIGINT and SIGTERM (the stop is the scanner's to handle) and exits when
 * the scanner closes the socket or exits. */
typedef struct ps_resume_out {
    const char *path;
    char tmp[4096], done[4096]; /* PATH.tmp, PATH.done */
    int argc;
    char **argv;
    int keeper; /* pid of the keeper, 0: none (write directly) */
    int fd;     /* socket to it */
} ps_resume_out;

void ps_resume_out_init(ps_resume_out *o, const char *path, int argc, char **argv);
/* Start the keeper.  Call before dropping root, with path, argc and argv
 * staying valid.  PS_ERUNTIME if it cannot be started. */
int ps_resume_out_keep(ps_resume_out *o, ps_err *e);
/* Write the state of an interrupted run (mode 0600, atomically), through
 * the keeper when there is one.  PS_ERUNTIME with the reason on error. */
int ps_resume_out_save(ps_resume_out *o, const ps_resume_state *st, ps_err *e);
/* The resumed scan has finished: mark the file so and rename it PATH.done. */
int ps_resume_out_finish(ps_resume_out *o, const ps_resume_state *st, ps_err *e);
/* End the keeper (if any) and wait for it, a bounded time. */
void ps_resume_out_close(ps_resume_out *o);

#endif
