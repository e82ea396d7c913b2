/* recog_util.c: the reading helpers every recogniser shares (recog_int.h):
 * lines, headers, tokens and product tables, all bounded by the reply. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "recog_int.h"

int ps_info_level(const ps_service_info *in)
{
    if (!in->service[0]) return 0;
    if (!in->product[0]) return 1;
    return in->version[0] ? 3 : 2;
}

size_t rg_copy(char *dst, size_t cap, const char *s, size_t n)
{
    size_t k = 0;
    while (k < n && (unsigned char)s[k] >= 0x20 && s[k] != 0x7f) k++;
    n = k;
    while (n && s[0] == ' ') s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    if (cap == 0) return 0;
    if (n >= cap) n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = 0;
    return n;
}

size_t rg_line(const rg_in *in, size_t off, const char **line, size_t *len)
{
    const char *s = (const char *)in->p;
    size_t e = off;
    while (e < in->n && s[e] != '\n') e++;
    *line = s + off;
    *len = e - off;
    if (*len && (*line)[*len - 1] == '\r') (*len)--;
    return e < in->n ? e + 1 : in->n;
}

int rg_prefix(const rg_in *in, const char *s)
{
    size_t n = strlen(s);
    return in->n >= n && memcmp(in->p, s, n) == 0;
}

long rg_find(const char *s, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; m && i + m <= n; i++)
        if (strncasecmp(s + i, needle, m) == 0) return (long)i;
    return -1;
}

int rg_header(const rg_in *in, const char *name, const char **val, size_t *vlen)
{
    size_t nl = strlen(name), off = 0;
    const char *l;
    size_t len;
    off = rg_line(in, 0, &l, &len); /* the status line */
    for (int lines = 0; off < in->n && lines < 200; lines++) {
        off = rg_line(in, off, &l, &len);
        if (len == 0) return 0; /* end of the header block */
        if (len > nl && l[nl] == ':' && strncasecmp(l, name, nl) == 0) {
            *val = l + nl + 1;
            *vlen = len - nl - 1;
            while (*vlen && (**val == ' ' || **val == '\t')) (*val)++, (*vlen)--;
            return 1;
        }
    }
    return 0;
}

const rg_product *rg_product_find(const rg_product *t, const char *tok, size_t n)
{
    for (; t->token; t++)
        if (strlen(t->token) == n && strncasecmp(t->token, tok, n) == 0) return t;
    return NULL;
}

static int name_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.' || c == '+';
}

size_t rg_token(const char *s, size_t n, const char **ver, size_t *vlen)
{
    size_t k = 0;
    *ver = s;
    *vlen = 0;
    while (k < n && name_char(s[k]) && s[k] != '/') k++;
    /* "Name_1.2" and "Name-1.2": the name ends where a digit follows _ or -. */
    for (size_t i = 1; i + 1 < k; i++)
        if ((s[i] == '_' || s[i] == '-') && isdigit((unsigned char)s[i + 1])) {
            *ver = s + i + 1;
            *vlen = k - i - 1;
            return i;
        }
    size_t name = k;
    if (!name || !isalpha((unsigned char)s[0])) return 0;
    if (k < n && (s[k] == '/' || s[k] == '(' || (s[k] == ' ' && k + 1 < n && isdigit((unsigned char)s[k + 1])))) {
        size_t v = ++k;
        while (k < n && name_char(s[k])) k++;
        if (k > v && isdigit((unsigned char)s[v])) {
            *ver = s + v;
            *vlen = k - v;
        }
    }
    return name;
}

int rg_fill(ps_service_info *out, const char *service, const char *product, size_t plen, const char *version,
            size_t vlen)
{
    rg_copy(out->service, sizeof out->service, service, strlen(service));
    if (product && plen) rg_copy(out->product, sizeof out->product, product, plen);
    if (out->product[0] && version && vlen) rg_copy(out->version, sizeof out->version, version, vlen);
    return ps_info_level(out);
}
