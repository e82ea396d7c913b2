/* targets_parse.c: the target words (see include/pscan/targets.h): IPv4
 * and IPv6 literals, CIDR blocks, nmap's octet ranges (10.0.0-3.1,5),
 * host names, target and exclusion files, and --exclude, each turned into
 * intervals of the set (targets.c).  An error names the user's token.
 *
 * Sizes are checked before anything is allocated: an octet form may expand
 * to at most MAX_TOKEN_RANGES intervals, an IPv6 target prefix may not name
 * more than 2^64 addresses, and the final count must fit in a uint64. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pscan/targets.h"

#include "targets_int.h"

#define MAX_TOKEN 1024              /* bytes in one token */
#define MAX_TOKEN_RANGES (1u << 20) /* intervals one octet form may expand to */

/* A token as it may appear in a message: at most 40 bytes, control and
 * non-ASCII bytes shown as '?', "..." when cut. */
typedef struct shown {
    char s[48];
} shown;

static shown show(const char *tok)
{
    shown r;
    size_t i;
    for (i = 0; tok[i] && i < 40; i++) {
        unsigned char c = (unsigned char)tok[i];
        r.s[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
    }
    if (tok[i])
        memcpy(r.s + i, "...", 4);
    else
        r.s[i] = '\0';
    return r;
}

/* "bad target 'TOK': WHY" with WHY formatted. */
static int bad(ps_err *e, int excl, const char *tok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int bad(ps_err *e, int excl, const char *tok, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return ps_fail(e, PS_EINPUT, "bad %s '%s': %s", excl ? "exclusion" : "target",
                   show(tok).s, why);
}

/* ---- the token grammar ---- */

/* Add the CIDR block of a (prefix bits, or the single address when
 * prefix < 0) to the included or excluded vector. */
static int add_block(ps_targets *t, const char *tok, int excl, const ps_addr *a, int prefix,
                     ps_err *e)
{
    int v6 = a->family == AF_INET6, width = v6 ? 128 : 32;
    ps_u128 x = v6 ? ps_addr6_to_u128(a->u.v6) : a->u.v4, lo = x, hi = x;
    spanvec *sv = excl ? &t->exc[v6] : &t->inc[v6];
    if (prefix >= 0) {
        int host = width - prefix;
        if (v6 && !excl && host > 64)
            return bad(e, excl, tok, "/%d holds 2^%d addresses, more than a target set "
                       "can count (under 2^64)", prefix, host);
        /* The host bits are simply masked off, as nmap does. */
        ps_u128 hostmask = host == 128 ? ~(ps_u128)0 : (((ps_u128)1 << host) - 1);
        lo = x & ~hostmask;
        hi = lo | hostmask;
    }
    return ps_spanvec_push(sv, lo, hi, e);
}

/* "*", "N", "N-M", "-M", "N-", "-" (open ends mean 0 and 255), joined by
 * commas, into a 256-bit set.  s[0..len) is one octet. */
static int parse_octet_list(const char *tok, int excl, const char *s, size_t len,
                            uint8_t bits[32], ps_err *e)
{
    size_t start = 0;
    memset(bits, 0, 32);
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != ',')
            continue;
        const char *el = s + start;
        size_t n = i - start;
        const char *dash = memchr(el, '-', n);
        unsigned a, b;
        start = i + 1;
        if (n == 0)
            return bad(e, excl, tok, "empty octet or list item");
        if (n == 1 && el[0] == '*') {
            a = 0, b = 255;
        } else if (dash) {
            size_t ln = (size_t)(dash - el), rn = n - ln - 1;
            if (memchr(dash + 1, '-', rn))
                return bad(e, excl, tok, "more than one '-' in '%.*s'", (int)n, el);
            a = 0, b = 255;
            if (ln && ps_addr_parse_octet(el, ln, &a) != 0)
                return bad(e, excl, tok, "'%.*s' is not an octet (0-255)", (int)ln, el);
            if (rn && ps_addr_parse_octet(dash + 1, rn, &b) != 0)
                return bad(e, excl, tok, "'%.*s' is not an octet (0-255)", (int)rn, dash + 1);
            if (a > b)
                return bad(e, excl, tok, "range %u-%u is reversed", a, b);
        } else {
            if (ps_addr_parse_octet(el, n, &a) != 0)
                return bad(e, excl, tok, "'%.*s' is not an octet (0-255)", (int)n, el);
            b = a;
        }
        for (unsigned v = a; v <= b; v++)
            bits[v >> 3] |= (uint8_t)(1u << (v & 7));
    }
    return PS_OK;
}

static int bit(const uint8_t bits[32], unsigned v)
{
    return bits[v >> 3] >> (v & 7) & 1;
}

/* The IPv4 octet form.  Octets after the last one that is not "all of
 * 0-255" add nothing but width, so they fold into each interval:
 * "10.0-3.*.*" is four /16s, "*.*.*.*" one range.  Every value of the
 * octets before that one starts its own interval(s). */
static int add_octet_form(ps_targets *t, const char *tok, int excl, const char *s, size_t len,
                          ps_err *e)
{
    uint8_t bits[4][32];
    uint8_t vals[4][256];
    unsigned nvals[4], ivl[128][2], nivl = 0, idx[4] = {0};
    size_t start = 0;
    int oct = 0, k;
    uint64_t total = 1;
    spanvec *sv = excl ? &t->exc[V4] : &t->inc[V4];

    for (size_t i = 0; i < len; i++) {
        if (!strchr("0123456789.,-*", s[i]) || s[i] == '\0') {
            unsigned char c = (unsigned char)s[i];
            if (c >= 0x21 && c < 0x7f)
                return bad(e, excl, tok, "unexpected character '%c'", c);
            return bad(e, excl, tok, "unexpected byte 0x%02x", c);
        }
        oct += s[i] == '.';
    }
    if (oct != 3)
        return bad(e, excl, tok, "expected 4 dot-separated octets, found %d", oct + 1);
    if (len && s[len - 1] == '-')
        return bad(e, excl, tok, "ends with '-', which looks like a cut-off range "
                   "(write N-255, or '*' for a whole octet)");
    oct = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '.')
            continue;
        int rc = parse_octet_list(tok, excl, s + start, i - start, bits[oct], e);
        if (rc)
            return rc;
        nvals[oct] = 0;
        for (unsigned v = 0; v < 256; v++)
            if (bit(bits[oct], v))
                vals[oct][nvals[oct]++] = (uint8_t)v;
        oct++;
        start = i + 1;
    }
    for (k = 3; k >= 0 && nvals[k] == 256; k--)
        ;
    if (k < 0)
        return ps_spanvec_push(sv, 0, 0xffffffffu, e);
    for (unsigned v = 0; v < 256; v++)
        if (bit(bits[k], v) && (v == 0 || !bit(bits[k], v - 1)))
            ivl[nivl++][0] = v;
    for (unsigned v = 0, n = 0; v < 256; v++)
        if (bit(bits[k], v) && (v == 255 || !bit(bits[k], v + 1)))
            ivl[n++][1] = v;
    for (int j = 0; j < k; j++)
        total *= nvals[j];
    total *= nivl;
    if (total > MAX_TOKEN_RANGES)
        return ps_fail(e, PS_EINPUT, "too many ranges in '%s' (%llu; at most %u per token)",
                       show(tok).s, (unsigned long long)total, MAX_TOKEN_RANGES);

    int shift = 8 * (3 - k);
    uint32_t low = (uint32_t)((1ull << shift) - 1);
    for (;;) {
        uint32_t prefix = 0;
        for (int j = 0; j < k; j++)
            prefix |= (uint32_t)vals[j][idx[j]] << (8 * (3 - j));
        for (unsigned i = 0; i < nivl; i++) {
            int rc = ps_spanvec_push(sv, prefix | (uint32_t)ivl[i][0] << shift,
                                  prefix | (uint32_t)ivl[i][1] << shift | low, e);
            if (rc)
                return rc;
        }
        int j = k - 1; /* odometer over the leading octets' values */
        while (j >= 0 && ++idx[j] == nvals[j])
            idx[j--] = 0;
        if (j < 0)
            return PS_OK;
    }
}

/* A hostname must be a DNS name: labels of letters, digits and inner
 * hyphens, 1..63 bytes each, 253 in all; one trailing dot is allowed. */
static int check_hostname(const char *tok, int excl, const char *s, size_t len, ps_err *e)
{
    size_t label = 0;
    if (len && s[len - 1] == '.')
        len--;
    if (len == 0 || len > 253)
        return bad(e, excl, tok, "a host name must be 1 to 253 characters long");
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = i < len ? (unsigned char)s[i] : '.';
        if (c == '.') {
            if (label == 0)
                return bad(e, excl, tok, "empty label in host name");
            if (label > 63)
                return bad(e, excl, tok, "host name label longer than 63 characters");
            if (s[i - 1] == '-' || s[i - label] == '-')
                return bad(e, excl, tok, "host name label begins or ends with '-'");
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-') {
            label++;
        } else if (c >= 0x21 && c < 0x7f) {
            return bad(e, excl, tok, "character '%c' is not allowed in a host name", c);
        } else {
            return bad(e, excl, tok, "byte 0x%02x is not allowed in a host name", c);
        }
    }
    return PS_OK;
}

static int add_hostname(ps_targets *t, const char *tok, int excl, const char *s, size_t len,
                        int prefix, ps_err *e)
{
    char name[256];
    struct in_addr junk;
    ps_addr a;
    int rc = check_hostname(tok, excl, s, len, e);
    if (rc)
        return rc;
    if (prefix > 128)
        return bad(e, excl, tok, "prefix length %d is out of range (0-128)", prefix);
    memcpy(name, s, len);
    name[len] = '\0';
    /* getaddrinfo() would quietly read "0x7f.1" as an address. */
    if (inet_aton(name, &junk))
        return bad(e, excl, tok, "looks like an address in a form pscan does not accept "
                   "(use four decimal octets)");
    memset(&a, 0, sizeof a);
    rc = t->resolve(t->resolve_ctx, name, t->family, &a, e);
    if (rc)
        return rc;
    if (a.family != AF_INET && a.family != AF_INET6)
        return ps_fail(e, PS_ERUNTIME, "resolver returned no usable address for '%s'", name);
    if (prefix > (a.family == AF_INET ? 32 : 128))
        return bad(e, excl, tok, "prefix length %d is out of range for %s (0-%d)", prefix,
                   a.family == AF_INET ? "IPv4" : "IPv6", a.family == AF_INET ? 32 : 128);
    rc = add_block(t, tok, excl, &a, prefix, e);
    if (rc == PS_OK && !excl)
        rc = ps_tg_remember_name(t, &a, name, e);
    return rc;
}

static int add_v6(ps_targets *t, const char *tok, int excl, const char *s, size_t len,
                  int prefix, ps_err *e)
{
    char buf[INET6_ADDRSTRLEN + 1];
    ps_addr a;
    const char *pct = memchr(s, '%', len);
    if (pct)
        return bad(e, excl, tok, "IPv6 zone ids ('%.*s') are not supported", (int)(len - (size_t)(pct - s)), pct);
    if (len >= sizeof buf)
        return bad(e, excl, tok, "not a valid IPv6 address (too long)");
    memcpy(buf, s, len);
    buf[len] = '\0';
    memset(&a, 0, sizeof a);
    a.family = AF_INET6;
    if (inet_pton(AF_INET6, buf, a.u.v6) != 1)
        return bad(e, excl, tok, "not a valid IPv6 address");
    if (prefix > 128)
        return bad(e, excl, tok, "prefix length %d is out of range (0-128)", prefix);
    return add_block(t, tok, excl, &a, prefix, e);
}

static int add_v4(ps_targets *t, const char *tok, int excl, const char *s, size_t len,
                  int prefix, ps_err *e)
{
    ps_addr a;
    memset(&a, 0, sizeof a);
    a.family = AF_INET;
    if (ps_addr_parse_v4(s, len, &a.u.v4) == 0) {
        if (prefix > 32)
            return bad(e, excl, tok, "prefix length %d is out of range (0-32)", prefix);
        return add_block(t, tok, excl, &a, prefix, e);
    }
    if (prefix >= 0 && (memchr(s, '-', len) || memchr(s, ',', len) || memchr(s, '*', len)))
        return bad(e, excl, tok, "a /prefix cannot follow octet ranges");
    /* Without range characters the octet parser accepts exactly what
     * ps_addr_parse_v4() accepts, so for "1.2.3/24" it only explains why
     * the address is wrong and adds nothing. */
    return add_octet_form(t, tok, excl, s, len, e);
}

static int add_token(ps_targets *t, const char *tok, int excl, ps_err *e)
{
    size_t len = strlen(tok), alen;
    const char *slash;
    int prefix = -1;
    if (t->finalized)
        return ps_fail(e, PS_ERUNTIME, "the target set is already finalized");
    if (len == 0)
        return ps_fail(e, PS_EINPUT, "empty %s", excl ? "exclusion" : "target");
    if (len > MAX_TOKEN)
        return ps_fail(e, PS_EINPUT, "%s longer than %d bytes, starting '%s'",
                       excl ? "exclusion" : "target", MAX_TOKEN, show(tok).s);
    slash = strchr(tok, '/');
    alen = slash ? (size_t)(slash - tok) : len;
    if (slash) {
        const char *p = slash + 1;
        size_t pn = strlen(p);
        if (strchr(p, '/'))
            return bad(e, excl, tok, "more than one '/'");
        if (pn == 0)
            return bad(e, excl, tok, "missing prefix length after '/'");
        if (pn > 3 || strspn(p, "0123456789") != pn)
            return bad(e, excl, tok, "prefix length '%s' is not a number 0-128", show(p).s);
        prefix = atoi(p);
        if (alen == 0)
            return bad(e, excl, tok, "missing address before '/'");
    }
    if (memchr(tok, ':', alen))
        return add_v6(t, tok, excl, tok, alen, prefix, e);
    for (size_t i = 0; i < alen; i++) {
        char c = tok[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            return add_hostname(t, tok, excl, tok, alen, prefix, e);
    }
    return add_v4(t, tok, excl, tok, alen, prefix, e);
}

int ps_targets_add(ps_targets *t, const char *spec, ps_err *e)
{
    return add_token(t, spec ? spec : "", 0, e);
}

/* ---- --exclude lists and files ---- */

/* Commas both separate exclusions and list octet values ("10.0.0.1,3,5").
 * A comma separates only when the piece after it starts a new address,
 * i.e. contains '.', ':' or a letter; otherwise it continues the octet
 * list of the piece before.  White space around pieces is ignored. */
int ps_targets_exclude(ps_targets *t, const char *list, ps_err *e)
{
    char tok[MAX_TOKEN + 1];
    size_t n = 0;
    const char *p = list ? list : "";
    if (!*p)
        return ps_fail(e, PS_EINPUT, "empty exclusion list");
    for (;;) {
        const char *end = strchr(p, ',');
        size_t plen = end ? (size_t)(end - p) : strlen(p);
        while (plen && (*p == ' ' || *p == '\t'))
            p++, plen--;
        while (plen && (p[plen - 1] == ' ' || p[plen - 1] == '\t'))
            plen--;
        if (plen == 0)
            return ps_fail(e, PS_EINPUT, "empty item in exclusion list '%s'", show(list).s);
        int starts_new = n == 0;
        for (size_t i = 0; i < plen && !starts_new; i++) {
            char c = p[i];
            starts_new = c == '.' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        }
        if (starts_new && n > 0) {
            tok[n] = '\0';
            int rc = add_token(t, tok, 1, e);
            if (rc)
                return rc;
            n = 0;
        }
        if (n + (n > 0) + plen > MAX_TOKEN)
            return ps_fail(e, PS_EINPUT, "exclusion longer than %d bytes in '%s'", MAX_TOKEN,
                           show(list).s);
        if (n > 0)
            tok[n++] = ',';
        memcpy(tok + n, p, plen);
        n += plen;
        if (!end)
            break;
        p = end + 1;
    }
    tok[n] = '\0';
    return add_token(t, tok, 1, e);
}

static int read_stream(ps_targets *t, FILE *f, const char *what, int excl, ps_err *e)
{
    char tok[MAX_TOKEN + 1];
    size_t n = 0;
    unsigned long line = 1, tokline = 1;
    ps_err sub;
    for (;;) {
        int c = getc(f);
        if (c == EOF || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
            c == '\f' || c == '#') {
            if (n > 0) {
                tok[n] = '\0';
                n = 0;
                int rc = add_token(t, tok, excl, &sub);
                if (rc)
                    return ps_fail(e, rc, "%s:%lu: %s", what, tokline, sub.msg);
            }
            if (c == '#')
                while ((c = getc(f)) != EOF && c != '\n')
                    ;
            if (c == '\n')
                line++;
            if (c == EOF)
                break;
            continue;
        }
        if (c == '\0')
            return ps_fail(e, PS_EINPUT, "%s:%lu: NUL byte in a target file", what, line);
        if (n == MAX_TOKEN) {
            tok[n] = '\0';
            return ps_fail(e, PS_EINPUT, "%s:%lu: token longer than %d bytes, starting '%s'",
                           what, tokline, MAX_TOKEN, show(tok).s);
        }
        if (n == 0)
            tokline = line;
        tok[n++] = (char)c;
    }
    if (ferror(f))
        return ps_fail(e, PS_EINPUT, "error reading '%s': %s", what, strerror(errno));
    return PS_OK;
}

int ps_targets_add_stream(ps_targets *t, FILE *f, const char *what, ps_err *e)
{
    return read_stream(t, f, what ? what : "(stream)", 0, e);
}

int ps_targets_exclude_stream(ps_targets *t, FILE *f, const char *what, ps_err *e)
{
    return read_stream(t, f, what ? what : "(stream)", 1, e);
}

static int read_path(ps_targets *t, const char *path, int excl, ps_err *e)
{
    FILE *f;
    int rc;
    if (!path || !*path)
        return ps_fail(e, PS_EINPUT, "empty file name");
    if (strcmp(path, "-") == 0)
        return read_stream(t, stdin, "<stdin>", excl, e);
    f = fopen(path, "r");
    if (!f)
        return ps_fail(e, PS_EINPUT, "cannot open '%s': %s", path, strerror(errno));
    rc = read_stream(t, f, path, excl, e);
    fclose(f);
    return rc;
}

int ps_targets_add_file(ps_targets *t, const char *path, ps_err *e)
{
    return read_path(t, path, 0, e);
}

int ps_targets_exclude_file(ps_targets *t, const char *path, ps_err *e)
{
    return read_path(t, path, 1, e);
}
