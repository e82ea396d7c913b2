/* rtt.c: RFC 6298's retransmission timeout, for probes (see rtt.h).
 *
 * The gains are the RFC's (alpha 1/8, beta 1/4, K = 4); the first sample
 * sets srtt = R and rttvar = R/2.  The RFC's 1 s floor is replaced by
 * --min-rtt-timeout: a scanner on a LAN or loopback would otherwise wait
 * a second for every silent port. */
#include "pscan/rtt.h"

void ps_rtt_init_ms(ps_rtt *r, int initial_ms, int min_ms, int max_ms)
{
    r->srtt = r->rttvar = 0;
    r->have = 0;
    r->init_s = initial_ms > 0 ? initial_ms / 1000.0 : 1.0;
    r->min_s = min_ms > 0 ? min_ms / 1000.0 : 0.1;
    r->max_s = max_ms > 0 ? max_ms / 1000.0 : 10.0;
    if (r->min_s > r->max_s) r->min_s = r->max_s;
}

void ps_rtt_init(ps_rtt *r, const ps_config *cfg)
{
    ps_rtt_init_ms(r, cfg->initial_rtt_ms, cfg->min_rtt_ms, cfg->max_rtt_ms);
}

void ps_rtt_sample(ps_rtt *r, double rtt_s)
{
    if (rtt_s < 0) return;
    if (!r->have) {
        r->srtt = rtt_s;
        r->rttvar = rtt_s / 2;
        r->have = 1;
        return;
    }
    double d = r->srtt > rtt_s ? r->srtt - rtt_s : rtt_s - r->srtt;
    r->rttvar = 0.75 * r->rttvar + 0.25 * d;
    r->srtt = 0.875 * r->srtt + 0.125 * rtt_s;
}

double ps_rtt_timeout(const ps_rtt *r)
{
    double t = r->have ? r->srtt + 4 * r->rttvar : r->init_s;
    return t < r->min_s ? r->min_s : t > r->max_s ? r->max_s : t;
}
