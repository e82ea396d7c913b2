/* probedb_lazy.c: regexes compiled the first time a reply reaches them.
 *
 * nmap's nmap-service-probes holds about 12,000 match lines; compiling
 * them all (and JIT-compiling them) costs a quarter of a second or more
 * before the first probe leaves, while a scan tries few of them: a reply
 * meets only the lines of its probe's chain whose first byte it can start
 * with.  So a file with more than PS_PDB_LAZY_LINES match lines keeps each
 * regex's text, and the first-byte filter the index needs is read from the
 * text itself (an anchored literal, escape or simple class after '^'; no
 * filter when in doubt, never a wrong one).  ps_pdb_regex compiles a line
 * the first time it is tried, under the database's lock, and publishes the
 * code with an atomic store, so matching stays safe from several threads.
 * A line that turns out not to compile is skipped and counted (pscan -d
 * says so), rather than failing a load that has long finished. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probedb_int.h"

static void add_byte(uint8_t first[32], unsigned c, int caseless)
{
    first[c >> 3] |= (uint8_t)(1u << (c & 7));
    if (caseless && isalpha((int)c)) {
        unsigned a = (unsigned)(isupper((int)c) ? tolower((int)c) : toupper((int)c));
        first[a >> 3] |= (uint8_t)(1u << (a & 7));
    }
}

static int hexv(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* One literal byte written at s[*i] (a plain byte, \xHH, \0, \r ...);
 * -1 when it is not a single known byte (\d, \w, a metacharacter). */
static int literal(const char *s, size_t n, size_t *i)
{
    static const char plain_meta[] = ".[()*+?{|^$\\";
    if (*i >= n) return -1;
    char c = s[(*i)++];
    if (c != '\\') return strchr(plain_meta, c) ? -1 : (unsigned char)c;
    if (*i >= n) return -1;
    char e = s[(*i)++];
    switch (e) {
    case 'r': return '\r';
    case 'n': return '\n';
    case 't': return '\t';
    case 'f': return '\f';
    case 'a': return '\a';
    case 'e': return 0x1b;
    case '0': return 0;
    case 'x': {
        if (*i + 2 > n || hexv(s[*i]) < 0 || hexv(s[*i + 1]) < 0) return -1;
        int v = hexv(s[*i]) * 16 + hexv(s[*i + 1]);
        *i += 2;
        return v;
    }
    default: return isalnum((unsigned char)e) ? -1 : (unsigned char)e;
    }
}

/* A '[...]' class of literals and ranges at s[*i] (just past the '['). */
static int class_bytes(const char *s, size_t n, size_t *i, uint8_t first[32], int caseless)
{
    if (*i < n && s[*i] == '^') return -1;
    for (int k = 0; *i < n && k < 256; k++) {
        if (s[*i] == ']' && k > 0) {
            (*i)++;
            return 0;
        }
        if (s[*i] == '[') return -1; /* [:alpha:] and friends */
        int lo = s[*i] == ']' ? (unsigned char)s[(*i)++] : literal(s, n, i);
        if (lo < 0) return -1;
        int hi = lo;
        if (*i + 1 < n && s[*i] == '-' && s[*i + 1] != ']') {
            (*i)++;
            if ((hi = literal(s, n, i)) < lo) return -1;
        }
        for (int c = lo; c <= hi; c++) add_byte(first, (unsigned)c, caseless);
    }
    return -1;
}

/* Does s have a '|' outside groups and classes (then '^' binds only the
 * first alternative)?  Also bounds the capture groups: every '('. */
static int top_level_bar(const char *s, size_t n, uint32_t *groups)
{
    int depth = 0, in_class = 0, bar = 0;
    *groups = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\') {
            i++;
            continue;
        }
        if (in_class) {
            in_class = s[i] != ']';
            continue;
        }
        if (s[i] == '[') in_class = 1;
        else if (s[i] == '(') depth++, (*groups)++;
        else if (s[i] == ')' && depth) depth--;
        else if (s[i] == '|' && depth == 0) bar = 1;
    }
    return bar;
}

/* The first-byte filter of an anchored regex, from its text. */
static int first_from_text(const char *s, size_t n, int caseless, uint8_t first[32])
{
    size_t i = 1;
    if (n < 2 || s[0] != '^') return 0;
    memset(first, 0, 32);
    if (s[1] == '[') {
        i = 2;
        if (class_bytes(s, n, &i, first, caseless)) return 0;
    } else {
        int c = literal(s, n, &i);
        if (c < 0) return 0;
        add_byte(first, (unsigned)c, caseless);
    }
    /* A quantifier that allows zero makes the byte optional. */
    if (i < n && (s[i] == '?' || s[i] == '*' || (s[i] == '{' && i + 1 < n && s[i + 1] == '0'))) return 0;
    return 1;
}

int ps_pdb_lazy_prepare(ps_probedb *db, ps_match *m, const char *re, size_t len, uint32_t opts)
{
    m->src = malloc(len + 1);
    if (!m->src) return -1;
    memcpy(m->src, re, len);
    m->src[len] = 0;
    m->srclen = len;
    m->opts = opts;
    uint32_t groups;
    int bar = top_level_bar(re, len, &groups);
    if (groups > db->max_groups) db->max_groups = groups;
    m->has_first = !bar && first_from_text(re, len, (opts & PCRE2_CASELESS) != 0, m->first);
    db->nlazy++;
    return 0;
}

const pcre2_code *ps_pdb_regex(const ps_probedb *cdb, const ps_match *cm)
{
    const pcre2_code *re = __atomic_load_n(&cm->re, __ATOMIC_ACQUIRE);
    if (re || !cm->src || __atomic_load_n(&cm->bad, __ATOMIC_RELAXED)) return re;
    /* Compiling sets fields of a database that is otherwise read-only. */
    ps_probedb *db = (ps_probedb *)(uintptr_t)cdb;
    ps_match *m = (ps_match *)(uintptr_t)cm;
    pthread_mutex_lock(&db->lazy_lock);
    if (!m->re && !m->bad) {
        int code;
        PCRE2_SIZE off;
        pcre2_code *c = pcre2_compile((PCRE2_SPTR)m->src, m->srclen, m->opts, &code, &off, NULL);
        uint32_t groups = 0;
        if (c) pcre2_pattern_info(c, PCRE2_INFO_CAPTURECOUNT, &groups);
        if (!c || groups > db->max_groups) { /* the bound from the text was wrong: never */
            pcre2_code_free(c);
            __atomic_store_n(&m->bad, 1, __ATOMIC_RELAXED);
            db->nlazy_bad++;
        } else {
            (void)pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);
            __atomic_store_n(&m->re, c, __ATOMIC_RELEASE);
            db->nlazy_done++;
        }
    }
    re = m->re;
    pthread_mutex_unlock(&db->lazy_lock);
    return re;
}
