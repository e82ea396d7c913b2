/* diff_json.c: a small, strict JSON parser, and the reader of pscan's
 * JSON Lines results for `pscan diff`.
 *
 * The parser builds a tree per line in two growable arrays, nodes and
 * string bytes, linked by indices (so growing never leaves a dangling
 * pointer) and reused from line to line.  It follows RFC 8259 to the
 * letter, because it doubles as the validator the tests use on -oJ
 * output: no trailing commas, no leading zeros, no raw control characters
 * in strings, UTF-8 checked, nesting at most MAX_DEPTH deep.  \u escapes
 * are decoded (a lone surrogate becomes U+FFFD).
 *
 * The reader keeps "host" lines (complete results) and, for hosts that
 * never got one (a scan killed half-way), the "port" lines; other types
 * are ignored, so newer writers can add some.  A "schema" newer than 1 is
 * refused rather than misread. */
#include <stdlib.h>
#include <string.h>

#include "pscan/escape.h"
#include "pscan/ports.h"

#include "diff_int.h"

enum { MAX_DEPTH = 64 };
enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jnode {
    uint8_t type;
    uint8_t b;
    double num;
    size_t str, slen;  /* value (J_STR) in the string buffer */
    size_t key, klen;  /* member name when inside an object */
    size_t first, next; /* children / siblings; 0 = none (node 0 is unused) */
};

struct jp {
    const char *s;
    size_t len, pos;
    struct jnode *n;
    size_t nn, capn;
    char *sb;
    size_t ns, caps;
    const char *err;
    size_t err_at;
};

static int fail(struct jp *p, const char *why)
{
    if (!p->err) {
        p->err = why;
        p->err_at = p->pos;
    }
    return 0;
}

static size_t new_node(struct jp *p, enum jtype t)
{
    if (p->nn == p->capn) {
        size_t cap = p->capn ? p->capn * 2 : 64;
        struct jnode *n = realloc(p->n, cap * sizeof *n);
        if (!n) return fail(p, "out of memory");
        p->n = n;
        p->capn = cap;
    }
    memset(&p->n[p->nn], 0, sizeof p->n[0]);
    p->n[p->nn].type = (uint8_t)t;
    return p->nn++;
}

static int sb_put(struct jp *p, const char *s, size_t n)
{
    if (p->ns + n + 1 > p->caps) {
        size_t cap = p->caps ? p->caps : 256;
        while (cap < p->ns + n + 1) cap *= 2;
        char *b = realloc(p->sb, cap);
        if (!b) return fail(p, "out of memory");
        p->sb = b;
        p->caps = cap;
    }
    memcpy(p->sb + p->ns, s, n);
    p->ns += n;
    return 1;
}

static void skip_ws(struct jp *p)
{
    while (p->pos < p->len &&
           (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static int hex4(struct jp *p, unsigned *v)
{
    *v = 0;
    if (p->len - p->pos < 4) return fail(p, "short \\u escape");
    for (int i = 0; i < 4; i++) {
        char c = p->s[p->pos++];
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
        if (d == 16) return fail(p, "bad hex digit in \\u escape");
        *v = *v << 4 | d;
    }
    return 1;
}

static int put_cp(struct jp *p, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) u[0] = (char)cp, n = 1;
    else if (cp < 0x800) u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
    else if (cp < 0x10000)
        u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3f)),
        u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
    else
        u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3f)),
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
    return sb_put(p, u, n);
}

/* At the opening quote: decode into the string buffer, NUL-terminated. */
static int parse_string(struct jp *p, size_t *off, size_t *slen)
{
    p->pos++;
    *off = p->ns;
    while (p->pos < p->len) {
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            p->pos++;
            *slen = p->ns - *off;
            return sb_put(p, "", 1); /* keep the NUL: callers may use strcmp */
        }
        if (c < 0x20) return fail(p, "raw control character in a string");
        if (c == '\\') {
            if (++p->pos >= p->len) break;
            char e = p->s[p->pos++];
            unsigned cp;
            switch (e) {
            case '"': case '\\': case '/': cp = (unsigned char)e; break;
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case 'n': cp = '\n'; break;
            case 'r': cp = '\r'; break;
            case 't': cp = '\t'; break;
            case 'u':
                if (!hex4(p, &cp)) return 0;
                if (cp >= 0xd800 && cp <= 0xdbff && p->len - p->pos >= 6 && p->s[p->pos] == '\\' &&
                    p->s[p->pos + 1] == 'u') {
                    size_t save = p->pos;
                    unsigned lo;
                    p->pos += 2;
                    if (!hex4(p, &lo)) return 0;
                    if (lo >= 0xdc00 && lo <= 0xdfff) cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    else p->pos = save, cp = 0xfffd;
                } else if (cp >= 0xd800 && cp <= 0xdfff) {
                    cp = 0xfffd;
                }
                break;
            default: return fail(p, "bad escape in a string");
            }
            if (!put_cp(p, cp)) return 0;
            continue;
        }
        unsigned cp;
        size_t n = ps_utf8_decode((const unsigned char *)p->s + p->pos, p->len - p->pos, &cp);
        if (!n) return fail(p, "invalid UTF-8 in a string");
        if (!sb_put(p, p->s + p->pos, n)) return 0;
        p->pos += n;
    }
    return fail(p, "unterminated string");
}

static int parse_number(struct jp *p, double *out)
{
    size_t st = p->pos;
    const char *s = p->s;
    if (p->pos < p->len && s[p->pos] == '-') p->pos++;
    if (p->pos >= p->len) return fail(p, "bad number");
    if (s[p->pos] == '0') p->pos++;
    else if (s[p->pos] >= '1' && s[p->pos] <= '9')
        while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9') p->pos++;
    else return fail(p, "bad number");
    if (p->pos < p->len && s[p->pos] == '.') {
        size_t d = ++p->pos;
        while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9') p->pos++;
        if (p->pos == d) return fail(p, "bad number: no digits after '.'");
    }
    if (p->pos < p->len && (s[p->pos] == 'e' || s[p->pos] == 'E')) {
        p->pos++;
        if (p->pos < p->len && (s[p->pos] == '+' || s[p->pos] == '-')) p->pos++;
        size_t d = p->pos;
        while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9') p->pos++;
        if (p->pos == d) return fail(p, "bad number: no exponent digits");
    }
    char tmp[64];
    size_t n = p->pos - st;
    if (n >= sizeof tmp) n = sizeof tmp - 1; /* long mantissas: the value need not be exact */
    memcpy(tmp, s + st, n);
    tmp[n] = '\0';
    *out = strtod(tmp, NULL);
    return 1;
}

static int lit(struct jp *p, const char *w)
{
    size_t n = strlen(w);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, w, n) != 0) return fail(p, "unexpected character");
    p->pos += n;
    return 1;
}

/* Parse one value; returns its node index, 0 on error. */
static size_t parse_value(struct jp *p, int depth)
{
    skip_ws(p);
    if (p->pos >= p->len) return fail(p, "unexpected end of input");
    if (depth > MAX_DEPTH) return fail(p, "nested too deeply");
    char c = p->s[p->pos];
    size_t me;
    if (c == '{' || c == '[') {
        int obj = c == '{';
        if (!(me = new_node(p, obj ? J_OBJ : J_ARR))) return 0;
        p->pos++;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == (obj ? '}' : ']')) {
            p->pos++;
            return me;
        }
        size_t last = 0;
        for (;;) {
            size_t key = 0, klen = 0;
            if (obj) {
                skip_ws(p);
                if (p->pos >= p->len || p->s[p->pos] != '"') return fail(p, "expected a member name");
                if (!parse_string(p, &key, &klen)) return 0;
                skip_ws(p);
                if (p->pos >= p->len || p->s[p->pos] != ':') return fail(p, "expected ':'");
                p->pos++;
            }
            size_t v = parse_value(p, depth + 1);
            if (!v) return 0;
            p->n[v].key = key;
            p->n[v].klen = klen;
            if (last) p->n[last].next = v;
            else p->n[me].first = v;
            last = v;
            skip_ws(p);
            if (p->pos >= p->len) return fail(p, "unexpected end of input");
            if (p->s[p->pos] == ',') {
                p->pos++;
                continue;
            }
            if (p->s[p->pos] == (obj ? '}' : ']')) {
                p->pos++;
                return me;
            }
            return fail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    if (c == '"') {
        if (!(me = new_node(p, J_STR))) return 0;
        size_t off, n;
        if (!parse_string(p, &off, &n)) return 0;
        p->n[me].str = off;
        p->n[me].slen = n;
        return me;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        if (!(me = new_node(p, J_NUM))) return 0;
        double d;
        if (!parse_number(p, &d)) return 0;
        p->n[me].num = d;
        return me;
    }
    if (c == 't' || c == 'f') {
        if (!(me = new_node(p, J_BOOL)) || !lit(p, c == 't' ? "true" : "false")) return 0;
        p->n[me].b = c == 't';
        return me;
    }
    if (c == 'n') {
        if (!(me = new_node(p, J_NULL)) || !lit(p, "null")) return 0;
        return me;
    }
    return fail(p, "unexpected character");
}

/* Parse s[0, len) as one document; returns the root index or 0. */
static size_t parse_doc(struct jp *p, const char *s, size_t len)
{
    p->s = s;
    p->len = len;
    p->pos = 0;
    p->nn = 0;
    p->ns = 0;
    p->err = NULL;
    new_node(p, J_NULL); /* node 0 stands for "none" */
    if (p->err) return 0;
    size_t root = parse_value(p, 0);
    if (!root) return 0;
    skip_ws(p);
    if (p->pos != p->len) return fail(p, "extra characters after the value");
    return root;
}

static void jp_free(struct jp *p)
{
    free(p->n);
    free(p->sb);
}

int ps_json_check(const char *buf, size_t len, ps_err *e)
{
    struct jp p = {0};
    size_t root = parse_doc(&p, buf, len);
    int rc = root ? PS_OK : ps_fail(e, PS_EINPUT, "byte %zu: %s", p.err_at, p.err ? p.err : "invalid");
    jp_free(&p);
    return rc;
}

/* ---- reading a tree ------------------------------------------------------ */

static size_t get(const struct jp *p, size_t obj, const char *key)
{
    if (!obj || p->n[obj].type != J_OBJ) return 0;
    size_t kl = strlen(key);
    for (size_t c = p->n[obj].first; c; c = p->n[c].next)
        if (p->n[c].klen == kl && memcmp(p->sb + p->n[c].key, key, kl) == 0) return c;
    return 0;
}

static const char *get_str(const struct jp *p, size_t obj, const char *key, size_t *n)
{
    size_t v = get(p, obj, key);
    if (!v || p->n[v].type != J_STR) return NULL;
    *n = p->n[v].slen;
    return p->sb + p->n[v].str;
}

static void copy_field(const struct jp *p, size_t obj, const char *key, char *dst, size_t cap)
{
    size_t n;
    const char *s = get_str(p, obj, key, &n);
    if (s) ps_diff_copy(dst, cap, s, n);
    else dst[0] = '\0';
}

static int read_host_addr(const struct jp *p, size_t obj, ps_addr *a, ps_err *e)
{
    size_t n;
    char buf[64];
    const char *s = get_str(p, obj, "host", &n);
    if (!s) return ps_fail(e, PS_EINPUT, "no \"host\" string");
    ps_diff_copy(buf, sizeof buf, s, n);
    if (n >= sizeof buf || ps_addr_parse(buf, a)) return ps_fail(e, PS_EINPUT, "\"host\" is not an address");
    return PS_OK;
}

static int read_port(const struct jp *p, size_t obj, const ps_addr *host, int line, ps_diff_port *out, ps_err *e)
{
    memset(out, 0, sizeof *out);
    out->host = *host;
    out->line = line;
    size_t v = get(p, obj, "port");
    if (!v || p->n[v].type != J_NUM || p->n[v].num < 1 || p->n[v].num > 65535 ||
        p->n[v].num != (double)(int)p->n[v].num)
        return ps_fail(e, PS_EINPUT, "\"port\" is not a port number");
    out->port = (uint16_t)p->n[v].num;
    size_t n;
    const char *proto = get_str(p, obj, "proto", &n);
    if (!proto || (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0))
        return ps_fail(e, PS_EINPUT, "\"proto\" is not \"tcp\" or \"udp\"");
    out->proto = proto[0] == 'u' ? PS_UDP : PS_TCP;
    copy_field(p, obj, "state", out->state, sizeof out->state);
    if (!out->state[0]) return ps_fail(e, PS_EINPUT, "no \"state\"");
    size_t svc = get(p, obj, "service");
    char name[72] = "", source[16] = "";
    copy_field(p, svc, "name", name, sizeof name);
    copy_field(p, obj, "service_source", source, sizeof source);
    /* The registry's name stands in only where -sV did not look: a
     * service it could not name has no name (diff.h). */
    if (!name[0] && !svc && strcmp(source, "none") != 0)
        copy_field(p, get(p, obj, "registry"), "name", name, sizeof name);
    int tls = get(p, svc, "tls") != 0;
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
static int read_line(struct jp *p, size_t root, int line, ps_diff_result *out, ps_diff_result *pend, ps_err *e)
{
    if (p->n[root].type != J_OBJ) return ps_fail(e, PS_EINPUT, "not a JSON object");
    size_t sv = get(p, root, "schema");
    if (sv && (p->n[sv].type != J_NUM || p->n[sv].num > 1))
        return ps_fail(e, PS_EINPUT, "schema is newer than this pscan reads (1)");
    size_t n;
    const char *type = get_str(p, root, "type", &n);
    if (!type) return ps_fail(e, PS_EINPUT, "no \"type\" string: not pscan JSON Lines");
    ps_addr host;
    ps_diff_port dp;
    int rc;
    if (strcmp(type, "port") == 0) {
        if ((rc = read_host_addr(p, root, &host, e)) || (rc = read_port(p, root, &host, line, &dp, e))) return rc;
        return ps_diff_add_port(pend, &dp, e);
    }
    if (strcmp(type, "host") != 0) return PS_OK;
    if ((rc = read_host_addr(p, root, &host, e))) return rc;
    size_t ports = get(p, root, "ports");
    if (ports && p->n[ports].type != J_ARR) return ps_fail(e, PS_EINPUT, "\"ports\" is not an array");
    for (size_t c = ports ? p->n[ports].first : 0; c; c = p->n[c].next) {
        if (p->n[c].type != J_OBJ) return ps_fail(e, PS_EINPUT, "a \"ports\" entry is not an object");
        if ((rc = read_port(p, c, &host, line, &dp, e)) || (rc = ps_diff_add_port(out, &dp, e))) return rc;
    }
    return ps_diff_add_host(out, &host, e);
}

int ps_diff_read_json(ps_diff_result *out, const char *buf, size_t len, const char *name, ps_err *e)
{
    struct jp p = {0};
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
            size_t root = parse_doc(&p, buf + at, end - at);
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
    jp_free(&p);
    return rc;
}
