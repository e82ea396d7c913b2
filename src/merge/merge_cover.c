/* merge_cover.c: which piece scanned a pair.  A pair (host idx, port i of
 * its protocol) has one position in its protocol's shuffled order, fixed
 * by the seed (permute.h); the shards cut that order into contiguous
 * slices (ps_shard_range), and within its shard's slice each run covered
 * a range of units: positions for the SYN scan, hosts for the scans that go
 * host by host (the summary's "cover"; report_cover.c writes it). */
#include <stdlib.h>

#include "merge_int.h"

int mg_cover_init(merge *m, ps_err *e)
{
    size_t n[2] = {m->plist.ntcp, m->plist.nudp};
    for (int p = 0; p < 2; p++) {
        if (!n[p]) continue;
        if (m->id.hosts * n[p] / n[p] != m->id.hosts)
            return ps_fail(e, PS_EINPUT, "%llu hosts x %zu ports is too many pairs to count",
                           (unsigned long long)m->id.hosts, n[p]);
        int rc = ps_slice_init(&m->whole[p], m->id.hosts * n[p], m->id.seed, 0, 1, e);
        if (rc) return rc;
    }
    /* The used pieces of each shard, in the order read. */
    unsigned ns = m->id.shards;
    if (!(m->at = calloc(ns + 1, sizeof *m->at)) || !(m->by_shard = calloc(m->npc + 1, sizeof *m->by_shard)))
        return ps_fail(e, PS_ERUNTIME, "out of memory");
    for (size_t i = 0; i < m->npc; i++)
        if (m->pc[i].used) m->at[m->pc[i].shard]++;
    for (unsigned k = 1; k <= ns; k++) m->at[k] += m->at[k - 1];
    size_t *fill = calloc(ns + 1, sizeof *fill);
    if (!fill) return ps_fail(e, PS_ERUNTIME, "out of memory");
    for (size_t i = 0; i < m->npc; i++) {
        unsigned k = m->pc[i].shard - 1;
        if (m->pc[i].used) m->by_shard[m->at[k] + fill[k]++] = i;
    }
    free(fill);
    return PS_OK;
}

/* The shard (0-based) whose slice holds position pos of n. */
static unsigned shard_of(uint64_t pos, uint64_t n, unsigned ns)
{
    unsigned k = (unsigned)((unsigned __int128)pos * ns / n);
    while (k + 1 < ns && (uint64_t)((unsigned __int128)n * (k + 1) / ns) <= pos) k++;
    while (k > 0 && (uint64_t)((unsigned __int128)n * k / ns) > pos) k--;
    return k;
}

long mg_who_scanned(const merge *m, uint64_t idx, size_t i, int *why)
{
    int p = i >= m->plist.ntcp;
    const ps_slice *w = &m->whole[p];
    uint64_t np = p ? m->plist.nudp : m->plist.ntcp, x = idx * np + (p ? i - m->plist.ntcp : i);
    uint64_t pos = ps_slice_pos(w, x);
    unsigned ns = m->id.shards, k = shard_of(pos, w->n, ns);
    uint64_t local = pos - (uint64_t)((unsigned __int128)w->n * k / ns);
    for (size_t j = m->at[k]; j < m->at[k + 1]; j++) {
        const struct piece *pc = &m->pc[m->by_shard[j]];
        const struct piece_cover *c = &pc->cover[p];
        uint64_t unit = c->by_host ? idx : local;
        if (c->whole || (unit >= c->lo && unit < c->hi)) return (long)m->by_shard[j];
    }
    *why = m->at[k] == m->at[k + 1] ? PS_NS_SHARD : PS_NS_STOPPED;
    return -1;
}
