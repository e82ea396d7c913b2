/* progress.h: the status line on standard error.
 *
 * On a terminal, one line rewritten in place a few times a second; with
 * --stats-every, a plain line at that interval (for logs); -q silences
 * both.  Engines call ps_progress_update() as often as they like: it
 * checks the clock and prints only when a line is due. */
#ifndef PSCAN_PROGRESS_H
#define PSCAN_PROGRESS_H

#include <stdint.h>

#include "pscan/config.h"

typedef struct ps_progress {
    int enabled, tty;
    double every_s, start_s, next_s;
    int printed;
} ps_progress;

void ps_progress_init(ps_progress *p, const ps_config *cfg);
/* done of total probes; found = open ports so far. */
void ps_progress_update(ps_progress *p, uint64_t done, uint64_t total, uint64_t found);
/* Clear the live line before the final report. */
void ps_progress_end(ps_progress *p);

#endif
