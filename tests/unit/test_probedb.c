/* test_probedb.c: loading probe files -- every parse error, the settings
 * and accessors, merging across loads, directories, and nmap's own file
 * when it is installed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pscan/probedb.h"
#include "unit.h"

#define NMAP_PROBES "/usr/share/nmap/nmap-service-probes"

static int load(ps_probedb *db, const char *name, const char *text, ps_err *e)
{
    e->msg[0] = '\0';
    return ps_probedb_load_buf(db, name, text, strlen(text), e);
}

/* Every error: the text, and what the message must contain (the file:line
 * prefix is checked separately). */
static const struct {
    const char *text;
    int line;
    const char *want;
} bad[] = {
    {"Probe TCP X qAfooA\n", 1, "bad delimiter"},
    {"Probe TCP X q foo \n", 1, "bad delimiter"},
    {"Probe TCP X q|foo\n", 1, "unterminated probe string"},
    {"Probe TCP X q|a\\qb|\n", 1, "bad escape '\\q'"},
    {"Probe TCP X q|\\xZZ|\n", 1, "bad escape '\\xZZ'"},
    {"Probe TCP X q|\\x4|\n", 1, "bad escape"},
    {"Probe TCP X q|ab\\|\n", 1, "bad escape"},
    {"Probe SCTP X q||\n", 1, "TCP or UDP, not 'SCTP'"},
    {"Probe TCP X/Y q||\n", 1, "bad probe name 'X/Y'"},
    {"Probe TCP X foo\n", 1, "probe string must be q"},
    {"Probe TCP X q||junk\n", 1, "unexpected 'junk'"},
    {"Probe TCP X q|| no-payload extra\n", 1, "unexpected 'extra'"},
    {"match ssh m/^SSH/\n", 1, "match before any Probe"},
    {"softmatch ssh m/^SSH/\n", 1, "softmatch before any Probe"},
    {"ports 22\n", 1, "ports before any Probe"},
    {"rarity 3\n", 1, "rarity before any Probe"},
    {"fallback GetRequest\n", 1, "fallback before any Probe"},
    {"Probe TCP NULL q||\nmatch ssh m/^SSH\n", 2, "unterminated regex for 'ssh'"},
    {"Probe TCP NULL q||\nmatch ssh m ^SSH \n", 2, "bad delimiter regex"},
    {"Probe TCP NULL q||\nmatch ssh mx^SSHx\n", 2, "bad delimiter regex"},
    {"Probe TCP NULL q||\nmatch ssh /^SSH/\n", 2, "expected m<delim>regex<delim>"},
    {"Probe TCP NULL q||\nmatch ssh m/^SSH/q\n", 2, "bad regex flag 'q'"},
    {"Probe TCP NULL q||\nmatch ssh m/^SSH/i, p/x/\n", 2, "expected a space after the regex"},
    {"Probe TCP NULL q||\nmatch ssh m/^(SSH/\n", 2, "bad regex for 'ssh' at offset 5: missing closing parenthesis"},
    {"Probe TCP NULL q||\nmatch ssh m/a{2,1}/\n", 2, "bad regex for 'ssh'"},
    {"Probe TCP NULL q||\nmatch\n", 2, "match without a service name"},
    {"Probe TCP NULL q||\nmatch ssh\n", 2, "expected m<delim>"},
    {"Probe TCP NULL q||\nmatch ssh m/x/ z/foo/\n", 2, "unknown version field 'z"},
    {"Probe TCP NULL q||\nmatch ssh m/x/ product/foo/\n", 2, "unknown version field"},
    {"Probe TCP NULL q||\nmatch ssh m/x/ p/foo\n", 2, "unterminated version field 'p'"},
    {"Probe TCP NULL q||\nmatch ssh m/x/ p/foo/a\n", 2, "bad flag 'a' after version field 'p'"},
    {"Probe TCP NULL q||\nmatch ssh m/x/ cpe:/a:x/b\n", 2, "bad flag 'b' after version field 'cpe:'"},
    {"Probe TCP NULL q||\nmatch ssh m/x/ p/foo/, v/1/\n", 2, "expected a space after version field 'p'"},
    {"Probe TCP NULL q||\nmatch ssh m/x/ /foo/\n", 2, "expected a version field"},
    {"Probe TCP NULL q||\nmatch ssh m/(x)/ v/$0/\n", 2, "bad template '$0'"},
    {"Probe TCP NULL q||\nmatch ssh m/(x)/ v/$X(1)/\n", 2, "bad template '$X(1)'"},
    {"Probe TCP NULL q||\nmatch ssh m/(x)/ v/cost $/\n", 2, "bad template '$'"},
    {"Probe TCP NULL q||\nmatch ssh m/(x)/ v/$P(0)/\n", 2, "template group must be 1-9"},
    {"Probe TCP NULL q||\nmatch ssh m/(x)/ v/$P(12)/\n", 2, "template group must be 1-9"},
    {"Probe TCP NULL q||\nmatch ssh m/(x)/ v/$P(1/\n", 2, "bad template arguments"},
    {"Probe TCP NULL q||\nmatch ssh m/(x)/ v/$P(1,\"a\")/\n", 2, "bad arguments to $P"},
    {"Probe TCP NULL q||\nmatch ssh m/(x)/ v/$SUBST(1,\"a\")/\n", 2, "bad arguments to $SUBST"},
    {"Probe TCP NULL q||\nmatch ssh m/(x)/ v/$SUBST(1,\"\",\"b\")/\n", 2, "bad arguments to $SUBST"},
    {"Probe TCP NULL q||\nmatch ssh m/(x)/ v/$SUBST(1,\"a,\"b\")/\n", 2, "bad template arguments"},
    {"Probe TCP NULL q||\nmatch ssh m/(x)/ v/$SUBST(1,\"a\\q\",\"b\")/\n", 2, "bad escape in template string"},
    {"Probe TCP NULL q||\nmatch ssh m/(x)/ v/$SUBST(1,\"a\",\"b/\n", 2, "unterminated template string"},
    {"Probe TCP NULL q||\nmatch ssh m/(x)/ v/$I(1,\"x\")/\n", 2, "bad arguments to $I"},
    {"Probe TCP NULL q||\nmatch ssh m/(x)/ v/$I(1)/\n", 2, "bad arguments to $I"},
    {"Probe TCP NULL q||\nrarity 0\n", 2, "bad rarity '0' (want 1-9)"},
    {"Probe TCP NULL q||\nrarity 10\n", 2, "bad rarity '10'"},
    {"Probe TCP NULL q||\nrarity x\n", 2, "bad rarity 'x'"},
    {"Probe TCP NULL q||\nrarity\n", 2, "bad rarity ''"},
    {"Probe TCP NULL q||\nrarity 3 4\n", 2, "rarity takes one number"},
    {"Probe TCP NULL q||\nrarity 3\nrarity 4\n", 3, "rarity 4 for probe NULL conflicts with rarity 3 at t:2"},
    {"Probe TCP NULL q||\ntotalwaitms 0\n", 2, "bad totalwaitms '0'"},
    {"Probe TCP NULL q||\ntcpwrappedms -5\n", 2, "bad tcpwrappedms '-5'"},
    {"Probe TCP NULL q||\nports 70000\n", 2, "bad port '70000' in ports"},
    {"Probe TCP NULL q||\nports 25-21\n", 2, "bad port '25-21' in ports"},
    {"Probe TCP NULL q||\nports 21,,22\n", 2, "bad port '' in ports"},
    {"Probe TCP NULL q||\nsslports abc\n", 2, "bad port 'abc' in sslports"},
    {"Probe TCP NULL q||\nports\n", 2, "ports without ports"},
    {"Probe TCP NULL q||\nfallback a/b\n", 2, "bad probe name 'a/b' in fallback"},
    {"Probe TCP NULL q||\nfallback\n", 2, "fallback without probe names"},
    {"Probe TCP NULL q||\nfallback a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u\n", 2, "more than 20 fallbacks"},
    {"Exclude T:9100,X:5\n", 1, "bad port 'X:5' in Exclude"},
    {"Exclude\n", 1, "Exclude without ports"},
    {"Frobnicate 1\n", 1, "unknown directive 'Frobnicate'"},
    {"# c\n\nprobe TCP X q||\n", 3, "unknown directive 'probe'"},
    {"Probe TCP A q|x|\nProbe TCP A q|y|\n", 2, "Probe TCP A: payload differs from its definition at t:1"},
    {"Probe TCP A q|x|\nProbe TCP A q|x| no-payload\n", 2, "payload differs"},
    {"Probe TCP NULL q||\nmatch ssh m/x/ cpe:/a/ cpe:/b/ cpe:/c/ cpe:/d/ cpe:/e/ cpe:/f/ cpe:/g/ "
     "cpe:/h/ cpe:/i/ cpe:/j/ cpe:/k/ cpe:/l/ cpe:/m/ cpe:/n/ cpe:/o/ cpe:/p/ cpe:/q/\n",
     2, "more than 16 cpe: fields"},
    {"Probe TCP NULL q||\nmatch aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa m/x/\n",
     2, "too long"},
    {"Probe TCP NULL q||\nmatch ss\x01h m/x/\n", 2, "service name 'ss?h' is not printable ASCII"},
    {"Probe TCP NULL q||\nmatch ss\xc3\xa9 m/x/\n", 2, "is not printable ASCII"},
};

static void test_parse_errors(void)
{
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ps_probedb *db = ps_probedb_new();
        ps_err e;
        int rc = load(db, "t", bad[i].text, &e);
        char where[32];
        snprintf(where, sizeof where, "t:%d: ", bad[i].line);
        CHECK(rc == PS_EINPUT, "case %zu: rc %d for '%s'", i, rc, bad[i].text);
        CHECK(strncmp(e.msg, where, strlen(where)) == 0, "case %zu: '%s' lacks '%s'", i, e.msg, where);
        CHECK(strstr(e.msg, bad[i].want) != NULL, "case %zu: '%s' lacks '%s'", i, e.msg, bad[i].want);
        ps_probedb_free(db);
    }
}

static void test_nul_byte(void)
{
    static const char text[] = "Probe TCP NULL q||\nmatch x m/a\0b/\n";
    ps_probedb *db = ps_probedb_new();
    ps_err e;
    int rc = ps_probedb_load_buf(db, "t", text, sizeof text - 1, &e);
    CHECK(rc == PS_EINPUT && strstr(e.msg, "t:2: NUL byte"), "rc %d '%s'", rc, e.msg);
    ps_probedb_free(db);
}

static void test_payload_escapes(void)
{
    ps_probedb *db = ps_probedb_new();
    ps_err e;
    int rc = load(db, "t", "Probe UDP Esc q|\\\\\\0\\a\\f\\n\\r\\t\\v\\x41\\xfF\\01|\n"
                           "Probe TCP Empty q//\nProbe UDP Quiet q<hi< no-payload\n", &e);
    CHECK(rc == PS_OK, "%s", e.msg);
    const ps_probe *p = ps_probedb_find(db, PS_UDP, "Esc");
    static const uint8_t want[] = {'\\', 0, '\a', '\f', '\n', '\r', '\t', '\v', 'A', 0xff, 0, '1'};
    size_t len = 0;
    const uint8_t *pl = p ? ps_probe_payload(p, &len) : NULL;
    CHECK(pl && len == sizeof want && memcmp(pl, want, len) == 0, "payload length %zu", len);
    CHECK(p && !ps_probe_no_payload(p), "no-payload set");
    p = ps_probedb_find(db, PS_TCP, "Empty");
    CHECK(p && ps_probe_payload(p, &len) && len == 0, "empty payload");
    p = ps_probedb_find(db, PS_UDP, "Quiet");
    CHECK(p && ps_probe_no_payload(p), "no-payload not set");
    CHECK(ps_probedb_find(db, PS_TCP, "Quiet") == NULL, "protocol ignored in find");
    CHECK(ps_probedb_count(db) == 3, "count %zu", ps_probedb_count(db));
    ps_probedb_free(db);
}

static void test_settings(void)
{
    ps_probedb *db = ps_probedb_new();
    ps_err e;
    int rc = load(db, "t",
                  "# a comment\n"
                  "\n"
                  "   # indented comment\n"
                  "Exclude 53,T:9100-9107,U:30000-30005\n"
                  "Probe TCP NULL q||\r\n"
                  "totalwaitms 6000\n"
                  "tcpwrappedms 3000\n"
                  "\tmatch ssh m|^SSH-| p/x/\n"
                  "Probe TCP GetRequest q|GET / HTTP/1.0\\r\\n\\r\\n|\n"
                  "rarity 1\n"
                  "ports 80, 8000-8010 ,8080\n"
                  "sslports 443\n"
                  "softmatch http m|^HTTP/1|\n"
                  "Probe UDP Dns q|\\0\\x06|\n"
                  "rarity 9\n"
                  "fallback GetRequest, NULL\n",
                  &e);
    CHECK(rc == PS_OK, "%s", e.msg);
    CHECK(ps_probedb_count(db) == 3, "count %zu", ps_probedb_count(db));
    CHECK(ps_probedb_nmatches(db) == 2, "nmatches %zu", ps_probedb_nmatches(db));
    const ps_probe *n = ps_probedb_get(db, 0), *g = ps_probedb_get(db, 1), *u = ps_probedb_get(db, 2);
    CHECK(ps_probedb_get(db, 3) == NULL, "get past end");
    CHECK(n && strcmp(ps_probe_name(n), "NULL") == 0 && ps_probe_proto(n) == PS_TCP, "order");
    CHECK(u && ps_probe_proto(u) == PS_UDP, "udp");
    if (!n || !g || !u) return;
    CHECK(ps_probe_rarity(n) == 1, "NULL rarity %d", ps_probe_rarity(n));
    CHECK(ps_probe_rarity(g) == 1 && ps_probe_rarity(u) == 9, "rarity");
    CHECK(ps_probe_totalwaitms(n) == 6000 && ps_probe_tcpwrappedms(n) == 3000, "waits");
    CHECK(ps_probe_totalwaitms(g) == 0 && ps_probe_tcpwrappedms(g) == 0, "defaults");
    CHECK(ps_probe_on_port(g, 80) && ps_probe_on_port(g, 8005) && ps_probe_on_port(g, 8080), "ports");
    CHECK(!ps_probe_on_port(g, 443) && !ps_probe_on_port(g, 8011) && !ps_probe_on_port(n, 80), "not ports");
    CHECK(ps_probe_on_sslport(g, 443) && !ps_probe_on_sslport(g, 80), "sslports");
    CHECK(ps_probe_nmatches(n) == 1 && ps_probe_nmatches(g) == 1 && ps_probe_nmatches(u) == 0, "per probe");
    /* TCP falls back to NULL implicitly; UDP only to what it names. */
    CHECK(ps_probe_nfallbacks(g) == 1 && ps_probe_fallback(g, 0) == n, "GetRequest chain");
    CHECK(ps_probe_nfallbacks(n) == 0, "NULL chain");
    CHECK(ps_probe_nfallbacks(u) == 2 && ps_probe_fallback(u, 0) == g && ps_probe_fallback(u, 1) == n,
          "UDP chain %zu", ps_probe_nfallbacks(u));
    CHECK(ps_probedb_excluded(db, PS_TCP, 53) && ps_probedb_excluded(db, PS_UDP, 53), "53 both");
    CHECK(ps_probedb_excluded(db, PS_TCP, 9100) && ps_probedb_excluded(db, PS_TCP, 9107), "T:");
    CHECK(!ps_probedb_excluded(db, PS_UDP, 9100) && !ps_probedb_excluded(db, PS_TCP, 9108), "T: only");
    CHECK(ps_probedb_excluded(db, PS_UDP, 30003) && !ps_probedb_excluded(db, PS_TCP, 30003), "U:");
    CHECK(ps_probedb_check(db, &e) == PS_OK, "%s", e.msg);
    ps_probedb_free(db);
}

static void test_default_rarity(void)
{
    ps_probedb *db = ps_probedb_new();
    ps_err e;
    CHECK(load(db, "t", "Probe TCP Foo q|x|\nProbe UDP NULL q||\n", &e) == PS_OK, "%s", e.msg);
    const ps_probe *p = ps_probedb_find(db, PS_TCP, "Foo");
    CHECK(p && ps_probe_rarity(p) == 5, "default 5");
    p = ps_probedb_find(db, PS_UDP, "NULL");
    CHECK(p && ps_probe_rarity(p) == 5, "UDP NULL is not the NULL probe");
    ps_probedb_free(db);
}

static void test_merge_two_loads(void)
{
    ps_probedb *db = ps_probedb_new();
    ps_err e;
    CHECK(load(db, "a.probes", "Probe TCP NULL q||\nrarity 1\nmatch ssh m/^SSH-/\n"
                               "Probe TCP Get q|GET|\nports 80\nfallback Later\n", &e) == PS_OK,
          "%s", e.msg);
    /* Get names a probe no file has defined yet: tolerated, reported by check. */
    CHECK(ps_probedb_check(db, &e) == PS_EINPUT && strstr(e.msg, "a.probes:6: fallback 'Later' names no probe"),
          "check: %s", e.msg);
    CHECK(load(db, "b.probes", "Probe TCP NULL q||\nrarity 1\nmatch ftp m/^220 /\n"
                               "Probe TCP Get q|GET|\nports 8080\nProbe TCP Later q|L|\n", &e) == PS_OK,
          "%s", e.msg);
    CHECK(ps_probedb_check(db, &e) == PS_OK, "%s", e.msg);
    CHECK(ps_probedb_count(db) == 3, "merged count %zu", ps_probedb_count(db));
    const ps_probe *n = ps_probedb_find(db, PS_TCP, "NULL"), *g = ps_probedb_find(db, PS_TCP, "Get");
    CHECK(n && ps_probe_nmatches(n) == 2, "NULL lines appended");
    CHECK(g && ps_probe_on_port(g, 80) && ps_probe_on_port(g, 8080), "ports accumulate");
    CHECK(g && ps_probe_nfallbacks(g) == 2 &&
          ps_probe_fallback(g, 0) == ps_probedb_find(db, PS_TCP, "Later"), "fallback resolved late");
    ps_service_info si;
    CHECK(ps_probe_match(db, n, (const uint8_t *)"220 hi", 6, NULL, &si) == 2 &&
          strcmp(si.service, "ftp") == 0, "second file's line used");

    int rc = load(db, "c.probes", "\n\nProbe TCP NULL q|x|\n", &e);
    CHECK(rc == PS_EINPUT && strstr(e.msg, "c.probes:3: Probe TCP NULL: payload differs from its definition at a.probes:1"),
          "conflict: %s", e.msg);
    rc = load(db, "d.probes", "Probe TCP NULL q||\nrarity 2\n", &e);
    CHECK(rc == PS_EINPUT && strstr(e.msg, "d.probes:2: rarity 2 for probe NULL conflicts with rarity 1 at a.probes:2"),
          "setting conflict: %s", e.msg);
    ps_probedb_free(db);
}

static void test_load_dir(void)
{
    char dir[] = "/tmp/pscan_probedb_XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(0, "mkdtemp");
        return;
    }
    char path[4][300];
    const char *names[] = {"b.probes", "a.probes", "notes.txt", ".hidden.probes"};
    const char *texts[] = {"Probe TCP NULL q||\nmatch second m/^X/\n",
                           "Probe TCP NULL q||\nmatch first m/^X/\n",
                           "this is not a probe file\n", "garbage\n"};
    for (int i = 0; i < 4; i++) {
        snprintf(path[i], sizeof path[i], "%s/%s", dir, names[i]);
        FILE *f = fopen(path[i], "w");
        if (f) fputs(texts[i], f), fclose(f);
    }
    ps_probedb *db = ps_probedb_new();
    ps_err e;
    CHECK(ps_probedb_load_dir(db, dir, &e) == PS_OK, "%s", e.msg);
    ps_service_info si;
    const ps_probe *n = ps_probedb_find(db, PS_TCP, "NULL");
    CHECK(n && ps_probe_match(db, n, (const uint8_t *)"X", 1, NULL, &si) == 2 &&
          strcmp(si.service, "first") == 0, "a.probes loads before b.probes: %s", si.service);
    ps_probedb_free(db);

    /* A bad file names itself and its line. */
    FILE *f = fopen(path[0], "w");
    if (f) fputs("Probe TCP NULL q||\nbogus\n", f), fclose(f);
    db = ps_probedb_new();
    CHECK(ps_probedb_load_dir(db, dir, &e) == PS_EINPUT && strstr(e.msg, "b.probes:2: unknown directive 'bogus'"),
          "%s", e.msg);
    ps_probedb_free(db);

    /* A fallback nobody defines fails the directory load. */
    f = fopen(path[0], "w");
    if (f) fputs("Probe TCP Foo q|x|\nfallback Nowhere\n", f), fclose(f);
    db = ps_probedb_new();
    CHECK(ps_probedb_load_dir(db, dir, &e) == PS_EINPUT && strstr(e.msg, "fallback 'Nowhere'"), "%s", e.msg);
    ps_probedb_free(db);

    for (int i = 0; i < 4; i++) unlink(path[i]);
    db = ps_probedb_new();
    CHECK(ps_probedb_load_dir(db, dir, &e) == PS_EINPUT && strstr(e.msg, "no *.probes files"), "%s", e.msg);
    rmdir(dir);
    CHECK(ps_probedb_load_dir(db, dir, &e) == PS_EINPUT, "missing dir");
    CHECK(ps_probedb_load_file(db, "/nonexistent/x.probes", &e) == PS_EINPUT &&
          strstr(e.msg, "/nonexistent/x.probes: No such file"), "%s", e.msg);
    ps_probedb_free(db);
}

static void test_empty_and_null(void)
{
    ps_probedb *db = ps_probedb_new();
    ps_err e;
    CHECK(ps_probedb_load_buf(db, NULL, NULL, 0, &e) == PS_OK, "empty buffer: %s", e.msg);
    CHECK(ps_probedb_count(db) == 0 && ps_probedb_nmatches(db) == 0, "empty");
    CHECK(ps_probedb_find(db, PS_TCP, "NULL") == NULL, "find in empty");
    CHECK(load(db, "t", "Probe TCP A q|a|", &e) == PS_OK, "no final newline: %s", e.msg);
    CHECK(ps_probedb_count(db) == 1, "count");
    ps_probedb_free(db);
    ps_probedb_free(NULL);
}

/* nmap's installed database: every line must compile. */
static void test_nmap_file(void)
{
    FILE *f = fopen(NMAP_PROBES, "r");
    if (!f) {
        CHECK(0, "cannot open %s", NMAP_PROBES);
        return;
    }
    size_t want = 0;
    char line[65536];
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "match ", 6) == 0 || strncmp(line, "softmatch ", 10) == 0) want++;
    fclose(f);
    ps_probedb *db = ps_probedb_new();
    ps_err e;
    int rc = ps_probedb_load_file(db, NMAP_PROBES, &e);
    CHECK(rc == PS_OK, "%s", e.msg);
    CHECK(ps_probedb_check(db, &e) == PS_OK, "%s", e.msg);
    CHECK(ps_probedb_nmatches(db) == want && want > 10000, "compiled %zu of %zu",
          ps_probedb_nmatches(db), want);
    printf("# %s: %zu probes, %zu match lines, all compiled\n", NMAP_PROBES,
           ps_probedb_count(db), ps_probedb_nmatches(db));
    CHECK(ps_probedb_excluded(db, PS_TCP, 9100) && !ps_probedb_excluded(db, PS_UDP, 9100), "Exclude");
    const ps_probe *g = ps_probedb_find(db, PS_TCP, "GetRequest");
    CHECK(g && ps_probe_on_port(g, 80), "GetRequest ports");
    /* Loading it twice merges into the same probes. */
    size_t probes = ps_probedb_count(db);
    rc = ps_probedb_load_file(db, NMAP_PROBES, &e);
    CHECK(rc == PS_OK, "%s", e.msg);
    CHECK(ps_probedb_count(db) == probes && ps_probedb_nmatches(db) == 2 * want, "merged twice");
    ps_probedb_free(db);
}

int main(void)
{
    RUN(test_parse_errors);
    RUN(test_nul_byte);
    RUN(test_payload_escapes);
    RUN(test_settings);
    RUN(test_default_rarity);
    RUN(test_merge_two_loads);
    RUN(test_load_dir);
    RUN(test_empty_and_null);
    if (access(NMAP_PROBES, R_OK) == 0) RUN(test_nmap_file);
    else printf("ok - test_nmap_file # SKIP no nmap\n");
    return UNIT_END();
}
