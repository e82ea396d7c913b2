/* report.c: the results store between the scan engines and the writers.
 *
 * Engines say "host h, port p, state s"; the store keeps it
 * (report_store.c), open ports stream to the writers at once, open ports
 * go on to -sV, and a host whose results are final is built
 * (report_host.c), written and forgotten.
 *
 * Emission: the connect scan walks hosts in order and calls
 * ps_report_hosts_done() as it finishes them; the SYN scan's order is a
 * random permutation, so it lets ps_report_finish() emit everything at the
 * end, sorted.  Either way, a host's result is built once and passed to
 * every writer, then the record is freed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pscan/clock.h"
#include "pscan/hash.h"

#include "report_int.h"

ps_report *ps_report_new(const ps_config *cfg, const ps_targets *t, const ps_ports *p, ps_err *e)
{
    ps_report *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    pthread_mutex_init(&r->lock, NULL);
    r->cfg = cfg;
    r->targets = t;
    r->ports = p;
    r->nports = p->ntcp + p->nudp;
    r->nslots = 1024;
    r->li = cfg->no_local_info ? NULL : ps_localinfo_new(e);
    r->slots = calloc(r->nslots, sizeof *r->slots);
    if (!r->slots) {
        ps_report_free(r);
        ps_fail(e, PS_ERUNTIME, "out of memory");
        return NULL;
    }
    /* The normal report goes to standard output unless an output claims it
     * ("-oX -"), as nmap does; --expect adds the policy checker. */
    ps_output_spec specs[PS_MAX_OUTPUTS + 2];
    int n = 0, stdout_taken = 0;
    for (int i = 0; i < cfg->noutputs; i++) {
        specs[n++] = cfg->outputs[i];
        stdout_taken |= strcmp(cfg->outputs[i].path, "-") == 0;
    }
    if (!stdout_taken) specs[n++] = (ps_output_spec){PS_OUT_NORMAL, "-"};
    if (cfg->expect_file) specs[n++] = (ps_output_spec){PS_OUT_POLICY, cfg->expect_file};
    for (int i = 0; i < n; i++) {
        if (ps_writer_open(&r->writers[i], &specs[i], cfg, p, e)) {
            ps_report_free(r);
            return NULL;
        }
        r->nwriters++;
    }
    return r;
}

void ps_report_free(ps_report *r)
{
    if (!r) return;
    for (int i = 0; i < r->nwriters; i++) ps_writer_close(&r->writers[i]);
    ps_localinfo_free(r->li);
    for (size_t i = 0; i < r->nslots; i++)
        if (r->slots[i]) rep_record_free(r->slots[i]);
    free(r->slots);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* ---- events -------------------------------------------------------------- */

/* The digest of what the scan covers: its targets (after discovery, in
 * order; past 2^24 of them, the count and an even sample of 2^24) and its
 * ports.  Every shard of one scan computes the same. */
static void spec_digest(const ps_report *r, char out[17])
{
    uint64_t n = ps_targets_count(r->targets), step = n >> 24 ? (n >> 24) + 1 : 1;
    uint64_t h = ps_fnv1a(PS_FNV_INIT, &n, sizeof n);
    for (uint64_t i = 0; i < n; i += step) {
        ps_addr a;
        ps_targets_get(r->targets, i, &a);
        h = ps_fnv1a_addr(h, &a);
    }
    const ps_ports *p = r->ports;
    uint64_t counts[2] = {p ? p->ntcp : 0, p ? p->nudp : 0};
    h = ps_fnv1a(h, counts, sizeof counts);
    if (counts[0]) h = ps_fnv1a(h, p->tcp, counts[0] * sizeof *p->tcp);
    if (counts[1]) h = ps_fnv1a(h, p->udp, counts[1] * sizeof *p->udp);
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

void ps_report_begin(ps_report *r, const char *scan_type, const ps_scan_id *id, int argc, char **argv)
{
    ps_scan_info info = {.scan_type = scan_type, .argc = argc, .argv = argv, .id = *id};
    spec_digest(r, info.id.spec);
    clock_gettime(CLOCK_REALTIME, &info.start);
    info.nhosts = ps_targets_count(r->targets);
    info.nports = r->nports;
    r->start_s = ps_mono_s();
    pthread_mutex_lock(&r->lock);
    FAN_OUT(r, begin, &info);
    pthread_mutex_unlock(&r->lock);
}

void ps_report_snapshot_local(ps_report *r)
{
    if (!r->li) return;
    /* Past 65,536 targets, looking for a local one costs more than the
     * snapshot (a few ms) it might save. */
    uint64_t n = ps_targets_count(r->targets), i = 0;
    for (; n <= 65536 && i < n; i++) {
        ps_addr a;
        ps_targets_get(r->targets, i, &a);
        if (ps_localinfo_is_local(r->li, &a)) break;
    }
    if (n > 65536 || i < n) ps_localinfo_refresh(r->li, NULL);
}

void ps_report_set_service(ps_report *r, ps_svc_engine *svc)
{
    r->svc = svc;
}

void ps_report_hold(ps_report *r, int hold)
{
    pthread_mutex_lock(&r->lock);
    r->hold = hold;
    pthread_mutex_unlock(&r->lock);
}

/* Store a port's first answer in its host's record (lock held); an open
 * port is also streamed to the writers.  Returns 1 for a new open port. */
static int rep_store_port(ps_report *r, struct record *rec, size_t port_idx, enum ps_state st, enum ps_reason why,
                      int ttl, double rtt_s)
{
    rec->states[port_idx / 4] |= (uint8_t)(st << (2 * (port_idx % 4)));
    rec->counts[st]++;
    if (!rec->reason[st]) {
        rec->reason[st] = (uint8_t)why;
    } else if (st != PS_ST_OPEN && rec->reason[st] != why) {
        struct extra *x = rep_extra(rec);
        struct odd_reason *o = x ? rep_vec_push(&x->odd, sizeof *o) : NULL;
        if (o) *o = (struct odd_reason){(uint32_t)port_idx, (uint8_t)why};
    }
    if (rtt_s >= 0 && (rec->latency_s < 0 || rtt_s < rec->latency_s)) rec->latency_s = (float)rtt_s;
    if (st != PS_ST_OPEN) return 0;
    struct open_port *op = rep_vec_push(&rec->open, sizeof *op);
    if (!op) return 0;
    *op = (struct open_port){(uint32_t)port_idx, (uint8_t)why, (int16_t)ttl};
    ps_port_result pr = {.state = st, .reason = why, .ttl = ttl};
    rep_port_of(r, port_idx, &pr.proto, &pr.port);
    ps_addr a;
    ps_targets_get(r->targets, rec->idx, &a);
    const char *name = ps_targets_name(r->targets, &a);
    FAN_OUT(r, port, &a, name, &pr);
    return 1;
}

/* -sV: may this host's port go to the engine?  (Lock held.)  Fills what
 * submit() needs. */
static int svc_wanted(ps_report *r, struct record *rec, size_t port_idx, ps_svc_result *to)
{
    struct extra *x = r->svc ? rep_extra(rec) : NULL;
    if (!x || x->submitted >= SVC_PER_HOST) return 0;
    x->submitted++;
    x->pending++;
    memset(to, 0, sizeof *to);
    ps_targets_get(r->targets, rec->idx, &to->addr);
    rep_port_of(r, port_idx, &to->proto, &to->port);
    return 1;
}

/* Hand a port to the engine, outside the lock (its callback takes it); a
 * refusal is reported as an unknown service so the host is not kept
 * waiting. */
static void submit(ps_report *r, ps_svc_result *s)
{
    if (ps_svc_submit(r->svc, &s->addr, s->port, s->proto) == PS_OK) return;
    s->status = PS_SVC_UNKNOWN;
    ps_report_service(r, s);
}

/* One outcome, lock held.  Returns 1 when the port goes to -sV: *to then
 * says what to submit, which the caller does after unlocking. */
static int record_port(ps_report *r, uint64_t host, size_t port_idx, enum ps_state st, enum ps_reason why,
                       int ttl, double rtt_s, ps_svc_result *to)
{
    if (st == PS_ST_NONE || st > PS_ST_FILTERED || port_idx >= r->nports) return 0;
    struct record *rec = host >= r->next_done ? rep_get(r, host) : NULL;
    if (!rec || rep_state(rec, port_idx) != PS_ST_NONE || !rep_store_port(r, rec, port_idx, st, why, ttl, rtt_s))
        return 0;
    return svc_wanted(r, rec, port_idx, to);
}

void ps_report_port(ps_report *r, uint64_t host, size_t port_idx, enum ps_state st,
                    enum ps_reason why, int ttl, double rtt_s)
{
    ps_svc_result to;
    pthread_mutex_lock(&r->lock);
    int go = record_port(r, host, port_idx, st, why, ttl, rtt_s, &to);
    pthread_mutex_unlock(&r->lock);
    if (go) submit(r, &to);
}

void ps_report_ports(ps_report *r, const ps_port_event *ev, size_t n)
{
    size_t i = 0;
    while (i < n) {
        ps_svc_result to;
        int go = 0;
        pthread_mutex_lock(&r->lock);
        for (; i < n && !go; i++)
            go = record_port(r, ev[i].host, ev[i].port_idx, (enum ps_state)ev[i].state,
                             (enum ps_reason)ev[i].reason, ev[i].ttl, ev[i].rtt_s, &to);
        pthread_mutex_unlock(&r->lock);
        if (go) submit(r, &to);
    }
}

void ps_report_silent(ps_report *r, uint64_t host, size_t port_idx)
{
    ps_svc_result to;
    int go = 0;
    if (!r->svc || port_idx >= r->nports) return;
    pthread_mutex_lock(&r->lock);
    struct record *rec = host >= r->next_done ? rep_get(r, host) : NULL;
    if (rec && rep_state(rec, port_idx) == PS_ST_NONE) go = svc_wanted(r, rec, port_idx, &to);
    pthread_mutex_unlock(&r->lock);
    if (go) submit(r, &to);
}

static void emit_and_drop(ps_report *r, uint64_t idx)
{
    struct record **s = rep_find(r, idx);
    struct record *rec = *s;
    if (rec && rec->x && rec->x->pending) { /* -sV still at work: its callback emits */
        rec->x->scan_done = 1;
        return;
    }
    if (rep_host_answered(rec) || r->cfg->no_ping) rep_emit(r, idx, rec);
    if (rec) {
        rep_remove(r, s);
        rep_record_free(rec);
    }
}

/* A UDP port the scan left open|filtered is what -sV found it to be: a
 * reply makes it open, a port unreachable closed; silence leaves it as it
 * was, and its result is dropped (there is nothing to say).  Returns 0 if
 * the result is to be dropped.  Lock held. */
static int settle_udp(ps_report *r, struct record *rec, const ps_svc_result *res)
{
    size_t i;
    if (res->proto != PS_UDP || !rep_port_index(r, PS_UDP, res->port, &i) || rep_state(rec, i) != PS_ST_NONE)
        return 1;
    if (res->status == PS_SVC_CLOSED) {
        rep_store_port(r, rec, i, PS_ST_CLOSED, PS_R_PORT_UNREACH, -1, -1);
        return 0;
    }
    if (res->status == PS_SVC_MATCH || res->status == PS_SVC_SOFT || res->banner_len) {
        rep_store_port(r, rec, i, PS_ST_OPEN, PS_R_UDP_RESPONSE, -1, -1);
        return 1;
    }
    return 0;
}

void ps_report_service(ps_report *r, const ps_svc_result *res)
{
    uint64_t idx;
    pthread_mutex_lock(&r->lock);
    struct record **s = ps_targets_index(r->targets, &res->addr, &idx) ? rep_find(r, idx) : NULL;
    struct record *rec = s ? *s : NULL;
    size_t i;
    if (!rec || !rec->x) goto out;
    if (res->cut) { /* a stop ended it: the pair is left to --resume */
        if (rep_port_index(r, res->proto, res->port, &i)) rep_cover_cut(r, idx, i);
    } else if (settle_udp(r, rec, res)) {
        uint8_t *packed = ps_svc_pack(res), **slot = packed ? rep_vec_push(&rec->x->svc, sizeof *slot) : NULL;
        if (slot) *slot = packed;
        else free(packed);
    }
    if (rec->x->pending) rec->x->pending--;
    if (!rec->x->pending && rec->x->scan_done) {
        if (rep_host_answered(rec) || r->cfg->no_ping) rep_emit(r, idx, rec);
        rep_remove(r, s);
        rep_record_free(rec);
    }
out:
    pthread_mutex_unlock(&r->lock);
}

void ps_report_host_up(ps_report *r, uint64_t host, double latency_s, const char *reason,
                       const uint8_t *mac)
{
    pthread_mutex_lock(&r->lock);
    struct record *rec = host >= r->next_done ? rep_get(r, host) : NULL;
    struct extra *x = rec ? rep_extra(rec) : NULL;
    if (x) {
        x->up_reason = reason;
        if (mac) {
            memcpy(x->mac, mac, 6);
            x->has_mac = 1;
        }
        if (latency_s > 0 && (rec->latency_s < 0 || latency_s < rec->latency_s)) rec->latency_s = (float)latency_s;
    }
    pthread_mutex_unlock(&r->lock);
}

void ps_report_set_hosts_total(ps_report *r, uint64_t n)
{
    r->hosts_total = n;
}

void ps_report_skip_hosts(ps_report *r, uint64_t upto)
{
    pthread_mutex_lock(&r->lock);
    if (upto > r->next_done && !r->hold) r->next_done = upto;
    pthread_mutex_unlock(&r->lock);
}

void ps_report_hosts_done(ps_report *r, uint64_t upto)
{
    pthread_mutex_lock(&r->lock);
    for (; !r->hold && r->next_done <= upto; r->next_done++) emit_and_drop(r, r->next_done);
    pthread_mutex_unlock(&r->lock);
}

static int cmp_rec(const void *a, const void *b)
{
    const struct record *x = *(struct record *const *)a, *y = *(struct record *const *)b;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

void ps_report_finish(ps_report *r)
{
    uint64_t n = ps_targets_count(r->targets);
    pthread_mutex_lock(&r->lock);
    if (r->cfg->no_ping) {
        for (; r->next_done < n; r->next_done++) emit_and_drop(r, r->next_done);
    } else if (r->nrecords) {
        struct record **list = malloc(r->nrecords * sizeof *list);
        size_t k = 0;
        for (size_t i = 0; list && i < r->nslots; i++)
            if (r->slots[i]) list[k++] = r->slots[i];
        if (list) {
            qsort(list, k, sizeof *list, cmp_rec);
            for (size_t i = 0; i < k; i++)
                if (rep_host_answered(list[i])) rep_emit(r, list[i]->idx, list[i]);
            for (size_t i = 0; i < r->nslots; i++)
                if (r->slots[i]) {
                    rep_record_free(r->slots[i]);
                    r->slots[i] = NULL;
                }
            r->nrecords = 0;
        }
        free(list);
        r->next_done = n;
    }
    r->sum.hosts = r->hosts_total ? r->hosts_total : n;
    r->sum.elapsed_s = ps_mono_s() - r->start_s;
    rep_cover_totals(r);
    FAN_OUT(r, end, &r->sum);
    for (int i = 0; i < r->nwriters; i++) ps_writer_end(&r->writers[i]);
    pthread_mutex_unlock(&r->lock);
}

int ps_report_output_error(ps_report *r, ps_err *e)
{
    size_t n = 0;
    e->msg[0] = '\0';
    for (int i = 0; i < r->nwriters; i++) {
        const ps_writer *w = &r->writers[i];
        if (!w->err || n >= sizeof e->msg) continue;
        const char *q = strncmp(w->name, "standard ", 9) == 0 ? "" : "'"; /* "standard output" */
        n += (size_t)snprintf(e->msg + n, sizeof e->msg - n, "%scannot write %s%s%s: %s", n ? "; " : "", q, w->name,
                              q, strerror(w->err));
    }
    return n ? PS_ERUNTIME : PS_OK;
}

int ps_report_status(ps_report *r)
{
    int st = 0;
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < r->nwriters; i++)
        if (r->writers[i].ops->status) {
            int w = r->writers[i].ops->status(&r->writers[i]);
            if (w > st) st = w;
        }
    pthread_mutex_unlock(&r->lock);
    return st;
}

void ps_report_counts(ps_report *r, ps_scan_summary *out)
{
    pthread_mutex_lock(&r->lock);
    *out = r->sum;
    pthread_mutex_unlock(&r->lock);
}
