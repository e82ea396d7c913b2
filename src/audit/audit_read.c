/* audit_read.c: pscan's JSON Lines results (-oJ, docs/output.md) into the
 * audit document, over the strict parser of pscan/json.h.
 *
 *   scan      a scan of the report (a merged or concatenated file may
 *             hold several): version, start, type, command line, sizes
 *   host      the complete results of a host: rebuilt as the writers saw
 *             them (audit_port.c) and added with ps_audit_add_host, which
 *             names and checks them as a scan would
 *   port      streamed open ports: used only for hosts that have no host
 *             line in the file (a scan cut short), grouped per host
 *   summary   closes the file's latest scan (elapsed, hosts up); a scan
 *             without one was cut short
 *
 * Any other type, and any field this reader does not use, is ignored, so
 * newer writers may add them; a "schema" above 1 is refused.  Errors name
 * the file and line.  Certificates are judged at the time of their host
 * line (when the scan saw them), not when the report is made. */
#include <stdlib.h>
#include <string.h>

#include "pscan/output.h"

#include "audit_int.h"

struct pend {
    ps_addr host;
    size_t off, len;
    int line;
};

struct reader {
    ps_audit *a;
    ps_json p;
    const char *name;
    long scan;          /* this file's latest scan in a->scans, or -1 */
    time_t start;       /* its start, for lines without a time */
    struct pend *pend;
    size_t npend, cappend;
    ps_addr *seen;      /* hosts with a host line */
    size_t nseen, capseen;
    audit_rows rows;
};

static int parse_time(const char *s, time_t *out)
{
    struct timespec ts;
    if (!ps_iso8601_parse(s, &ts)) return 0;
    *out = ts.tv_sec;
    return 1;
}

static ps_str jstr(struct reader *r, size_t obj, const char *key)
{
    size_t n;
    const char *s = ps_json_get_str(&r->p, obj, key, &n);
    return s ? ps_audit_str(r->a, s, n) : 0;
}

static uint64_t jcount(const ps_json *p, size_t obj, const char *key)
{
    double v;
    return ps_json_num(p, ps_json_get(p, obj, key), &v) && v >= 0 && v < 1.8e19 ? (uint64_t)v : 0;
}

/* The command line, its words joined by blanks (the report escapes it). */
static ps_str join_args(struct reader *r, size_t arr, int *expect)
{
    size_t total = 0, n;
    for (size_t c = ps_json_first(&r->p, arr); c; c = ps_json_next(&r->p, c))
        if (ps_json_str(&r->p, c, &n)) total += n + 1;
    char *buf = malloc(total + 1);
    if (!buf) return 0;
    size_t at = 0;
    for (size_t c = ps_json_first(&r->p, arr); c; c = ps_json_next(&r->p, c)) {
        const char *s = ps_json_str(&r->p, c, &n);
        if (!s) continue;
        if (at) buf[at++] = ' ';
        memcpy(buf + at, s, n);
        at += n;
        *expect |= strcmp(s, "--expect") == 0;
    }
    ps_str out = ps_audit_str(r->a, buf, at);
    free(buf);
    return out;
}

static int on_scan(struct reader *r, size_t root, ps_err *e)
{
    ps_audit_scan s;
    memset(&s, 0, sizeof s);
    s.source = ps_audit_cstr(r->a, r->name);
    s.version = jstr(r, root, "version");
    s.start = jstr(r, root, "start");
    s.scan_type = jstr(r, root, "scan_type");
    s.args = join_args(r, ps_json_get(&r->p, root, "args"), &s.expect);
    s.hosts = jcount(&r->p, root, "hosts");
    s.ports = jcount(&r->p, root, "ports");
    s.version_detect = ps_json_bool(&r->p, ps_json_get(&r->p, root, "version_detect")) == 1;
    s.elapsed = -1;
    size_t n;
    if (!parse_time(ps_json_get_str(&r->p, root, "start", &n), &r->start)) r->start = 0;
    r->scan = (long)r->a->nscans;
    return ps_audit_add_scan(r->a, &s, e);
}

static int on_summary(struct reader *r, size_t root, ps_err *e)
{
    if (r->scan < 0) { /* a summary with no scan line before it */
        ps_audit_scan s = {.source = ps_audit_cstr(r->a, r->name), .elapsed = -1};
        int rc = ps_audit_add_scan(r->a, &s, e);
        if (rc) return rc;
        r->scan = (long)r->a->nscans - 1;
    }
    ps_audit_scan *s = &r->a->scans[r->scan];
    double v;
    s->have_summary = 1;
    if (ps_json_num(&r->p, ps_json_get(&r->p, root, "elapsed"), &v) && v >= 0) s->elapsed = v;
    s->hosts_up = jcount(&r->p, root, "hosts_up");
    uint64_t h = jcount(&r->p, root, "hosts");
    if (h) s->hosts = h;
    return PS_OK;
}

/* The rows read so far as one host result, added to the document. */
static int add_rows(struct reader *r, size_t root, const ps_addr *addr, int up, ps_err *e)
{
    ps_host_result h;
    size_t n;
    char name[256];
    memset(&h, 0, sizeof h);
    h.addr = *addr;
    const char *hn = ps_json_get_str(&r->p, root, "hostname", &n);
    if (hn) {
        ps_json_copy(name, sizeof name, hn, n);
        h.name = name;
    }
    h.up = up;
    h.latency_s = -1;
    ps_audit_rows_link(&r->rows);
    h.ports = r->rows.rows;
    h.nports = r->rows.n;
    time_t when;
    if (!parse_time(ps_json_get_str(&r->p, root, "time", &n), &when)) when = r->start ? r->start : r->a->generated;
    int rc = ps_audit_add_host(r->a, &h, when, e);
    r->rows.n = r->rows.nsvc = 0;
    return rc;
}

static int on_host(struct reader *r, size_t root, ps_err *e)
{
    ps_addr addr;
    int rc = ps_json_get_host(&r->p, root, &addr, e);
    if (rc) return rc;
    size_t ports = ps_json_get(&r->p, root, "ports");
    if (ports && ps_json_type(&r->p, ports) != PS_J_ARR) return ps_fail(e, PS_EINPUT, "\"ports\" is not an array");
    for (size_t c = ps_json_first(&r->p, ports); c; c = ps_json_next(&r->p, c)) {
        if (ps_json_type(&r->p, c) != PS_J_OBJ) return ps_fail(e, PS_EINPUT, "a \"ports\" entry is not an object");
        if ((rc = ps_audit_read_port(&r->p, c, &r->rows, e))) return rc;
    }
    size_t n;
    const char *st = ps_json_get_str(&r->p, root, "status", &n);
    if ((rc = add_rows(r, root, &addr, !st || strcmp(st, "up") == 0, e))) return rc;
    if (r->nseen == r->capseen) {
        size_t cap = r->capseen ? r->capseen * 2 : 64;
        ps_addr *v = realloc(r->seen, cap * sizeof *v);
        if (!v) return ps_fail(e, PS_ERUNTIME, "out of memory");
        r->seen = v;
        r->capseen = cap;
    }
    r->seen[r->nseen++] = addr;
    return PS_OK;
}

static int on_port(struct reader *r, size_t root, size_t off, size_t len, int line, ps_err *e)
{
    ps_addr addr;
    int rc = ps_json_get_host(&r->p, root, &addr, e);
    if (rc) return rc;
    if (r->npend == r->cappend) {
        size_t cap = r->cappend ? r->cappend * 2 : 64;
        struct pend *v = realloc(r->pend, cap * sizeof *v);
        if (!v) return ps_fail(e, PS_ERUNTIME, "out of memory");
        r->pend = v;
        r->cappend = cap;
    }
    r->pend[r->npend++] = (struct pend){addr, off, len, line};
    return PS_OK;
}

static int on_line(struct reader *r, size_t root, size_t off, size_t len, int line, ps_err *e)
{
    if (ps_json_type(&r->p, root) != PS_J_OBJ) return ps_fail(e, PS_EINPUT, "not a JSON object");
    size_t sv = ps_json_get(&r->p, root, "schema"), n;
    double schema = 0;
    if (sv && (!ps_json_num(&r->p, sv, &schema) || schema > 1))
        return ps_fail(e, PS_EINPUT, "schema is newer than this pscan reads (1)");
    const char *type = ps_json_get_str(&r->p, root, "type", &n);
    if (!type) return ps_fail(e, PS_EINPUT, "no \"type\" string: not pscan JSON Lines");
    if (strcmp(type, "scan") == 0) return on_scan(r, root, e);
    if (strcmp(type, "host") == 0) return on_host(r, root, e);
    if (strcmp(type, "port") == 0) return on_port(r, root, off, len, line, e);
    if (strcmp(type, "summary") == 0) return on_summary(r, root, e);
    return PS_OK;
}

static int cmp_addr(const void *x, const void *y)
{
    return ps_addr_cmp(x, y);
}

static int cmp_pend(const void *x, const void *y)
{
    const struct pend *a = x, *b = y;
    int c = ps_addr_cmp(&a->host, &b->host);
    return c ? c : (a->line > b->line) - (a->line < b->line);
}

/* Port lines of hosts that never got a host line: one host result each. */
static int pending(struct reader *r, const char *buf, ps_err *e)
{
    if (!r->npend) return PS_OK;
    if (r->nseen) qsort(r->seen, r->nseen, sizeof *r->seen, cmp_addr);
    qsort(r->pend, r->npend, sizeof *r->pend, cmp_pend);
    int rc = PS_OK;
    for (size_t i = 0; i < r->npend && !rc;) {
        size_t j = i, root = 0;
        int known = r->nseen && bsearch(&r->pend[i].host, r->seen, r->nseen, sizeof *r->seen, cmp_addr) != NULL;
        for (; j < r->npend && ps_addr_cmp(&r->pend[j].host, &r->pend[i].host) == 0 && !rc; j++) {
            if (known) continue;
            root = ps_json_parse(&r->p, buf + r->pend[j].off, r->pend[j].len);
            rc = root ? ps_audit_read_port(&r->p, root, &r->rows, e)
                      : ps_fail(e, PS_ERUNTIME, "line %d changed while read", r->pend[j].line);
        }
        if (!rc && !known) rc = add_rows(r, root, &r->pend[i].host, 1, e);
        i = j;
    }
    return rc;
}

int ps_audit_read_jsonl(ps_audit *a, const char *buf, size_t len, const char *name, ps_err *e)
{
    struct reader r = {.a = a, .name = name, .scan = -1};
    int rc = PS_OK, line = 0, objects = 0;
    size_t i = len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r')) i++;
    if (i < len && buf[i] == '<')
        return ps_fail(e, PS_EINPUT, "%s: XML; pscan report reads pscan's JSON Lines (-oJ)", name);
    for (size_t at = 0; at < len && !rc;) {
        const char *nl = memchr(buf + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - buf) : len, b = at;
        line++;
        while (b < end && (buf[b] == ' ' || buf[b] == '\t' || buf[b] == '\r')) b++;
        if (b < end) {
            ps_err sub = {{0}};
            size_t root = ps_json_parse(&r.p, buf + at, end - at);
            if (!root) rc = ps_fail(&sub, PS_EINPUT, "column %zu: %s", r.p.err_at + 1, r.p.err ? r.p.err : "invalid");
            else rc = on_line(&r, root, at, end - at, line, &sub);
            if (rc) rc = ps_fail(e, rc, "%s:%d: %s", name, line, sub.msg);
            objects++;
        }
        at = end + 1;
    }
    if (!rc && objects == 0) rc = ps_fail(e, PS_EINPUT, "%s: no JSON lines", name);
    if (!rc) {
        ps_err sub = {{0}};
        if ((rc = pending(&r, buf, &sub))) rc = ps_fail(e, rc, "%s: %s", name, sub.msg);
    }
    free(r.pend);
    free(r.seen);
    ps_audit_rows_free(&r.rows);
    ps_json_free(&r.p);
    return rc;
}
