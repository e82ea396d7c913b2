/* audit_doc.c: building the audit document (audit.h) from host results:
 * the string pool, the entry arrays, naming each open port as the other
 * writers do (row.c), and the policy's checks (policy_check.c). */
#include <stdlib.h>
#include <string.h>

#include "pscan/audit.h"
#include "pscan/escape.h"
#include "pscan/iana.h"
#include "pscan/output.h"
#include "pscan/service.h"

enum { MAX_POOL = 0x7fffffff, BANNER_KEPT = 160 };

void ps_audit_init(ps_audit *a)
{
    memset(a, 0, sizeof *a);
    a->generated = time(NULL);
}

void ps_audit_free(ps_audit *a)
{
    free(a->pool);
    free(a->scans);
    free(a->hosts);
    free(a->ports);
    free(a->checks);
    free(a->changes);
    memset(a, 0, sizeof *a);
}

ps_str ps_audit_str(ps_audit *a, const char *s, size_t n)
{
    if (!s || !n) return 0;
    if (a->npool == 0) a->npool = 1; /* offset 0 is "" */
    if (a->npool + n + 1 > a->cappool) {
        size_t cap = a->cappool ? a->cappool : 65536;
        while (cap < a->npool + n + 1) cap *= 2;
        char *p = cap <= MAX_POOL ? realloc(a->pool, cap) : NULL;
        if (!p) {
            a->oom = 1;
            return 0;
        }
        if (!a->cappool) p[0] = '\0';
        a->pool = p;
        a->cappool = cap;
    }
    ps_str at = (ps_str)a->npool;
    memcpy(a->pool + at, s, n);
    a->pool[at + n] = '\0';
    a->npool += n + 1;
    return at;
}

ps_str ps_audit_cstr(ps_audit *a, const char *s)
{
    return s ? ps_audit_str(a, s, strlen(s)) : 0;
}

const char *ps_audit_s(const ps_audit *a, ps_str s)
{
    return s && a->pool ? a->pool + s : "";
}

/* Append one element to an array of the document. */
static void *grow(void **v, size_t *n, size_t *cap, size_t size, ps_err *e)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        void *p = realloc(*v, c * size);
        if (!p) {
            ps_fail(e, PS_ERUNTIME, "out of memory building the report");
            return NULL;
        }
        *v = p;
        *cap = c;
    }
    return (char *)*v + (*n)++ * size;
}

#define APPEND(a, arr, e) grow((void **)&(a)->arr, &(a)->n##arr, &(a)->cap##arr, sizeof *(a)->arr, e)

int ps_audit_add_scan(ps_audit *a, const ps_audit_scan *s, ps_err *e)
{
    ps_audit_scan *d = APPEND(a, scans, e);
    if (!d) return PS_ERUNTIME;
    *d = *s;
    a->sorted = 0;
    return PS_OK;
}

int ps_audit_add_change(ps_audit *a, const ps_audit_change *c, ps_err *e)
{
    ps_audit_change *d = APPEND(a, changes, e);
    if (!d) return PS_ERUNTIME;
    *d = *c;
    return PS_OK;
}

static ps_str field(ps_audit *a, const char *s, size_t cap)
{
    return ps_audit_str(a, s, strnlen(s, cap));
}

static void add_tls(ps_audit *a, ps_audit_port *d, const ps_svc_result *s, time_t now)
{
    const ps_tls_info *c = &s->cert;
    long days;
    d->flags |= PS_AP_TLS;
    d->tls_version = field(a, c->version, sizeof c->version);
    d->cipher = field(a, c->cipher, sizeof c->cipher);
    if (!s->has_cert) return;
    d->flags |= PS_AP_CERT;
    d->subject = field(a, c->subject, sizeof c->subject);
    d->issuer = field(a, c->issuer, sizeof c->issuer);
    d->sans = field(a, c->sans, sizeof c->sans);
    d->not_before = field(a, c->not_before, sizeof c->not_before);
    d->not_after = field(a, c->not_after, sizeof c->not_after);
    d->sha256 = field(a, c->sha256, sizeof c->sha256);
    char na[sizeof c->not_after + 1];
    memcpy(na, c->not_after, sizeof c->not_after);
    na[sizeof c->not_after] = '\0';
    if (ps_cert_days_left(na, now, &days)) d->days_left = days < INT32_MIN + 1 ? INT32_MIN + 1 : days > INT32_MAX ? INT32_MAX : (int32_t)days;
}

static int add_port(ps_audit *a, const ps_host_result *h, const ps_port_result *p, time_t now, ps_err *e)
{
    ps_audit_port *d = APPEND(a, ports, e);
    if (!d) return PS_ERUNTIME;
    char buf[512];
    memset(d, 0, sizeof *d);
    d->seq = (uint32_t)a->nports;
    d->host = h->addr;
    d->hostname = ps_audit_cstr(a, h->name);
    d->port = p->port;
    d->proto = (uint8_t)p->proto;
    d->days_left = PS_DAYS_UNKNOWN;
    enum ps_name_source src;
    d->service = ps_audit_cstr(a, ps_port_service(NULL, p, buf, sizeof buf, &src));
    if (src == PS_NAME_REGISTRY) d->flags |= PS_AP_GUESS;
    d->version = ps_audit_cstr(a, ps_port_version(p, buf, sizeof buf));
    const char *reg = ps_service_name(p->port, p->proto);
    d->registry = ps_audit_cstr(a, reg);
    d->reason = ps_audit_cstr(a, ps_reason_name(p->reason));
    const ps_svc_result *s = p->svc;
    if (!s) return PS_OK;
    d->flags |= PS_AP_SVC;
    if (ps_port_identified(p) && reg && !ps_svc_names_agree(reg, s->info.service)) d->flags |= PS_AP_MISMATCH;
    if (s->tls) add_tls(a, d, s, now);
    size_t n = s->banner_len < sizeof s->banner ? s->banner_len : sizeof s->banner;
    if (!ps_port_identified(p) && n) {
        char esc[4 * BANNER_KEPT + 8];
        ps_esc_buf(esc, sizeof esc, s->banner, n < BANNER_KEPT ? n : BANNER_KEPT, PS_ESC_TEXT);
        d->flags |= PS_AP_UNKNOWN;
        d->banner = ps_audit_cstr(a, esc);
    }
    return PS_OK;
}

struct check_ctx {
    ps_audit *a;
    ps_err *e;
    int rc;
};

static void keep_check(void *ctx, const ps_host_result *h, const ps_policy_check *c)
{
    struct check_ctx *x = ctx;
    if (x->rc) return;
    ps_audit_check *d = APPEND(x->a, checks, x->e);
    if (!d) {
        x->rc = PS_ERUNTIME;
        return;
    }
    d->host = h->addr;
    d->kind = (uint8_t)c->kind;
    d->failed = (uint8_t)c->failed;
    d->proto = (uint8_t)c->proto;
    d->port = c->port;
    d->line = c->line;
    d->what = ps_audit_cstr(x->a, c->what);
    d->message = ps_audit_cstr(x->a, c->message);
    d->order = (uint32_t)x->a->nchecks;
}

int ps_audit_add_host(ps_audit *a, const ps_host_result *h, time_t now, ps_err *e)
{
    ps_audit_host *d = APPEND(a, hosts, e);
    if (!d) return PS_ERUNTIME;
    memset(d, 0, sizeof *d);
    d->seq = (uint32_t)a->nhosts;
    d->addr = h->addr;
    d->name = ps_audit_cstr(a, h->name);
    d->status = ps_audit_cstr(a, h->up ? "up" : "assumed-up");
    for (size_t i = 0; i < h->nports; i++) {
        if (h->ports[i].state != PS_ST_OPEN) continue;
        if (add_port(a, h, &h->ports[i], now, e)) return PS_ERUNTIME;
    }
    a->sorted = 0;
    if (!a->policy) return a->oom ? ps_fail(e, PS_ERUNTIME, "out of memory building the report") : PS_OK;
    struct check_ctx x = {a, e, PS_OK};
    ps_policy_check_host(a->policy, h, a->scanned, a->strict, now, keep_check, &x);
    if (!x.rc && a->oom) x.rc = ps_fail(e, PS_ERUNTIME, "out of memory building the report");
    return x.rc;
}

/* ---- order ------------------------------------------------------------------ */

static int cmp_key(const ps_addr *a, int pa, int qa, const ps_addr *b, int pb, int qb)
{
    int c = ps_addr_cmp(a, b);
    if (c) return c;
    if (pa != pb) return pa < pb ? -1 : 1;
    return (qa > qb) - (qa < qb);
}

static int cmp_port(const void *x, const void *y)
{
    const ps_audit_port *a = x, *b = y;
    return cmp_key(&a->host, a->proto, a->port, &b->host, b->proto, b->port);
}

static int cmp_host(const void *x, const void *y)
{
    const ps_audit_host *a = x, *b = y;
    return ps_addr_cmp(&a->addr, &b->addr);
}

static int cmp_port_seq(const void *x, const void *y)
{
    const ps_audit_port *a = x, *b = y;
    int c = cmp_port(x, y);
    return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

static int cmp_host_seq(const void *x, const void *y)
{
    const ps_audit_host *a = x, *b = y;
    int c = cmp_host(x, y);
    return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

static int cmp_check(const void *x, const void *y)
{
    const ps_audit_check *a = x, *b = y;
    int c = ps_addr_cmp(&a->host, &b->host);
    return c ? c : (a->order > b->order) - (a->order < b->order);
}

static int cmp_change(const void *x, const void *y)
{
    const ps_audit_change *a = x, *b = y;
    int c = cmp_key(&a->host, a->proto, a->port, &b->host, b->proto, b->port);
    return c ? c : (a->kind > b->kind) - (a->kind < b->kind);
}

void ps_audit_sort(ps_audit *a)
{
    if (a->sorted) return;
    /* The first listing of a host or port wins (several files may hold it). */
    if (a->nports) qsort(a->ports, a->nports, sizeof *a->ports, cmp_port_seq);
    if (a->nhosts) qsort(a->hosts, a->nhosts, sizeof *a->hosts, cmp_host_seq);
    if (a->nchecks) qsort(a->checks, a->nchecks, sizeof *a->checks, cmp_check);
    if (a->nchanges) qsort(a->changes, a->nchanges, sizeof *a->changes, cmp_change);
    size_t k = 0;
    for (size_t i = 0; i < a->nports; i++)
        if (!k || cmp_port(&a->ports[k - 1], &a->ports[i])) a->ports[k++] = a->ports[i];
    a->nports = k;
    k = 0;
    for (size_t i = 0; i < a->nhosts; i++)
        if (!k || cmp_host(&a->hosts[k - 1], &a->hosts[i])) a->hosts[k++] = a->hosts[i];
    a->nhosts = k;
    /* Open ports per host, over every file that listed the host. */
    for (size_t h = 0, i = 0; h < a->nhosts; h++) {
        a->hosts[h].nopen = 0;
        while (i < a->nports && ps_addr_cmp(&a->ports[i].host, &a->hosts[h].addr) < 0) i++;
        for (; i < a->nports && ps_addr_cmp(&a->ports[i].host, &a->hosts[h].addr) == 0; i++) a->hosts[h].nopen++;
    }
    a->sorted = 1;
}

void ps_audit_totals_get(const ps_audit *a, ps_audit_totals *t)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < a->nscans; i++) {
        t->hosts_scanned += a->scans[i].hosts;
        if (a->scans[i].elapsed >= 0) t->elapsed += a->scans[i].elapsed;
        else t->elapsed = -1e300;
    }
    if (t->elapsed < 0) t->elapsed = -1;
    t->hosts_up = a->nhosts;
    t->open = a->nports;
    for (size_t i = 0; i < a->nports; i++) {
        const ps_audit_port *p = &a->ports[i];
        t->tls += (p->flags & PS_AP_TLS) != 0;
        t->certs += (p->flags & PS_AP_CERT) != 0;
        if (p->days_left == PS_DAYS_UNKNOWN) continue;
        t->expired += p->days_left < 0;
        t->soon += p->days_left >= 0 && p->days_left < PS_AUDIT_SOON_DAYS;
    }
    t->checks = a->nchecks;
    for (size_t i = 0; i < a->nchecks; i++) t->failed += a->checks[i].failed;
}
