/* diff_xml.c: a small XML tokenizer, and the reader of nmap-format XML
 * (pscan's -oX or nmap's own) for `pscan diff`.
 *
 * The tokenizer checks what a result file needs to be trusted: tags nest
 * and match, attributes are quoted and not repeated, entities are the five
 * predefined ones or character references to XML characters, names are
 * sane; it skips the prolog, comments, processing instructions, CDATA and
 * the DOCTYPE (internal subset included) without interpreting them, so no
 * entity expansion, no external fetches.  It calls back on each start and
 * end tag; text content is not needed here and is only checked for a raw
 * '<' or a bad reference.  Depth, attributes per element and name lengths
 * are bounded, and every error carries the line.
 *
 * What is read: <host> with its <status state>, <address addr addrtype>
 * and <port protocol portid> children, each with <state state> and
 * <service name product version tunnel>.  Hosts whose status is not "up"
 * are skipped, as nmap lists no ports for them. */
#include <stdlib.h>
#include <string.h>

#include "pscan/escape.h"
#include "pscan/ports.h"

#include "diff_int.h"

enum { MAX_DEPTH = 64, MAX_ATTRS = 32, MAX_NAME = 64, MAX_VALUE = 65536 };

struct attr {
    char name[MAX_NAME];
    char *value; /* decoded, NUL-terminated, in the tokenizer's buffer */
};

struct xp {
    const char *s;
    size_t len, pos;
    int line;
    char stack[MAX_DEPTH][MAX_NAME];
    int depth;
    struct attr attrs[MAX_ATTRS];
    int nattrs;
    char *vbuf; /* attribute values of the current tag */
    size_t vlen, vcap;
    const char *err;
    int roots;
};

/* What the nmap reader keeps while inside a <host>. */
struct host_state {
    int in_host, in_port, up, have_addr;
    ps_addr addr;
    ps_diff_port port;
    ps_diff_result ports; /* this host's, moved to out at </host> */
};

static int xfail(struct xp *x, const char *why)
{
    if (!x->err) x->err = why;
    return -1;
}

static void advance(struct xp *x, size_t n)
{
    for (size_t i = 0; i < n && x->pos < x->len; i++)
        if (x->s[x->pos++] == '\n') x->line++;
}

static int starts(const struct xp *x, const char *w)
{
    size_t n = strlen(w);
    return x->len - x->pos >= n && memcmp(x->s + x->pos, w, n) == 0;
}

/* Skip to just past the terminator t; -1 if it never comes. */
static int skip_past(struct xp *x, const char *t, const char *what)
{
    size_t n = strlen(t);
    while (x->pos < x->len) {
        if (starts(x, t)) {
            advance(x, n);
            return 0;
        }
        advance(x, 1);
    }
    return xfail(x, what);
}

static int is_name_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}

static int is_name_char(unsigned char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static int read_name(struct xp *x, char *out)
{
    size_t n = 0;
    if (x->pos >= x->len || !is_name_start((unsigned char)x->s[x->pos])) return xfail(x, "expected a name");
    while (x->pos < x->len && is_name_char((unsigned char)x->s[x->pos])) {
        if (n + 1 >= MAX_NAME) return xfail(x, "name too long");
        out[n++] = x->s[x->pos++];
    }
    out[n] = '\0';
    return 0;
}

static void skip_space(struct xp *x)
{
    while (x->pos < x->len && (x->s[x->pos] == ' ' || x->s[x->pos] == '\t' || x->s[x->pos] == '\n' ||
                               x->s[x->pos] == '\r'))
        advance(x, 1);
}

static int vput(struct xp *x, const char *s, size_t n)
{
    if (x->vlen + n + 1 > x->vcap) {
        size_t cap = x->vcap ? x->vcap : 1024;
        while (cap < x->vlen + n + 1) cap *= 2;
        char *b = realloc(x->vbuf, cap);
        if (!b) return xfail(x, "out of memory");
        x->vbuf = b;
        x->vcap = cap;
    }
    memcpy(x->vbuf + x->vlen, s, n);
    x->vlen += n;
    return 0;
}

static int xml_char(unsigned cp)
{
    return cp == 0x9 || cp == 0xa || cp == 0xd || (cp >= 0x20 && cp <= 0xd7ff) ||
           (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/* At '&': decode one reference; *out gets its UTF-8 (out must hold 4). */
static int reference(struct xp *x, char *out, size_t *n)
{
    static const char *const names[][2] = {{"lt;", "<"}, {"gt;", ">"}, {"amp;", "&"}, {"quot;", "\""}, {"apos;", "'"}};
    advance(x, 1);
    for (size_t i = 0; i < 5; i++)
        if (starts(x, names[i][0])) {
            advance(x, strlen(names[i][0]));
            out[0] = names[i][1][0];
            *n = 1;
            return 0;
        }
    if (!starts(x, "#")) return xfail(x, "unknown entity (only the five predefined ones are allowed)");
    advance(x, 1);
    int hex = starts(x, "x");
    if (hex) advance(x, 1);
    unsigned long v = 0;
    size_t digits = 0;
    while (x->pos < x->len && x->s[x->pos] != ';') {
        char c = x->s[x->pos];
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                     : hex && c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : hex && c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 99;
        if (d == 99 || ++digits > 8) return xfail(x, "bad character reference");
        v = v * (hex ? 16 : 10) + d;
        advance(x, 1);
    }
    if (x->pos >= x->len || digits == 0 || !xml_char((unsigned)v)) return xfail(x, "bad character reference");
    advance(x, 1);
    unsigned cp = (unsigned)v;
    if (cp < 0x80) out[0] = (char)cp, *n = 1;
    else if (cp < 0x800) out[0] = (char)(0xc0 | cp >> 6), out[1] = (char)(0x80 | (cp & 0x3f)), *n = 2;
    else if (cp < 0x10000)
        out[0] = (char)(0xe0 | cp >> 12), out[1] = (char)(0x80 | ((cp >> 6) & 0x3f)),
        out[2] = (char)(0x80 | (cp & 0x3f)), *n = 3;
    else
        out[0] = (char)(0xf0 | cp >> 18), out[1] = (char)(0x80 | ((cp >> 12) & 0x3f)),
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), out[3] = (char)(0x80 | (cp & 0x3f)), *n = 4;
    return 0;
}

/* Bytes of text or an attribute value: valid UTF-8, XML characters only. */
static int plain_char(struct xp *x, size_t *n)
{
    unsigned cp;
    *n = ps_utf8_decode((const unsigned char *)x->s + x->pos, x->len - x->pos, &cp);
    if (!*n) return xfail(x, "invalid UTF-8");
    if (!xml_char(cp)) return xfail(x, "character not allowed in XML");
    return 0;
}

static int read_attrs(struct xp *x, int *empty)
{
    size_t offs[MAX_ATTRS];
    x->nattrs = 0;
    x->vlen = 0;
    for (;;) {
        size_t before = x->pos;
        skip_space(x);
        if (x->pos >= x->len) return xfail(x, "unterminated tag");
        if (starts(x, "/>")) {
            advance(x, 2);
            *empty = 1;
            break;
        }
        if (starts(x, ">")) {
            advance(x, 1);
            *empty = 0;
            break;
        }
        if (x->pos == before) return xfail(x, "expected a blank between attributes");
        if (x->nattrs == MAX_ATTRS) return xfail(x, "too many attributes");
        struct attr *a = &x->attrs[x->nattrs];
        if (read_name(x, a->name)) return -1;
        for (int i = 0; i < x->nattrs; i++)
            if (strcmp(x->attrs[i].name, a->name) == 0) return xfail(x, "attribute given twice");
        skip_space(x);
        if (!starts(x, "=")) return xfail(x, "expected '=' after an attribute name");
        advance(x, 1);
        skip_space(x);
        if (x->pos >= x->len || (x->s[x->pos] != '"' && x->s[x->pos] != '\'')) return xfail(x, "expected a quoted value");
        char q = x->s[x->pos];
        advance(x, 1);
        offs[x->nattrs] = x->vlen;
        size_t start = x->vlen;
        while (x->pos < x->len && x->s[x->pos] != q) {
            char c = x->s[x->pos];
            char u[4];
            size_t n;
            if (c == '<') return xfail(x, "'<' in an attribute value");
            if (c == '&') {
                if (reference(x, u, &n) || vput(x, u, n)) return -1;
            } else {
                if (plain_char(x, &n) || vput(x, x->s + x->pos, n)) return -1;
                advance(x, n);
            }
            if (x->vlen - start > MAX_VALUE) return xfail(x, "attribute value too long");
        }
        if (x->pos >= x->len) return xfail(x, "unterminated attribute value");
        advance(x, 1);
        if (vput(x, "", 1)) return -1;
        x->nattrs++;
    }
    for (int i = 0; i < x->nattrs; i++) x->attrs[i].value = x->vbuf + offs[i];
    return 0;
}

static const char *attr(const struct xp *x, const char *name)
{
    for (int i = 0; i < x->nattrs; i++)
        if (strcmp(x->attrs[i].name, name) == 0) return x->attrs[i].value;
    return NULL;
}

/* ---- the nmap reader ----------------------------------------------------- */

static int on_start(struct xp *x, struct host_state *h, const char *el, ps_err *e)
{
    const char *v;
    if (x->depth == 1) {
        if (strcmp(el, "nmaprun") != 0) return ps_fail(e, PS_EINPUT, "root element <%.*s> is not <nmaprun>", 40, el);
        return PS_OK;
    }
    if (strcmp(el, "host") == 0 && x->depth == 2) {
        h->in_host = 1;
        h->up = 1; /* nmap's <host> without <status> would be odd; assume up */
        h->have_addr = 0;
        h->ports.nports = 0;
        return PS_OK;
    }
    if (!h->in_host) return PS_OK;
    if (strcmp(el, "status") == 0) {
        h->up = (v = attr(x, "state")) && strcmp(v, "up") == 0;
    } else if (strcmp(el, "address") == 0 && !h->have_addr) {
        const char *type = attr(x, "addrtype");
        if (type && strcmp(type, "ipv4") != 0 && strcmp(type, "ipv6") != 0) return PS_OK; /* mac */
        if (!(v = attr(x, "addr")) || ps_addr_parse(v, &h->addr))
            return ps_fail(e, PS_EINPUT, "<address> has no valid addr");
        h->have_addr = 1;
    } else if (strcmp(el, "port") == 0) {
        memset(&h->port, 0, sizeof h->port);
        h->in_port = 1;
        h->port.line = x->line;
        const char *proto = attr(x, "protocol"), *id = attr(x, "portid");
        if (!proto || (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0)) {
            h->in_port = 0; /* sctp, ip: not pscan's business */
            return PS_OK;
        }
        h->port.proto = proto[0] == 'u' ? PS_UDP : PS_TCP;
        char *end;
        unsigned long n = id ? strtoul(id, &end, 10) : 0;
        if (!id || !*id || *end || n < 1 || n > 65535 || id[0] < '0' || id[0] > '9')
            return ps_fail(e, PS_EINPUT, "<port> has no valid portid");
        h->port.port = (uint16_t)n;
    } else if (h->in_port && strcmp(el, "state") == 0) {
        if ((v = attr(x, "state"))) ps_diff_copy(h->port.state, sizeof h->port.state, v, strlen(v));
    } else if (h->in_port && strcmp(el, "service") == 0) {
        const char *name = attr(x, "name"), *tunnel = attr(x, "tunnel");
        int ssl = tunnel && strcmp(tunnel, "ssl") == 0;
        /* nmap's and pscan's word for a port nothing named, not a name (diff.h). */
        if (name && strcmp(name, "unknown") == 0) name = NULL;
        char tmp[sizeof h->port.service - 4];
        ps_diff_copy(tmp, sizeof tmp, name ? name : "", name ? strlen(name) : 0);
        snprintf(h->port.service, sizeof h->port.service, "%s%s", ssl && tmp[0] ? "ssl/" : "", tmp);
        if ((v = attr(x, "product"))) ps_diff_copy(h->port.product, sizeof h->port.product, v, strlen(v));
        if ((v = attr(x, "version"))) ps_diff_copy(h->port.version, sizeof h->port.version, v, strlen(v));
    }
    return PS_OK;
}

static int on_end(struct xp *x, struct host_state *h, const char *el, ps_diff_result *out, ps_err *e)
{
    int rc;
    if (h->in_port && strcmp(el, "port") == 0) {
        h->in_port = 0;
        if (!h->port.state[0]) return ps_fail(e, PS_EINPUT, "<port> without <state>");
        return ps_diff_add_port(&h->ports, &h->port, e);
    }
    if (h->in_host && strcmp(el, "host") == 0 && x->depth == 1) {
        h->in_host = 0;
        if (!h->have_addr) return ps_fail(e, PS_EINPUT, "<host> without an IP <address>");
        if (!h->up) return PS_OK;
        for (size_t i = 0; i < h->ports.nports; i++) {
            h->ports.ports[i].host = h->addr;
            if ((rc = ps_diff_add_port(out, &h->ports.ports[i], e))) return rc;
        }
        return ps_diff_add_host(out, &h->addr, e);
    }
    return PS_OK;
}

static int step(struct xp *x, struct host_state *h, ps_diff_result *out, ps_err *e)
{
    char name[MAX_NAME];
    if (starts(x, "<?")) return skip_past(x, "?>", "unterminated processing instruction");
    if (starts(x, "<!--")) return skip_past(x, "-->", "unterminated comment");
    if (starts(x, "<![CDATA[")) {
        if (!x->depth) return xfail(x, "CDATA outside the root element");
        return skip_past(x, "]]>", "unterminated CDATA section");
    }
    if (starts(x, "<!DOCTYPE")) {
        if (x->depth || x->roots) return xfail(x, "DOCTYPE after the root element started");
        int inner = 0; /* inside [ ... ] */
        char q = 0;
        while (x->pos < x->len) {
            char c = x->s[x->pos];
            advance(x, 1);
            if (q) {
                if (c == q) q = 0;
            } else if (c == '"' || c == '\'') {
                q = c;
            } else if (c == '[') {
                inner = 1;
            } else if (c == ']') {
                inner = 0;
            } else if (c == '>' && !inner) {
                return 0;
            }
        }
        return xfail(x, "unterminated DOCTYPE");
    }
    if (starts(x, "</")) {
        advance(x, 2);
        if (read_name(x, name)) return -1;
        skip_space(x);
        if (!starts(x, ">")) return xfail(x, "expected '>' after an end tag name");
        advance(x, 1);
        if (!x->depth || strcmp(x->stack[x->depth - 1], name) != 0) return xfail(x, "end tag does not match the open element");
        x->depth--;
        int rc = on_end(x, h, name, out, e);
        return rc ? rc : 0;
    }
    if (starts(x, "<")) {
        advance(x, 1);
        int empty;
        if (read_name(x, name) || read_attrs(x, &empty)) return -1;
        if (!x->depth && x->roots++) return xfail(x, "a second root element");
        if (x->depth == MAX_DEPTH) return xfail(x, "nested too deeply");
        memcpy(x->stack[x->depth++], name, MAX_NAME);
        int rc = on_start(x, h, name, e);
        if (rc) return rc;
        if (empty) {
            x->depth--;
            if ((rc = on_end(x, h, name, out, e))) return rc;
        }
        return 0;
    }
    /* Text: allowed only inside the root (blanks outside). */
    while (x->pos < x->len && x->s[x->pos] != '<') {
        char u[4];
        size_t n;
        char c = x->s[x->pos];
        if (!x->depth && c != ' ' && c != '\t' && c != '\n' && c != '\r') return xfail(x, "text outside the root element");
        if (c == '&') {
            if (reference(x, u, &n)) return -1;
        } else {
            if (plain_char(x, &n)) return -1;
            advance(x, n);
        }
    }
    return 0;
}

int ps_diff_read_xml(ps_diff_result *out, const char *buf, size_t len, const char *name, ps_err *e)
{
    struct xp x = {.s = buf, .len = len, .line = 1};
    struct host_state h;
    memset(&h, 0, sizeof h);
    ps_err sub = {{0}};
    int rc = PS_OK;
    if (starts(&x, "\xef\xbb\xbf")) advance(&x, 3);
    while (x.pos < x.len) {
        rc = step(&x, &h, out, &sub);
        if (rc) break;
    }
    if (!rc && !x.roots) rc = xfail(&x, "no root element");
    if (!rc && x.depth) rc = xfail(&x, "unexpected end of file (an element is not closed; was the scan cut short?)");
    if (rc == -1) rc = ps_fail(e, PS_EINPUT, "%s:%d: %s", name, x.line, x.err ? x.err : "malformed XML");
    else if (rc) rc = ps_fail(e, rc, "%s:%d: %s", name, x.line, sub.msg);
    ps_diff_result_free(&h.ports);
    free(x.vbuf);
    return rc;
}
