/* report.c: the results store between the scan engines and the writers.
 *
 * A host gets a record the first time any of its probes is answered.  The
 * record holds a 2-bit state per scanned port (so 1,000 ports cost 250
 * bytes) and a small array with the details of its open ports.  Hosts that
 * never answer never get a record: a dead /8 costs nothing here.  Records
 * live in an open-addressing hash table keyed by host index.
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
#include "pscan/localinfo.h"
#include "pscan/output.h"
#include "pscan/report.h"
#include "pscan/service.h"

enum {
    HIDE_THRESHOLD = 25, /* a state with more ports folds into "Not shown" */
    ALL_OPEN_MIN = 64,   /* fewer scanned ports open is not suspicious */
    SVC_PER_HOST = 256,  /* -sV stops after this many open ports of a host */
};

struct open_port {
    uint32_t port_idx;
    uint8_t reason;
    int16_t ttl;
};

/* A closed or filtered port whose reason differs from the first one seen
 * for its state (an admin-prohibited among port-unreachables, say). */
struct odd_reason {
    uint32_t port_idx;
    uint8_t reason;
};

/* A growable array of fixed-size items; an empty one costs 16 bytes. */
struct vec {
    void *v;
    uint32_t n, cap;
};

/* Room for one more item of `size` bytes at the end, or NULL. */
static void *vec_push(struct vec *a, size_t size)
{
    if (a->n == a->cap) {
        uint32_t cap = a->cap ? a->cap * 2 : 2;
        void *n = realloc(a->v, cap * size);
        if (!n) return NULL;
        a->v = n;
        a->cap = cap;
    }
    return (char *)a->v + (size_t)a->n++ * size;
}

/* What few hosts need: -sV bookkeeping and odd reasons. */
struct extra {
    const char *up_reason; /* host discovery said up, and why (static) */
    uint8_t mac[6];
    int has_mac;
    int scan_done;   /* the port scan has nothing more for this host */
    uint32_t submitted; /* ports handed to -sV */
    uint32_t pending; /* -sV results still to come */
    struct vec svc;  /* uint8_t *, packed ps_svc_result (ps_svc_pack), in arrival order */
    struct vec odd;  /* struct odd_reason */
};

/* Kept small: a live /16 has 65,536 of these. */
struct record {
    uint64_t idx;
    float latency_s;                    /* smallest round trip seen, < 0: none */
    uint32_t counts[PS_ST_FILTERED + 1]; /* ports per answered state */
    uint8_t reason[PS_ST_FILTERED + 1]; /* first reason seen per state */
    struct vec open;                    /* struct open_port */
    struct extra *x;                    /* NULL until needed */
    uint8_t states[];                   /* 2 bits per port index */
};

static struct extra *extra_of(struct record *rec)
{
    if (!rec->x) rec->x = calloc(1, sizeof *rec->x);
    return rec->x;
}

struct ps_report {
    pthread_mutex_t lock;
    const ps_config *cfg;
    const ps_targets *targets;
    const ps_ports *ports;
    size_t nports;
    ps_writer writers[PS_MAX_OUTPUTS + 2];
    int nwriters;
    double start_s;     /* ps_mono_s() at ps_report_begin */
    uint64_t next_done; /* hosts below this were emitted */
    struct record **slots;
    size_t nslots, nrecords;
    ps_scan_summary sum;
    ps_svc_engine *svc; /* -sV: open ports are handed to it */
    ps_localinfo *li;   /* the process behind ports of this machine */
    uint64_t hosts_total; /* addresses asked about, if more than the targets */
    int li_noted;       /* said once that some owners are hidden */
    int hold;           /* an earlier phase of a TCP+UDP run: emit nothing */
};

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

static void free_record(struct record *rec)
{
    free(rec->open.v);
    if (rec->x) {
        for (uint32_t i = 0; i < rec->x->svc.n; i++) free(((uint8_t **)rec->x->svc.v)[i]);
        free(rec->x->svc.v);
        free(rec->x->odd.v);
        free(rec->x);
    }
    free(rec);
}

void ps_report_free(ps_report *r)
{
    if (!r) return;
    for (int i = 0; i < r->nwriters; i++) ps_writer_close(&r->writers[i]);
    ps_localinfo_free(r->li);
    for (size_t i = 0; i < r->nslots; i++)
        if (r->slots[i]) free_record(r->slots[i]);
    free(r->slots);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* ---- the hash table ------------------------------------------------------ */

static size_t slot_of(const ps_report *r, uint64_t idx)
{
    uint64_t h = idx * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 17) & (r->nslots - 1);
}

static struct record **find_slot(ps_report *r, uint64_t idx)
{
    size_t i = slot_of(r, idx);
    while (r->slots[i] && r->slots[i]->idx != idx) i = (i + 1) & (r->nslots - 1);
    return &r->slots[i];
}

static int grow(ps_report *r)
{
    size_t old = r->nslots;
    struct record **os = r->slots;
    r->slots = calloc(old * 2, sizeof *r->slots);
    if (!r->slots) {
        r->slots = os;
        return -1;
    }
    r->nslots = old * 2;
    for (size_t i = 0; i < old; i++)
        if (os[i]) *find_slot(r, os[i]->idx) = os[i];
    free(os);
    return 0;
}

/* Remove by backward-shift deletion, keeping probe chains intact. */
static void remove_slot(ps_report *r, struct record **slot)
{
    size_t i = (size_t)(slot - r->slots), j = i;
    r->slots[i] = NULL;
    r->nrecords--;
    for (;;) {
        j = (j + 1) & (r->nslots - 1);
        if (!r->slots[j]) return;
        size_t k = slot_of(r, r->slots[j]->idx);
        /* Move j back to i unless its home k lies cyclically in (i, j]. */
        if (i <= j ? (i < k && k <= j) : (i < k || k <= j)) continue;
        r->slots[i] = r->slots[j];
        r->slots[j] = NULL;
        i = j;
    }
}

static struct record *get_record(ps_report *r, uint64_t idx)
{
    struct record **s = find_slot(r, idx);
    if (*s) return *s;
    if ((r->nrecords + 1) * 2 > r->nslots) {
        if (grow(r)) return NULL;
        s = find_slot(r, idx);
    }
    struct record *rec = calloc(1, sizeof *rec + (r->nports + 3) / 4);
    if (!rec) return NULL;
    rec->idx = idx;
    rec->latency_s = -1;
    *s = rec;
    r->nrecords++;
    return rec;
}

static enum ps_state get_state(const struct record *rec, size_t i)
{
    return (enum ps_state)((rec->states[i / 4] >> (2 * (i % 4))) & 3);
}

/* ---- events -------------------------------------------------------------- */

void ps_report_begin(ps_report *r, const char *scan_type, int argc, char **argv)
{
    ps_scan_info info = {.scan_type = scan_type, .argc = argc, .argv = argv};
    clock_gettime(CLOCK_REALTIME, &info.start);
    info.nhosts = ps_targets_count(r->targets);
    info.nports = r->nports;
    r->start_s = ps_mono_s();
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < r->nwriters; i++)
        if (r->writers[i].ops->begin) r->writers[i].ops->begin(&r->writers[i], &info);
    pthread_mutex_unlock(&r->lock);
}

static void port_of(const ps_report *r, size_t i, enum ps_proto *proto, uint16_t *port)
{
    if (i < r->ports->ntcp) {
        *proto = PS_TCP;
        *port = r->ports->tcp[i];
    } else {
        *proto = PS_UDP;
        *port = r->ports->udp[i - r->ports->ntcp];
    }
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
static int store_port(ps_report *r, struct record *rec, size_t port_idx, enum ps_state st, enum ps_reason why,
                      int ttl, double rtt_s)
{
    rec->states[port_idx / 4] |= (uint8_t)(st << (2 * (port_idx % 4)));
    rec->counts[st]++;
    if (!rec->reason[st]) {
        rec->reason[st] = (uint8_t)why;
    } else if (st != PS_ST_OPEN && rec->reason[st] != why) {
        struct extra *x = extra_of(rec);
        struct odd_reason *o = x ? vec_push(&x->odd, sizeof *o) : NULL;
        if (o) *o = (struct odd_reason){(uint32_t)port_idx, (uint8_t)why};
    }
    if (rtt_s >= 0 && (rec->latency_s < 0 || rtt_s < rec->latency_s)) rec->latency_s = (float)rtt_s;
    if (st != PS_ST_OPEN) return 0;
    struct open_port *op = vec_push(&rec->open, sizeof *op);
    if (!op) return 0;
    *op = (struct open_port){(uint32_t)port_idx, (uint8_t)why, (int16_t)ttl};
    ps_port_result pr = {.state = st, .reason = why, .ttl = ttl};
    port_of(r, port_idx, &pr.proto, &pr.port);
    ps_addr a;
    ps_targets_get(r->targets, rec->idx, &a);
    const char *name = ps_targets_name(r->targets, &a);
    for (int i = 0; i < r->nwriters; i++)
        if (r->writers[i].ops->port) r->writers[i].ops->port(&r->writers[i], &a, name, &pr);
    return 1;
}

/* -sV: may this host's port go to the engine?  (Lock held.)  Fills what
 * submit() needs. */
static int svc_wanted(ps_report *r, struct record *rec, size_t port_idx, ps_svc_result *to)
{
    struct extra *x = r->svc ? extra_of(rec) : NULL;
    if (!x || x->submitted >= SVC_PER_HOST) return 0;
    x->submitted++;
    x->pending++;
    memset(to, 0, sizeof *to);
    ps_targets_get(r->targets, rec->idx, &to->addr);
    port_of(r, port_idx, &to->proto, &to->port);
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
    struct record *rec = host >= r->next_done ? get_record(r, host) : NULL;
    if (!rec || get_state(rec, port_idx) != PS_ST_NONE || !store_port(r, rec, port_idx, st, why, ttl, rtt_s))
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
    struct record *rec = host >= r->next_done ? get_record(r, host) : NULL;
    if (rec && get_state(rec, port_idx) == PS_ST_NONE) go = svc_wanted(r, rec, port_idx, &to);
    pthread_mutex_unlock(&r->lock);
    if (go) submit(r, &to);
}

/* Did the host itself answer?  An ICMP host or network unreachable comes
 * from a router about a host that did not. */
static int host_answered(const struct record *rec)
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

/* Build one host's result from its record (NULL: nothing answered) and
 * hand it to the writers. */
static void emit(ps_report *r, uint64_t idx, struct record *rec)
{
    ps_host_result h;
    memset(&h, 0, sizeof h);
    ps_targets_get(r->targets, idx, &h.addr);
    h.name = ps_targets_name(r->targets, &h.addr);
    h.up = host_answered(rec);
    h.latency_s = rec ? rec->latency_s : -1;
    if (rec && rec->x) {
        h.up_reason = rec->x->up_reason;
        memcpy(h.mac, rec->x->mac, 6);
        h.has_mac = rec->x->has_mac;
    }
    h.scanned = r->nports;

    /* Per protocol and state: how many ports, and is the state hidden? */
    uint64_t count[2][PS_ST_COUNT] = {{0}};
    static const enum ps_state shown_as_by_proto[2][PS_ST_COUNT] = {
        {PS_ST_FILTERED, PS_ST_CLOSED, PS_ST_OPEN, PS_ST_FILTERED, PS_ST_OPEN_FILTERED},
        {PS_ST_OPEN_FILTERED, PS_ST_CLOSED, PS_ST_OPEN, PS_ST_FILTERED, PS_ST_OPEN_FILTERED},
    };
    for (size_t i = 0; i < r->nports; i++) {
        enum ps_state s = rec ? get_state(rec, i) : PS_ST_NONE;
        count[i >= r->ports->ntcp][s]++;
    }
    /* A host open on every port is a SYN proxy or a firewall answering for
     * it: its open ports fold into one line instead of thousands of rows. */
    h.all_open = r->nports >= ALL_OPEN_MIN && count[0][PS_ST_OPEN] + count[1][PS_ST_OPEN] == r->nports;
    int hide[2][PS_ST_COUNT];
    size_t nrows = 0;
    for (int p = 0; p < 2; p++)
        for (int s = 0; s < PS_ST_COUNT; s++) {
            hide[p][s] = s == PS_ST_OPEN ? h.all_open : count[p][s] > HIDE_THRESHOLD || r->cfg->open_only;
            if (!hide[p][s]) nrows += count[p][s];
        }
    ps_port_result *rows = calloc(nrows ? nrows : 1, sizeof *rows);
    static const struct extra none;
    const struct extra *x = rec && rec->x ? rec->x : &none;
    struct open_port *open = rec ? rec->open.v : NULL;
    uint32_t nopen = rec ? rec->open.n : 0;
    /* Results are kept packed (3 KB each unpacked): unpacked for this host only. */
    ps_svc_result *svc = x->svc.n ? malloc(x->svc.n * sizeof *svc) : NULL;
    uint32_t nsvc = svc ? x->svc.n : 0;
    for (uint32_t i = 0; i < nsvc; i++) ps_svc_unpack(((uint8_t **)x->svc.v)[i], &svc[i]);
    struct odd_reason *odd = x->odd.v;
    if (nopen) qsort(open, nopen, sizeof *open, cmp_open);
    if (nsvc) qsort(svc, nsvc, sizeof *svc, cmp_svc);
    if (x->odd.n) qsort(odd, x->odd.n, sizeof *odd, cmp_odd);
    size_t k = 0, o = 0, v = 0, d = 0;
    for (size_t i = 0; rows && i < r->nports; i++) {
        enum ps_state s = rec ? get_state(rec, i) : PS_ST_NONE;
        if (hide[i >= r->ports->ntcp][s]) continue;
        ps_port_result *row = &rows[k++];
        port_of(r, i, &row->proto, &row->port);
        row->state = shown_as_by_proto[row->proto][s];
        row->ttl = -1;
        row->reason = s == PS_ST_NONE ? PS_R_NO_RESPONSE : rec ? (enum ps_reason)rec->reason[s] : PS_R_NONE;
        if (rec && s != PS_ST_OPEN && s != PS_ST_NONE) {
            while (d < x->odd.n && odd[d].port_idx < i) d++;
            if (d < x->odd.n && odd[d].port_idx == i) row->reason = (enum ps_reason)odd[d].reason;
        }
        if (s == PS_ST_OPEN) {
            while (o < nopen && open[o].port_idx < i) o++;
            if (o < nopen && open[o].port_idx == i) {
                row->reason = (enum ps_reason)open[o].reason;
                row->ttl = open[o].ttl;
            }
            while (v < nsvc && svc_key(&svc[v]) < svc_key_of(row)) v++;
            if (v < nsvc && svc_key(&svc[v]) == svc_key_of(row)) row->svc = &svc[v];
        }
    }
    h.ports = rows;
    h.nports = rows ? k : 0;
    ps_proc_info *procs = attribute(r, &h, rows);
    /* One hidden group per (protocol, state, reason): the state's first
     * reason takes its count less the ports recorded with another. */
    for (int p = 0; p < 2; p++)
        for (int s = 0; s < PS_ST_COUNT; s++) {
            if (!hide[p][s] || !count[p][s]) continue;
            uint64_t by_reason[PS_R_COUNT] = {0};
            by_reason[s == PS_ST_NONE ? PS_R_NO_RESPONSE : rec->reason[s]] = count[p][s];
            for (uint32_t j = 0; s != PS_ST_NONE && j < x->odd.n; j++) {
                uint32_t pi = odd[j].port_idx;
                if ((pi >= r->ports->ntcp) != p || get_state(rec, pi) != (enum ps_state)s) continue;
                by_reason[rec->reason[s]]--;
                by_reason[odd[j].reason]++;
            }
            for (int why = 0; why < PS_R_COUNT; why++) {
                if (!by_reason[why] || h.nhidden == PS_MAX_HIDDEN) continue;
                ps_hidden_state *hs = &h.hidden[h.nhidden++];
                hs->proto = p ? PS_UDP : PS_TCP;
                hs->state = shown_as_by_proto[p][s];
                hs->reason = (enum ps_reason)why;
                hs->count = by_reason[why];
            }
        }
    /* Largest hidden group first, as a reader expects. */
    for (int i = 1; i < h.nhidden; i++)
        for (int j = i; j > 0 && h.hidden[j].count > h.hidden[j - 1].count; j--) {
            ps_hidden_state t = h.hidden[j];
            h.hidden[j] = h.hidden[j - 1];
            h.hidden[j - 1] = t;
        }
    for (int p = 0; p < 2; p++)
        for (int s = 0; s < PS_ST_COUNT; s++) r->sum.by_state[shown_as_by_proto[p][s]] += count[p][s];
    r->sum.hosts_up += h.up;
    for (int i = 0; i < r->nwriters; i++)
        if (r->writers[i].ops->host) r->writers[i].ops->host(&r->writers[i], &h);
    free(procs);
    free(rows);
    free(svc);
}

static void emit_and_drop(ps_report *r, uint64_t idx)
{
    struct record **s = find_slot(r, idx);
    struct record *rec = *s;
    if (rec && rec->x && rec->x->pending) { /* -sV still at work: its callback emits */
        rec->x->scan_done = 1;
        return;
    }
    if (host_answered(rec) || r->cfg->no_ping) emit(r, idx, rec);
    if (rec) {
        remove_slot(r, s);
        free_record(rec);
    }
}

/* The report's index of (proto, port), if it was scanned. */
static int port_index(const ps_report *r, enum ps_proto proto, uint16_t port, size_t *idx)
{
    const uint16_t *v = proto == PS_TCP ? r->ports->tcp : r->ports->udp;
    size_t n = proto == PS_TCP ? r->ports->ntcp : r->ports->nudp, lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < port) lo = mid + 1;
        else hi = mid;
    }
    if (lo >= n || v[lo] != port) return 0;
    *idx = lo + (proto == PS_TCP ? 0 : r->ports->ntcp);
    return 1;
}

/* A UDP port the scan left open|filtered is what -sV found it to be: a
 * reply makes it open, a port unreachable closed; silence leaves it as it
 * was, and its result is dropped (there is nothing to say).  Returns 0 if
 * the result is to be dropped.  Lock held. */
static int settle_udp(ps_report *r, struct record *rec, const ps_svc_result *res)
{
    size_t i;
    if (res->proto != PS_UDP || !port_index(r, PS_UDP, res->port, &i) || get_state(rec, i) != PS_ST_NONE)
        return 1;
    if (res->status == PS_SVC_CLOSED) {
        store_port(r, rec, i, PS_ST_CLOSED, PS_R_PORT_UNREACH, -1, -1);
        return 0;
    }
    if (res->status == PS_SVC_MATCH || res->status == PS_SVC_SOFT || res->banner_len) {
        store_port(r, rec, i, PS_ST_OPEN, PS_R_UDP_RESPONSE, -1, -1);
        return 1;
    }
    return 0;
}

void ps_report_service(ps_report *r, const ps_svc_result *res)
{
    uint64_t idx;
    pthread_mutex_lock(&r->lock);
    struct record **s = ps_targets_index(r->targets, &res->addr, &idx) ? find_slot(r, idx) : NULL;
    struct record *rec = s ? *s : NULL;
    if (!rec || !rec->x) goto out;
    if (settle_udp(r, rec, res)) {
        uint8_t *packed = ps_svc_pack(res), **slot = packed ? vec_push(&rec->x->svc, sizeof *slot) : NULL;
        if (slot) *slot = packed;
        else free(packed);
    }
    if (rec->x->pending) rec->x->pending--;
    if (!rec->x->pending && rec->x->scan_done) {
        if (host_answered(rec) || r->cfg->no_ping) emit(r, idx, rec);
        remove_slot(r, s);
        free_record(rec);
    }
out:
    pthread_mutex_unlock(&r->lock);
}

void ps_report_host_up(ps_report *r, uint64_t host, double latency_s, const char *reason,
                       const uint8_t *mac)
{
    pthread_mutex_lock(&r->lock);
    struct record *rec = host >= r->next_done ? get_record(r, host) : NULL;
    struct extra *x = rec ? extra_of(rec) : NULL;
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
                if (host_answered(list[i])) emit(r, list[i]->idx, list[i]);
            for (size_t i = 0; i < r->nslots; i++)
                if (r->slots[i]) {
                    free_record(r->slots[i]);
                    r->slots[i] = NULL;
                }
            r->nrecords = 0;
        }
        free(list);
        r->next_done = n;
    }
    r->sum.hosts = r->hosts_total ? r->hosts_total : n;
    r->sum.elapsed_s = ps_mono_s() - r->start_s;
    for (int i = 0; i < r->nwriters; i++)
        if (r->writers[i].ops->end) r->writers[i].ops->end(&r->writers[i], &r->sum);
    pthread_mutex_unlock(&r->lock);
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
