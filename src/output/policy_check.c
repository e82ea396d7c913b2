/* policy_check.c: what a policy (policy.h) says of one host's results,
 * as a list of checks, each passed or failed:
 *
 *   - every open port: allowed by the host's rule, or unexpected;
 *   - with --expect-strict, every port the rule lists that is not open;
 *   - every open port a tls line covers: one check per requirement
 *     (days left on the certificate, the protocol version).
 *
 * The --expect writer (ps_out_policy, at the end) prints the failures:
 * each is one line on standard error and makes the exit status 3.  The
 * JUnit report
 * makes a test case of every check, the HTML report lists the failures
 * first.  One place decides, so the three never disagree.  Messages are
 * plain text; anything in them that a server sent is escaped already. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pscan/escape.h"
#include "pscan/output.h"
#include "pscan/policy.h"
#include "pscan/service.h"

struct run {
    const ps_host_result *h;
    char ip[PS_ADDRSTRLEN];
    ps_policy_check_cb cb;
    void *ctx;
};

static void emit(struct run *r, ps_policy_check *c, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void emit(struct run *r, ps_policy_check *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->message, sizeof c->message, fmt, ap);
    va_end(ap);
    r->cb(r->ctx, r->h, c);
}

static void start(ps_policy_check *c, enum ps_check_kind k, const ps_port_result *p, int line)
{
    memset(c, 0, sizeof *c);
    c->kind = k;
    c->proto = p->proto;
    c->port = p->port;
    c->line = line;
}

static void check_days(struct run *r, const ps_port_result *p, const ps_tls_rule *t, time_t now)
{
    ps_policy_check c;
    const ps_svc_result *s = p->svc;
    const char *pr = ps_proto_name(p->proto);
    long days;
    start(&c, PS_CHECK_CERT_DAYS, p, t->line);
    snprintf(c.what, sizeof c.what, "%u/%s certificate valid %d more days", p->port, pr, t->min_days);
    c.failed = 1;
    if (!s->has_cert)
        return emit(r, &c, "%u/%s on %s sent no certificate (policy line %d)", p->port, pr, r->ip, t->line);
    char when[64];
    ps_esc_buf(when, sizeof when, s->cert.not_after, strnlen(s->cert.not_after, sizeof s->cert.not_after),
               PS_ESC_TEXT);
    if (!ps_cert_days_left(s->cert.not_after, now, &days))
        return emit(r, &c, "the certificate of %u/%s on %s has no readable expiry date '%s' (policy line %d)",
                    p->port, pr, r->ip, when, t->line);
    c.failed = days < t->min_days;
    if (days < 0)
        return emit(r, &c, "the certificate of %u/%s on %s expired %ld day%s ago (%s); policy line %d requires %d "
                    "days left", p->port, pr, r->ip, -days, days == -1 ? "" : "s", when, t->line, t->min_days);
    emit(r, &c, "the certificate of %u/%s on %s expires in %ld day%s (%s); policy line %d requires %s%d",
         p->port, pr, r->ip, days, days == 1 ? "" : "s", when, t->line, c.failed ? "at least " : "", t->min_days);
}

static void check_version(struct run *r, const ps_port_result *p, const ps_tls_rule *t)
{
    ps_policy_check c;
    const ps_svc_result *s = p->svc;
    const char *pr = ps_proto_name(p->proto), *want = ps_tls_version_name(t->min_version);
    start(&c, PS_CHECK_TLS_VERSION, p, t->line);
    snprintf(c.what, sizeof c.what, "%u/%s TLS %s or newer", p->port, pr, want);
    char got[32];
    ps_esc_buf(got, sizeof got, s->cert.version, strnlen(s->cert.version, sizeof s->cert.version), PS_ESC_TEXT);
    int rank = ps_tls_version_rank(got);
    c.failed = rank < t->min_version;
    if (!rank)
        return emit(r, &c, "%u/%s on %s negotiated an unknown TLS version '%s'; policy line %d requires %s or newer",
                    p->port, pr, r->ip, got, t->line, want);
    emit(r, &c, "%u/%s on %s negotiated %s; policy line %d requires %s or newer", p->port, pr, r->ip, got, t->line,
         want);
}

/* The tls line's checks of one open port. */
static void check_tls(struct run *r, const ps_policy *pol, const ps_port_result *p, time_t now)
{
    ps_tls_rule t;
    if (!ps_policy_tls_for(pol, &r->h->addr, p->proto, p->port, &t)) return;
    const ps_svc_result *s = p->svc;
    if (!s || !s->tls) {
        ps_policy_check c;
        start(&c, t.min_days >= 0 ? PS_CHECK_CERT_DAYS : PS_CHECK_TLS_VERSION, p, t.line);
        snprintf(c.what, sizeof c.what, "%u/%s TLS", p->port, ps_proto_name(p->proto));
        c.failed = 1;
        if (!s)
            return emit(r, &c, "%u/%s on %s was not checked for TLS: no -sV result (policy line %d)", p->port,
                        ps_proto_name(p->proto), r->ip, t.line);
        return emit(r, &c, "%u/%s on %s does not speak TLS (policy line %d)", p->port, ps_proto_name(p->proto),
                    r->ip, t.line);
    }
    if (t.min_days >= 0) check_days(r, p, &t, now);
    if (t.min_version) check_version(r, p, &t);
}

static const ps_port_result *find_row(const ps_host_result *h, enum ps_proto proto, uint16_t port)
{
    for (size_t i = 0; i < h->nports; i++)
        if (h->ports[i].proto == proto && h->ports[i].port == port) return &h->ports[i];
    return NULL;
}

static void check_expected(struct run *r, const ps_ports *exp, const ps_ports *scanned, int line)
{
    for (int proto = 0; proto < 2; proto++) {
        const uint16_t *v = proto ? exp->udp : exp->tcp;
        size_t n = proto ? exp->nudp : exp->ntcp;
        for (size_t i = 0; i < n; i++) {
            const ps_port_result *row = find_row(r->h, (enum ps_proto)proto, v[i]);
            if (row && row->state == PS_ST_OPEN) continue;
            const char *why, *pr = ps_proto_name((enum ps_proto)proto);
            if (row) why = ps_state_name(row->state);
            else if (scanned && !ps_policy_ports_have(scanned, (enum ps_proto)proto, v[i])) why = "not scanned";
            else why = "not open";
            ps_port_result fake = {.proto = (enum ps_proto)proto, .port = v[i]};
            ps_policy_check c;
            start(&c, PS_CHECK_EXPECTED, &fake, line);
            snprintf(c.what, sizeof c.what, "%u/%s expected open", v[i], pr);
            c.failed = 1;
            emit(r, &c, "expected port %u/%s on %s is %s (policy line %d)", v[i], pr, r->ip, why, line);
        }
    }
}

void ps_policy_check_host(const ps_policy *pol, const ps_host_result *h, const ps_ports *scanned, int strict,
                          time_t now, ps_policy_check_cb cb, void *ctx)
{
    struct run r = {.h = h, .cb = cb, .ctx = ctx};
    int line;
    ps_addr_str(&h->addr, r.ip, sizeof r.ip);
    const ps_ports *allowed = ps_policy_rule_for(pol, &h->addr, &line);
    for (size_t i = 0; i < h->nports; i++) {
        const ps_port_result *p = &h->ports[i];
        if (p->state != PS_ST_OPEN) continue;
        ps_policy_check c;
        start(&c, PS_CHECK_OPEN, p, line);
        snprintf(c.what, sizeof c.what, "%u/%s open", p->port, ps_proto_name(p->proto));
        c.failed = !(allowed && ps_policy_ports_have(allowed, p->proto, p->port));
        if (!c.failed)
            emit(&r, &c, "open port %u/%s on %s is allowed (policy line %d)", p->port, ps_proto_name(p->proto),
                 r.ip, line);
        else if (line)
            emit(&r, &c, "unexpected open port %u/%s on %s (policy line %d)", p->port, ps_proto_name(p->proto), r.ip,
                 line);
        else
            emit(&r, &c, "unexpected open port %u/%s on %s (no policy line covers this host)", p->port,
                 ps_proto_name(p->proto), r.ip);
        check_tls(&r, pol, p, now);
    }
    if (strict && allowed) check_expected(&r, allowed, scanned, line);
}

/* ---- the writer ------------------------------------------------------------ */

struct checker {
    ps_policy *pol;
    const ps_ports *scanned; /* for --expect-strict: was an expected port probed? */
    unsigned long violations;
};

static int policy_open(ps_writer *w, const char *path, ps_err *e)
{
    struct checker *c = calloc(1, sizeof *c);
    if (!c) return ps_fail(e, PS_ERUNTIME, "out of memory");
    w->priv = c;
    int rc = ps_policy_load_file(&c->pol, path, e);
    if (rc) return rc;
    int tls_line = ps_policy_first_tls_line(c->pol);
    if (tls_line && !w->cfg->version_detect)
        return ps_fail(e, PS_EINPUT, "%s:%d: a tls line checks what -sV finds: add -sV", path, tls_line);
    c->scanned = w->ports;
    return PS_OK;
}

/* The checks above; the failed ones are the result. */
static void print_failure(void *ctx, const ps_host_result *h, const ps_policy_check *chk)
{
    ps_writer *w = ctx;
    struct checker *c = w->priv;
    (void)h;
    if (!chk->failed) return;
    fprintf(w->fp, "pscan: %s\n", chk->message);
    c->violations++;
}

static void policy_host(ps_writer *w, const ps_host_result *h)
{
    struct checker *c = w->priv;
    ps_policy_check_host(c->pol, h, c->scanned, w->cfg->expect_strict, time(NULL), print_failure, w);
    fflush(w->fp);
}

static int policy_status(ps_writer *w)
{
    struct checker *c = w->priv;
    return c && c->violations ? 3 : 0;
}

static void policy_close(ps_writer *w)
{
    struct checker *c = w->priv;
    if (!c) return;
    ps_policy_free(c->pol);
    free(c);
    w->priv = NULL;
}

const struct ps_writer_ops ps_out_policy = {
    .name = "policy",
    .open = policy_open,
    .host = policy_host,
    .status = policy_status,
    .close = policy_close,
};
