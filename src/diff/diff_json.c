/* diff_json.c: the reader of pscan's JSON Lines results for `pscan
 * diff`, over the strict parser of json_parse.c (pscan/json.h).
 *
 * The reader keeps "host" lines (complete results) and, for hosts that
 * never got one (a scan killed half-way), the "port" lines; other types
 * are ignored, so newer writers can add some.  A "schema" newer than 1 is
 * refused rather than misread. */
#include <stdlib.h>
#include <string.h>

#include "pscan/json.h"
#include "pscan/ports.h"

#include "diff_int.h"

/* ---- reading a tree ------------------------------------------------------ */

static void copy_field(const ps_json *p, size_t obj, const char *key, char *dst, size_t cap)
{
    size_t n;
    const char *s = ps_json_get_str(p, obj, key, &n);
    if (s) ps_diff_copy(dst, cap, s, n);
    else dst[0] = '\0';
}

static int read_port(const ps_json *p, size_t obj, const ps_addr *host, int line, ps_diff_port *out, ps_err *e)
{
    memset(out, 0, sizeof *out);
    out->host = *host;
    out->line = line;
    double num;
    if (!ps_json_num(p, ps_json_get(p, obj, "port"), &num) || num < 1 || num > 65535 || num != (double)(int)num)
        return ps_fail(e, PS_EINPUT, "\"port\" is not a port number");
    out->port = (uint16_t)num;
    size_t n;
    const char *proto = ps_json_get_str(p, obj, "proto", &n);
    if (!proto || (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0))
        return ps_fail(e, PS_EINPUT, "\"proto\" is not \"tcp\" or \"udp\"");
    out->proto = proto[0] == 'u' ? PS_UDP : PS_TCP;
    copy_field(p, obj, "state", out->state, sizeof out->state);
    if (!out->state[0]) return ps_fail(e, PS_EINPUT, "no \"state\"");
    size_t svc = ps_json_get(p, obj, "service");
    char name[72] = "", source[16] = "";
    copy_field(p, svc, "name", name, sizeof name);
    copy_field(p, obj, "service_source", source, sizeof source);
    /* The registry's name stands in only where -sV did not look: a
     * service it could not name has no name (diff.h). */
    if (!name[0] && !svc && strcmp(source, "none") != 0)
        copy_field(p, ps_json_get(p, obj, "registry"), "name", name, sizeof name);
    int tls = ps_json_get(p, svc, "tls") != 0;
    snprintf(out->service, sizeof out->service, "%s%s", tls && name[0] ? "ssl/" : "", name);
    copy_field(p, svc, "product", out->product, sizeof out->product);
    copy_field(p, svc, "version", out->version, sizeof out->version);
    return PS_OK;
}

static int same_host(const ps_addr *a, const ps_addr *b)
{
    return ps_addr_cmp(a, b) == 0;
}

/* One line's object into out (host lines) or pend (port lines). */
static int read_line(ps_json *p, size_t root, int line, ps_diff_result *out, ps_diff_result *pend, ps_err *e)
{
    if (ps_json_type(p, root) != PS_J_OBJ) return ps_fail(e, PS_EINPUT, "not a JSON object");
    size_t sv = ps_json_get(p, root, "schema");
    double schema = 0;
    if (sv && (!ps_json_num(p, sv, &schema) || schema > 1))
        return ps_fail(e, PS_EINPUT, "schema is newer than this pscan reads (1)");
    size_t n;
    const char *type = ps_json_get_str(p, root, "type", &n);
    if (!type) return ps_fail(e, PS_EINPUT, "no \"type\" string: not pscan JSON Lines");
    ps_addr host;
    ps_diff_port dp;
    int rc;
    if (strcmp(type, "port") == 0) {
        if ((rc = ps_json_get_host(p, root, &host, e)) || (rc = read_port(p, root, &host, line, &dp, e))) return rc;
        return ps_diff_add_port(pend, &dp, e);
    }
    if (strcmp(type, "host") != 0) return PS_OK;
    if ((rc = ps_json_get_host(p, root, &host, e))) return rc;
    size_t ports = ps_json_get(p, root, "ports");
    if (ports && ps_json_type(p, ports) != PS_J_ARR) return ps_fail(e, PS_EINPUT, "\"ports\" is not an array");
    for (size_t c = ps_json_first(p, ports); c; c = ps_json_next(p, c)) {
        if (ps_json_type(p, c) != PS_J_OBJ) return ps_fail(e, PS_EINPUT, "a \"ports\" entry is not an object");
        if ((rc = read_port(p, c, &host, line, &dp, e)) || (rc = ps_diff_add_port(out, &dp, e))) return rc;
    }
    return ps_diff_add_host(out, &host, e);
}

int ps_diff_read_json(ps_diff_result *out, const char *buf, size_t len, const char *name, ps_err *e)
{
    ps_json p = {0};
    ps_diff_result pend = {0};
    int rc = PS_OK, line = 0, objects = 0;
    for (size_t at = 0; at < len && !rc;) {
        const char *nl = memchr(buf + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - buf) : len;
        line++;
        size_t b = at;
        while (b < end && (buf[b] == ' ' || buf[b] == '\t' || buf[b] == '\r')) b++;
        if (b < end) {
            ps_err sub = {{0}};
            size_t root = ps_json_parse(&p, buf + at, end - at);
            if (!root && !nl && objects > 0) { /* the last line, cut short: a killed scan's */
                out->cut_line = line;
                break;
            }
            if (!root) rc = ps_fail(&sub, PS_EINPUT, "column %zu: %s", p.err_at + 1, p.err ? p.err : "invalid");
            else rc = read_line(&p, root, line, out, &pend, &sub);
            if (rc) rc = ps_fail(e, rc, "%s:%d: %s", name, line, sub.msg);
            objects++;
        }
        at = end + 1;
    }
    if (!rc && objects == 0) rc = ps_fail(e, PS_EINPUT, "%s: no JSON lines", name);
    /* Port lines count only for hosts without a host line (a cut scan). */
    for (size_t i = 0; !rc && i < pend.nports; i++) {
        int known = 0;
        for (size_t h = 0; h < out->nhosts && !known; h++) known = same_host(&out->hosts[h], &pend.ports[i].host);
        if (known) continue;
        if ((rc = ps_diff_add_port(out, &pend.ports[i], e))) break;
        rc = ps_diff_add_host(out, &pend.ports[i].host, e);
    }
    ps_diff_result_free(&pend);
    ps_json_free(&p);
    return rc;
}
