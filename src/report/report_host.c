/* report_host.c: one host's result as the writers see it (ps_host_result),
 * built from its record once it is final: the rows shown, in port order,
 * with their -sV results and the processes behind them; the states folded
 * into "Not shown" lines; and the totals of the scan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

/* Did the host itself answer?  An ICMP host or network unreachable comes
 * from a router about a host that did not. */
int rep_host_answered(const struct record *rec)
{
    if (!rec) return 0;
    if (rec->x && rec->x->up_reason) return 1;
    if (rec->counts[PS_ST_OPEN] || rec->counts[PS_ST_CLOSED]) return 1;
    return rec->counts[PS_ST_FILTERED] && rec->reason[PS_ST_FILTERED] != PS_R_HOST_UNREACH &&
           rec->reason[PS_ST_FILTERED] != PS_R_NET_UNREACH;
}

/* Service results sort like rows: TCP before UDP, then by port. */
static unsigned svc_key(const ps_svc_result *s)
{
    return (unsigned)s->proto << 16 | s->port;
}

static unsigned svc_key_of(const ps_port_result *p)
{
    return (unsigned)p->proto << 16 | p->port;
}

static int cmp_svc(const void *a, const void *b)
{
    unsigned x = svc_key(a), y = svc_key(b);
    return (x > y) - (x < y);
}

static int cmp_open(const void *a, const void *b)
{
    const struct open_port *x = a, *y = b;
    return (x->port_idx > y->port_idx) - (x->port_idx < y->port_idx);
}

static int cmp_odd(const void *a, const void *b)
{
    const struct odd_reason *x = a, *y = b;
    return (x->port_idx > y->port_idx) - (x->port_idx < y->port_idx);
}

/* Local truth: for a host that is this machine, name the process behind
 * each open row.  Returns the array the rows point into (caller frees). */
static ps_proc_info *attribute(ps_report *r, ps_host_result *h, ps_port_result *rows)
{
    if (!r->li || !rows || !h->nports || !ps_localinfo_is_local(r->li, &h->addr)) return NULL;
    ps_proc_info *procs = calloc(h->nports, sizeof *procs);
    if (!procs) return NULL;
    for (size_t k = 0; k < h->nports; k++) {
        if (rows[k].state != PS_ST_OPEN) continue;
        int rc = ps_localinfo_lookup(r->li, &h->addr, rows[k].port, rows[k].proto, &procs[k]);
        if (rc == PS_OK && (procs[k].found || procs[k].other_netns)) rows[k].proc = &procs[k];
        else if (rc && r->cfg->debug) fprintf(stderr, "pscan: local info: %s\n", ps_localinfo_error(r->li));
    }
    if (!r->li_noted && !ps_localinfo_complete(r->li) && !r->cfg->quiet) {
        fprintf(stderr, "pscan: cannot see the owners of some sockets (run as root)\n");
        r->li_noted = 1;
    }
    return procs;
}

/* A row's state as shown (ps_state_shown), by protocol index. */
static enum ps_state shown_as(int p, int s)
{
    return ps_state_shown(p ? PS_UDP : PS_TCP, (enum ps_state)s);
}

/* What one host's result is built from: its record (NULL: nothing
 * answered), the counts per protocol and state of the ports this run
 * scanned, which states fold into "Not shown", the ports it did not scan
 * (skip, NULL when it scanned them all), and its open ports, -sV results
 * and odd reasons sorted by port. */
struct host_view {
    const struct record *rec;
    const struct extra *x;
    uint64_t count[2][PS_ST_COUNT];
    int hide[2][PS_ST_COUNT];
    size_t nrows, scanned;
    uint8_t *skip;
    const struct open_port *open;
    uint32_t nopen;
    ps_svc_result *svc; /* unpacked for this host only (3 KB each) */
    uint32_t nsvc;
    const struct odd_reason *odd;
};

/* The ports of this host the run did not scan, counted by reason into h
 * and marked in v->skip (which stays NULL when there are none).  -1 when
 * out of memory: the host cannot be told right, and is not told at all. */
static int mark_unscanned(const ps_report *r, struct host_view *v, uint64_t idx, ps_host_result *h)
{
    if (!rep_cover_partial(r)) return 0;
    for (size_t i = 0; i < r->nports; i++) {
        int why = rep_unscanned(r, idx, i, NULL);
        if (why < 0) continue;
        if (!v->skip && !(v->skip = calloc(r->nports, 1))) return -1;
        v->skip[i] = 1;
        h->not_scanned[i >= r->ports->ntcp][why]++;
    }
    return 0;
}

/* Count the states of the scanned ports; decide what is hidden.  A host
 * open on every port is a SYN proxy or a firewall answering for it: its
 * open ports fold into one line instead of thousands of rows.  A shard
 * (--shard, N > 1) folds every state but open: it is a part for pscan
 * merge, which lists the ports again where the whole host has few, and a
 * shard's few rows per host would otherwise make the parts of a large scan
 * many times the size of the whole. */
static void count_states(const ps_report *r, struct host_view *v, ps_host_result *h)
{
    for (size_t i = 0; i < r->nports; i++) {
        if (v->skip && v->skip[i]) continue;
        enum ps_state s = v->rec ? rep_state(v->rec, i) : PS_ST_NONE;
        v->count[i >= r->ports->ntcp][s]++;
        v->scanned++;
    }
    h->all_open = v->scanned >= ALL_OPEN_MIN && v->count[0][PS_ST_OPEN] + v->count[1][PS_ST_OPEN] == v->scanned;
    for (int p = 0; p < 2; p++)
        for (int s = 0; s < PS_ST_COUNT; s++) {
            v->hide[p][s] = s == PS_ST_OPEN ? h->all_open
                                            : v->count[p][s] > HIDE_THRESHOLD || r->cfg->open_only || r->cfg->nshards > 1;
            if (!v->hide[p][s]) v->nrows += v->count[p][s];
        }
}

/* Did the host answer on a port this run scanned, or did discovery find
 * it up? */
static int view_up(const struct host_view *v)
{
    const struct record *rec = v->rec;
    if (v->x && v->x->up_reason) return 1;
    if (!rec) return 0;
    uint64_t filtered = v->count[0][PS_ST_FILTERED] + v->count[1][PS_ST_FILTERED];
    if (v->count[0][PS_ST_OPEN] + v->count[1][PS_ST_OPEN] + v->count[0][PS_ST_CLOSED] + v->count[1][PS_ST_CLOSED])
        return 1;
    return filtered && rec->reason[PS_ST_FILTERED] != PS_R_HOST_UNREACH &&
           rec->reason[PS_ST_FILTERED] != PS_R_NET_UNREACH;
}

/* Sort what the record holds by port, and unpack its -sV results (none
 * when out of memory: the rows are still right, only unnamed). */
static void gather(struct record *rec, struct host_view *v)
{
    static const struct extra none;
    v->x = rec && rec->x ? rec->x : &none;
    v->open = rec ? rec->open.v : NULL;
    v->nopen = rec ? rec->open.n : 0;
    v->odd = v->x->odd.v;
    v->svc = v->x->svc.n ? malloc(v->x->svc.n * sizeof *v->svc) : NULL;
    v->nsvc = v->svc ? v->x->svc.n : 0;
    for (uint32_t i = 0; i < v->nsvc; i++) ps_svc_unpack(((uint8_t **)v->x->svc.v)[i], &v->svc[i]);
    if (v->nopen) qsort(rec->open.v, v->nopen, sizeof *v->open, cmp_open);
    if (v->nsvc) qsort(v->svc, v->nsvc, sizeof *v->svc, cmp_svc);
    if (v->x->odd.n) qsort(v->x->odd.v, v->x->odd.n, sizeof *v->odd, cmp_odd);
}

/* The shown rows, in port order: one merge of the port states with three
 * sorted streams (open ports, -sV results, odd reasons).  Returns how
 * many. */
static size_t build_rows(const ps_report *r, const struct host_view *v, ps_port_result *rows)
{
    const struct record *rec = v->rec;
    size_t k = 0, o = 0, sv = 0, d = 0;
    for (size_t i = 0; i < r->nports; i++) {
        enum ps_state s = rec ? rep_state(rec, i) : PS_ST_NONE;
        if ((v->skip && v->skip[i]) || v->hide[i >= r->ports->ntcp][s]) continue;
        ps_port_result *row = &rows[k++];
        rep_port_of(r, i, &row->proto, &row->port);
        row->state = ps_state_shown(row->proto, s);
        row->ttl = -1;
        row->reason = s == PS_ST_NONE ? PS_R_NO_RESPONSE : rec ? (enum ps_reason)rec->reason[s] : PS_R_NONE;
        if (rec && s != PS_ST_OPEN && s != PS_ST_NONE) {
            while (d < v->x->odd.n && v->odd[d].port_idx < i) d++;
            if (d < v->x->odd.n && v->odd[d].port_idx == i) row->reason = (enum ps_reason)v->odd[d].reason;
        }
        if (s != PS_ST_OPEN) continue;
        while (o < v->nopen && v->open[o].port_idx < i) o++;
        if (o < v->nopen && v->open[o].port_idx == i) {
            row->reason = (enum ps_reason)v->open[o].reason;
            row->ttl = v->open[o].ttl;
        }
        while (sv < v->nsvc && svc_key(&v->svc[sv]) < svc_key_of(row)) sv++;
        if (sv < v->nsvc && svc_key(&v->svc[sv]) == svc_key_of(row)) row->svc = &v->svc[sv];
    }
    return k;
}

/* One hidden group per (protocol, state, reason): the state's first
 * reason takes its count less the ports recorded with another; the
 * largest group first, as a reader expects. */
static void fold_hidden(const ps_report *r, const struct host_view *v, ps_host_result *h)
{
    const struct record *rec = v->rec;
    for (int p = 0; p < 2; p++)
        for (int s = 0; s < PS_ST_COUNT; s++) {
            if (!v->hide[p][s] || !v->count[p][s]) continue;
            uint64_t by_reason[PS_R_COUNT] = {0};
            by_reason[s == PS_ST_NONE ? PS_R_NO_RESPONSE : rec->reason[s]] = v->count[p][s];
            for (uint32_t j = 0; s != PS_ST_NONE && j < v->x->odd.n; j++) {
                uint32_t pi = v->odd[j].port_idx;
                if ((pi >= r->ports->ntcp) != p || rep_state(rec, pi) != (enum ps_state)s) continue;
                if (v->skip && v->skip[pi]) continue;
                by_reason[rec->reason[s]]--;
                by_reason[v->odd[j].reason]++;
            }
            for (int why = 0; why < PS_R_COUNT; why++) {
                if (!by_reason[why] || h->nhidden == PS_MAX_HIDDEN) continue;
                h->hidden[h->nhidden++] = (ps_hidden_state){.proto = p ? PS_UDP : PS_TCP, .state = shown_as(p, s),
                                                            .reason = (enum ps_reason)why, .count = by_reason[why]};
            }
        }
    ps_hidden_sort(h->hidden, h->nhidden);
}

/* A shard's groups but the largest of each protocol list their ports
 * (result.h), so that pscan merge can give every port of a group its
 * state and reason where the whole host lists them.  store holds
 * r->nports ports. */
static void list_ports(const ps_report *r, const struct host_view *v, ps_host_result *h, uint16_t *store)
{
    const struct record *rec = v->rec;
    size_t used = 0, d = 0;
    for (int g = 0; g < h->nhidden; g++) {
        ps_hidden_state *hs = &h->hidden[g];
        int largest = 1, p = hs->proto == PS_UDP;
        for (int k = 0; k < g; k++) largest &= h->hidden[k].proto != hs->proto;
        if (largest) continue;
        hs->ports = store + used;
        d = 0;
        for (size_t i = p ? r->ports->ntcp : 0; i < (p ? r->nports : r->ports->ntcp); i++) {
            if (v->skip && v->skip[i]) continue;
            enum ps_state st = rec ? rep_state(rec, i) : PS_ST_NONE;
            enum ps_reason why = st == PS_ST_NONE ? PS_R_NO_RESPONSE : (enum ps_reason)rec->reason[st];
            while (d < v->x->odd.n && v->odd[d].port_idx < i) d++;
            if (st != PS_ST_NONE && d < v->x->odd.n && v->odd[d].port_idx == i) why = (enum ps_reason)v->odd[d].reason;
            if (shown_as(p, st) != hs->state || why != hs->reason) continue;
            uint16_t port;
            enum ps_proto proto;
            rep_port_of(r, i, &proto, &port);
            store[used++] = port;
            hs->nports++;
        }
    }
}

/* Build one host's result from its record (NULL: nothing answered) and
 * hand it to the writers, unless this run scanned none of its pairs or it
 * did not answer on those (without -Pn).  Lock held. */
void rep_emit(ps_report *r, uint64_t idx, struct record *rec)
{
    ps_host_result h;
    struct host_view v;
    memset(&h, 0, sizeof h);
    memset(&v, 0, sizeof v);
    v.rec = rec;
    v.x = rec ? rec->x : NULL;
    if (!rec && !rep_host_in_run(r, idx)) return; /* -Pn: a host another run scans */
    if (mark_unscanned(r, &v, idx, &h) < 0) return; /* out of memory: nothing sure to say */
    count_states(r, &v, &h);
    if ((r->nports && v.scanned == 0) || !(view_up(&v) || r->cfg->no_ping)) {
        free(v.skip);
        return;
    }
    ps_targets_get(r->targets, idx, &h.addr);
    h.index = idx;
    h.name = ps_targets_name(r->targets, &h.addr);
    h.up = view_up(&v);
    h.latency_s = rec ? rec->latency_s : -1;
    if (rec && rec->x) {
        h.up_reason = rec->x->up_reason;
        memcpy(h.mac, rec->x->mac, 6);
        h.has_mac = rec->x->has_mac;
    }
    h.scanned = v.scanned;
    ps_port_result *rows = calloc(v.nrows ? v.nrows : 1, sizeof *rows);
    gather(rec, &v);
    if (rows) {
        h.ports = rows;
        h.nports = build_rows(r, &v, rows);
    }
    ps_proc_info *procs = attribute(r, &h, rows);
    fold_hidden(r, &v, &h);
    uint16_t *listed = r->cfg->nshards > 1 && h.nhidden > 1 ? calloc(r->nports, sizeof *listed) : NULL;
    if (listed) list_ports(r, &v, &h, listed);
    for (int p = 0; p < 2; p++)
        for (int s = 0; s < PS_ST_COUNT; s++) r->sum.by_state[shown_as(p, s)] += v.count[p][s];
    r->sum.hosts_up += h.up;
    FAN_OUT(r, host, &h);
    free(listed);
    free(procs);
    free(rows);
    free(v.svc);
    free(v.skip);
}
