/* diff.c: `pscan diff OLD NEW`: read two result files, compare, print.
 *
 * Both files become a ps_diff_result (diff.h): a list of ports and a list
 * of hosts that were up.  Sorting both lists by (host, protocol, port)
 * makes the comparison one merge walk.  Only open ports are compared
 * (the question a diff answers is "what is reachable now that was not,
 * and the reverse"); the other side's state is shown when it is known,
 * so "closed" and "filtered" read differently.
 *
 *   127.0.0.1
 *     + 8080/tcp opened: http-proxy (was closed)
 *     - 22/tcp closed: was ssh OpenSSH 9.2p1 (now filtered)
 *     ~ 443/tcp changed: version 1.24.0 -> 1.25.3
 *   + host 198.18.0.7 (only in NEW)
 *   3 differences
 *
 * Everything printed that came from a file goes through PS_ESC_TEXT. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pscan/diff.h"
#include "pscan/escape.h"
#include "pscan/output.h"
#include "pscan/ports.h"

enum { MAX_FILE = 512 << 20 };

int ps_diff_read(ps_diff_result *out, const char *buf, size_t len, const char *name, ps_err *e)
{
    size_t i = 0;
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) i = 3;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r')) i++;
    if (i < len && buf[i] == '<') return ps_diff_read_xml(out, buf, len, name, e);
    if (i < len && buf[i] == '{') return ps_diff_read_json(out, buf, len, name, e);
    return ps_fail(e, PS_EINPUT, "%s: neither JSON Lines (-oJ) nor XML (-oX)%s", name, i == len ? ": empty" : "");
}

int ps_diff_load(const char *path, char **out, size_t *outlen, ps_err *e)
{
    *out = NULL;
    *outlen = 0;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return ps_fail(e, PS_EINPUT, "cannot read '%s': %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = PS_OK;
    for (;;) {
        if (len == cap) {
            if (cap >= MAX_FILE) {
                rc = ps_fail(e, PS_EINPUT, "%s: larger than %d MiB", path, MAX_FILE >> 20);
                break;
            }
            cap = cap ? cap * 2 : 65536;
            char *b = realloc(buf, cap);
            if (!b) {
                rc = ps_fail(e, PS_ERUNTIME, "out of memory reading '%s'", path);
                break;
            }
            buf = b;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) break;
    }
    if (!rc && ferror(f)) rc = ps_fail(e, PS_EINPUT, "cannot read '%s': %s", path, strerror(errno));
    if (f != stdin) fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    *outlen = len;
    return PS_OK;
}

int ps_diff_read_file(ps_diff_result *out, const char *path, ps_err *e)
{
    char *buf;
    size_t len;
    int rc = ps_diff_load(path, &buf, &len, e);
    if (!rc) rc = ps_diff_read(out, buf ? buf : "", len, path, e);
    free(buf);
    return rc;
}

/* ---- comparing ------------------------------------------------------------ */

static int cmp_port(const void *a, const void *b)
{
    const ps_diff_port *x = a, *y = b;
    int c = ps_addr_cmp(&x->host, &y->host);
    if (c) return c;
    if (x->proto != y->proto) return x->proto < y->proto ? -1 : 1;
    return (x->port > y->port) - (x->port < y->port);
}

static int cmp_addr(const void *a, const void *b)
{
    return ps_addr_cmp(a, b);
}

/* Sorted copies, duplicates dropped (the first listing of a port wins). */
static int sorted(const ps_diff_result *in, ps_diff_result *out)
{
    memset(out, 0, sizeof *out);
    out->ports = malloc((in->nports ? in->nports : 1) * sizeof *out->ports);
    out->hosts = malloc((in->nhosts ? in->nhosts : 1) * sizeof *out->hosts);
    if (!out->ports || !out->hosts) return -1;
    if (in->nports) memcpy(out->ports, in->ports, in->nports * sizeof *in->ports);
    if (in->nhosts) memcpy(out->hosts, in->hosts, in->nhosts * sizeof *in->hosts);
    /* A stable order for duplicates: sort by key, then keep the first by line. */
    qsort(out->ports, in->nports, sizeof *out->ports, cmp_port);
    qsort(out->hosts, in->nhosts, sizeof *out->hosts, cmp_addr);
    size_t k = 0;
    for (size_t i = 0; i < in->nports; i++)
        if (!k || cmp_port(&out->ports[k - 1], &out->ports[i])) out->ports[k++] = out->ports[i];
    out->nports = k;
    k = 0;
    for (size_t i = 0; i < in->nhosts; i++)
        if (!k || ps_addr_cmp(&out->hosts[k - 1], &out->hosts[i])) out->hosts[k++] = out->hosts[i];
    out->nhosts = k;
    return 0;
}

static int has_host(const ps_diff_result *r, const ps_addr *a)
{
    return bsearch(a, r->hosts, r->nhosts, sizeof *r->hosts, cmp_addr) != NULL;
}

static int is_open(const ps_diff_port *p)
{
    return p && strcmp(p->state, "open") == 0;
}

struct printer {
    FILE *out;
    ps_addr cur; /* host whose heading was printed */
    int have_cur;
};

static void heading(struct printer *pr, const ps_addr *h)
{
    char ip[PS_ADDRSTRLEN];
    if (pr->have_cur && ps_addr_cmp(&pr->cur, h) == 0) return;
    pr->cur = *h;
    pr->have_cur = 1;
    fprintf(pr->out, "%s\n", ps_addr_str(h, ip, sizeof ip));
}

static void txt(FILE *out, const char *s)
{
    ps_esc_puts(out, s, PS_ESC_TEXT);
}

static void describe(FILE *out, const ps_diff_port *p)
{
    txt(out, p->service[0] ? p->service : "unknown");
    if (p->product[0]) fputc(' ', out), txt(out, p->product);
    if (p->version[0]) fputc(' ', out), txt(out, p->version);
}

static void other_side(FILE *out, const ps_diff_port *p, int host_there, const char *when)
{
    if (p) {
        fprintf(out, " (%s ", when);
        txt(out, p->state);
        fputc(')', out);
    } else {
        /* Not listed: not scanned, or folded into "Not shown". */
        fprintf(out, " (%s not in %s)", host_there ? "port" : "host", strcmp(when, "was") == 0 ? "OLD" : "NEW");
    }
}

static void change(FILE *out, int *first, const char *what, const char *a, const char *b)
{
    if (strcmp(a, b) == 0) return;
    fprintf(out, "%s%s ", *first ? "" : ", ", what);
    txt(out, a[0] ? a : "(none)");
    fputs(" -> ", out);
    txt(out, b[0] ? b : "(none)");
    *first = 0;
}

/* One key present in old (o), new (n) or both: a change, or nothing. */
static void classify(const ps_diff_port *o, const ps_diff_port *n, const ps_diff_result *old,
                     const ps_diff_result *new_, ps_diff_cb cb, void *ctx, size_t *count)
{
    ps_diff_change c = {0};
    c.old = o;
    c.new_ = n;
    c.host = o ? &o->host : &n->host;
    c.host_in_old = has_host(old, c.host);
    c.host_in_new = has_host(new_, c.host);
    if (is_open(n) && !is_open(o)) c.kind = '+';
    else if (is_open(o) && !is_open(n)) c.kind = '-';
    else if (is_open(o) && is_open(n) &&
             (strcmp(o->service, n->service) || strcmp(o->product, n->product) || strcmp(o->version, n->version)))
        c.kind = '~';
    else return;
    cb(ctx, &c);
    (*count)++;
}

void ps_diff_describe(FILE *out, const ps_diff_change *c)
{
    const ps_diff_port *o = c->old, *n = c->new_;
    int first = 1;
    switch (c->kind) {
    case '+':
        fputs("opened: ", out);
        describe(out, n);
        other_side(out, o, c->host_in_old, "was");
        break;
    case '-':
        fputs("closed: was ", out);
        describe(out, o);
        other_side(out, n, c->host_in_new, "now");
        break;
    case '~':
        fputs("changed: ", out);
        change(out, &first, "service", o->service, n->service);
        change(out, &first, "product", o->product, n->product);
        change(out, &first, "version", o->version, n->version);
        break;
    case 'H': fputs("(only in NEW)", out); break;
    case 'h': fputs("(only in OLD)", out); break;
    }
}

size_t ps_diff_walk(const ps_diff_result *old_in, const ps_diff_result *new_in, ps_diff_cb cb, void *ctx)
{
    ps_diff_result old, new_;
    size_t count = 0;
    if (sorted(old_in, &old) || sorted(new_in, &new_)) {
        ps_diff_result_free(&old);
        ps_diff_result_free(&new_);
        return (size_t)-1;
    }
    size_t i = 0, j = 0;
    while (i < old.nports || j < new_.nports) {
        int c = i == old.nports ? 1 : j == new_.nports ? -1 : cmp_port(&old.ports[i], &new_.ports[j]);
        if (c < 0) classify(&old.ports[i++], NULL, &old, &new_, cb, ctx, &count);
        else if (c > 0) classify(NULL, &new_.ports[j++], &old, &new_, cb, ctx, &count);
        else classify(&old.ports[i++], &new_.ports[j++], &old, &new_, cb, ctx, &count);
    }
    for (int side = 0; side < 2; side++) {
        const ps_diff_result *here = side ? &old : &new_, *there = side ? &new_ : &old;
        for (size_t k = 0; k < here->nhosts; k++) {
            if (has_host(there, &here->hosts[k])) continue;
            ps_diff_change ch = {.kind = side ? 'h' : 'H', .host = &here->hosts[k]};
            ch.host_in_old = side;
            ch.host_in_new = !side;
            cb(ctx, &ch);
            count++;
        }
    }
    ps_diff_result_free(&old);
    ps_diff_result_free(&new_);
    return count;
}

/* pscan diff's lines: a heading per host, then its ports; hosts last. */
static void print_change(void *ctx, const ps_diff_change *c)
{
    struct printer *pr = ctx;
    char ip[PS_ADDRSTRLEN];
    const ps_diff_port *p = c->new_ ? c->new_ : c->old;
    if (c->kind == 'H' || c->kind == 'h') {
        fprintf(pr->out, "%c host %s ", c->kind == 'H' ? '+' : '-', ps_addr_str(c->host, ip, sizeof ip));
    } else {
        heading(pr, c->host);
        fprintf(pr->out, "  %c %u/%s ", c->kind, p->port, ps_proto_name(p->proto));
    }
    ps_diff_describe(pr->out, c);
    fputc('\n', pr->out);
}

size_t ps_diff_compare(const ps_diff_result *old, const ps_diff_result *new_, FILE *out)
{
    struct printer pr = {.out = out};
    size_t n = ps_diff_walk(old, new_, print_change, &pr);
    if (n == (size_t)-1) {
        fprintf(out, "pscan diff: out of memory\n");
        return 1;
    }
    return n;
}

static size_t count_open(const ps_diff_result *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nports; i++) n += is_open(&r->ports[i]);
    return n;
}

int ps_diff_main(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        printf("usage: pscan diff OLD NEW\n"
               "Compare two scan results (pscan -oJ JSON Lines, or -oX XML from pscan or nmap).\n"
               "A JSON Lines file whose last line a killed scan cut short is read without it.\n"
               "Exit status: 0 no differences, 1 differences, 2 error.\n");
        return 0;
    }
    if (argc != 3) {
        fprintf(stderr, "pscan diff: usage: pscan diff OLD NEW\n");
        return 2;
    }
    if (strcmp(argv[1], "-") == 0 && strcmp(argv[2], "-") == 0) {
        fprintf(stderr, "pscan diff: only one of OLD and NEW can be '-'\n");
        return 2;
    }
    ps_diff_result a = {0}, b = {0};
    ps_err e = {{0}};
    int rc = 2;
    if (ps_diff_read_file(&a, argv[1], &e) || ps_diff_read_file(&b, argv[2], &e)) {
        fprintf(stderr, "pscan diff: ");
        ps_esc_puts(stderr, e.msg, PS_ESC_TEXT);
        fputc('\n', stderr);
    } else {
        for (int k = 0; k < 2; k++) {
            const ps_diff_result *r = k ? &b : &a;
            if (!r->cut_line) continue;
            fprintf(stderr, "pscan diff: note: ");
            ps_esc_puts(stderr, argv[1 + k], PS_ESC_TEXT);
            fprintf(stderr, ":%d: the last line is cut short (a scan killed while writing it?); read without it\n",
                    r->cut_line);
        }
        size_t n = ps_diff_compare(&a, &b, stdout);
        if (n) printf("%zu difference%s\n", n, n == 1 ? "" : "s");
        else printf("no differences (%zu open port%s)\n", count_open(&b), count_open(&b) == 1 ? "" : "s");
        rc = n ? 1 : 0;
    }
    ps_diff_result_free(&a);
    ps_diff_result_free(&b);
    return rc;
}
