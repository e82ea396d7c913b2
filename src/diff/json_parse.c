/* json_parse.c: the strict JSON parser of json.h, shared by the readers
 * of result files (diff_json.c for pscan diff, audit/ for pscan report).
 *
 * The tree lives in two growable arrays, nodes and string bytes, linked by
 * indices (so growing never leaves a dangling pointer) and reused from one
 * document to the next.  It follows RFC 8259 to the letter, because it
 * doubles as the validator the tests use on -oJ output. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pscan/escape.h"
#include "pscan/addr.h"
#include "pscan/json.h"

enum { MAX_DEPTH = 64 };

struct ps_jnode {
    uint8_t type;
    uint8_t b;
    double num;
    size_t str, slen;  /* value (PS_J_STR) in the string buffer */
    size_t key, klen;  /* member name when inside an object */
    size_t first, next; /* children / siblings; 0 = none (node 0 is unused) */
    size_t src, srclen; /* the value's own text in the document */
};


static int fail(ps_json *p, const char *why)
{
    if (!p->err) {
        p->err = why;
        p->err_at = p->pos;
    }
    return 0;
}

static size_t new_node(ps_json *p, enum ps_jtype t)
{
    if (p->nn == p->capn) {
        size_t cap = p->capn ? p->capn * 2 : 64;
        struct ps_jnode *n = realloc(p->n, cap * sizeof *n);
        if (!n) return fail(p, "out of memory");
        p->n = n;
        p->capn = cap;
    }
    memset(&p->n[p->nn], 0, sizeof p->n[0]);
    p->n[p->nn].type = (uint8_t)t;
    return p->nn++;
}

static int sb_put(ps_json *p, const char *s, size_t n)
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

static void skip_ws(ps_json *p)
{
    while (p->pos < p->len &&
           (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static int hex4(ps_json *p, unsigned *v)
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

static int put_cp(ps_json *p, unsigned cp)
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
static int parse_string(ps_json *p, size_t *off, size_t *slen)
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

static int parse_number(ps_json *p, double *out)
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

static int lit(ps_json *p, const char *w)
{
    size_t n = strlen(w);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, w, n) != 0) return fail(p, "unexpected character");
    p->pos += n;
    return 1;
}

static size_t parse_value(ps_json *p, int depth);

/* Parse one value, blanks skipped; returns its node index, 0 on error. */
static size_t parse_inner(ps_json *p, int depth)
{
    if (p->pos >= p->len) return fail(p, "unexpected end of input");
    if (depth > MAX_DEPTH) return fail(p, "nested too deeply");
    char c = p->s[p->pos];
    size_t me;
    if (c == '{' || c == '[') {
        int obj = c == '{';
        if (!(me = new_node(p, obj ? PS_J_OBJ : PS_J_ARR))) return 0;
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
        if (!(me = new_node(p, PS_J_STR))) return 0;
        size_t off, n;
        if (!parse_string(p, &off, &n)) return 0;
        p->n[me].str = off;
        p->n[me].slen = n;
        return me;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        if (!(me = new_node(p, PS_J_NUM))) return 0;
        double d;
        if (!parse_number(p, &d)) return 0;
        p->n[me].num = d;
        return me;
    }
    if (c == 't' || c == 'f') {
        if (!(me = new_node(p, PS_J_BOOL)) || !lit(p, c == 't' ? "true" : "false")) return 0;
        p->n[me].b = c == 't';
        return me;
    }
    if (c == 'n') {
        if (!(me = new_node(p, PS_J_NULL)) || !lit(p, "null")) return 0;
        return me;
    }
    return fail(p, "unexpected character");
}

/* parse_inner, recording where the value's text lies (ps_json_raw). */
static size_t parse_value(ps_json *p, int depth)
{
    skip_ws(p);
    size_t start = p->pos, me = parse_inner(p, depth);
    if (me) {
        p->n[me].src = start;
        p->n[me].srclen = p->pos - start;
    }
    return me;
}

size_t ps_json_parse(ps_json *p, const char *s, size_t len)
{
    p->s = s;
    p->len = len;
    p->pos = 0;
    p->nn = 0;
    p->ns = 0;
    p->err = NULL;
    new_node(p, PS_J_NULL); /* node 0 stands for "none" */
    if (p->err) return 0;
    size_t root = parse_value(p, 0);
    if (!root) return 0;
    skip_ws(p);
    if (p->pos != p->len) return fail(p, "extra characters after the value");
    return root;
}

void ps_json_free(ps_json *p)
{
    free(p->n);
    free(p->sb);
}

int ps_json_check(const char *buf, size_t len, ps_err *e)
{
    ps_json p = {0};
    size_t root = ps_json_parse(&p, buf, len);
    int rc = root ? PS_OK : ps_fail(e, PS_EINPUT, "byte %zu: %s", p.err_at, p.err ? p.err : "invalid");
    ps_json_free(&p);
    return rc;
}

/* ---- reading the tree ---------------------------------------------------- */

enum ps_jtype ps_json_type(const ps_json *p, size_t node)
{
    return node && node < p->nn ? (enum ps_jtype)p->n[node].type : PS_J_NONE;
}

size_t ps_json_get(const ps_json *p, size_t obj, const char *key)
{
    if (ps_json_type(p, obj) != PS_J_OBJ) return 0;
    size_t kl = strlen(key);
    for (size_t c = p->n[obj].first; c; c = p->n[c].next)
        if (p->n[c].klen == kl && memcmp(p->sb + p->n[c].key, key, kl) == 0) return c;
    return 0;
}

size_t ps_json_first(const ps_json *p, size_t node)
{
    enum ps_jtype t = ps_json_type(p, node);
    return t == PS_J_ARR || t == PS_J_OBJ ? p->n[node].first : 0;
}

size_t ps_json_next(const ps_json *p, size_t node)
{
    return ps_json_type(p, node) == PS_J_NONE ? 0 : p->n[node].next;
}

const char *ps_json_str(const ps_json *p, size_t node, size_t *len)
{
    if (ps_json_type(p, node) != PS_J_STR) return NULL;
    *len = p->n[node].slen;
    return p->sb + p->n[node].str;
}

const char *ps_json_get_str(const ps_json *p, size_t obj, const char *key, size_t *len)
{
    return ps_json_str(p, ps_json_get(p, obj, key), len);
}

const char *ps_json_raw(const ps_json *p, size_t node, size_t *len)
{
    if (ps_json_type(p, node) == PS_J_NONE) return NULL;
    *len = p->n[node].srclen;
    return p->s + p->n[node].src;
}

int ps_json_num(const ps_json *p, size_t node, double *out)
{
    if (ps_json_type(p, node) != PS_J_NUM) return 0;
    *out = p->n[node].num;
    return 1;
}

int ps_json_bool(const ps_json *p, size_t node)
{
    return ps_json_type(p, node) == PS_J_BOOL ? p->n[node].b : -1;
}

void ps_json_copy(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap) n = cap - 1;
    /* Do not leave half a UTF-8 character at the cut. */
    if (n && n == cap - 1)
        while (n && ((unsigned char)src[n] & 0xc0) == 0x80) n--;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int ps_json_get_host(const ps_json *p, size_t obj, ps_addr *a, ps_err *e)
{
    size_t n;
    char buf[64];
    const char *s = ps_json_get_str(p, obj, "host", &n);
    if (!s) return ps_fail(e, PS_EINPUT, "no \"host\" string");
    ps_json_copy(buf, sizeof buf, s, n);
    if (n >= sizeof buf || ps_addr_parse(buf, a)) return ps_fail(e, PS_EINPUT, "\"host\" is not an address");
    return PS_OK;
}
