/* report_cover.c: which (host, port) pairs this run scanned (report.h,
 * "coverage"), and the totals of those it did not.
 *
 * Three things keep a pair out of a run: another shard has it (its
 * position in the protocol's probe order lies outside this shard's
 * slice), the run this one resumed did it (its unit lies below the resume
 * point lo), or a stop came first (its unit lies at or above hi).  Units
 * are positions of the slice for the SYN scan, which sends in that order,
 * and hosts for the connect and UDP scans, which go host by host and probe
 * only the pairs of the slice.  So one test per pair says whether it is
 * shown, and the counts need no per-pair memory: the SYN scan's follow from
 * positions, a host-by-host scan's from its hosts (one pass over the
 * slice's pairs of its hosts when sharded, since a slice has no closed
 * form per host).
 *
 * A -sV result the stop cut short lowers hi to its pair's unit: that pair,
 * and everything after it in the engine's order, is left to the resumed
 * run, which scans it again and names its service in full. */
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

static struct cover *cover_of(ps_report *r, enum ps_proto proto)
{
    return &r->cover[proto == PS_UDP];
}

int ps_report_cover(ps_report *r, enum ps_proto proto, int by_host, uint64_t seed, uint64_t lo,
                    uint64_t pairs_before, ps_err *e)
{
    struct cover *c = cover_of(r, proto);
    uint64_t nhosts = ps_targets_count(r->targets);
    memset(c, 0, sizeof *c);
    c->nports = proto == PS_UDP ? r->ports->nudp : r->ports->ntcp;
    if (c->nports && nhosts * c->nports / c->nports != nhosts)
        return ps_fail(e, PS_EINPUT, "%llu hosts x %llu ports is too many pairs to count",
                       (unsigned long long)nhosts, (unsigned long long)c->nports);
    int rc = ps_slice_init(&c->slice, nhosts * c->nports, seed, r->cfg->shard, r->cfg->nshards, e);
    if (rc) return rc;
    pthread_mutex_lock(&r->lock);
    c->by_host = by_host;
    c->lo = lo;
    c->hi = UINT64_MAX;
    c->pairs_before = pairs_before;
    c->set = 1;
    pthread_mutex_unlock(&r->lock);
    return PS_OK;
}

uint64_t ps_report_cover_units(ps_report *r, enum ps_proto proto)
{
    const struct cover *c = cover_of(r, proto);
    return c->by_host ? ps_targets_count(r->targets) : c->slice.count;
}

void ps_report_cover_stop(ps_report *r, enum ps_proto proto, uint64_t from)
{
    pthread_mutex_lock(&r->lock);
    struct cover *c = cover_of(r, proto);
    if (from < c->hi) c->hi = from < c->lo ? c->lo : from;
    pthread_mutex_unlock(&r->lock);
}

void ps_report_cover_done(ps_report *r, enum ps_proto proto, uint64_t done)
{
    ps_report_cover_stop(r, proto, done);
}

void ps_report_stopped(ps_report *r, int discovery_cut)
{
    pthread_mutex_lock(&r->lock);
    r->stopped = 1;
    r->discovery_cut |= discovery_cut;
    pthread_mutex_unlock(&r->lock);
}

void ps_report_cover_get(ps_report *r, enum ps_proto proto, uint64_t *done, uint64_t *pairs, uint64_t *units)
{
    pthread_mutex_lock(&r->lock);
    const struct cover *c = cover_of(r, proto);
    *units = ps_report_cover_units(r, proto);
    *done = c->hi < *units ? c->hi : *units;
    *pairs = c->pairs_after;
    pthread_mutex_unlock(&r->lock);
}

/* Does the coverage take in every pair?  (Not sharded, not resumed, not
 * stopped: then nothing needs a test per pair.) */
static int cover_whole(const ps_report *r, const struct cover *c)
{
    uint64_t end = c->by_host ? ps_targets_count(r->targets) : c->slice.count;
    return !c->set || (c->slice.count == c->slice.n && c->lo == 0 && c->hi >= end);
}

int rep_cover_partial(const ps_report *r)
{
    return !cover_whole(r, &r->cover[0]) || !cover_whole(r, &r->cover[1]);
}

int rep_host_in_run(const ps_report *r, uint64_t idx)
{
    for (int p = 0; p < 2; p++) {
        const struct cover *c = &r->cover[p];
        if (!(p ? r->ports->nudp : r->ports->ntcp)) continue;
        if (!c->set || !c->by_host || (idx >= c->lo && idx < c->hi)) return 1;
    }
    return r->nports == 0; /* -sn: discovery's hosts */
}

int rep_unscanned(const ps_report *r, uint64_t idx, size_t i, uint64_t *unit)
{
    int p = i >= r->ports->ntcp;
    const struct cover *c = &r->cover[p];
    if (!c->set) return -1;
    uint64_t x = idx * c->nports + (p ? i - r->ports->ntcp : i), u = idx;
    if (c->by_host) {
        if (!ps_slice_has(&c->slice, x)) return PS_NS_SHARD;
    } else if ((u = ps_slice_pos(&c->slice, x)) == UINT64_MAX) {
        return PS_NS_SHARD;
    }
    if (unit) *unit = u;
    if (u < c->lo) return PS_NS_EARLIER;
    return u >= c->hi ? PS_NS_STOPPED : -1;
}

/* The slice's pairs in hosts [lo, hi). */
static uint64_t slice_pairs(const struct cover *c, uint64_t lo, uint64_t hi)
{
    if (hi <= lo) return 0;
    if (c->slice.count == c->slice.n) return (hi - lo) * c->nports;
    uint64_t n = 0;
    for (uint64_t h = lo; h < hi; h++)
        for (uint64_t p = 0; p < c->nports; p++) n += ps_slice_has(&c->slice, h * c->nports + p);
    return n;
}

/* Lock held, at the end: the pairs of each reason, into the summary, and
 * how far each protocol got. */
void rep_cover_totals(ps_report *r)
{
    uint64_t nhosts = ps_targets_count(r->targets);
    r->sum.pairs = nhosts * (uint64_t)r->nports;
    for (int p = 0; p < 2; p++) {
        struct cover *c = &r->cover[p];
        if (!c->set || !c->nports) continue;
        uint64_t count = c->slice.count, stopped, units = c->by_host ? nhosts : count;
        r->sum.cover[p] = (struct ps_cover_range){1, c->by_host, c->lo < units ? c->lo : units,
                                                  c->hi < units ? c->hi : units, units};
        r->sum.not_scanned[PS_NS_SHARD] += c->slice.n - count;
        if (!c->by_host) {
            uint64_t hi = c->hi < count ? c->hi : count, lo = c->lo < hi ? c->lo : hi;
            r->sum.not_scanned[PS_NS_EARLIER] += lo;
            stopped = count - hi;
            c->pairs_after = hi;
        } else {
            uint64_t hi = c->hi < nhosts ? c->hi : nhosts, lo = c->lo < hi ? c->lo : hi;
            uint64_t before = c->pairs_before < count ? c->pairs_before : count;
            uint64_t done = before + slice_pairs(c, lo, hi);
            if (done > count) done = count;
            r->sum.not_scanned[PS_NS_EARLIER] += before;
            stopped = count - done;
            c->pairs_after = done;
        }
        r->sum.not_scanned[PS_NS_STOPPED] += stopped;
    }
    r->sum.partial_cover = rep_cover_partial(r);
    r->sum.interrupted = r->stopped && (r->sum.not_scanned[PS_NS_STOPPED] > 0 || r->discovery_cut);
}

/* Lock held: a -sV result the stop cut short leaves its pair, and what
 * follows it in the engine's order, to the resumed run. */
void rep_cover_cut(ps_report *r, uint64_t idx, size_t i)
{
    uint64_t unit;
    int why = rep_unscanned(r, idx, i, &unit);
    struct cover *c = &r->cover[i >= r->ports->ntcp];
    if (c->set && why < 0 && unit < c->hi) c->hi = unit;
}
