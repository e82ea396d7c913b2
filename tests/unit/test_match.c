/* test_match.c: matching replies -- template expansion, escaping and
 * truncation, fallback order, softmatches and only_service, the PCRE2
 * limits, several threads on one database, and (when nmap is installed)
 * real banners against nmap's database, a comparison of the indexed
 * matcher with a plain walk over every regex, and a short benchmark. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "probedb/probedb_int.h" /* for the brute-force comparison */
#include "pscan/probedb.h"
#include "unit.h"

#define NMAP_PROBES "/usr/share/nmap/nmap-service-probes"

static ps_probedb *db_from(const char *text)
{
    ps_probedb *db = ps_probedb_new();
    ps_err e;
    if (ps_probedb_load_buf(db, "t", text, strlen(text), &e) != PS_OK) {
        printf("# load failed: %s\n", e.msg);
        ps_probedb_free(db);
        return NULL;
    }
    return db;
}

static int match_n(const ps_probedb *db, const char *probe, const void *reply, size_t len,
                   const char *only, ps_service_info *si)
{
    const ps_probe *p = ps_probedb_find(db, PS_TCP, probe);
    if (!p) p = ps_probedb_find(db, PS_UDP, probe);
    return ps_probe_match(db, p, reply, len, only, si);
}

static int match_s(const ps_probedb *db, const char *probe, const char *reply,
                   const char *only, ps_service_info *si)
{
    return match_n(db, probe, reply, strlen(reply), only, si);
}

static void test_templates(void)
{
    ps_probedb *db = db_from(
        "Probe TCP NULL q||\n"
        "match plain m/^PLAIN (\\w+) (\\w+)/ p/Prod $1/ v/$2/ i/$1-$2-$1/\n"
        "match printable m/^P:(.*)$/s p/$P(1)/ v/[$1]/\n"
        "match subst m/^S:([\\d_]+)/ v/$SUBST(1,\"_\",\".\")/ i/$SUBST(1,\"_\",\"\")/\n"
        "match int m/^I:(..)(....)/s v/$I(1,\">\")/ i/$I(1,\"<\") $I(2,\">\")/\n"
        "match missing m/^M(x)?(y)?z/ p/a$1b/ v/$2/ i/x$9 tail/ h/h$2, $2, /\n"
        "match cpe m/^C:(.*)$/ cpe:/a:vendor:prod:$1/ cpe:/o:linux:linux_kernel/a\n"
        "match manycpe m/^MANY/ cpe:/a:1/ cpe:/a:2/ cpe:/a:3/ cpe:/a:4/ cpe:/a:5/\n"
        "match twice m/^TWICE/ p/first/ p/second/\n"
        "match allfields m/^ALL/ p/p/ v/v/ i/i/ h/h/ o/o/ d/d/ cpe:|h:x:y|\n"
        "match cpe23 m/^C23/ cpe:|2.3:a:x:y:1|\n");
    CHECK(db != NULL, "load");
    if (!db) return;
    ps_service_info si;

    CHECK(match_s(db, "NULL", "PLAIN abc 42", NULL, &si) == 2, "plain");
    CHECK_STR(si.service, "plain");
    CHECK_STR(si.product, "Prod abc");
    CHECK_STR(si.version, "42");
    CHECK_STR(si.info, "abc-42-abc");
    CHECK(si.soft == 0 && si.ncpe == 0, "soft %d ncpe %d", si.soft, si.ncpe);

    static const char wide[] = "P:W\0O\0R\0K\x01\xff";
    CHECK(match_n(db, "NULL", wide, sizeof wide - 1, NULL, &si) == 2, "printable");
    CHECK_STR(si.product, "WORK");
    CHECK_STR(si.version, "[W\\x00O\\x00R\\x00K\\x01\\xff]");

    CHECK(match_s(db, "NULL", "S:1_2__3", NULL, &si) == 2, "subst");
    CHECK_STR(si.version, "1.2..3");
    CHECK_STR(si.info, "123");

    static const char ints[] = "I:\x01\x02\x00\x00\x01\x00";
    CHECK(match_n(db, "NULL", ints, sizeof ints - 1, NULL, &si) == 2, "int");
    CHECK_STR(si.version, "258");
    CHECK_STR(si.info, "513 256");

    CHECK(match_s(db, "NULL", "Mz", NULL, &si) == 2, "missing groups");
    CHECK_STR(si.product, "ab");
    CHECK_STR(si.version, "");
    CHECK_STR(si.info, "x tail");
    CHECK_STR(si.hostname, "h"); /* trailing ", " pieces dropped */
    CHECK(match_s(db, "NULL", "Myz", NULL, &si) == 2, "middle group missing");
    CHECK_STR(si.product, "ab");
    CHECK_STR(si.version, "y");
    CHECK_STR(si.hostname, "hy, y");

    CHECK(match_s(db, "NULL", "C:Foo Bar/1.0:x", NULL, &si) == 2, "cpe");
    CHECK(si.ncpe == 2, "ncpe %d", si.ncpe);
    CHECK_STR(si.cpe[0], "cpe:/a:vendor:prod:foo_bar%2F1.0%3Ax");
    CHECK_STR(si.cpe[1], "cpe:/o:linux:linux_kernel");

    CHECK(match_s(db, "NULL", "MANY", NULL, &si) == 2 && si.ncpe == 4, "cpe cap %d", si.ncpe);
    CHECK_STR(si.cpe[3], "cpe:/a:4");
    CHECK(match_s(db, "NULL", "TWICE", NULL, &si) == 2, "twice");
    CHECK_STR(si.product, "second");
    CHECK(match_s(db, "NULL", "ALL", NULL, &si) == 2, "all");
    CHECK(strcmp(si.product, "p") == 0 && strcmp(si.version, "v") == 0 &&
          strcmp(si.info, "i") == 0 && strcmp(si.hostname, "h") == 0 &&
          strcmp(si.ostype, "o") == 0 && strcmp(si.devicetype, "d") == 0, "fields");
    CHECK_STR(si.cpe[0], "cpe:/h:x:y");
    CHECK(match_s(db, "NULL", "C23", NULL, &si) == 2, "cpe 2.3");
    CHECK_STR(si.cpe[0], "cpe:2.3:a:x:y:1");
    ps_probedb_free(db);
}

static void test_truncation(void)
{
    ps_probedb *db = db_from("Probe TCP NULL q||\n"
                             "match long m/^L(.*)$/s p/$1/ v/$1/ i/$1/ cpe:/a:$1/\n");
    if (!db) {
        CHECK(0, "load");
        return;
    }
    ps_service_info si;
    char reply[3000];
    reply[0] = 'L';
    memset(reply + 1, 'x', sizeof reply - 1);
    CHECK(match_n(db, "NULL", reply, sizeof reply, NULL, &si) == 2, "long");
    CHECK(strlen(si.product) == sizeof si.product - 1, "product %zu", strlen(si.product));
    CHECK(strlen(si.info) == sizeof si.info - 1, "info %zu", strlen(si.info));
    CHECK(strlen(si.cpe[0]) == sizeof si.cpe[0] - 1, "cpe %zu", strlen(si.cpe[0]));
    /* Escapes are never cut in half. */
    memset(reply + 1, 0x01, sizeof reply - 1);
    CHECK(match_n(db, "NULL", reply, sizeof reply, NULL, &si) == 2, "binary");
    CHECK(strlen(si.product) % 4 == 0 && strlen(si.product) >= sizeof si.product - 4,
          "product %zu", strlen(si.product));
    CHECK(strncmp(si.version, "\\x01\\x01", 8) == 0, "escaped");
    for (const char *c = si.info; *c; c++)
        CHECK(*c >= 0x20 && *c < 0x7f, "non-printable in output");
    ps_probedb_free(db);
}

static const char *fallback_db =
    "Probe TCP NULL q||\n"
    "match null-svc m/^N/\n"
    "match shared m/^S/ p/from NULL/\n"
    "Probe TCP A q|a|\n"
    "fallback B\n"
    "match a-svc m/^A/\n"
    "Probe TCP B q|b|\n"
    "match b-svc m/^B/\n"
    "match shared m/^S/ p/from B/\n"
    "Probe TCP C q|c|\n"
    "match shared m/^S/ p/from C/\n"
    "Probe UDP U q|u|\n"
    "match u-svc m/^U/\n"
    "Probe UDP V q|v|\n"
    "fallback U\n";

static void test_fallbacks(void)
{
    ps_probedb *db = db_from(fallback_db);
    if (!db) {
        CHECK(0, "load");
        return;
    }
    ps_service_info si;
    CHECK(match_s(db, "A", "A", NULL, &si) == 2 && !strcmp(si.service, "a-svc"), "own line");
    CHECK(match_s(db, "A", "B", NULL, &si) == 2 && !strcmp(si.service, "b-svc"), "fallback");
    CHECK(match_s(db, "A", "N", NULL, &si) == 2 && !strcmp(si.service, "null-svc"),
          "NULL after an explicit fallback (TCP)");
    CHECK(match_s(db, "A", "S", NULL, &si) == 2 && !strcmp(si.product, "from B"), "fallback before NULL");
    CHECK(match_s(db, "C", "S", NULL, &si) == 2 && !strcmp(si.product, "from C"), "own before NULL");
    CHECK(match_s(db, "B", "A", NULL, &si) == 0, "fallbacks are not symmetric");
    CHECK(match_s(db, "B", "N", NULL, &si) == 2, "implicit NULL");
    CHECK(match_s(db, "NULL", "B", NULL, &si) == 0, "NULL has no fallbacks");
    CHECK(match_s(db, "U", "N", NULL, &si) == 0, "UDP never falls back to NULL");
    CHECK(match_s(db, "V", "U", NULL, &si) == 2 && !strcmp(si.service, "u-svc"), "UDP fallback");
    CHECK(match_s(db, "V", "N", NULL, &si) == 0, "UDP fallback, still no NULL");
    const ps_probe *a = ps_probedb_find(db, PS_TCP, "A"), *v = ps_probedb_find(db, PS_UDP, "V");
    CHECK(ps_probe_can_match(a, "a-svc") && ps_probe_can_match(a, "b-svc") &&
          ps_probe_can_match(a, "null-svc"), "can_match via chain");
    CHECK(!ps_probe_can_match(a, "u-svc") && ps_probe_can_match(v, "u-svc") &&
          !ps_probe_can_match(v, "null-svc") && !ps_probe_can_match(a, NULL), "can_match no");
    ps_probedb_free(db);
}

static void test_softmatch(void)
{
    ps_probedb *db = db_from(
        "Probe TCP NULL q||\n"
        "softmatch ftp m/^220 .*FTP/i p/soft product/\n"
        "softmatch smtp m/^220 /\n"
        "match smtp m/^220 .*ESMTP Postfix/ p/Postfix/\n"
        "match ftp m/^220 .*vsFTPd ([\\d.]+)/ p/vsftpd/ v/$1/\n"
        "match other m/^220 /\n");
    if (!db) {
        CHECK(0, "load");
        return;
    }
    ps_service_info si;
    /* A softmatch, then a hard match for the same service. */
    CHECK(match_s(db, "NULL", "220 (vsFTPd 3.0.3)", NULL, &si) == 2, "soft then hard");
    CHECK(!strcmp(si.service, "ftp") && !strcmp(si.version, "3.0.3") && si.soft == 0, "%s %s", si.service, si.version);
    /* Once ftp soft-matched, lines for other services are passed over. */
    CHECK(match_s(db, "NULL", "220 FTP ready", NULL, &si) == 1, "soft only");
    CHECK(!strcmp(si.service, "ftp") && !strcmp(si.product, "soft product") && si.soft == 1, "%s", si.service);
    /* The first softmatch is kept: smtp's softmatch does not replace ftp's. */
    CHECK(match_s(db, "NULL", "220 FTP ESMTP Postfix", NULL, &si) == 1 && !strcmp(si.service, "ftp"), "first soft kept");
    CHECK(match_s(db, "NULL", "220 mail ESMTP Postfix", NULL, &si) == 2 && !strcmp(si.service, "smtp"), "smtp");
    /* only_service narrows from the start. */
    CHECK(match_s(db, "NULL", "220 mail ESMTP Postfix", "ftp", &si) == 0, "only ftp: none");
    CHECK(match_s(db, "NULL", "220 x", "other", &si) == 2 && !strcmp(si.service, "other"), "only other");
    CHECK(match_s(db, "NULL", "220 FTP vsFTPd 2.0", "ftp", &si) == 2 && !strcmp(si.version, "2.0"), "only ftp");
    CHECK(match_s(db, "NULL", "220 x", "", &si) == 1 && !strcmp(si.service, "smtp"), "empty only_service = none");
    ps_probedb_free(db);
}

static void test_edge_replies(void)
{
    ps_probedb *db = db_from("Probe TCP NULL q||\n"
                             "match empty m/\\A\\z/\n"
                             "match any m/./s\n");
    if (!db) {
        CHECK(0, "load");
        return;
    }
    ps_service_info si;
    const ps_probe *p = ps_probedb_find(db, PS_TCP, "NULL");
    CHECK(ps_probe_match(db, p, NULL, 0, NULL, &si) == 2 && !strcmp(si.service, "empty"), "NULL reply");
    CHECK(ps_probe_match(db, p, (const uint8_t *)"", 0, NULL, &si) == 2, "empty reply");
    for (int b = 0; b < 256; b++) {
        uint8_t c = (uint8_t)b;
        CHECK(ps_probe_match(db, p, &c, 1, NULL, &si) == 2 && !strcmp(si.service, "any"), "byte %d", b);
    }
    CHECK(ps_probe_match(NULL, p, &(uint8_t){0}, 1, NULL, &si) == 0, "NULL db");
    CHECK(ps_probe_match(db, NULL, &(uint8_t){0}, 1, NULL, &si) == 0, "NULL probe");
    CHECK(ps_probe_match(db, p, &(uint8_t){0}, 1, NULL, NULL) == 0, "NULL out");
    ps_probedb_free(db);
}

/* Caseless first bytes and bitmaps must not hide a match. */
static void test_first_byte_index(void)
{
    ps_probedb *db = db_from("Probe TCP NULL q||\n"
                             "match a m/^ssh-/i\n"
                             "match b m/^[x-z]1/\n"
                             "match c m/^(?i)q2/\n"
                             "match d m/^\\xe9\\x00/\n"
                             "match e m/(?:^|\\n)FOO/\n"
                             "match f m/^(?:A|b)3/i\n");
    if (!db) {
        CHECK(0, "load");
        return;
    }
    static const struct {
        const char *reply;
        size_t len;
        const char *svc;
    } cases[] = {{"SSH-2", 5, "a"}, {"sSh-", 4, "a"}, {"y1", 2, "b"}, {"Q2", 2, "c"},
                 {"\xe9", 2, "d"},  {"x\nFOO", 5, "e"}, {"FOO", 3, "e"}, {"B3", 2, "f"},
                 {"a3", 2, "f"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ps_service_info si;
        int r = match_n(db, "NULL", cases[i].reply, cases[i].len, NULL, &si);
        CHECK(r == 2 && !strcmp(si.service, cases[i].svc), "case %zu: %d %s", i, r, si.service);
    }
    ps_probedb_free(db);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A regex with catastrophic backtracking stops at the match limit. */
static void test_runaway_regex(void)
{
    ps_probedb *db = db_from("Probe TCP NULL q||\n"
                             "match evil m/^(a+)+$/\n"
                             "match evil2 m/^(\\w*)*\\d$/\n"
                             "match evil3 m/^(a|aa)+$/\n"
                             "match fine m/^a/\n");
    if (!db) {
        CHECK(0, "load");
        return;
    }
    char reply[4000];
    memset(reply, 'a', sizeof reply);
    reply[sizeof reply - 1] = '!';
    ps_service_info si;
    double t0 = now();
    int r = match_n(db, "NULL", reply, sizeof reply, NULL, &si);
    double dt = now() - t0;
    CHECK(r == 2 && !strcmp(si.service, "fine"), "limit hit counts as no match: %d %s", r, si.service);
    CHECK(dt < 2.0, "took %.2fs", dt);
    printf("# runaway regexes stopped by the limits in %.1f ms\n", dt * 1e3);
    ps_probedb_free(db);
}

typedef struct {
    const ps_probedb *db;
    const ps_probe *p;
    const char *const *replies;
    size_t nreplies;
    const ps_service_info *want;
    int bad;
} thread_arg;

static void *thread_main(void *v)
{
    thread_arg *a = v;
    for (int round = 0; round < 50; round++)
        for (size_t i = 0; i < a->nreplies; i++) {
            ps_service_info si;
            ps_probe_match(a->db, a->p, (const uint8_t *)a->replies[i], strlen(a->replies[i]), NULL, &si);
            if (memcmp(&si, &a->want[i], sizeof si) != 0) a->bad++;
        }
    return NULL;
}

static const char *const banners[] = {
    "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
    "SSH-2.0-dropbear_2022.83\r\n",
    "220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n",
    "220 (vsFTPd 3.0.3)\r\n",
    "220 ProFTPD Server (Debian) [::ffff:127.0.0.1]\r\n",
    "+OK Dovecot (Debian) ready.\r\n",
    "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n",
    "HTTP/1.1 200 OK\r\nServer: Apache/2.4.57 (Debian)\r\nContent-Type: text/html\r\n\r\n",
    "HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
    "J\0\0\0\n8.0.35-0ubuntu0.22.04.1\0",
    "-ERR unknown command 'GET'\r\n",
    "RFB 003.008\n",
    "xyzzy nothing matches this reply at all\r\n",
    "",
};
#define NBANNERS (sizeof banners / sizeof banners[0])

static void test_threads(void)
{
    ps_probedb *db = ps_probedb_new();
    ps_err e;
    int nmap = access(NMAP_PROBES, R_OK) == 0;
    int rc = nmap ? ps_probedb_load_file(db, NMAP_PROBES, &e)
                  : ps_probedb_load_buf(db, "t", fallback_db, strlen(fallback_db), &e);
    CHECK(rc == PS_OK, "%s", e.msg);
    const ps_probe *p = ps_probedb_find(db, PS_TCP, nmap ? "GetRequest" : "A");
    ps_service_info want[NBANNERS];
    for (size_t i = 0; i < NBANNERS; i++)
        ps_probe_match(db, p, (const uint8_t *)banners[i], strlen(banners[i]), NULL, &want[i]);
    pthread_t th[4];
    thread_arg args[4];
    for (int t = 0; t < 4; t++) {
        args[t] = (thread_arg){db, p, banners, NBANNERS, want, 0};
        CHECK(pthread_create(&th[t], NULL, thread_main, &args[t]) == 0, "pthread_create");
    }
    for (int t = 0; t < 4; t++) {
        pthread_join(th[t], NULL);
        CHECK(args[t].bad == 0, "thread %d: %d differing results", t, args[t].bad);
    }
    ps_probedb_free(db);
}

static ps_probedb *nmap_db(void)
{
    ps_probedb *db = ps_probedb_new();
    ps_err e;
    if (ps_probedb_load_file(db, NMAP_PROBES, &e) != PS_OK) {
        printf("# %s\n", e.msg);
        ps_probedb_free(db);
        return NULL;
    }
    return db;
}

static void test_nmap_banners(void)
{
    ps_probedb *db = nmap_db();
    if (!db) {
        CHECK(0, "load");
        return;
    }
    ps_service_info si;
    CHECK(match_s(db, "NULL", banners[0], NULL, &si) == 2, "ssh");
    CHECK_STR(si.service, "ssh");
    CHECK_STR(si.product, "OpenSSH");
    CHECK_STR(si.version, "9.2p1 Debian 2+deb12u3");
    CHECK_STR(si.info, "protocol 2.0");
    CHECK_STR(si.ostype, "Linux");
    CHECK(si.ncpe >= 1, "ncpe %d", si.ncpe);
    CHECK_STR(si.cpe[0], "cpe:/a:openbsd:openssh:9.2p1");
    /* A banner that arrives after GetRequest still hits the NULL probe's line. */
    CHECK(match_s(db, "GetRequest", banners[0], NULL, &si) == 2 && !strcmp(si.service, "ssh"), "via fallback");
    CHECK(match_s(db, "NULL", banners[2], NULL, &si) == 2, "smtp");
    CHECK_STR(si.service, "smtp");
    CHECK_STR(si.product, "Postfix smtpd");
    CHECK_STR(si.hostname, "mail.example.org");
    CHECK(match_s(db, "GetRequest", banners[8], NULL, &si) == 2, "http");
    CHECK_STR(si.product, "nginx");
    CHECK_STR(si.version, "1.22.1");
    CHECK(match_s(db, "NULL", banners[12], NULL, &si) == 0, "no match");
    ps_probedb_free(db);
}

/* The same answer as trying every line of the chain, in order, straight
 * through PCRE2: the first-byte index and the length check lose nothing. */
static int brute(const ps_probe *p, const uint8_t *reply, size_t len, char *svc, size_t svcsz)
{
    pcre2_match_data *md = pcre2_match_data_create(64, NULL);
    const char *want = NULL;
    int result = 0;
    svc[0] = '\0';
    for (size_t c = 0; c < p->nchain && result < 2; c++)
        for (size_t i = 0; i < p->chain[c]->nmatches && result < 2; i++) {
            const ps_match *m = &p->chain[c]->matches[i];
            if (want && strcmp(want, m->service)) continue;
            if (pcre2_match(m->re, reply, len, 0, 0, md, NULL) < 0) continue;
            if (m->soft && result) continue;
            snprintf(svc, svcsz, "%s", m->service);
            result = m->soft ? 1 : 2;
            want = m->service;
        }
    pcre2_match_data_free(md);
    return result;
}

static void test_nmap_vs_brute_force(void)
{
    ps_probedb *db = nmap_db();
    if (!db) {
        CHECK(0, "load");
        return;
    }
    const char *probes[] = {"NULL", "GetRequest"};
    size_t n = 0, hits = 0;
    for (int pi = 0; pi < 2; pi++) {
        const ps_probe *p = ps_probedb_find(db, PS_TCP, probes[pi]);
        for (size_t i = 0; i < NBANNERS; i++)
            for (int b = -1; b < 256; b += (i == 0 ? 1 : 32)) {
                uint8_t reply[256];
                size_t len = strlen(banners[i]);
                if (len > sizeof reply) len = sizeof reply;
                memcpy(reply, banners[i], len);
                if (b >= 0 && len) reply[0] = (uint8_t)b; /* every first byte */
                char svc[64];
                ps_service_info si;
                int r1 = ps_probe_match(db, p, reply, len, NULL, &si);
                int r2 = brute(p, reply, len, svc, sizeof svc);
                CHECK(r1 == r2 && strcmp(si.service, svc) == 0, "%s banner %zu byte %d: %d %s vs %d %s",
                      probes[pi], i, b, r1, si.service, r2, svc);
                n++;
                hits += r1 > 0;
            }
    }
    printf("# %zu replies agree with a plain walk over every regex (%zu matched)\n", n, hits);
    ps_probedb_free(db);
}

static void test_nmap_bench(void)
{
    ps_probedb *db = nmap_db();
    if (!db) {
        CHECK(0, "load");
        return;
    }
    const ps_probe *p = ps_probedb_find(db, PS_TCP, "NULL");
    size_t lines = ps_probe_nmatches(p);
    const int which[] = {0, 2, 8, 12};
    for (size_t k = 0; k < sizeof which / sizeof which[0]; k++) {
        const char *b = banners[which[k]];
        ps_service_info si;
        long calls = 0;
        double t0 = now(), dt;
        do {
            for (int i = 0; i < 200; i++)
                ps_probe_match(db, p, (const uint8_t *)b, strlen(b), NULL, &si);
            calls += 200;
        } while ((dt = now() - t0) < 0.25);
        printf("# bench NULL probe (%zu lines), reply %-22.22s -> %-5s %8.0f replies/s (%.1f us each)\n",
               lines, b, si.service[0] ? si.service : "-", (double)calls / dt, dt / (double)calls * 1e6);
    }
    ps_probedb_free(db);
}

int main(void)
{
    RUN(test_templates);
    RUN(test_truncation);
    RUN(test_fallbacks);
    RUN(test_softmatch);
    RUN(test_edge_replies);
    RUN(test_first_byte_index);
    RUN(test_runaway_regex);
    RUN(test_threads);
    if (access(NMAP_PROBES, R_OK) == 0) {
        RUN(test_nmap_banners);
        RUN(test_nmap_vs_brute_force);
        RUN(test_nmap_bench);
    } else {
        printf("ok - test_nmap_banners # SKIP no nmap\n");
        printf("ok - test_nmap_vs_brute_force # SKIP no nmap\n");
        printf("ok - test_nmap_bench # SKIP no nmap\n");
    }
    return UNIT_END();
}
