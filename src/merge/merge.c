/* merge.c: the `pscan merge` command (merge.h).  It reads every input
 * (merge_read.c), chooses each shard's finished attempt, then writes the
 * merged scan through the JSON Lines writer itself (output/json.c), so the
 * file reads like any other -oJ: a scan line, per host in target order
 * its open-port lines and its host line (merge_host.c), a summary.  The
 * hosts come from one pass over all pieces side by side, since each
 * piece's host lines are in target order; memory then holds one line per
 * piece and the open-port lines, however many hosts there are.  The file
 * appears whole or not at all: it is written beside OUT and renamed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pscan/escape.h"
#include "pscan/merge.h"
#include "merge_int.h"

static const char usage[] = "usage: pscan merge [--partial] OUT IN...\n";

static int cmp_host_ref(const void *a, const void *b)
{
    const struct line_ref *x = a, *y = b;
    if (x->index != y->index) return x->index < y->index ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static int cmp_addr(const ps_addr *a, const ps_addr *b)
{
    if (a->family != b->family) return a->family < b->family ? -1 : 1;
    return a->family == AF_INET ? (a->u.v4 > b->u.v4) - (a->u.v4 < b->u.v4) : memcmp(a->u.v6, b->u.v6, 16);
}

static int cmp_port_ref(const void *a, const void *b)
{
    const struct line_ref *x = a, *y = b;
    int c = cmp_addr(&x->addr, &y->addr);
    if (c) return c;
    unsigned kx = (unsigned)x->proto << 16 | x->port, ky = (unsigned)y->proto << 16 | y->port;
    if (kx != ky) return kx < ky ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Keep the port lines of the pieces merged, sorted by host address (a
 * port line names only the address), then port, then as read. */
static void arrange(merge *m)
{
    size_t k = 0;
    for (size_t i = 0; i < m->nports; i++)
        if (m->pc[m->ports[i].piece].used) m->ports[k++] = m->ports[i];
    m->nports = k;
    if (m->nports) qsort(m->ports, m->nports, sizeof *m->ports, cmp_port_ref);
}

/* The scan line: shard 1's first run's command line and type, the
 * earliest start, and the identity of the whole scan. */
static int write_begin(merge *m, ps_writer *w, ps_err *e)
{
    const struct piece *first = NULL;
    for (size_t i = 0; i < m->npc; i++) {
        const struct piece *p = &m->pc[i];
        if (!p->used) continue;
        if (!first || p->shard < first->shard || (p->shard == first->shard && p->run < first->run)) first = p;
    }
    ps_scan_info info;
    memset(&info, 0, sizeof info);
    for (size_t i = 0; i < m->npc; i++) {
        const struct piece *p = &m->pc[i];
        if (p->used && (!info.start.tv_sec || p->start.tv_sec < info.start.tv_sec ||
                        (p->start.tv_sec == info.start.tv_sec && p->start.tv_nsec < info.start.tv_nsec)))
            info.start = p->start;
    }
    size_t o = first ? ps_json_parse(&m->js, first->scan_text, first->scan_len) : 0;
    size_t args = ps_json_get(&m->js, o, "args");
    int n = 0;
    for (size_t c = ps_json_first(&m->js, args); c; c = ps_json_next(&m->js, c)) n++;
    char **argv = calloc((size_t)n + 1, sizeof *argv);
    if (!argv) return ps_fail(e, PS_ERUNTIME, "out of memory");
    for (size_t c = ps_json_first(&m->js, args); c; c = ps_json_next(&m->js, c)) {
        size_t len;
        const char *s = ps_json_str(&m->js, c, &len);
        if (!(argv[info.argc++] = strdup(s ? s : ""))) return ps_fail(e, PS_ERUNTIME, "out of memory");
    }
    info.argv = argv;
    info.scan_type = m->id.scan_type;
    info.nhosts = m->id.hosts;
    info.nports = m->id.ports;
    info.id = (ps_scan_id){.seed = m->id.seed, .shard = 1, .nshards = 1, .run = 1, .merged = m->id.shards};
    snprintf(info.id.spec, sizeof info.id.spec, "%.16s", m->id.spec);
    w->ops->begin(w, &info);
    for (int i = 0; i < info.argc; i++) free(argv[i]);
    free(argv);
    return PS_OK;
}

/* One host: its lines refs[0, n), and the port lines of its address. */
static int emit_group(merge *m, ps_writer *w, const struct line_ref *refs, size_t n, ps_scan_summary *sum,
                      size_t *touched, ps_err *e)
{
    size_t lo = 0, hi = m->nports;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_addr(&m->ports[mid].addr, &refs[0].addr) < 0) lo = mid + 1;
        else hi = mid;
    }
    size_t q = lo;
    while (q < m->nports && cmp_addr(&m->ports[q].addr, &refs[0].addr) == 0) q++;
    int rc = mg_host(m, w, refs, n, m->ports ? m->ports + lo : NULL, q - lo, sum, e);
    if (rc) return rc;
    if (ps_writer_check(w)) return ps_fail(e, PS_ERUNTIME, "cannot write '%s': %s", w->name, strerror(w->err));
    for (size_t k = 0; k < n; k++) *touched += refs[k].len;
    if (*touched >= MG_DROP_EVERY) {
        mg_drop_pages(m);
        *touched = 0;
    }
    return PS_OK;
}

/* Every piece's host lines are in target order (as the engines write
 * them): one pass over all of them at once, holding one line per piece. */
static int write_in_order(merge *m, ps_writer *w, ps_scan_summary *sum, ps_err *e)
{
    struct mg_cursor *c = calloc(m->npc + 1, sizeof *c);
    struct line_ref *refs = calloc(m->npc + 1, sizeof *refs);
    size_t nc = 0, touched = 0;
    int rc = c && refs ? PS_OK : ps_fail(e, PS_ERUNTIME, "out of memory");
    for (size_t i = 0; !rc && i < m->npc; i++)
        if (m->pc[i].used) {
            c[nc] = (struct mg_cursor){.piece = i, .pos = m->pc[i].from};
            mg_next_host(m, &c[nc++]);
        }
    while (!rc) {
        uint64_t min = UINT64_MAX;
        size_t n = 0;
        for (size_t k = 0; k < nc; k++)
            if (c[k].has && c[k].cur.index < min) min = c[k].cur.index;
        for (size_t k = 0; k < nc; k++)
            if (c[k].has && c[k].cur.index == min) refs[n++] = c[k].cur;
        if (!n) break;
        rc = emit_group(m, w, refs, n, sum, &touched, e);
        for (size_t k = 0; k < nc; k++)
            if (c[k].has && c[k].cur.index == min) mg_next_host(m, &c[k]);
    }
    free(c);
    free(refs);
    return rc;
}

/* Some piece's host lines are not in target order: all of them are
 * gathered and sorted first. */
static int write_gathered(merge *m, ps_writer *w, ps_scan_summary *sum, ps_err *e)
{
    size_t cap = 0, touched = 0;
    for (size_t i = 0; i < m->npc; i++) {
        struct mg_cursor c = {.piece = i, .pos = m->pc[i].from};
        for (mg_next_host(m, &c); m->pc[i].used && c.has; mg_next_host(m, &c)) {
            if (!mg_grow((void **)&m->hosts, m->nhosts, &cap, sizeof *m->hosts))
                return ps_fail(e, PS_ERUNTIME, "out of memory");
            m->hosts[m->nhosts++] = c.cur;
        }
    }
    if (m->nhosts) qsort(m->hosts, m->nhosts, sizeof *m->hosts, cmp_host_ref);
    for (size_t i = 0, j; i < m->nhosts; i = j) {
        for (j = i; j < m->nhosts && m->hosts[j].index == m->hosts[i].index;) j++;
        int rc = emit_group(m, w, &m->hosts[i], j - i, sum, &touched, e);
        if (rc) return rc;
    }
    return PS_OK;
}

static int write_hosts(merge *m, ps_writer *w, ps_scan_summary *sum, ps_err *e)
{
    for (size_t i = 0; i < m->npc; i++)
        if (m->pc[i].used && m->pc[i].unsorted) return write_gathered(m, w, sum, e);
    return write_in_order(m, w, sum, e);
}

/* The summary: what the shards' pieces did, and what the missing ones
 * would have. */
static void write_end(merge *m, ps_writer *w, ps_scan_summary *sum)
{
    size_t n[2] = {m->plist.ntcp, m->plist.nudp};
    sum->hosts = m->id.hosts;
    for (size_t i = 0; i < m->npc; i++) {
        const struct piece *p = &m->pc[i];
        if (!p->used) continue;
        if (p->elapsed > sum->elapsed_s) sum->elapsed_s = p->elapsed;
        if (p->pairs > sum->pairs) sum->pairs = p->pairs;
    }
    for (unsigned s = 0; s < m->nmissing; s++) {
        unsigned k = m->missing[s] - 1;
        if (m->at[k] != m->at[k + 1]) { /* it stopped: what its last run left */
            sum->not_scanned[PS_NS_STOPPED] += m->pc[m->by_shard[m->at[k + 1] - 1]].stopped;
            continue;
        }
        for (int p = 0; p < 2; p++) {
            uint64_t first, count;
            if (n[p] && ps_shard_range(m->id.hosts * n[p], k, m->id.shards, &first, &count, NULL) == PS_OK)
                sum->not_scanned[PS_NS_SHARD] += count;
        }
    }
    sum->interrupted = m->nmissing > 0;
    w->ops->end(w, sum);
}

/* OUT may not be one of the inputs: it is replaced at the end. */
static int same_file(const char *a, const char *b)
{
    struct stat x, y;
    if (strcmp(a, b) == 0) return 1;
    return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

static int parse_args(int argc, char **argv, merge *m, const char **out, int *first_in, ps_err *e)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (strcmp(argv[i], "--partial") == 0) m->partial = 1;
        else return ps_fail(e, PS_EINPUT, "unknown option '%s'; %.40s", argv[i], usage);
    }
    if (argc - i < 2) return ps_fail(e, PS_EINPUT, "an output and at least one input are needed; %.40s", usage);
    *out = argv[i];
    *first_in = i + 1;
    if (strcmp(*out, "-") == 0) return PS_OK;
    for (int k = i + 1; k < argc; k++)
        if (same_file(*out, argv[k]))
            return ps_fail(e, PS_EINPUT, "the output '%s' is also an input: merge into a new file", *out);
    return PS_OK;
}

/* Read, check, choose; then the ports and the orders. */
static int prepare(merge *m, int argc, char **argv, int first_in, ps_err *e)
{
    int rc = PS_OK;
    for (int k = first_in; k < argc && !rc; k++) rc = mg_read(m, argv[k], e);
    if (!rc) rc = mg_choose(m, e);
    if (rc) return rc;
    char spec[2100];
    snprintf(spec, sizeof spec, "%s%s%s%s", m->id.tcp_ports[0] ? "T:" : "", m->id.tcp_ports,
             m->id.tcp_ports[0] && m->id.udp_ports[0] ? "," : "", m->id.udp_ports[0] ? "U:" : "");
    snprintf(spec + strlen(spec), sizeof spec - strlen(spec), "%s", m->id.udp_ports);
    ps_err pe = {{0}};
    if ((spec[0] && ps_ports_parse(&m->plist, spec, &pe)) || m->plist.ntcp + m->plist.nudp != m->id.ports)
        return ps_fail(e, PS_EINPUT, "%s: its port ranges do not add up to its %llu ports", m->in[0].path,
                       (unsigned long long)m->id.ports);
    if ((rc = mg_cover_init(m, e))) return rc;
    arrange(m);
    return PS_OK;
}

static int write_out(merge *m, const char *out, ps_err *e)
{
    char tmp[4200];
    int to_stdout = strcmp(out, "-") == 0;
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", out, (long)getpid());
    ps_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.version_detect = m->id.version_detect;
    cfg.open_only = m->id.open_only;
    ps_output_spec spec = {PS_OUT_JSON, to_stdout ? "-" : tmp};
    ps_writer w;
    int rc = ps_writer_open(&w, &spec, &cfg, &m->plist, e);
    if (rc) return rc;
    w.eph_lo = m->eph_lo;
    w.eph_hi = m->eph_hi;
    ps_scan_summary sum;
    memset(&sum, 0, sizeof sum);
    rc = write_begin(m, &w, e);
    if (!rc) rc = write_hosts(m, &w, &sum, e);
    if (!rc) write_end(m, &w, &sum);
    if (!rc && (fflush(w.fp) || ps_writer_check(&w) || (!to_stdout && fsync(fileno(w.fp)))))
        rc = ps_fail(e, PS_ERUNTIME, "cannot write '%s': %s", out, strerror(w.err ? w.err : errno));
    if (!rc && ps_writer_end(&w)) rc = ps_fail(e, PS_ERUNTIME, "cannot write '%s': %s", out, strerror(errno));
    ps_writer_close(&w);
    if (!rc && !to_stdout && rename(tmp, out))
        rc = ps_fail(e, PS_ERUNTIME, "cannot write '%s': %s", out, strerror(errno));
    if (rc && !to_stdout) unlink(tmp);
    return rc;
}

static void say_missing(const merge *m, const char *out)
{
    fprintf(stderr, "pscan merge: ");
    ps_esc_puts(stderr, out, PS_ESC_TEXT);
    fprintf(stderr, " is partial: shard%s ", m->nmissing > 1 ? "s" : "");
    for (unsigned i = 0; i < m->nmissing; i++) {
        unsigned k = m->missing[i] - 1;
        fprintf(stderr, "%s%u", i ? ", " : "", k + 1);
        if (m->at[k] != m->at[k + 1]) fputs(" (stopped)", stderr);
    }
    fprintf(stderr, " of %u %s not in it\n", m->id.shards, m->nmissing > 1 ? "are" : "is");
}

int ps_merge_main(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        printf("%s"
               "Put the -oJ files of one scan's shards (--shard K/N, and their --resume runs) back together\n"
               "as the file one unsharded run would have written.  Refuses parts of different scans,\n"
               "a shard given twice and a shard that did not end; --partial merges what is there.\n"
               "Exit status: 0 merged, 1 bad input, 2 write error, 4 merged with --partial, shards missing.\n",
               usage);
        return 0;
    }
    merge m;
    memset(&m, 0, sizeof m);
    ps_err e = {{0}};
    const char *out = NULL;
    int first_in = 0;
    int rc = parse_args(argc, argv, &m, &out, &first_in, &e);
    if (!rc) rc = prepare(&m, argc, argv, first_in, &e);
    if (!rc) rc = write_out(&m, out, &e);
    if (rc) {
        fputs("pscan merge: ", stderr);
        ps_esc_puts(stderr, e.msg, PS_ESC_TEXT);
        fputc('\n', stderr);
    } else if (m.nmissing) {
        say_missing(&m, out);
        rc = 4;
    }
    mg_free(&m);
    return rc;
}
