/* rtt.h: a probe timeout that follows the measured round-trip time.
 *
 * TCP's retransmission timer (RFC 6298) fitted to scanning: the timeout is
 * srtt + 4 * rttvar, clamped to [--min-rtt-timeout, --max-rtt-timeout];
 * until the first sample, --initial-rtt-timeout.  Samples must be
 * unambiguous (Karn's rule): an answer to a retransmitted probe may belong
 * to the first send, so engines that cannot tell skip those. */
#ifndef PSCAN_RTT_H
#define PSCAN_RTT_H

#include "pscan/config.h"

typedef struct ps_rtt {
    double srtt, rttvar;  /* seconds */
    int have;             /* a sample came in */
    double init_s, min_s, max_s;
} ps_rtt;

/* Bounds from cfg's *_rtt_ms (0 or nonsense: 1 s initial, 100 ms..10 s). */
void ps_rtt_init(ps_rtt *r, const ps_config *cfg);
/* The same from the three bounds in milliseconds (<= 0: the default). */
void ps_rtt_init_ms(ps_rtt *r, int initial_ms, int min_ms, int max_ms);
void ps_rtt_sample(ps_rtt *r, double rtt_s);
/* The current timeout, seconds. */
double ps_rtt_timeout(const ps_rtt *r);

#endif
