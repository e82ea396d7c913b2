/* merge_read.c: pscan merge's inputs.  Each file is mapped (read-only;
 * the pages read are given back every MG_DROP_EVERY bytes, so that memory
 * stays small whatever the inputs' size) and read line by line into pieces (a "scan" line, its "port" and "host" lines, its
 * "summary"); every piece must belong to the same scan as the first.
 * Then each shard's pieces are chained into attempts (run 1, then its
 * resumed runs 2, 3, ...) and the one that ran to its end is chosen. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "merge_int.h"

int mg_grow(void **v, size_t n, size_t *cap, size_t size)
{
    if (n < *cap) return 1;
    size_t c = *cap ? *cap * 2 : 64;
    void *p = realloc(*v, c * size);
    if (!p) return 0;
    *v = p;
    *cap = c;
    return 1;
}

static int map_input(struct input *in, ps_err *e)
{
    int fd = open(in->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0) return ps_fail(e, PS_EINPUT, "cannot read '%s': %s", in->path, strerror(errno));
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return ps_fail(e, PS_EINPUT, "'%s' is not a regular file", in->path);
    }
    in->len = (size_t)st.st_size;
    if (in->len) {
        void *p = mmap(NULL, in->len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            close(fd);
            return ps_fail(e, PS_ERUNTIME, "cannot map '%s': %s", in->path, strerror(errno));
        }
        in->map = p;
    }
    close(fd);
    return PS_OK;
}

/* ---- the "scan" line ---------------------------------------------------- */

static void get_text(const ps_json *j, size_t o, const char *key, char *dst, size_t cap)
{
    size_t n;
    const char *s = ps_json_get_str(j, o, key, &n);
    ps_json_copy(dst, cap, s ? s : "", s ? n : 0);
}

int mg_num(const ps_json *j, size_t node, uint64_t *out)
{
    double d;
    if (!ps_json_num(j, node, &d) || !(d >= 0) || d > 9007199254740992.0) return 0;
    *out = (uint64_t)d;
    return 1;
}

static int get_u64(const ps_json *j, size_t o, const char *key, uint64_t *out)
{
    return mg_num(j, ps_json_get(j, o, key), out);
}

/* The identity every part shares, in the words an error shows. */
static void id_field(const struct scan_id *d, int k, const char **name, char *buf, size_t len)
{
    static const char *const names[] = {"pscan version", "scan type",     "seed",          "targets and ports",
                                        "shard count",   "host count",    "port count",    "TCP ports",
                                        "UDP ports",     "-sV",           "--open"};
    *name = names[k];
    switch (k) {
    case 0: snprintf(buf, len, "%s", d->version); break;
    case 1: snprintf(buf, len, "%s", d->scan_type); break;
    case 2: snprintf(buf, len, "%s", d->seed_text); break;
    case 3: snprintf(buf, len, "spec %s", d->spec); break;
    case 4: snprintf(buf, len, "%u", d->shards); break;
    case 5: snprintf(buf, len, "%llu", (unsigned long long)d->hosts); break;
    case 6: snprintf(buf, len, "%llu", (unsigned long long)d->ports); break;
    case 7: snprintf(buf, len, "\"%.200s\"", d->tcp_ports); break;
    case 8: snprintf(buf, len, "\"%.200s\"", d->udp_ports); break;
    case 9: snprintf(buf, len, "%s", d->version_detect ? "on" : "off"); break;
    default: snprintf(buf, len, "%s", d->open_only ? "on" : "off"); break;
    }
}

static int same_scan(const merge *m, const struct scan_id *d, const char *where, ps_err *e)
{
    for (int k = 0; k < 11; k++) {
        char a[256], b[256];
        const char *name;
        id_field(&m->id, k, &name, a, sizeof a);
        id_field(d, k, &name, b, sizeof b);
        if (strcmp(a, b) != 0)
            return ps_fail(e, PS_EINPUT, "%s is not a part of the scan %s began: its %s is %s, not %s", where,
                           m->in[0].path, name, b, a);
    }
    return PS_OK;
}

static int read_scan(merge *m, size_t o, struct piece *pc, const char *where, ps_err *e)
{
    const ps_json *j = &m->js;
    struct scan_id d;
    uint64_t shard = 0, run = 0, shards = 0;
    char start[40];
    memset(&d, 0, sizeof d);
    get_text(j, o, "version", d.version, sizeof d.version);
    get_text(j, o, "scan_type", d.scan_type, sizeof d.scan_type);
    get_text(j, o, "seed", d.seed_text, sizeof d.seed_text);
    get_text(j, o, "spec", d.spec, sizeof d.spec);
    get_text(j, o, "tcp_ports", d.tcp_ports, sizeof d.tcp_ports);
    get_text(j, o, "udp_ports", d.udp_ports, sizeof d.udp_ports);
    get_text(j, o, "start", start, sizeof start);
    d.version_detect = ps_json_bool(j, ps_json_get(j, o, "version_detect")) == 1;
    d.open_only = ps_json_bool(j, ps_json_get(j, o, "open_only")) == 1;
    char *end = NULL;
    d.seed = strtoull(d.seed_text, &end, 10);
    if (!d.seed_text[0] || *end || !d.spec[0] || !get_u64(j, o, "shard", &shard) ||
        !get_u64(j, o, "shards", &shards) || !get_u64(j, o, "run", &run) || !get_u64(j, o, "hosts", &d.hosts) ||
        !get_u64(j, o, "ports", &d.ports) || !shards || shards > 1000000 || !shard || shard > shards || !run)
        return ps_fail(e, PS_EINPUT, "%s: a scan line without the identity of its scan (seed, shard, run, spec): "
                                     "written by an older pscan?", where);
    if (ps_json_get(j, o, "merged_shards"))
        return ps_fail(e, PS_EINPUT, "%s: this file is already a merge", where);
    d.shards = (unsigned)shards;
    pc->shard = (unsigned)shard;
    pc->run = (unsigned)run;
    ps_iso8601_parse(start, &pc->start);
    pc->cover[0].whole = pc->cover[1].whole = 1;
    pc->scan_text = ps_json_raw(j, o, &pc->scan_len);
    if (!m->have_id) {
        m->id = d;
        m->have_id = 1;
        size_t eph = ps_json_get(j, o, "ephemeral_range");
        size_t lo = ps_json_first(j, eph), hi = ps_json_next(j, lo);
        double dl, dh;
        m->eph_lo = ps_json_num(j, lo, &dl) && dl >= 0 && dl < 65536 ? (uint16_t)dl : 32768;
        m->eph_hi = ps_json_num(j, hi, &dh) && dh >= 0 && dh < 65536 ? (uint16_t)dh : 60999;
        return PS_OK;
    }
    return same_scan(m, &d, where, e);
}

/* ---- the "summary" line ------------------------------------------------- */

static int read_summary(merge *m, size_t o, struct piece *pc, const char *where, ps_err *e)
{
    const ps_json *j = &m->js;
    double el = 0;
    pc->ended = 1;
    pc->interrupted = ps_json_bool(j, ps_json_get(j, o, "interrupted")) != 0;
    if (ps_json_num(j, ps_json_get(j, o, "elapsed"), &el) && el > 0) pc->elapsed = el;
    get_u64(j, o, "pairs", &pc->pairs);
    get_u64(j, ps_json_get(j, o, "not_scanned"), "interrupted", &pc->stopped);
    for (size_t c = ps_json_first(j, ps_json_get(j, o, "cover")); c; c = ps_json_next(j, c)) {
        char proto[8], by[12];
        struct piece_cover pcv = {0};
        get_text(j, c, "proto", proto, sizeof proto);
        get_text(j, c, "by", by, sizeof by);
        int p = strcmp(proto, "udp") == 0 ? 1 : strcmp(proto, "tcp") == 0 ? 0 : -1;
        pcv.by_host = strcmp(by, "host") == 0;
        if (p < 0 || (!pcv.by_host && strcmp(by, "position") != 0) || !get_u64(j, c, "from", &pcv.lo) ||
            !get_u64(j, c, "to", &pcv.hi) || pcv.hi < pcv.lo)
            return ps_fail(e, PS_EINPUT, "%s: a \"cover\" entry that is not a protocol's range", where);
        pc->cover[p] = pcv;
    }
    return PS_OK;
}

/* ---- host and port lines ------------------------------------------------ */

static int add_ref(merge *m, int host, size_t o, size_t pc, const char *text, size_t len, const char *where,
                   ps_err *e)
{
    const ps_json *j = &m->js;
    struct line_ref r;
    memset(&r, 0, sizeof r);
    r.piece = (uint32_t)pc;
    r.seq = m->seq++;
    r.text = text;
    r.len = len;
    if (host) {
        struct piece *p = &m->pc[pc];
        if (!get_u64(j, o, "index", &r.index) || r.index >= m->id.hosts || ps_json_get_host(j, o, &r.addr, e))
            return ps_fail(e, PS_EINPUT, "%s: a host line without its address and a target index below %llu", where,
                           (unsigned long long)m->id.hosts);
        p->unsorted |= p->nhost_lines && r.index <= p->last;
        p->last = r.index;
        p->nhost_lines++;
        return PS_OK; /* read again when merging (mg_next_host) */
    } else {
        uint64_t port = 0;
        char proto[8];
        get_text(j, o, "proto", proto, sizeof proto);
        if (ps_json_get_host(j, o, &r.addr, e) || !get_u64(j, o, "port", &port) || port > 65535)
            return ps_fail(e, PS_EINPUT, "%s: a port line without its host and port", where);
        r.port = (uint16_t)port;
        r.proto = strcmp(proto, "udp") == 0;
    }
    if (!mg_grow((void **)&m->ports, m->nports, &m->capp, sizeof *m->ports)) return ps_fail(e, PS_ERUNTIME, "out of memory");
    m->ports[m->nports++] = r;
    return PS_OK;
}

/* One line of file f; *cur is the piece it adds to (-1 before a scan line). */
static int read_line(merge *m, int f, int lineno, const char *text, size_t len, long *cur, ps_err *e)
{
    size_t end = (size_t)(text - m->in[f].map) + len + 1;
    if (*cur >= 0 && m->pc[*cur].file == f) m->pc[*cur].to = end;
    char where[4200];
    snprintf(where, sizeof where, "%s:%d", m->in[f].path, lineno);
    size_t o = ps_json_parse(&m->js, text, len);
    if (!o && lineno == 1 && len >= 5 && memcmp(text, "<?xml", 5) == 0)
        return ps_fail(e, PS_EINPUT, "%s is XML: pscan merge reads the parts' -oJ files (an -oX part does not "
                                     "say which pairs it scanned); run the shards with -oJ", m->in[f].path);
    if (!o) return ps_fail(e, PS_EINPUT, "%s: not JSON (byte %zu: %s)", where, m->js.err_at, m->js.err);
    char type[16];
    get_text(&m->js, o, "type", type, sizeof type);
    if (strcmp(type, "scan") == 0) {
        if (!mg_grow((void **)&m->pc, m->npc, &m->cappc, sizeof *m->pc)) return ps_fail(e, PS_ERUNTIME, "out of memory");
        struct piece *pc = &m->pc[m->npc];
        memset(pc, 0, sizeof *pc);
        pc->file = f;
        pc->line = lineno;
        *cur = (long)m->npc++;
        pc->from = pc->to = end;
        return read_scan(m, o, pc, where, e);
    }
    if (strcmp(type, "host") && strcmp(type, "port") && strcmp(type, "summary"))
        return ps_fail(e, PS_EINPUT, "%s: not a line of pscan -oJ (type \"%s\")", where, type);
    if (*cur < 0) return ps_fail(e, PS_EINPUT, "%s: a %s line before any scan line", where, type);
    struct piece *pc = &m->pc[*cur];
    if (pc->ended) return ps_fail(e, PS_EINPUT, "%s: a %s line after its scan's summary", where, type);
    if (strcmp(type, "summary") == 0) return read_summary(m, o, pc, where, e);
    return add_ref(m, type[0] == 'h', o, (size_t)*cur, text, len, where, e);
}

int mg_read(merge *m, const char *path, ps_err *e)
{
    struct input *in = realloc(m->in, (size_t)(m->nin + 1) * sizeof *in);
    if (!in) return ps_fail(e, PS_ERUNTIME, "out of memory");
    m->in = in;
    in = &m->in[m->nin++];
    memset(in, 0, sizeof *in);
    in->path = path;
    int rc = map_input(in, e);
    if (rc) return rc;
    long cur = -1;
    int lineno = 0;
    size_t dropped = 0;
    for (size_t at = 0; at < in->len;) {
        if (at - dropped >= MG_DROP_EVERY) { /* keep RSS small: the pages read are the page cache's again */
            size_t upto = at & ~(size_t)4095;
            madvise(in->map + dropped, upto - dropped, MADV_DONTNEED);
            dropped = upto;
        }
        const char *nl = memchr(in->map + at, '\n', in->len - at);
        size_t len = nl ? (size_t)(nl - (in->map + at)) : in->len - at;
        lineno++;
        if (!nl && !ps_json_parse(&m->js, in->map + at, len)) {
            fprintf(stderr, "pscan merge: note: %s:%d: the last line is cut short (a scan killed while "
                            "writing it?); read without it\n", path, lineno);
            break;
        }
        if (len && (rc = read_line(m, m->nin - 1, lineno, in->map + at, len, &cur, e))) return rc;
        at += len + 1;
    }
    if (in->map) madvise(in->map, in->len, MADV_DONTNEED);
    if (cur < 0) return ps_fail(e, PS_EINPUT, "%s: no scan line: not a pscan -oJ file", path);
    return PS_OK;
}

void mg_next_host(merge *m, struct mg_cursor *c)
{
    const struct piece *pc = &m->pc[c->piece];
    const struct input *in = &m->in[pc->file];
    c->has = 0;
    while (c->pos < pc->to) {
        const char *text = in->map + c->pos, *nl = memchr(text, '\n', pc->to - c->pos);
        size_t len = nl ? (size_t)(nl - text) : pc->to - c->pos, o;
        char type[8];
        uint64_t idx;
        c->pos += len + 1;
        if (!len || !(o = ps_json_parse(&m->js, text, len))) continue;
        get_text(&m->js, o, "type", type, sizeof type);
        if (strcmp(type, "host") || !get_u64(&m->js, o, "index", &idx) || ps_json_get_host(&m->js, o, &c->cur.addr, NULL))
            continue;
        c->cur.index = idx;
        c->cur.piece = (uint32_t)c->piece;
        c->cur.seq = (uint32_t)c->piece;
        c->cur.text = text;
        c->cur.len = len;
        c->has = 1;
        return;
    }
}

/* ---- attempts ----------------------------------------------------------- */

static const char *where_of(const merge *m, const struct piece *p, char *buf, size_t len)
{
    snprintf(buf, len, "%s:%d", m->in[p->file].path, p->line);
    return buf;
}

/* A run killed before its summary, that the next one resumed: it did what
 * lies between the run before it and where the next one began (what it
 * had reported when its resume file was last kept). */
static void killed_cover(struct piece *p, const struct piece *next)
{
    static const struct piece_cover none = {0};
    for (int i = 0; i < 2; i++) {
        const struct piece_cover *before = p->prev_cover ? &p->prev_cover[i] : &none;
        p->cover[i].whole = 0;
        p->cover[i].by_host = next->cover[i].by_host;
        p->cover[i].lo = before->whole ? 0 : before->hi;
        p->cover[i].hi = next->cover[i].whole ? p->cover[i].lo : next->cover[i].lo;
        if (p->cover[i].hi < p->cover[i].lo) p->cover[i].hi = p->cover[i].lo;
    }
}

/* The pieces of shard k in the order read, as attempts: a run 1 starts
 * one, run r + 1 continues the attempt whose last run is r.  Marks the
 * pieces of the attempt that ran to its end used; returns 1 when there is
 * one, 0 when none ended (the last attempt's pieces with a summary are
 * marked for --partial), -1 with e set on a conflict. */
static int choose_shard(merge *m, unsigned k, ps_err *e)
{
    long start = -1, last = -1, done = -1;
    char w1[4200], w2[4200];
    for (size_t i = 0; i < m->npc; i++) {
        struct piece *p = &m->pc[i];
        if (p->shard != k) continue;
        if (p->run == 1) {
            if (start >= 0 && done != start)
                fprintf(stderr, "pscan merge: note: %s: an attempt of shard %u that did not end is left out\n",
                        where_of(m, &m->pc[start], w1, sizeof w1), k);
            start = (long)i;
        } else if (last < 0 || m->pc[last].run + 1 != p->run || done == start) {
            ps_fail(e, PS_EINPUT, "%s: run %u of shard %u/%u, but no run %u of it comes before (give each "
                                  "shard's files in the order they were written)", where_of(m, p, w1, sizeof w1),
                    p->run, k, m->id.shards, p->run - 1);
            return -1;
        }
        last = (long)i;
        if (p->ended && !p->interrupted) {
            if (done >= 0) {
                ps_fail(e, PS_EINPUT, "shard %u/%u is given twice (%s and %s)", k, m->id.shards,
                        where_of(m, &m->pc[done], w1, sizeof w1), where_of(m, p, w2, sizeof w2));
                return -1;
            }
            done = start;
        }
    }
    long from = done >= 0 ? done : start;
    if (from < 0) return 0;
    /* The attempt: from its run 1 on, each next run of the same shard. */
    struct piece *prev = NULL;
    for (size_t i = (size_t)from, run = 1; i < m->npc; i++) {
        struct piece *p = &m->pc[i];
        if (p->shard != k || p->run != run) continue;
        if (i != (size_t)from && p->run == 1) break;
        p->used = p->ended || done >= 0;
        p->prev_cover = prev ? prev->cover : NULL;
        if (prev && !prev->ended) killed_cover(prev, p);
        prev = p;
        run++;
    }
    return done >= 0;
}

int mg_choose(merge *m, ps_err *e)
{
    if (!(m->missing = calloc(m->id.shards, sizeof *m->missing))) return ps_fail(e, PS_ERUNTIME, "out of memory");
    for (unsigned k = 1; k <= m->id.shards; k++) {
        int r = choose_shard(m, k, e);
        if (r < 0) return PS_EINPUT;
        if (r == 0) m->missing[m->nmissing++] = k;
    }
    if (m->nmissing && !m->partial) {
        unsigned k = m->missing[0];
        for (size_t i = 0; i < m->npc; i++)
            if (m->pc[i].shard == k) {
                char w[4200];
                return ps_fail(e, PS_EINPUT, "shard %u/%u did not end (%s%s): pscan --resume it, or merge "
                                             "with --partial", k, m->id.shards, where_of(m, &m->pc[i], w, sizeof w),
                               m->pc[i].ended ? " was interrupted" : " has no summary");
            }
        return ps_fail(e, PS_EINPUT, "shard %u/%u is missing%s: give its file, or merge with --partial", k,
                       m->id.shards, m->nmissing > 1 ? " (and others)" : "");
    }
    return PS_OK;
}

void mg_drop_pages(merge *m)
{
    for (int i = 0; i < m->nin; i++)
        if (m->in[i].map) madvise(m->in[i].map, m->in[i].len, MADV_DONTNEED);
}

void mg_free(merge *m)
{
    for (int i = 0; i < m->nin; i++)
        if (m->in[i].map) munmap(m->in[i].map, m->in[i].len);
    free(m->in);
    free(m->pc);
    free(m->hosts);
    free(m->ports);
    free(m->missing);
    free(m->by_shard);
    free(m->at);
    ps_ports_free(&m->plist);
    ps_json_free(&m->js);
}
