/* merge_host.c: one host put back together from the host lines its
 * pieces wrote.  A piece's rows are copied through as written; what folds
 * into "Not shown" is decided again on the whole host, with the rule of
 * report_host.c: a state with more than 25 ports folds (every state but
 * open with --open), and open folds only when every one of at least 64
 * ports scanned answered open.  Two kinds of ports have no row to copy and
 * are written from their state: those of a piece that heard nothing from
 * the host (and so wrote no line for it), and the open ports of a piece
 * that folded them because its part of the host was all open. */
#include <stdlib.h>
#include <string.h>

#include "merge_int.h"

enum { HIDE_THRESHOLD = 25, ALL_OPEN_MIN = 64 };

struct mrow {
    uint8_t p, st, why;
    uint16_t port;
    const char *json;
    size_t len;
};

/* One host on its way: every count, the rows, and per line what its
 * piece said. */
struct hview {
    uint64_t by_reason[2][PS_ST_COUNT][PS_R_COUNT];
    uint64_t scanned, not_scanned[2][PS_NS_COUNT];
    struct mrow *rows;
    size_t nrows, caprows;
    int up, base; /* base: the line whose host fields are written */
    char name[256], up_reason[32], mac[20];
    double latency;
    struct lview {
        uint32_t piece;
        uint64_t scanned, seen;
        struct lport *listed; /* its rows and the ports its groups list, by key */
        size_t nlisted, caplisted;
        struct {
            int set, ambiguous;
            uint8_t st, why;
        } def[2];             /* per protocol, the group that lists no ports */
        uint8_t hid[2][PS_ST_COUNT]; /* the states it folded */
    } *lines;
};

/* A port a line names: as a row, or in a group that lists its ports. */
struct lport {
    uint32_t key; /* protocol << 16 | port */
    uint8_t st, why, row;
};

static int add_row(struct hview *v, const struct mrow *r)
{
    if (!mg_grow((void **)&v->rows, v->nrows, &v->caprows, sizeof *v->rows)) return 0;
    v->rows[v->nrows++] = *r;
    return 1;
}

/* A row's or group's protocol, state as kept (an unanswered port is
 * PS_ST_NONE) and reason, from its words. */
static int decode(const ps_json *j, size_t o, uint8_t *p, uint8_t *st, uint8_t *why)
{
    size_t n;
    const char *pr = ps_json_get_str(j, o, "proto", &n), *s = ps_json_get_str(j, o, "state", &n),
               *r = ps_json_get_str(j, o, "reason", &n);
    int sv = s ? ps_state_parse(s) : -1, rv = r ? ps_reason_parse(r) : -1;
    if (!pr || (strcmp(pr, "tcp") && strcmp(pr, "udp")) || sv < 0 || rv < 0) return 0;
    *p = strcmp(pr, "udp") == 0;
    enum ps_proto proto = *p ? PS_UDP : PS_TCP;
    *st = rv == PS_R_NO_RESPONSE && sv == (int)ps_state_shown(proto, PS_ST_NONE) ? PS_ST_NONE : (uint8_t)sv;
    *why = (uint8_t)rv;
    return 1;
}

static int add_listed(struct lview *lv, uint8_t p, uint16_t port, uint8_t st, uint8_t why, int row)
{
    if (!mg_grow((void **)&lv->listed, lv->nlisted, &lv->caplisted, sizeof *lv->listed)) return 0;
    lv->listed[lv->nlisted++] = (struct lport){(uint32_t)p << 16 | port, st, why, (uint8_t)row};
    return 1;
}

static int cmp_lport(const void *a, const void *b)
{
    uint32_t x = ((const struct lport *)a)->key, y = ((const struct lport *)b)->key;
    return (x > y) - (x < y);
}

/* A folded group of a line: counted; its ports listed when it gives them
 * (a shard's group other than its protocol's largest), else it is the
 * protocol's default group. */
static int read_group(const ps_json *j, size_t c, struct hview *v, struct lview *lv, ps_err *e)
{
    uint8_t p, s, why;
    uint64_t d;
    size_t n;
    if (!decode(j, c, &p, &s, &why) || !mg_num(j, ps_json_get(j, c, "count"), &d))
        return ps_fail(e, PS_EINPUT, "a \"hidden\" group that is not one pscan wrote");
    v->by_reason[p][s][why] += d;
    lv->hid[p][s] = 1;
    const char *ranges = ps_json_get_str(j, c, "ports", &n);
    if (!ranges) {
        lv->def[p].ambiguous |= lv->def[p].set;
        lv->def[p].set = 1;
        lv->def[p].st = s;
        lv->def[p].why = why;
        return PS_OK;
    }
    char spec[8200];
    ps_ports pl = {0};
    ps_err pe = {{0}};
    snprintf(spec, sizeof spec, "%s%s", p ? "U:" : "T:", ranges);
    int rc = n < sizeof spec - 3 && ps_ports_parse(&pl, spec, &pe) == PS_OK;
    size_t np = p ? pl.nudp : pl.ntcp;
    const uint16_t *ports = p ? pl.udp : pl.tcp;
    rc = rc && np == d;
    for (size_t k = 0; rc && k < np; k++) rc = add_listed(lv, p, ports[k], s, why, 0);
    ps_ports_free(&pl);
    return rc ? PS_OK : ps_fail(e, PS_EINPUT, "a \"hidden\" group whose ports are not its count of ranges");
}

static void keep_host_fields(const ps_json *j, size_t o, struct hview *v, int up)
{
    size_t n;
    const char *s;
    double d;
    v->name[0] = v->up_reason[0] = v->mac[0] = '\0';
    if ((s = ps_json_get_str(j, o, "hostname", &n))) ps_json_copy(v->name, sizeof v->name, s, n);
    if ((s = ps_json_get_str(j, o, "up_reason", &n))) ps_json_copy(v->up_reason, sizeof v->up_reason, s, n);
    if ((s = ps_json_get_str(j, o, "mac", &n))) ps_json_copy(v->mac, sizeof v->mac, s, n);
    v->latency = ps_json_num(j, ps_json_get(j, o, "latency"), &d) ? d : -1;
    v->up = up;
}

/* One host line of the host: its rows, its folded groups, its fields. */
static int read_host_line(merge *m, const struct line_ref *ref, struct hview *v, struct lview *lv, ps_addr *addr,
                          ps_err *e)
{
    ps_json *j = &m->js;
    size_t o = ps_json_parse(j, ref->text, ref->len), n;
    uint64_t d;
    const char *st = o ? ps_json_get_str(j, o, "status", &n) : NULL;
    if (!o || !st || ps_json_get_host(j, o, addr, e) || !mg_num(j, ps_json_get(j, o, "scanned"), &d))
        return ps_fail(e, PS_EINPUT, "a host line of target %llu is not one pscan wrote",
                       (unsigned long long)ref->index);
    lv->piece = ref->piece;
    lv->scanned = d;
    v->scanned += lv->scanned;
    int up = strcmp(st, "up") == 0;
    if (v->base < 0 || (up && !v->up)) keep_host_fields(j, o, v, up);
    if (v->base < 0 || up) v->base = 0;
    for (size_t c = ps_json_first(j, ps_json_get(j, o, "ports")); c; c = ps_json_next(j, c)) {
        struct mrow r = {0};
        double port;
        if (!decode(j, c, &r.p, &r.st, &r.why) || !ps_json_num(j, ps_json_get(j, c, "port"), &port) || port < 1 ||
            port > 65535)
            return ps_fail(e, PS_EINPUT, "host %llu: a port that is not one pscan wrote",
                           (unsigned long long)ref->index);
        r.port = (uint16_t)port;
        r.json = ps_json_raw(j, c, &r.len);
        if (!add_row(v, &r) || !add_listed(lv, r.p, r.port, r.st, r.why, 1))
            return ps_fail(e, PS_ERUNTIME, "out of memory");
        v->by_reason[r.p][r.st][r.why]++;
    }
    for (size_t c = ps_json_first(j, ps_json_get(j, o, "hidden")); c; c = ps_json_next(j, c)) {
        int rc = read_group(j, c, v, lv, e);
        if (rc) return rc;
    }
    if (lv->nlisted) qsort(lv->listed, lv->nlisted, sizeof *lv->listed, cmp_lport);
    return PS_OK;
}

static struct lview *line_of(struct hview *v, size_t n, uint32_t piece)
{
    for (size_t k = 0; k < n; k++)
        if (v->lines[k].piece == piece) return &v->lines[k];
    return NULL;
}

/* What the whole host folds, from its counts: the rule of report_host.c. */
static void decide(const merge *m, const struct hview *v, int hide[2][PS_ST_COUNT], int *all_open)
{
    uint64_t cnt[2][PS_ST_COUNT] = {{0}}, open = 0;
    for (int p = 0; p < 2; p++)
        for (int s = 0; s < PS_ST_COUNT; s++) {
            for (int r = 0; r < PS_R_COUNT; r++) cnt[p][s] += v->by_reason[p][s][r];
            if (s == PS_ST_OPEN) open += cnt[p][s];
        }
    *all_open = v->scanned >= ALL_OPEN_MIN && open == v->scanned;
    for (int p = 0; p < 2; p++)
        for (int s = 0; s < PS_ST_COUNT; s++)
            hide[p][s] = s == PS_ST_OPEN ? *all_open : cnt[p][s] > HIDE_THRESHOLD || m->id.open_only;
}

/* The state of a port a line scanned but shows as no row: from the group
 * that lists it, or its protocol's default group.  0 when the line cannot
 * say (no group, or two that list no ports, one of which the whole host
 * shows); 1 with *r filled; 2 when it need not say (folded whatever it
 * is). */
static int hidden_state(const struct lview *lv, uint32_t key, const int hide[2][PS_ST_COUNT], struct mrow *r)
{
    struct lport want = {.key = key};
    const struct lport *got = lv->nlisted ? bsearch(&want, lv->listed, lv->nlisted, sizeof *lv->listed, cmp_lport) : NULL;
    int p = (int)(key >> 16);
    if (got) {
        if (got->row) return 2;
        r->st = got->st;
        r->why = got->why;
        return 1;
    }
    if (!lv->def[p].set) return 0;
    if (lv->def[p].ambiguous) {
        for (int s = 0; s < PS_ST_COUNT; s++)
            if (lv->hid[p][s] && !hide[p][s]) return 0;
        return 2;
    }
    r->st = lv->def[p].st;
    r->why = lv->def[p].why;
    return 1;
}

/* Walk every port of the host: who scanned it.  A piece without a line
 * heard nothing there; a port a line folded gets its group's state, so
 * that it is a row where the whole host shows that state.  Each line's
 * own count must agree with its cover. */
static int walk_ports(const merge *m, uint64_t idx, struct hview *v, size_t nl, const int hide[2][PS_ST_COUNT],
                      ps_err *e)
{
    size_t total = m->plist.ntcp + m->plist.nudp;
    for (size_t i = 0; i < total; i++) {
        int why = 0, got = 1;
        long pc = mg_who_scanned(m, idx, i, &why);
        uint8_t p = i >= m->plist.ntcp;
        struct mrow r = {.p = p, .port = p ? m->plist.udp[i - m->plist.ntcp] : m->plist.tcp[i],
                         .st = PS_ST_NONE, .why = PS_R_NO_RESPONSE};
        if (pc < 0) {
            v->not_scanned[p][why]++;
            continue;
        }
        struct lview *lv = line_of(v, nl, (uint32_t)pc);
        if (lv) {
            lv->seen++;
            got = hidden_state(lv, (uint32_t)p << 16 | r.port, hide, &r);
        } else {
            v->by_reason[p][PS_ST_NONE][PS_R_NO_RESPONSE]++;
            v->scanned++;
        }
        if (got == 0)
            return ps_fail(e, PS_EINPUT, "%s: target %llu: which state %s port %u had cannot be told from its line",
                           m->in[m->pc[pc].file].path, (unsigned long long)idx, p ? "UDP" : "TCP", r.port);
        if (got == 1 && !add_row(v, &r)) return ps_fail(e, PS_ERUNTIME, "out of memory");
    }
    for (size_t k = 0; k < nl; k++)
        if (v->lines[k].seen != v->lines[k].scanned) {
            const struct piece *pc = &m->pc[v->lines[k].piece];
            return ps_fail(e, PS_EINPUT, "%s: target %llu scanned %llu ports, but shard %u/%u's part of it has "
                                         "%llu: not the shard it says it is?", m->in[pc->file].path,
                           (unsigned long long)idx, (unsigned long long)v->lines[k].scanned, pc->shard,
                           m->id.shards, (unsigned long long)v->lines[k].seen);
        }
    return PS_OK;
}

static int cmp_row(const void *a, const void *b)
{
    const struct mrow *x = a, *y = b;
    unsigned kx = (unsigned)x->p << 16 | x->port, ky = (unsigned)y->p << 16 | y->port;
    if (kx != ky) return (kx > ky) - (kx < ky);
    return (x->json == NULL) - (y->json == NULL); /* a copied row before one rebuilt */
}

/* Fold as one run would, then fill the host's rows and groups. */
static int fold(const merge *m, struct hview *v, ps_host_result *h, ps_port_result *out, ps_err *e)
{
    int hide[2][PS_ST_COUNT];
    decide(m, v, hide, &h->all_open);
    if (v->nrows) qsort(v->rows, v->nrows, sizeof *v->rows, cmp_row);
    size_t k = 0;
    for (size_t i = 0; i < v->nrows; i++) {
        const struct mrow *r = &v->rows[i];
        if (hide[r->p][r->st]) continue;
        if (k && out[k - 1].proto == (r->p ? PS_UDP : PS_TCP) && out[k - 1].port == r->port) {
            if (r->json) return ps_fail(e, PS_EINPUT, "two parts both scanned port %u of one host", r->port);
            continue;
        }
        enum ps_proto proto = r->p ? PS_UDP : PS_TCP;
        out[k++] = (ps_port_result){.proto = proto, .port = r->port, .state = ps_state_shown(proto, r->st),
                                    .reason = r->why, .ttl = -1, .json = r->json, .json_len = r->len};
    }
    h->ports = out;
    h->nports = k;
    for (int p = 0; p < 2; p++)
        for (int s = 0; s < PS_ST_COUNT; s++)
            for (int r = 0; hide[p][s] && r < PS_R_COUNT; r++)
                if (v->by_reason[p][s][r] && h->nhidden < PS_MAX_HIDDEN) {
                    enum ps_proto proto = p ? PS_UDP : PS_TCP;
                    h->hidden[h->nhidden++] = (ps_hidden_state){.proto = proto,
                                                                .state = ps_state_shown(proto, (enum ps_state)s),
                                                                .reason = (enum ps_reason)r,
                                                                .count = v->by_reason[p][s][r]};
                }
    ps_hidden_sort(h->hidden, h->nhidden);
    return PS_OK;
}

static void parse_mac(const char *s, ps_host_result *h)
{
    unsigned b[6];
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6) return;
    for (int i = 0; i < 6; i++) h->mac[i] = (uint8_t)b[i];
    h->has_mac = 1;
}

static int emit(merge *m, ps_writer *w, uint64_t idx, struct hview *v, const ps_addr *addr,
                const struct line_ref *ports, size_t nports, ps_scan_summary *sum, ps_err *e)
{
    ps_host_result h;
    memset(&h, 0, sizeof h);
    ps_port_result *out = calloc(v->nrows ? v->nrows : 1, sizeof *out);
    if (!out) return ps_fail(e, PS_ERUNTIME, "out of memory");
    int rc = fold(m, v, &h, out, e);
    if (rc) {
        free(out);
        return rc;
    }
    h.addr = *addr;
    h.name = v->name[0] ? v->name : NULL;
    h.up = v->up;
    h.latency_s = v->latency;
    h.up_reason = v->up_reason[0] ? v->up_reason : NULL;
    parse_mac(v->mac, &h);
    h.index = idx;
    h.scanned = v->scanned;
    memcpy(h.not_scanned, v->not_scanned, sizeof h.not_scanned);
    for (size_t i = 0; i < nports; i++) { /* its open ports as found, once each */
        if (i + 1 < nports && ports[i + 1].proto == ports[i].proto && ports[i + 1].port == ports[i].port) continue;
        fwrite(ports[i].text, 1, ports[i].len, w->fp);
        fputc('\n', w->fp);
    }
    w->ops->host(w, &h);
    for (int p = 0; p < 2; p++)
        for (int s = 0; s < PS_ST_COUNT; s++)
            for (int r = 0; r < PS_R_COUNT; r++)
                sum->by_state[ps_state_shown(p ? PS_UDP : PS_TCP, (enum ps_state)s)] += v->by_reason[p][s][r];
    sum->hosts_up += (uint64_t)h.up;
    free(out);
    return PS_OK;
}

int mg_host(merge *m, ps_writer *w, const struct line_ref *refs, size_t n, const struct line_ref *ports,
            size_t nports, ps_scan_summary *sum, ps_err *e)
{
    struct hview *v = calloc(1, sizeof *v);
    ps_addr addr;
    int rc = PS_OK;
    if (!v || !(v->lines = calloc(n, sizeof *v->lines))) {
        free(v);
        return ps_fail(e, PS_ERUNTIME, "out of memory");
    }
    v->base = -1;
    for (size_t k = 0; k < n && !rc; k++) rc = read_host_line(m, &refs[k], v, &v->lines[k], &addr, e);
    /* The ports need a walk when some piece heard nothing, or a part folded
     * a state the whole host shows. */
    int hide[2][PS_ST_COUNT], all_open, walk = v->scanned != m->plist.ntcp + m->plist.nudp;
    decide(m, v, hide, &all_open);
    for (size_t k = 0; k < n; k++)
        for (int p = 0; p < 2; p++)
            for (int s = 0; s < PS_ST_COUNT; s++) walk |= v->lines[k].hid[p][s] && !hide[p][s];
    if (!rc && walk) rc = walk_ports(m, refs[0].index, v, n, hide, e);
    if (!rc) rc = emit(m, w, refs[0].index, v, &addr, ports, nports, sum, e);
    for (size_t k = 0; k < n; k++) free(v->lines[k].listed);
    free(v->rows);
    free(v->lines);
    free(v);
    return rc;
}
