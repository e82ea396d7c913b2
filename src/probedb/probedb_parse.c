/* probedb_parse.c: the line parser for the nmap-service-probes syntax.
 *
 * A file is a sequence of lines; '#' comments and blank lines are skipped,
 * every other line is one directive.  Probe opens a section, and the
 * directives after it (match, softmatch, ports, sslports, rarity,
 * totalwaitms, tcpwrappedms, fallback) belong to that probe; Exclude is
 * global.  docs/probes.md describes the format as pscan implements it.
 *
 * Delimited strings.  Payloads (q|..|), regexes (m/../) and version fields
 * (p/../, cpe:/../) all take their delimiter from the character after the
 * letter, and end at the next occurrence of that character: there is no
 * escape for the delimiter itself, so a file picks one its text does not
 * contain.  Only payloads have escapes decoded here; a regex goes to PCRE2
 * as written (PCRE2 understands \0, \xHH, \r ...), and version fields are
 * templates expanded at match time (probedb_match.c).
 *
 * Every regex is compiled at load time, without UTF so it works on raw
 * bytes, JIT-compiled when the platform allows, and studied for the cheap
 * pre-checks ps_match keeps (minimum length, possible first bytes).  Any
 * error stops the load with "file:line: what, near 'token'". */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probedb_int.h"

#define MAX_LINE (1u << 20)

typedef struct parser {
    ps_probedb *db;
    ps_where at;
    ps_probe *cur; /* probe of the current section */
    ps_err *e;
} parser;

static int fail(parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(parser *ps, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ps_fail(ps->e, PS_EINPUT, "%s:%u: %s", ps_pdb_file(ps->db, ps->at),
                   ps->at.line, msg);
}

static int nomem(parser *ps)
{
    return ps_fail(ps->e, PS_ERUNTIME, "%s:%u: out of memory",
                   ps_pdb_file(ps->db, ps->at), ps->at.line);
}

/* A short printable excerpt of s for error messages. */
static const char *near(const char *s, char *buf, size_t sz)
{
    size_t i = 0;
    for (; s[i] && i + 1 < sz && i < 24; i++)
        buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
    buf[i] = '\0';
    return buf;
}

static char *skip_ws(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    return s;
}

/* Cut the next whitespace-delimited word out of *s. */
static char *next_word(char **s)
{
    char *w = skip_ws(*s), *p = w;
    while (*p && *p != ' ' && *p != '\t') p++;
    if (*p) *p++ = '\0';
    *s = p;
    return w;
}

static int valid_delim(char c)
{
    return isprint((unsigned char)c) && !isalnum((unsigned char)c) && c != ' ' &&
           c != '\\';
}

static int valid_probe_name(const char *s)
{
    if (!*s || strlen(s) > 63) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.') return 0;
    return 1;
}

/* Decimal in [lo, hi]; nothing else on the word. */
static int parse_int(const char *s, long lo, long hi, long *out)
{
    long v = 0;
    if (!*s) return -1;
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p) || p - s > 9) return -1;
        v = v * 10 + (*p - '0');
    }
    if (v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decode the escapes of a payload in place; returns the byte length or -1
 * with *bad pointing at the offending backslash. */
static long unescape(char *s, size_t len, const char **bad)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\\') {
            s[o++] = s[i];
            continue;
        }
        *bad = s + i;
        if (++i == len) return -1;
        switch (s[i]) {
        case '\\': s[o++] = '\\'; break;
        case '0': s[o++] = '\0'; break;
        case 'a': s[o++] = '\a'; break;
        case 'f': s[o++] = '\f'; break;
        case 'n': s[o++] = '\n'; break;
        case 'r': s[o++] = '\r'; break;
        case 't': s[o++] = '\t'; break;
        case 'v': s[o++] = '\v'; break;
        case 'x': {
            int h = i + 2 < len ? hexval(s[i + 1]) : -1;
            int l = h >= 0 ? hexval(s[i + 2]) : -1;
            if (l < 0) return -1;
            s[o++] = (char)(h << 4 | l);
            i += 2;
            break;
        }
        default: return -1;
        }
    }
    return (long)o;
}

/* Cut a delimited string starting at *s (which points at the delimiter).
 * Returns the content (NUL-terminated in place) and its length, and leaves
 * *s after the closing delimiter; NULL if the delimiter is bad or the
 * string is unterminated (*why says which). */
static char *cut_delimited(char **s, size_t *len, const char **why)
{
    char d = **s;
    if (!valid_delim(d)) {
        *why = "bad delimiter";
        return NULL;
    }
    char *start = *s + 1, *end = strchr(start, d);
    if (!end) {
        *why = "unterminated";
        return NULL;
    }
    *end = '\0';
    *len = (size_t)(end - start);
    *s = end + 1;
    return start;
}

static int parse_probe(parser *ps, char *rest)
{
    char nb[32];
    char *proto_s = next_word(&rest), *name = next_word(&rest);
    enum ps_proto proto;
    if (strcmp(proto_s, "TCP") == 0) proto = PS_TCP;
    else if (strcmp(proto_s, "UDP") == 0) proto = PS_UDP;
    else return fail(ps, "Probe protocol must be TCP or UDP, not '%s'", near(proto_s, nb, sizeof nb));
    if (!valid_probe_name(name))
        return fail(ps, "bad probe name '%s'", near(name, nb, sizeof nb));
    rest = skip_ws(rest);
    if (*rest != 'q')
        return fail(ps, "probe string must be q<delim>...<delim>, not '%s'", near(rest, nb, sizeof nb));
    rest++;
    const char *why = NULL, *bad = NULL;
    size_t len;
    char *q = cut_delimited(&rest, &len, &why);
    if (!q) return fail(ps, "%s probe string near 'q%s'", why, near(rest, nb, sizeof nb));
    long n = unescape(q, len, &bad);
    if (n < 0)
        return fail(ps, "bad escape '%s' in probe string",
                    near(bad, nb, bad[1] == 'x' ? 5 : 3));
    int no_payload = 0;
    char *w = next_word(&rest);
    if (strcmp(w, "no-payload") == 0) {
        no_payload = 1;
        w = next_word(&rest);
    }
    if (*w) return fail(ps, "unexpected '%s' after probe string", near(w, nb, sizeof nb));

    int created;
    ps_probe *p = ps_pdb_probe_get_or_add(ps->db, proto, name, ps->at, &created);
    if (!p) return nomem(ps);
    if (!created) {
        if (p->paylen != (size_t)n || (n && memcmp(p->payload, q, (size_t)n) != 0) ||
            p->no_payload != no_payload)
            return fail(ps, "Probe %s %s: payload differs from its definition at %s:%u",
                        proto_s, name, ps_pdb_file(ps->db, p->defined), p->defined.line);
    } else if (n > 0) {
        if (!(p->payload = malloc((size_t)n))) return nomem(ps);
        memcpy(p->payload, q, (size_t)n);
        p->paylen = (size_t)n;
    }
    p->no_payload = no_payload;
    ps->cur = p;
    return PS_OK;
}

/* Store the first byte set of a compiled regex anchored at the start. */
static void study(ps_match *m)
{
    uint32_t opts = 0, type = 0, unit = 0, minlen = 0;
    pcre2_pattern_info(m->re, PCRE2_INFO_MINLENGTH, &minlen);
    m->minlen = minlen;
    pcre2_pattern_info(m->re, PCRE2_INFO_ALLOPTIONS, &opts);
    if (!(opts & PCRE2_ANCHORED)) return;
    pcre2_pattern_info(m->re, PCRE2_INFO_FIRSTCODETYPE, &type);
    if (type == 1) {
        pcre2_pattern_info(m->re, PCRE2_INFO_FIRSTCODEUNIT, &unit);
        /* The unit may be matched caselessly; admitting both ASCII cases
         * keeps the test a superset of what PCRE2 accepts. */
        uint8_t c = (uint8_t)unit;
        uint8_t alt = (uint8_t)(isupper(c) ? tolower(c) : toupper(c));
        m->first[c >> 3] |= (uint8_t)(1u << (c & 7));
        m->first[alt >> 3] |= (uint8_t)(1u << (alt & 7));
        m->has_first = 1;
        return;
    }
    const uint8_t *bits = NULL;
    if (pcre2_pattern_info(m->re, PCRE2_INFO_FIRSTBITMAP, &bits) == 0 && bits) {
        memcpy(m->first, bits, sizeof m->first);
        m->has_first = 1;
    }
}

static int compile_regex(parser *ps, ps_match *m, const char *re, size_t len, int flags)
{
    int code;
    PCRE2_SIZE off;
    uint32_t opts = PCRE2_NEVER_UTF | PCRE2_NEVER_UCP;
    if (flags & 1) opts |= PCRE2_CASELESS;
    if (flags & 2) opts |= PCRE2_DOTALL;
    if (ps->db->lazy) /* compiled on first use (probedb_lazy.c) */
        return ps_pdb_lazy_prepare(ps->db, m, re, len, opts) ? fail(ps, "out of memory") : PS_OK;
    m->re = pcre2_compile((PCRE2_SPTR)re, len, opts, &code, &off, NULL);
    if (!m->re) {
        PCRE2_UCHAR msg[160];
        if (pcre2_get_error_message(code, msg, sizeof msg) < 0)
            snprintf((char *)msg, sizeof msg, "error %d", code);
        return fail(ps, "bad regex for '%s' at offset %zu: %s", m->service, (size_t)off,
                    (const char *)msg);
    }
    (void)pcre2_jit_compile(m->re, PCRE2_JIT_COMPLETE); /* interpreter if it fails */
    uint32_t groups = 0;
    pcre2_pattern_info(m->re, PCRE2_INFO_CAPTURECOUNT, &groups);
    if (groups > ps->db->max_groups) ps->db->max_groups = groups;
    study(m);
    return PS_OK;
}

/* The text stored for a cpe: field, with the "cpe:/" prefix the output
 * shows (the 2.3 formatted-string form keeps its own prefix). */
static char *cpe_template(const char *t)
{
    char *out = NULL;
    if (strncmp(t, "cpe:", 4) == 0) return strdup(t);
    if (asprintf(&out, strncmp(t, "2.3:", 4) == 0 ? "cpe:%s" : "cpe:/%s", t) < 0)
        return NULL;
    return out;
}

/* Fields after the regex: p/../ v/../ i/../ h/../ o/../ d/../ cpe:/../a */
static int parse_fields(parser *ps, ps_match *m, char *s)
{
    static const char *const names[PS_F_COUNT] = {"p", "v", "i", "h", "o", "d"};
    char nb[32];
    for (;;) {
        s = skip_ws(s);
        if (!*s) return PS_OK;
        char *name = s;
        while (isalpha((unsigned char)*s) || *s == ':') s++;
        size_t nl = (size_t)(s - name);
        if (nl == 0) return fail(ps, "expected a version field at '%s'", near(name, nb, sizeof nb));
        char tag[8] = "";
        if (nl < sizeof tag) memcpy(tag, name, nl), tag[nl] = '\0';
        int which = -1, cpe = strcmp(tag, "cpe:") == 0;
        for (int i = 0; i < PS_F_COUNT; i++)
            if (strcmp(tag, names[i]) == 0) which = i;
        if (which < 0 && !cpe)
            return fail(ps, "unknown version field '%s'", near(name, nb, nl + 1 < sizeof nb ? nl + 1 : sizeof nb));
        const char *why = NULL;
        size_t len;
        char *t = cut_delimited(&s, &len, &why);
        if (!t) return fail(ps, "%s version field '%s'", why, tag);
        for (; isalpha((unsigned char)*s); s++)
            if (!cpe || *s != 'a')
                return fail(ps, "bad flag '%c' after version field '%s'", *s, tag);
        if (*s && *s != ' ' && *s != '\t')
            return fail(ps, "expected a space after version field '%s', got '%s'", tag, near(s, nb, sizeof nb));
        ps_err te;
        if (ps_pdb_expand(t, NULL, 0, NULL, 0, cpe, NULL, 0, &te) != PS_OK)
            return fail(ps, "%s in version field '%s'", te.msg, tag);
        if (cpe) {
            if (m->ncpe == PS_PDB_MAX_CPE)
                return fail(ps, "more than %d cpe: fields", PS_PDB_MAX_CPE);
            if (!(m->cpe[m->ncpe] = cpe_template(t))) return nomem(ps);
            m->ncpe++;
        } else {
            /* A field given twice: the later one wins, as in nmap. */
            free(m->field[which]);
            if (!(m->field[which] = strdup(t))) return nomem(ps);
        }
    }
}

static int parse_match(parser *ps, char *rest, int soft)
{
    char nb[32];
    const char *kw = soft ? "softmatch" : "match";
    if (!ps->cur) return fail(ps, "%s before any Probe", kw);
    char *service = next_word(&rest);
    if (!*service) return fail(ps, "%s without a service name", kw);
    if (strlen(service) >= sizeof((ps_service_info *)0)->service)
        return fail(ps, "service name '%s' too long", near(service, nb, sizeof nb));
    for (const char *c = service; *c; c++)
        if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e)
            return fail(ps, "service name '%s' is not printable ASCII", near(service, nb, sizeof nb));
    rest = skip_ws(rest);
    if (*rest != 'm')
        return fail(ps, "%s %s: expected m<delim>regex<delim>, got '%s'", kw, service,
                    near(rest, nb, sizeof nb));
    rest++;
    const char *why = NULL;
    size_t relen;
    char *re = cut_delimited(&rest, &relen, &why);
    if (!re) return fail(ps, "%s regex for '%s'", why, service);
    int flags = 0;
    for (; isalpha((unsigned char)*rest); rest++) {
        if (*rest == 'i') flags |= 1;
        else if (*rest == 's') flags |= 2;
        else return fail(ps, "bad regex flag '%c' for '%s'", *rest, service);
    }
    if (*rest && *rest != ' ' && *rest != '\t')
        return fail(ps, "expected a space after the regex for '%s', got '%s'", service,
                    near(rest, nb, sizeof nb));

    ps_probe *p = ps->cur;
    if (p->nmatches == p->capmatches) {
        size_t cap = p->capmatches ? p->capmatches * 2 : 16;
        ps_match *nm = realloc(p->matches, cap * sizeof *nm);
        if (!nm) return nomem(ps);
        p->matches = nm;
        p->capmatches = cap;
    }
    ps_match *m = &p->matches[p->nmatches];
    memset(m, 0, sizeof *m);
    m->soft = soft;
    m->where = ps->at;
    int rc = (m->service = strdup(service)) ? PS_OK : nomem(ps);
    if (rc == PS_OK) rc = parse_fields(ps, m, rest);
    if (rc == PS_OK) rc = compile_regex(ps, m, re, relen, flags);
    if (rc != PS_OK) {
        ps_pdb_match_free(m);
        return rc;
    }
    p->nmatches++;
    ps->db->nmatches++;
    return PS_OK;
}

/* "21,43,110-113" into set; with spec_proto, nmap's -p prefixes T: and U:
 * switch the protocol for what follows (exclude[] then gets both sets). */
static int parse_ports(parser *ps, const char *what, char *s, ps_rangeset *set,
                       ps_rangeset *bytcp, ps_rangeset *byudp)
{
    char nb[32];
    int mode = 2; /* 0 TCP, 1 UDP, 2 both */
    if (!*skip_ws(s)) return fail(ps, "%s without ports", what);
    while (*s) {
        char *item = s, *comma = strchr(s, ',');
        if (comma) *comma = '\0';
        s = comma ? comma + 1 : s + strlen(s);
        item = skip_ws(item);
        char *end = item + strlen(item);
        while (end > item && (end[-1] == ' ' || end[-1] == '\t')) *--end = '\0';
        if (bytcp && (item[0] == 'T' || item[0] == 'U') && item[1] == ':') {
            mode = item[0] == 'T' ? 0 : 1;
            item = skip_ws(item + 2);
            if (!*item) continue; /* "T:" alone just switches */
        }
        char *dash = strchr(item, '-');
        long lo, hi;
        if (dash) *dash = '\0';
        if (parse_int(item, 0, 65535, &lo) ||
            (dash ? parse_int(dash + 1, 0, 65535, &hi) : (hi = lo, 0)) || hi < lo) {
            if (dash) *dash = '-';
            return fail(ps, "bad port '%s' in %s", near(item, nb, sizeof nb), what);
        }
        int err = 0;
        if (set) err |= ps_pdb_rangeset_add(set, (unsigned)lo, (unsigned)hi);
        if (bytcp && mode != 1) err |= ps_pdb_rangeset_add(bytcp, (unsigned)lo, (unsigned)hi);
        if (byudp && mode != 0) err |= ps_pdb_rangeset_add(byudp, (unsigned)lo, (unsigned)hi);
        if (err) return nomem(ps);
    }
    return PS_OK;
}

static int parse_setting(parser *ps, const char *what, char *s, long lo, long hi,
                         ps_setting *st)
{
    char nb[32];
    if (!ps->cur) return fail(ps, "%s before any Probe", what);
    char *w = next_word(&s);
    long v;
    if (parse_int(w, lo, hi, &v))
        return fail(ps, "bad %s '%s' (want %ld-%ld)", what, near(w, nb, sizeof nb), lo, hi);
    if (*next_word(&s)) return fail(ps, "%s takes one number", what);
    if (st->set && st->value != (int)v)
        return fail(ps, "%s %ld for probe %s conflicts with %s %d at %s:%u", what, v,
                    ps->cur->name, what, st->value, ps_pdb_file(ps->db, st->where),
                    st->where.line);
    if (!st->set) {
        st->value = (int)v;
        st->set = 1;
        st->where = ps->at;
    }
    return PS_OK;
}

static int parse_fallback(parser *ps, char *s)
{
    char nb[32];
    ps_probe *p = ps->cur;
    if (!p) return fail(ps, "fallback before any Probe");
    if (!*skip_ws(s)) return fail(ps, "fallback without probe names");
    for (char *save = NULL, *tok = strtok_r(s, ", \t", &save); tok;
         tok = strtok_r(NULL, ", \t", &save)) {
        if (!valid_probe_name(tok))
            return fail(ps, "bad probe name '%s' in fallback", near(tok, nb, sizeof nb));
        int dup = strcmp(tok, p->name) == 0;
        for (int i = 0; i < p->nfallback && !dup; i++) dup = strcmp(p->fallback[i], tok) == 0;
        if (dup) continue;
        if (p->nfallback == PS_PDB_MAX_FALLBACKS)
            return fail(ps, "more than %d fallbacks for probe %s", PS_PDB_MAX_FALLBACKS, p->name);
        if (!(p->fallback[p->nfallback] = strdup(tok))) return nomem(ps);
        p->fallback_where[p->nfallback++] = ps->at;
    }
    return PS_OK;
}

static int parse_line(parser *ps, char *line)
{
    char nb[32];
    char *rest = line;
    char *kw = next_word(&rest);
    rest = skip_ws(rest);
    if (strcmp(kw, "Probe") == 0) return parse_probe(ps, rest);
    if (strcmp(kw, "match") == 0) return parse_match(ps, rest, 0);
    if (strcmp(kw, "softmatch") == 0) return parse_match(ps, rest, 1);
    if (strcmp(kw, "rarity") == 0)
        return parse_setting(ps, kw, rest, 1, 9, ps->cur ? &ps->cur->rarity : NULL);
    if (strcmp(kw, "totalwaitms") == 0)
        return parse_setting(ps, kw, rest, 1, 300000, ps->cur ? &ps->cur->totalwaitms : NULL);
    if (strcmp(kw, "tcpwrappedms") == 0)
        return parse_setting(ps, kw, rest, 1, 300000, ps->cur ? &ps->cur->tcpwrappedms : NULL);
    if (strcmp(kw, "fallback") == 0) return parse_fallback(ps, rest);
    if (strcmp(kw, "ports") == 0 || strcmp(kw, "sslports") == 0) {
        if (!ps->cur) return fail(ps, "%s before any Probe", kw);
        return parse_ports(ps, kw, rest, kw[0] == 's' ? &ps->cur->sslports : &ps->cur->ports,
                           NULL, NULL);
    }
    if (strcmp(kw, "Exclude") == 0)
        return parse_ports(ps, kw, rest, NULL, &ps->db->exclude[PS_TCP],
                           &ps->db->exclude[PS_UDP]);
    return fail(ps, "unknown directive '%s'", near(kw, nb, sizeof nb));
}

int ps_pdb_parse(ps_probedb *db, unsigned fileno, const char *buf, size_t len, ps_err *e)
{
    parser ps = {.db = db, .at = {fileno, 0}, .cur = NULL, .e = e};
    char *line = NULL;
    size_t cap = 0;
    int rc = PS_OK;
    for (size_t pos = 0; pos < len && rc == PS_OK;) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
        ps.at.line++;
        if (n >= MAX_LINE) {
            rc = fail(&ps, "line longer than %u bytes", MAX_LINE);
            break;
        }
        if (n + 1 > cap) {
            char *nbuf = realloc(line, n + 1);
            if (!nbuf) {
                rc = nomem(&ps);
                break;
            }
            line = nbuf;
            cap = n + 1;
        }
        memcpy(line, buf + pos, n);
        line[n] = '\0';
        pos += n + 1;
        if (memchr(line, '\0', n)) {
            rc = fail(&ps, "NUL byte in line");
            break;
        }
        while (n > 0 && isspace((unsigned char)line[n - 1])) line[--n] = '\0';
        char *s = skip_ws(line);
        if (*s == '\0' || *s == '#') continue;
        rc = parse_line(&ps, s);
    }
    free(line);
    return rc;
}
