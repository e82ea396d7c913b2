/* test_probe_cases.c: pscan's probe database, tested by data.
 *
 * Loads probes/ (every *.probes file, as the scanner does), then runs each
 * case of tests/probes/ (the .case files): "this probe got these bytes back, so the
 * database must name this service / product / version".  One TAP line per
 * case, named file:line of the case.  The case format is described in
 * tests/probes/README.md.
 *
 * Afterwards it checks coverage: every match and softmatch line of every
 * .probes file of probes/ must be exercised by some case.  The matcher does
 * not say which line fired, so coverage is measured from the outside: each
 * line is loaded alone into a one-probe database (its Probe line plus that
 * one match) and counts as covered when some case of that probe, which the
 * full database matched, is also matched by the line alone with the same
 * service, product and version.  A line that no case reaches is a failure:
 * a regex nobody has fed real bytes to is a regex nobody knows to work.
 *
 * Finally a lint: every probe but NULL must say its rarity and ports. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pscan/probedb.h"
#include "pscan/recog.h"

#define PROBES_DIR "probes"
#define CASES_DIR "tests/probes"
#define MAX_REPLY 65536

/* The fields a case may check; a field not given is not checked. */
enum field { F_SERVICE, F_PRODUCT, F_VERSION, F_INFO, F_HOSTNAME, F_OSTYPE,
             F_DEVICETYPE, F_CPE, F_NFIELDS };
static const char *const field_names[F_NFIELDS] = {
    "service", "product", "version", "info", "hostname", "ostype",
    "devicetype", "cpe"};

struct test_case {
    char where[640];   /* file:line of the case's first line */
    char probe[64];
    enum ps_proto proto;
    long port;         /* -1 when not given */
    uint8_t *reply;
    size_t reply_len;
    char *want[F_NFIELDS]; /* NULL: not checked; "" (from "-"): must be empty */
    char *not_service;
    char *only;        /* only_service argument, NULL normally */
    int soft;          /* -1: not checked */
    /* filled by running it */
    int result;
    ps_service_info got;
};

struct case_list {
    struct test_case *v;
    size_t n, cap;
};

/* ---------------------------------------------------------------- helpers */

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        perror("strdup");
        abort();
    }
    return d;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the files in dir ending in suffix; returns the count. */
static size_t list_dir(const char *dir, const char *suffix, char ***out)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t n = 0, slen = strlen(suffix);
    struct dirent *de;

    *out = NULL;
    if (!d)
        return 0;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len <= slen || strcmp(de->d_name + len - slen, suffix) != 0)
            continue;
        char **nv = realloc(names, (n + 1) * sizeof *names);
        if (!nv)
            abort();
        names = nv;
        names[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    *out = names;
    return n;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' ||
                   s[len - 1] == '\n'))
        s[--len] = '\0';
    return s;
}

/* A comment starts at a '#' preceded by blank space (or at the start). */
static void strip_comment(char *s)
{
    for (char *p = s; *p; p++)
        if (*p == '#' && (p == s || p[-1] == ' ' || p[-1] == '\t')) {
            *p = '\0';
            return;
        }
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Append the C-style escaped text s to the case's reply.  Returns 0, or -1
 * with why filled on a bad escape. */
static int append_reply(struct test_case *tc, const char *s, char *why, size_t whylen)
{
    if (!tc->reply) {
        tc->reply = malloc(MAX_REPLY);
        if (!tc->reply)
            abort();
    }
    for (const char *p = s; *p; p++) {
        int c = (unsigned char)*p;
        if (c == '\\') {
            p++;
            switch (*p) {
            case 'r': c = '\r'; break;
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case '0': c = '\0'; break;
            case '\\': c = '\\'; break;
            case 'x': {
                int hi = p[1] ? hexval(p[1]) : -1;
                int lo = hi >= 0 && p[2] ? hexval(p[2]) : -1;
                if (hi < 0 || lo < 0) {
                    snprintf(why, whylen, "bad \\x escape in '%s'", s);
                    return -1;
                }
                c = hi * 16 + lo;
                p += 2;
                break;
            }
            default:
                snprintf(why, whylen, "unknown escape '\\%c' in '%s'", *p ? *p : '0', s);
                return -1;
            }
        }
        if (tc->reply_len >= MAX_REPLY) {
            snprintf(why, whylen, "reply longer than %d bytes", MAX_REPLY);
            return -1;
        }
        tc->reply[tc->reply_len++] = (uint8_t)c;
    }
    return 0;
}

static void free_case(struct test_case *tc)
{
    free(tc->reply);
    for (int f = 0; f < F_NFIELDS; f++)
        free(tc->want[f]);
    free(tc->not_service);
    free(tc->only);
}

/* ---------------------------------------------------------- case parsing */

static void start_case(struct test_case *tc, const char *file, int line)
{
    memset(tc, 0, sizeof *tc);
    snprintf(tc->where, sizeof tc->where, "%s:%d", file, line);
    tc->proto = PS_TCP;
    tc->port = -1;
    tc->soft = -1;
}

/* One "key: value" line into tc.  Returns 0 or -1 with why. */
static int case_line(struct test_case *tc, char *key, char *val, char *why, size_t whylen)
{
    if (strcmp(key, "reply") == 0)
        return append_reply(tc, val, why, whylen);
    if (strcmp(key, "probe") == 0) {
        snprintf(tc->probe, sizeof tc->probe, "%s", val);
        return 0;
    }
    if (strcmp(key, "proto") == 0) {
        if (strcasecmp(val, "tcp") == 0)
            tc->proto = PS_TCP;
        else if (strcasecmp(val, "udp") == 0)
            tc->proto = PS_UDP;
        else {
            snprintf(why, whylen, "proto must be tcp or udp, not '%s'", val);
            return -1;
        }
        return 0;
    }
    if (strcmp(key, "port") == 0) {
        char *end;
        errno = 0;
        tc->port = strtol(val, &end, 10);
        if (errno || *end || tc->port < 1 || tc->port > 65535) {
            snprintf(why, whylen, "bad port '%s'", val);
            return -1;
        }
        return 0;
    }
    if (strcmp(key, "soft") == 0) {
        if (strcmp(val, "0") != 0 && strcmp(val, "1") != 0) {
            snprintf(why, whylen, "soft must be 0 or 1, not '%s'", val);
            return -1;
        }
        tc->soft = val[0] - '0';
        return 0;
    }
    if (strcmp(key, "not-service") == 0) {
        free(tc->not_service);
        tc->not_service = xstrdup(val);
        return 0;
    }
    if (strcmp(key, "only") == 0) {
        free(tc->only);
        tc->only = xstrdup(val);
        return 0;
    }
    for (int f = 0; f < F_NFIELDS; f++)
        if (strcmp(key, field_names[f]) == 0) {
            free(tc->want[f]);
            tc->want[f] = xstrdup(strcmp(val, "-") == 0 ? "" : val);
            return 0;
        }
    snprintf(why, whylen, "unknown key '%s'", key);
    return -1;
}

static void push_case(struct case_list *cl, struct test_case *tc)
{
    if (cl->n == cl->cap) {
        size_t cap = cl->cap ? cl->cap * 2 : 64;
        struct test_case *nv = realloc(cl->v, cap * sizeof *nv);
        if (!nv)
            abort();
        cl->v = nv;
        cl->cap = cap;
    }
    cl->v[cl->n++] = *tc;
}

/* Read one .case file into cl.  Syntax errors print a "not ok" line each
 * and return the number of them. */
static int load_case_file(const char *path, struct case_list *cl)
{
    FILE *f = fopen(path, "r");
    char buf[8192], why[512];
    int lineno = 0, errors = 0, open_case = 0;
    struct test_case tc;

    if (!f) {
        printf("not ok - %s: cannot open: %s\n", path, strerror(errno));
        return 1;
    }
    while (fgets(buf, sizeof buf, f)) {
        lineno++;
        char *s = trim(buf);
        if (strcmp(s, "---") == 0) {
            if (open_case)
                push_case(cl, &tc);
            open_case = 0;
            continue;
        }
        strip_comment(s);
        s = trim(s);
        if (*s == '\0')
            continue;
        char *colon = strchr(s, ':');
        if (!colon) {
            printf("not ok - %s:%d: expected 'key: value', got '%s'\n", path, lineno, s);
            errors++;
            continue;
        }
        *colon = '\0';
        char *key = trim(s), *val = trim(colon + 1);
        if (!open_case) {
            start_case(&tc, path, lineno);
            open_case = 1;
        }
        if (case_line(&tc, key, val, why, sizeof why) != 0) {
            printf("not ok - %s:%d: %s\n", path, lineno, why);
            errors++;
        }
    }
    if (open_case)
        push_case(cl, &tc);
    fclose(f);
    return errors;
}

/* ---------------------------------------------------------- running cases */

static const char *field_of(const ps_service_info *si, enum field f)
{
    switch (f) {
    case F_SERVICE: return si->service;
    case F_PRODUCT: return si->product;
    case F_VERSION: return si->version;
    case F_INFO: return si->info;
    case F_HOSTNAME: return si->hostname;
    case F_OSTYPE: return si->ostype;
    case F_DEVICETYPE: return si->devicetype;
    case F_CPE: return si->ncpe > 0 ? si->cpe[0] : "";
    default: return "";
    }
}

static int has_cpe(const ps_service_info *si, const char *want)
{
    if (*want == '\0')
        return si->ncpe == 0;
    for (int i = 0; i < si->ncpe && i < 4; i++)
        if (strcmp(si->cpe[i], want) == 0)
            return 1;
    return 0;
}

/* Run one case; print its TAP line.  Returns 1 if it passed. */
/* "probe: @recog" cases test the structural recognisers (recog.h) alone:
 * any reply, no probe database. */
#define RECOG "@recog"

static int run_case(const ps_probedb *db, struct test_case *tc)
{
    int recog = strcmp(tc->probe, RECOG) == 0;
    const ps_probe *p = tc->probe[0] && !recog ? ps_probedb_find(db, tc->proto, tc->probe) : NULL;
    char why[1024] = "";
    size_t wl = 0;

#define WHY(...)                                                              \
    do {                                                                      \
        if (wl < sizeof why)                                                  \
            wl += (size_t)snprintf(why + wl, sizeof why - wl, __VA_ARGS__);   \
    } while (0)

    memset(&tc->got, 0, sizeof tc->got);
    tc->result = -1;
    if (!tc->probe[0])
        WHY(" no 'probe:' given;");
    else if (!p && !recog)
        WHY(" no probe %s %s in %s/;", tc->proto == PS_UDP ? "UDP" : "TCP", tc->probe,
            PROBES_DIR);
    else if (!tc->reply_len)
        WHY(" no 'reply:' given;");
    else {
        if (!recog && tc->port > 0 && strcmp(tc->probe, "NULL") != 0 &&
            !ps_probe_on_port(p, (uint16_t)tc->port) &&
            !ps_probe_on_sslport(p, (uint16_t)tc->port))
            WHY(" probe %s is not sent to port %ld (ports/sslports);", tc->probe, tc->port);
        if (recog)
            tc->result = ps_recog(tc->reply, tc->reply_len, tc->proto, &tc->got) > 0 ? 2 : 0;
        else
            tc->result = ps_probe_match(db, p, tc->reply, tc->reply_len, tc->only, &tc->got);
        for (int f = 0; f < F_NFIELDS; f++) {
            if (!tc->want[f])
                continue;
            if (f == F_SERVICE && tc->want[f][0] == '\0') {
                if (tc->result != 0)
                    WHY(" want no match, got %s service '%s' product '%s';",
                        tc->result == 1 ? "soft" : "hard", tc->got.service,
                        tc->got.product);
                continue;
            }
            if (f == F_CPE ? !has_cpe(&tc->got, tc->want[f])
                           : strcmp(field_of(&tc->got, (enum field)f), tc->want[f]) != 0)
                WHY(" %s: want '%s', got '%s';", field_names[f], tc->want[f],
                    field_of(&tc->got, (enum field)f));
        }
        if (tc->soft >= 0 && tc->result > 0 && (tc->result == 1) != tc->soft)
            WHY(" want %s match, got %s;", tc->soft ? "a soft" : "a hard",
                tc->result == 1 ? "soft" : "hard");
        if (tc->soft >= 0 && tc->result == 0)
            WHY(" want a %s match, got none;", tc->soft ? "soft" : "hard");
        if (tc->not_service && tc->result > 0 && strcmp(tc->got.service, tc->not_service) == 0)
            WHY(" must not be named '%s';", tc->not_service);
    }
#undef WHY
    if (why[0]) {
        printf("not ok - %s (%s)\n#  %s\n", tc->where, tc->probe, why);
        return 0;
    }
    printf("ok - %s %s -> %s%s%s%s%s\n", tc->where, tc->probe,
           tc->result > 0 ? tc->got.service : "(no match)",
           tc->got.product[0] ? " / " : "", tc->got.product,
           tc->got.version[0] ? " " : "", tc->got.version);
    return 1;
}

/* ------------------------------------------------------------- coverage */

struct match_line {
    char where[640];
    char *probe_line; /* "Probe TCP NAME q|...|" */
    char *line;       /* "match ..." or "softmatch ..." */
    char name[64];
    enum ps_proto proto;
};

struct match_list {
    struct match_line *v;
    size_t n, cap;
};

/* Read every .probes file of probes/ as text: remember each match line with
 * the Probe line above it.  Also lint: a probe other than NULL must name
 * its rarity and ports; print one TAP line per file for that. */
static void scan_probe_files(struct match_list *ml)
{
    char **names;
    size_t nn = list_dir(PROBES_DIR, ".probes", &names);

    for (size_t i = 0; i < nn; i++) {
        char path[512], buf[16384], probe_line[16384] = "", pname[64] = "";
        char lint[1024] = "";
        enum ps_proto proto = PS_TCP;
        int lineno = 0, has_rarity = 1, has_ports = 1, probe_at = 0;
        snprintf(path, sizeof path, "%s/%s", PROBES_DIR, names[i]);
        FILE *f = fopen(path, "r");
        if (!f) {
            printf("not ok - lint %s: cannot open\n", path);
            continue;
        }
        for (;;) {
            int eof = !fgets(buf, sizeof buf, f);
            char *s = eof ? buf : trim(buf);
            lineno++;
            if (eof || strncmp(s, "Probe ", 6) == 0) {
                if (probe_at && strcmp(pname, "NULL") != 0 && (!has_rarity || !has_ports)) {
                    size_t l = strlen(lint);
                    snprintf(lint + l, sizeof lint - l, " probe %s (line %d) lacks%s%s;",
                             pname, probe_at, has_rarity ? "" : " rarity",
                             has_ports ? "" : " ports");
                }
                if (eof)
                    break;
                snprintf(probe_line, sizeof probe_line, "%s", s);
                char tmp[8];
                pname[0] = '\0';
                if (sscanf(s, "Probe %7s %63s", tmp, pname) == 2)
                    proto = strcasecmp(tmp, "UDP") == 0 ? PS_UDP : PS_TCP;
                probe_at = lineno;
                has_rarity = has_ports = 0;
            } else if (strncmp(s, "rarity ", 7) == 0)
                has_rarity = 1;
            else if (strncmp(s, "ports ", 6) == 0 || strncmp(s, "sslports ", 9) == 0)
                has_ports = 1;
            else if (strncmp(s, "match ", 6) == 0 || strncmp(s, "softmatch ", 10) == 0) {
                if (ml->n == ml->cap) {
                    size_t cap = ml->cap ? ml->cap * 2 : 256;
                    struct match_line *nv = realloc(ml->v, cap * sizeof *nv);
                    if (!nv)
                        abort();
                    ml->v = nv;
                    ml->cap = cap;
                }
                struct match_line *m = &ml->v[ml->n++];
                snprintf(m->where, sizeof m->where, "%s:%d", path, lineno);
                m->probe_line = xstrdup(probe_line);
                m->line = xstrdup(s);
                snprintf(m->name, sizeof m->name, "%s", pname);
                m->proto = proto;
            }
        }
        fclose(f);
        if (lint[0])
            printf("not ok - lint %s:%s\n", path, lint);
        else
            printf("ok - lint %s\n", path);
    }
    free_names(names, nn);
}

/* Is this line, alone in a one-probe database, what matched some case? */
static int line_covered(const struct match_line *m, const struct case_list *cl, char *why,
                        size_t whylen)
{
    size_t blen = strlen(m->probe_line) + strlen(m->line) + 3;
    char *buf = malloc(blen);
    ps_err e = {{0}};
    int covered = 0;

    if (!buf)
        abort();
    snprintf(buf, blen, "%s\n%s\n", m->probe_line, m->line);
    ps_probedb *one = ps_probedb_new();
    if (!one || ps_probedb_load_buf(one, m->where, buf, strlen(buf), &e) != PS_OK) {
        snprintf(why, whylen, "does not load alone: %s", e.msg);
        ps_probedb_free(one);
        free(buf);
        return 0;
    }
    const ps_probe *p = ps_probedb_find(one, m->proto, m->name);
    for (size_t i = 0; p && i < cl->n && !covered; i++) {
        const struct test_case *tc = &cl->v[i];
        ps_service_info si;
        if (tc->result <= 0 || tc->proto != m->proto || strcmp(tc->probe, m->name) != 0)
            continue;
        memset(&si, 0, sizeof si);
        if (ps_probe_match(one, p, tc->reply, tc->reply_len, tc->only, &si) > 0 &&
            strcmp(si.service, tc->got.service) == 0 &&
            strcmp(si.product, tc->got.product) == 0 &&
            strcmp(si.version, tc->got.version) == 0)
            covered = 1;
    }
    if (!covered)
        snprintf(why, whylen, "no case of probe %s reaches it", m->name);
    ps_probedb_free(one);
    free(buf);
    return covered;
}

/* ------------------------------------------------------------------ main */

int main(void)
{
    ps_err e = {{0}};
    ps_probedb *db = ps_probedb_new();
    struct case_list cl = {0};
    struct match_list ml = {0};
    char **names;
    int failed = 0;

    if (!db || ps_probedb_load_dir(db, PROBES_DIR, &e) != PS_OK) {
        printf("not ok - load %s/: %s\n", PROBES_DIR, e.msg);
        ps_probedb_free(db);
        return 1;
    }
    printf("ok - load %s/: %zu probes, %zu match lines\n", PROBES_DIR, ps_probedb_count(db),
           ps_probedb_nmatches(db));

    size_t nn = list_dir(CASES_DIR, ".case", &names);
    if (nn == 0) {
        printf("not ok - no %s/*.case files\n", CASES_DIR);
        failed++;
    }
    for (size_t i = 0; i < nn; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", CASES_DIR, names[i]);
        failed += load_case_file(path, &cl);
    }
    free_names(names, nn);

    for (size_t i = 0; i < cl.n; i++)
        failed += !run_case(db, &cl.v[i]);

    scan_probe_files(&ml);
    size_t ncovered = 0;
    for (size_t i = 0; i < ml.n; i++) {
        char why[1024];
        if (line_covered(&ml.v[i], &cl, why, sizeof why))
            ncovered++;
        else {
            printf("not ok - coverage %s: %s\n#  %s\n", ml.v[i].where, why, ml.v[i].line);
            failed++;
        }
    }
    printf("ok - coverage: %zu of %zu match lines exercised by %zu cases\n", ncovered, ml.n,
           cl.n);

    for (size_t i = 0; i < ml.n; i++) {
        free(ml.v[i].probe_line);
        free(ml.v[i].line);
    }
    free(ml.v);
    for (size_t i = 0; i < cl.n; i++)
        free_case(&cl.v[i]);
    free(cl.v);
    ps_probedb_free(db);
    return failed ? 1 : 0;
}
