/* match.c: recognising a reply -- running a probe's match lines over the
 * bytes a service sent, and filling a ps_service_info from the winner's
 * version templates.
 *
 * Order.  A reply to probe P is tried against the match lines of P's chain
 * (P itself, its fallbacks, then for TCP the NULL probe; see probedb.c), in
 * file order.  The first hard match wins.  A softmatch only names the
 * service: the first one is remembered and, from then on, only lines for
 * that same service are tried, so a later hard match can add the product
 * and version.  only_service starts the call in that narrowed state (the
 * caller had a softmatch from an earlier probe).
 *
 * Cost.  This runs for every reply of a version scan, against thousands of
 * regexes (nmap's NULL probe alone has several thousand), so the loop is
 * kept lean: no allocation but one PCRE2 match data per call, and checks
 * computed at load time skip most regexes without entering PCRE2 -- a
 * minimum subject length, and for regexes anchored at the start, the set
 * of bytes a match can begin with, indexed per probe by first byte so the
 * loop only visits the lines that could match this reply at all.  The match context (with the match,
 * depth and heap limits that keep a hostile reply from making a regex run
 * away) belongs to the database and is only read here, so any number of
 * threads may match against one database at once.
 *
 * Templates.  Version fields may use $1..$9 (a captured group), $P(n) (the
 * group without its non-printable bytes), $SUBST(n,"from","to") (the group
 * with every "from" replaced) and $I(n,">") / $I(n,"<") (the group's bytes
 * as a big- or little-endian unsigned number).  A group that did not take
 * part in the match expands to nothing.  Leading white space and trailing
 * white space and commas of the result are dropped (a pattern such as
 * "220([\s-]\S+)" captures the separator), then every byte outside printable ASCII is written as
 * \xHH, and the text is cut (never inside an escape) to the field's size. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "probedb_int.h"

#define RAW_MAX 1024 /* expansion before escaping; fields are all smaller */
#define ARG_MAX 128  /* bytes in one $SUBST string argument */

typedef struct rawbuf {
    char b[RAW_MAX];
    size_t n;
} rawbuf;

static void raw_put(rawbuf *r, const char *s, size_t n)
{
    if (n > RAW_MAX - r->n) n = RAW_MAX - r->n;
    memcpy(r->b + r->n, s, n);
    r->n += n;
}

/* Captured text of a substitution, with the CPE rules when cpe is set. */
static void raw_put_captured(rawbuf *r, const char *s, size_t n, int cpe)
{
    if (!cpe) {
        raw_put(r, s, n);
        return;
    }
    static const char special[] = ":/?#[]@!$&'()*+,;=%<>\"";
    for (size_t i = 0; i < n && r->n < RAW_MAX; i++) {
        unsigned char c = (unsigned char)s[i];
        char tmp[4];
        if (c && strchr(special, c)) {
            snprintf(tmp, sizeof tmp, "%%%02X", c);
            raw_put(r, tmp, 3);
        } else {
            tmp[0] = c == ' ' ? '_' : (char)tolower(c);
            raw_put(r, tmp, 1);
        }
    }
}

typedef struct targs {
    int group;
    int nstr;
    char str[2][ARG_MAX];
    size_t len[2];
} targs;

/* Parse "(n)" / "(n,"a")" / "(n,"a","b")" at *s; leave *s after ')'. */
static int parse_args(const char **s, targs *a, ps_err *e)
{
    const char *p = *s;
    if (*p++ != '(') return ps_fail(e, PS_EINPUT, "expected '(' after template command");
    while (*p == ' ') p++;
    if (*p < '1' || *p > '9' || isdigit((unsigned char)p[1]))
        return ps_fail(e, PS_EINPUT, "template group must be 1-9, near '%.8s'", p);
    a->group = *p++ - '0';
    a->nstr = 0;
    for (;;) {
        while (*p == ' ') p++;
        if (*p == ')') break;
        if (*p != ',' || a->nstr == 2)
            return ps_fail(e, PS_EINPUT, "bad template arguments near '%.8s'", p);
        p++;
        while (*p == ' ') p++;
        if (*p++ != '"') return ps_fail(e, PS_EINPUT, "template string must be quoted");
        size_t n = 0;
        char *out = a->str[a->nstr];
        for (; *p && *p != '"'; p++) {
            char c = *p;
            if (c == '\\') {
                static const char from[] = "\\\"'0abfnrtv", to[] = "\\\"'\0\a\b\f\n\r\t\v";
                const char *k = p[1] ? strchr(from, p[1]) : NULL;
                if (p[1] == 'x' && isxdigit((unsigned char)p[2]) && isxdigit((unsigned char)p[3])) {
                    char hex[3] = {p[2], p[3], 0};
                    c = (char)strtol(hex, NULL, 16);
                    p += 3;
                } else if (k) {
                    c = to[k - from];
                    p++;
                } else {
                    return ps_fail(e, PS_EINPUT, "bad escape in template string");
                }
            }
            if (n == ARG_MAX) return ps_fail(e, PS_EINPUT, "template string too long");
            out[n++] = c;
        }
        if (*p++ != '"') return ps_fail(e, PS_EINPUT, "unterminated template string");
        a->len[a->nstr++] = n;
    }
    *s = p + 1;
    return PS_OK;
}

/* The bytes of group g, or an empty span if it did not take part. */
static const char *group(int g, const uint8_t *subj, size_t sublen, const size_t *ov,
                        uint32_t npairs, size_t *len)
{
    *len = 0;
    if ((uint32_t)g >= npairs || ov[2 * g] == PCRE2_UNSET || ov[2 * g + 1] < ov[2 * g] ||
        ov[2 * g + 1] > sublen)
        return "";
    *len = ov[2 * g + 1] - ov[2 * g];
    return (const char *)subj + ov[2 * g];
}

/* Write raw bytes into out as printable ASCII, cut on escape boundaries. */
static void escape_out(const char *s, size_t n, char *out, size_t outsz)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f) {
            if (o + 1 >= outsz) break;
            out[o++] = (char)c;
        } else {
            if (o + 4 >= outsz) break;
            snprintf(out + o, 5, "\\x%02x", c);
            o += 4;
        }
    }
    out[o] = '\0';
}

int ps_pdb_expand(const char *tmpl, const uint8_t *subject, size_t sublen,
                  const size_t *ov, uint32_t npairs, int cpe, char *out, size_t outsz,
                  ps_err *e)
{
    rawbuf r;
    r.n = 0;
    const char *p = tmpl;
    while (*p) {
        const char *dollar = strchr(p, '$');
        if (!dollar) {
            raw_put(&r, p, strlen(p));
            break;
        }
        raw_put(&r, p, (size_t)(dollar - p));
        p = dollar + 1;
        size_t glen = 0;
        const char *g;
        if (*p >= '1' && *p <= '9') {
            if (subject) {
                g = group(*p - '0', subject, sublen, ov, npairs, &glen);
                raw_put_captured(&r, g, glen, cpe);
            }
            p++;
            continue;
        }
        targs a;
        int cmd;
        if (strncmp(p, "P(", 2) == 0) cmd = 'P', p += 1;
        else if (strncmp(p, "SUBST(", 6) == 0) cmd = 'S', p += 5;
        else if (strncmp(p, "I(", 2) == 0) cmd = 'I', p += 1;
        else return ps_fail(e, PS_EINPUT, "bad template '$%.8s'", p);
        int rc = parse_args(&p, &a, e);
        if (rc) return rc;
        if ((cmd == 'P' && a.nstr != 0) || (cmd == 'S' && (a.nstr != 2 || a.len[0] == 0)) ||
            (cmd == 'I' && (a.nstr != 1 || a.len[0] != 1 ||
                            (a.str[0][0] != '>' && a.str[0][0] != '<'))))
            return ps_fail(e, PS_EINPUT, "bad arguments to $%s",
                           cmd == 'P' ? "P" : cmd == 'S' ? "SUBST" : "I");
        if (!subject) continue;
        g = group(a.group, subject, sublen, ov, npairs, &glen);
        if (cmd == 'P') {
            for (size_t i = 0; i < glen; i++)
                if (g[i] >= 0x20 && g[i] < 0x7f) raw_put_captured(&r, g + i, 1, cpe);
        } else if (cmd == 'S') {
            for (size_t i = 0; i < glen;) {
                if (glen - i >= a.len[0] && memcmp(g + i, a.str[0], a.len[0]) == 0) {
                    raw_put_captured(&r, a.str[1], a.len[1], cpe);
                    i += a.len[0];
                } else {
                    raw_put_captured(&r, g + i++, 1, cpe);
                }
            }
        } else if (glen >= 1 && glen <= 8) {
            uint64_t v = 0;
            for (size_t i = 0; i < glen; i++) {
                size_t k = a.str[0][0] == '>' ? i : glen - 1 - i;
                v = v << 8 | (uint8_t)g[k];
            }
            char num[24];
            int n = snprintf(num, sizeof num, "%" PRIu64, v);
            raw_put(&r, num, (size_t)n);
        }
    }
    if (!subject) return PS_OK;
    size_t lead = 0;
    while (r.n > 0 && (isspace((unsigned char)r.b[r.n - 1]) || r.b[r.n - 1] == ','))
        r.n--;
    while (lead < r.n && isspace((unsigned char)r.b[lead])) lead++;
    if (out && outsz) escape_out(r.b + lead, r.n - lead, out, outsz);
    return PS_OK;
}

static void fill(ps_service_info *out, const ps_match *m, const uint8_t *reply,
                 size_t len, const size_t *ov, uint32_t npairs, int soft)
{
    char *dst[PS_F_COUNT] = {out->product, out->version, out->info,
                             out->hostname, out->ostype, out->devicetype};
    size_t sz[PS_F_COUNT] = {sizeof out->product, sizeof out->version, sizeof out->info,
                             sizeof out->hostname, sizeof out->ostype, sizeof out->devicetype};
    memset(out, 0, sizeof *out);
    snprintf(out->service, sizeof out->service, "%s", m->service);
    for (int i = 0; i < PS_F_COUNT; i++)
        if (m->field[i])
            ps_pdb_expand(m->field[i], reply, len, ov, npairs, 0, dst[i], sz[i], NULL);
    for (int i = 0; i < m->ncpe && out->ncpe < 4; i++) {
        ps_pdb_expand(m->cpe[i], reply, len, ov, npairs, 1, out->cpe[out->ncpe],
                      sizeof out->cpe[0], NULL);
        if (out->cpe[out->ncpe][0]) out->ncpe++;
    }
    out->soft = soft;
}

static int may_match(const ps_match *m, const uint8_t *reply, size_t len)
{
    if (len < m->minlen) return 0;
    if (m->has_first && (len == 0 || !(m->first[reply[0] >> 3] & (1u << (reply[0] & 7)))))
        return 0;
    return 1;
}

static int run(const ps_probedb *db, const ps_match *m, const uint8_t *reply,
               size_t len, pcre2_match_data *md)
{
    const pcre2_code *re = ps_pdb_regex(db, m);
    if (!re) return -1;
    int rc = pcre2_match(re, reply, len, 0, 0, md, db->mctx);
    /* JIT code runs on a small fixed stack; a regex that needs more gets a
     * second try in the interpreter, which the depth and heap limits bound. */
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
        rc = pcre2_match(re, reply, len, 0, PCRE2_NO_JIT, md, db->mctx);
    return rc;
}

int ps_probe_match(const ps_probedb *db, const ps_probe *p, const uint8_t *reply,
                   size_t len, const char *only_service, ps_service_info *out)
{
    if (out) memset(out, 0, sizeof *out);
    if (!db || !p || !out) return 0;
    if (!reply) reply = (const uint8_t *)"", len = 0;
    pcre2_match_data *md = pcre2_match_data_create(db->max_groups + 1, NULL);
    if (!md) return 0;
    const char *want = only_service && *only_service ? only_service : NULL;
    int result = 0;
    for (size_t c = 0; c < p->nchain && result < 2; c++) {
        const ps_probe *q = p->chain[c];
        /* An empty reply has no first byte: walk every line. */
        /* The lines the reply's first byte can start, merged in file order
         * with those any byte can; an empty reply walks every line. */
        size_t k = len ? q->off[reply[0]] : 0, hi = len ? q->off[reply[0] + 1] : q->nmatches, a = 0;
        size_t nany = len ? q->nany : 0;
        for (;;) {
            size_t i;
            if (!len) {
                if (k >= hi) break;
                i = k++;
            } else if (k < hi && (a >= nany || q->byfirst[k] < q->anyidx[a])) {
                i = q->byfirst[k++];
            } else if (a < nany) {
                i = q->anyidx[a++];
            } else {
                break;
            }
            const ps_match *m = &q->matches[i];
            if (want && strcmp(m->service, want) != 0) continue;
            if (!may_match(m, reply, len)) continue;
            int rc = run(db, m, reply, len, md);
            if (rc < 0) continue; /* no match, or a limit hit: treat alike */
            const size_t *ov = pcre2_get_ovector_pointer(md);
            uint32_t npairs = rc > 0 ? (uint32_t)rc : pcre2_get_ovector_count(md);
            if (m->soft) {
                if (result) continue;
                fill(out, m, reply, len, ov, npairs, 1);
                result = 1;
                want = m->service;
                continue;
            }
            fill(out, m, reply, len, ov, npairs, 0);
            result = 2;
            break;
        }
    }
    pcre2_match_data_free(md);
    return result;
}

int ps_probe_can_match(const ps_probe *p, const char *service)
{
    if (!p || !service) return 0;
    for (size_t c = 0; c < p->nchain; c++)
        for (size_t i = 0; i < p->chain[c]->nmatches; i++)
            if (strcmp(p->chain[c]->matches[i].service, service) == 0) return 1;
    return 0;
}
