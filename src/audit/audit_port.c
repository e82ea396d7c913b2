/* audit_port.c: one port object of pscan's JSON Lines (docs/output.md,
 * "Port fields") back into the ps_port_result and ps_svc_result a writer
 * had, so that the report names it as the scan did.  Strings are cut to
 * the fields' sizes; values a newer writer may add are ignored. */
#include <stdlib.h>
#include <string.h>

#include "pscan/output.h"

#include "audit_int.h"

static void copy(const ps_json *p, size_t obj, const char *key, char *dst, size_t cap)
{
    size_t n;
    const char *s = ps_json_get_str(p, obj, key, &n);
    if (s) ps_json_copy(dst, cap, s, n);
    else dst[0] = '\0';
}

static int word_is(const ps_json *p, size_t obj, const char *key, const char *want)
{
    size_t n;
    const char *s = ps_json_get_str(p, obj, key, &n);
    return s && strcmp(s, want) == 0;
}

static enum ps_state state_of(const char *s)
{
    int v = ps_state_parse(s);
    return v < 0 ? PS_ST_NONE : (enum ps_state)v; /* a state this pscan does not know: not open */
}

static enum ps_reason reason_of(const char *s)
{
    int v = s ? ps_reason_parse(s) : -1;
    return v < 0 ? PS_R_NONE : (enum ps_reason)v;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void read_banner(const ps_json *p, size_t svc, ps_svc_result *s)
{
    size_t n;
    const char *hex = ps_json_get_str(p, svc, "banner_hex", &n);
    if (hex) {
        size_t k = 0;
        for (size_t i = 0; i + 1 < n && k < sizeof s->banner; i += 2) {
            int hi = hexval(hex[i]), lo = hexval(hex[i + 1]);
            if (hi < 0 || lo < 0) break;
            s->banner[k++] = (uint8_t)(hi << 4 | lo);
        }
        s->banner_len = k;
        return;
    }
    const char *text = ps_json_get_str(p, svc, "banner", &n);
    if (!text) return;
    s->banner_len = n < sizeof s->banner ? n : sizeof s->banner;
    memcpy(s->banner, text, s->banner_len);
}

static void read_tls(const ps_json *p, size_t tls, ps_svc_result *s)
{
    ps_tls_info *c = &s->cert;
    s->tls = 1;
    copy(p, tls, "version", c->version, sizeof c->version);
    copy(p, tls, "cipher", c->cipher, sizeof c->cipher);
    copy(p, tls, "subject", c->subject, sizeof c->subject);
    copy(p, tls, "issuer", c->issuer, sizeof c->issuer);
    copy(p, tls, "sans", c->sans, sizeof c->sans);
    copy(p, tls, "not_before", c->not_before, sizeof c->not_before);
    copy(p, tls, "not_after", c->not_after, sizeof c->not_after);
    copy(p, tls, "sha256", c->sha256, sizeof c->sha256);
    s->has_cert = c->subject[0] || c->issuer[0] || c->not_after[0] || c->sha256[0];
}

static void read_service(const ps_json *p, size_t svc, ps_svc_result *s)
{
    static const char *const st[] = {"match", "softmatch", "unknown", "tcpwrapped", "closed"};
    ps_service_info *in = &s->info;
    s->status = PS_SVC_UNKNOWN;
    for (int i = 0; i < 5; i++)
        if (word_is(p, svc, "status", st[i])) s->status = (enum ps_svc_status)i;
    in->soft = s->status == PS_SVC_SOFT;
    copy(p, svc, "name", in->service, sizeof in->service);
    copy(p, svc, "product", in->product, sizeof in->product);
    copy(p, svc, "version", in->version, sizeof in->version);
    copy(p, svc, "info", in->info, sizeof in->info);
    copy(p, svc, "hostname", in->hostname, sizeof in->hostname);
    copy(p, svc, "ostype", in->ostype, sizeof in->ostype);
    copy(p, svc, "devicetype", in->devicetype, sizeof in->devicetype);
    size_t tls = ps_json_get(p, svc, "tls");
    if (ps_json_type(p, tls) == PS_J_OBJ) read_tls(p, tls, s);
    read_banner(p, svc, s);
    s->rtt_ms = -1;
}

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return 1;
    size_t c = *cap ? *cap * 2 : 16;
    while (c < need) c *= 2;
    void *n = realloc(*v, c * size);
    if (!n) return 0;
    *v = n;
    *cap = c;
    return 1;
}

int ps_audit_read_port(const ps_json *p, size_t obj, audit_rows *r, ps_err *e)
{
    double num;
    size_t n;
    if (!ps_json_num(p, ps_json_get(p, obj, "port"), &num) || num < 1 || num > 65535 || num != (double)(int)num)
        return ps_fail(e, PS_EINPUT, "\"port\" is not a port number");
    const char *proto = ps_json_get_str(p, obj, "proto", &n);
    if (!proto || (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0))
        return ps_fail(e, PS_EINPUT, "\"proto\" is not \"tcp\" or \"udp\"");
    const char *state = ps_json_get_str(p, obj, "state", &n);
    if (!state) return ps_fail(e, PS_EINPUT, "no \"state\"");
    size_t svc = ps_json_get(p, obj, "service");
    if (!grow((void **)&r->rows, &r->cap, r->n + 1, sizeof *r->rows) ||
        !grow((void **)&r->svc_of, &r->capof, r->n + 1, sizeof *r->svc_of) ||
        (svc && !grow((void **)&r->svcs, &r->capsvc, r->nsvc + 1, sizeof *r->svcs)))
        return ps_fail(e, PS_ERUNTIME, "out of memory");
    ps_port_result *row = &r->rows[r->n];
    memset(row, 0, sizeof *row);
    row->proto = proto[0] == 'u' ? PS_UDP : PS_TCP;
    row->port = (uint16_t)num;
    row->state = state_of(state);
    row->reason = reason_of(ps_json_get_str(p, obj, "reason", &n));
    row->ttl = -1;
    r->svc_of[r->n] = -1;
    if (ps_json_type(p, svc) == PS_J_OBJ) {
        ps_svc_result *s = &r->svcs[r->nsvc];
        memset(s, 0, sizeof *s);
        s->port = row->port;
        s->proto = row->proto;
        read_service(p, svc, s);
        r->svc_of[r->n] = (int)r->nsvc++;
    }
    r->n++;
    return PS_OK;
}

void ps_audit_rows_link(audit_rows *r)
{
    for (size_t i = 0; i < r->n; i++) r->rows[i].svc = r->svc_of[i] >= 0 ? &r->svcs[r->svc_of[i]] : NULL;
}

void ps_audit_rows_free(audit_rows *r)
{
    free(r->rows);
    free(r->svcs);
    free(r->svc_of);
    memset(r, 0, sizeof *r);
}
