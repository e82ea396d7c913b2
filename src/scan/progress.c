/* progress.c: see include/pscan/progress.h. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "pscan/clock.h"
#include "pscan/progress.h"

void ps_progress_init(ps_progress *p, const ps_config *cfg)
{
    p->tty = isatty(STDERR_FILENO);
    p->every_s = cfg->stats_every_ms > 0 ? cfg->stats_every_ms / 1000.0 : p->tty ? 0.25 : 0;
    p->enabled = !cfg->quiet && p->every_s > 0;
    if (cfg->stats_every_ms > 0) p->tty = 0; /* asked for log lines */
    p->start_s = ps_mono_s();
    p->next_s = p->start_s + (p->tty ? 0.5 : p->every_s);
    p->printed = 0;
}

void ps_progress_update(ps_progress *p, uint64_t done, uint64_t total, uint64_t found)
{
    if (!p->enabled) return;
    double t = ps_mono_s();
    if (t < p->next_s) return;
    p->next_s = t + p->every_s;
    double el = t - p->start_s, rate = el > 0 ? (double)done / el : 0;
    double pct = total ? 100.0 * (double)done / (double)total : 100;
    double eta = rate > 0 && total > done ? (double)(total - done) / rate : 0;
    fprintf(stderr, "%s%.1f%% done, %llu/%llu probes, %.0f/s, %llu open, about %.0fs left%s",
            p->tty ? "\r\033[K" : "pscan: ", pct, (unsigned long long)done, (unsigned long long)total,
            rate, (unsigned long long)found, eta, p->tty ? "" : "\n");
    fflush(stderr);
    p->printed = 1;
}

void ps_progress_end(ps_progress *p)
{
    if (p->enabled && p->tty && p->printed) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
}
