/* test_targets.c: the target set: token grammar, errors, exclusions,
 * merging, files, hostnames, big sets, and a randomised comparison against
 * a plain bitmap.  Hostnames go through a fake resolver except "localhost"
 * (from /etc/hosts) and "*.invalid" (refused without a lookup). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "pscan/targets.h"
#include "unit.h"

/* ---- helpers ---- */

static int fake_resolve(void *ctx, const char *name, int family, ps_addr *out, ps_err *e)
{
    int *calls = ctx;
    const char *ip = NULL;
    (*calls)++;
    if (strcmp(name, "web.test") == 0 || strcmp(name, "web.test.") == 0)
        ip = "198.18.0.10";
    else if (strcmp(name, "alias.test") == 0)
        ip = "198.18.0.10";
    else if (strcmp(name, "v6.test") == 0)
        ip = "2001:db8::10";
    else if (strcmp(name, "net.test") == 0)
        ip = "198.18.7.77";
    if (!ip || ps_addr_parse(ip, out) != 0 || (family != AF_UNSPEC && out->family != family))
        return ps_fail(e, PS_EINPUT, "cannot resolve '%s'", name);
    return PS_OK;
}

/* Build a set from space-separated targets and an --exclude list (or NULL),
 * finalized.  Returns the first failing code, message in e. */
static int build(ps_targets **out, const char *targets, const char *excl, int *calls, ps_err *e)
{
    char buf[4096];
    int rc = PS_OK;
    ps_targets *t = ps_targets_new(AF_UNSPEC);
    ps_targets_set_resolver(t, fake_resolve, calls);
    snprintf(buf, sizeof buf, "%s", targets);
    for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok && !rc;
         tok = strtok_r(NULL, " ", &save))
        rc = ps_targets_add(t, tok, e);
    if (!rc && excl)
        rc = ps_targets_exclude(t, excl, e);
    if (!rc)
        rc = ps_targets_finalize(t, e);
    *out = t;
    return rc;
}

static const char *nth(const ps_targets *t, uint64_t i, char *buf)
{
    ps_addr a;
    ps_targets_get(t, i, &a);
    return ps_addr_str(&a, buf, PS_ADDRSTRLEN);
}

/* ---- good tokens ---- */

static void test_tokens_good(void)
{
    static const struct {
        const char *spec;
        uint64_t count;
        size_t nranges;
        const char *first, *last;
    } cases[] = {
        {"198.18.0.1", 1, 1, "198.18.0.1", "198.18.0.1"},
        {"198.18.0.0/15", 131072, 1, "198.18.0.0", "198.19.255.255"},
        {"198.18.77.5/15", 131072, 1, "198.18.0.0", "198.19.255.255"}, /* host bits masked */
        {"198.18.0.9/32", 1, 1, "198.18.0.9", "198.18.0.9"},
        {"198.18.0.9/31", 2, 1, "198.18.0.8", "198.18.0.9"},
        {"198.18.0.0/0", 1ull << 32, 1, "0.0.0.0", "255.255.255.255"},
        {"198.18.0-3.1-254", 4 * 254, 4, "198.18.0.1", "198.18.3.254"},
        {"10.0.0.*", 256, 1, "10.0.0.0", "10.0.0.255"},
        {"10.0.0.1,3,5-7", 5, 3, "10.0.0.1", "10.0.0.7"},
        {"10.0.0-.1", 256, 256, "10.0.0.1", "10.0.255.1"},
        {"10.0.0.-5", 6, 1, "10.0.0.0", "10.0.0.5"},
        {"10.0.0.250-,1", 7, 2, "10.0.0.1", "10.0.0.255"},
        {"10.0.-.5", 256, 256, "10.0.0.5", "10.0.255.5"},
        {"10.0-3.*.*", 4 * 65536, 1, "10.0.0.0", "10.3.255.255"}, /* adjacent /16s merge */
        {"10.0,2.*.*", 2 * 65536, 2, "10.0.0.0", "10.2.255.255"},
        {"*.*.*.*", 1ull << 32, 1, "0.0.0.0", "255.255.255.255"},
        {"10.0.0.5-5", 1, 1, "10.0.0.5", "10.0.0.5"},
        {"10.0.0.3,1,2,1", 3, 1, "10.0.0.1", "10.0.0.3"}, /* duplicates, unsorted */
        {"010.0.0.1", 1, 1, "10.0.0.1", "10.0.0.1"},
        {"::1", 1, 1, "::1", "::1"},
        {"2001:db8::/120", 256, 1, "2001:db8::", "2001:db8::ff"},
        {"2001:db8::77/120", 256, 1, "2001:db8::", "2001:db8::ff"},
        {"2001:db8::1/128", 1, 1, "2001:db8::1", "2001:db8::1"},
        {"2001:db8::/65", 1ull << 63, 1, "2001:db8::", "2001:db8::7fff:ffff:ffff:ffff"},
        {"::ffff:198.18.0.1", 1, 1, "::ffff:198.18.0.1", "::ffff:198.18.0.1"},
        {"web.test", 1, 1, "198.18.0.10", "198.18.0.10"},
        {"web.test.", 1, 1, "198.18.0.10", "198.18.0.10"},
        {"net.test/24", 256, 1, "198.18.7.0", "198.18.7.255"},
        {"v6.test/126", 4, 1, "2001:db8::10", "2001:db8::13"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ps_targets *t;
        ps_err e = {""};
        char b1[PS_ADDRSTRLEN], b2[PS_ADDRSTRLEN];
        int calls = 0, rc = build(&t, cases[i].spec, NULL, &calls, &e);
        CHECK(rc == PS_OK, "'%s': %s", cases[i].spec, e.msg);
        if (rc == PS_OK) {
            CHECK(ps_targets_count(t) == cases[i].count, "'%s': count %llu want %llu",
                  cases[i].spec, (unsigned long long)ps_targets_count(t),
                  (unsigned long long)cases[i].count);
            CHECK(ps_targets_nranges(t) == cases[i].nranges, "'%s': %zu ranges want %zu",
                  cases[i].spec, ps_targets_nranges(t), cases[i].nranges);
            CHECK_STR(nth(t, 0, b1), cases[i].first);
            CHECK_STR(nth(t, ps_targets_count(t) - 1, b2), cases[i].last);
        }
        ps_targets_free(t);
    }
}

/* ---- bad tokens: code PS_EINPUT, the message names the token and the reason ---- */

static void test_tokens_bad(void)
{
    static const struct {
        const char *spec, *want;
    } cases[] = {
        {"", "empty target"},
        {"/", "missing prefix length"},
        {"-", "expected 4 dot-separated octets, found 1"},
        {"*", "expected 4"},
        {",", "expected 4"},
        {"198.18.0.256", "'256' is not an octet"},
        {"300.1.1.1", "'300' is not an octet"},
        {"1.2.3", "expected 4 dot-separated octets, found 3"},
        {"1.2.3.4.5", "found 5"},
        {"1..2.3", "empty octet"},
        {"1.2.3.", "empty octet"},
        {"1.2.3.4,", "empty octet or list item"},
        {"1.2.3.,4", "empty octet or list item"},
        {"198.18.0.0/33", "prefix length 33 is out of range (0-32)"},
        {"1.2.3.4/", "missing prefix length after '/'"},
        {"1.2.3.4/-1", "prefix length '-1' is not a number"},
        {"1.2.3.4/24/1", "more than one '/'"},
        {"1.2.3.4/1a", "prefix length '1a'"},
        {"1.2.3.4/0024", "prefix length '0024'"},
        {"1.2.3.4/99999999999999999999", "prefix length '9999"},
        {"/24", "missing address before '/'"},
        {"1.2.3/24", "expected 4 dot-separated octets"},
        {"1.2.3.256/24", "'256' is not an octet"},
        {"10.0.0.1-5/24", "a /prefix cannot follow octet ranges"},
        {"10.0.0.*/24", "a /prefix cannot follow octet ranges"},
        {"::1/129", "prefix length 129 is out of range (0-128)"},
        {"::1/", "missing prefix length"},
        {"2001:db8::/63", "holds 2^65 addresses"},
        {"::/0", "holds 2^128 addresses"},
        {"1.2.3.4-", "ends with '-'"},
        {"10.0.0.-", "ends with '-'"},
        {"10.0.0.7-5", "range 7-5 is reversed"},
        {"10.0.0.1-2-3", "more than one '-'"},
        {"10.0.0.1000", "'1000' is not an octet"},
        {"10.0.0.99999999999999999999999", "is not an octet"},
        {"10.0.0.0001", "'0001' is not an octet"},
        {"10.0.0.256-300", "'256' is not an octet"},
        {"1.2.3.4_", "unexpected character '_'"},
        {"1.2.3.4 ", "unexpected byte 0x20"},
        {" 1.2.3.4", "unexpected byte 0x20"},
        {"1.2.3.\t4", "unexpected byte 0x09"},
        {"1.2.3.4\n", "unexpected byte 0x0a"},
        {"1.2.3.\xff", "unexpected byte 0xff"},
        {"fe80::1%eth0", "zone ids ('%eth0') are not supported"},
        {"fe80::1%eth0/64", "zone ids"},
        {"2001:db8::1::2", "not a valid IPv6 address"},
        {":", "not a valid IPv6 address"},
        {"[::1]", "not a valid IPv6 address"},
        {"2001:db8:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:1", "not a valid IPv6 address"},
        {"2001:0db8:0000:0000:0000:0000:0000:0000:0000:0001", "too long"},
        {"web.test/129", "prefix length 129 is out of range (0-128)"},
        {"host_name.test", "character '_' is not allowed in a host name"},
        {"-bad.test", "begins or ends with '-'"},
        {"bad-.test", "begins or ends with '-'"},
        {"a..test", "empty label"},
        {".test", "empty label"},
        {"web.test..", "empty label"},
        {"caf\xc3\xa9.test", "byte 0xc3 is not allowed"},
        {"a b.test", "byte 0x20 is not allowed"},
        {"0x7f.0.0.1", "looks like an address"},
        {"0x7f000001", "looks like an address"},
        {"web.test/33", "prefix length 33 is out of range for IPv4"},
        {"unknown.test", "cannot resolve 'unknown.test'"},
        {"nothing.invalid", "cannot resolve 'nothing.invalid'"},
        {"10.*.0-255.1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31,33",
         "too many ranges in '10.*.0-255.1,3,5,7,9,11,13,15,17,19,21,2...' (1114112; at most 1048576"},
        {"0-255.0-255.0-255.1", "too many ranges in"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ps_targets *t = ps_targets_new(AF_UNSPEC);
        ps_err e = {""};
        int calls = 0;
        if (strstr(cases[i].spec, ".test"))
            ps_targets_set_resolver(t, fake_resolve, &calls);
        int rc = ps_targets_add(t, cases[i].spec, &e);
        CHECK(rc == PS_EINPUT, "'%s' gave %d (%s)", cases[i].spec, rc, e.msg);
        CHECK(strstr(e.msg, cases[i].want), "'%s': message '%s' lacks '%s'", cases[i].spec, e.msg,
              cases[i].want);
        /* Malformed numeric tokens never reach the resolver. */
        if (!strstr(cases[i].spec, "unknown") && !strstr(cases[i].spec, "invalid") &&
            !strstr(cases[i].spec, "/33"))
            CHECK(calls == 0, "'%s' was looked up", cases[i].spec);
        ps_targets_free(t);
    }
}

static void test_long_labels(void)
{
    char name[400];
    ps_err e;
    ps_targets *t = ps_targets_new(AF_UNSPEC);
    memset(name, 'a', 64);
    strcpy(name + 64, ".test");
    CHECK(ps_targets_add(t, name, &e) == PS_EINPUT && strstr(e.msg, "longer than 63"), "%s", e.msg);
    for (int i = 0; i < 300; i += 2)
        name[i] = 'a', name[i + 1] = '.';
    strcpy(name + 300, "test");
    CHECK(ps_targets_add(t, name, &e) == PS_EINPUT && strstr(e.msg, "1 to 253"), "%s", e.msg);
    /* A token past 1024 bytes is refused whole, the message quoting its start. */
    char big[3000];
    memset(big, '1', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK(ps_targets_add(t, big, &e) == PS_EINPUT && strstr(e.msg, "longer than 1024") &&
              strlen(e.msg) < 200, "%s", e.msg);
    CHECK(ps_targets_add(t, NULL, &e) == PS_EINPUT, "NULL spec");
    ps_targets_free(t);
}

/* ---- exclusions and merging ---- */

static void test_exclusions(void)
{
    static const struct {
        const char *targets, *excl;
        uint64_t count;
        size_t nranges;
        const char *first, *last;
    } cases[] = {
        {"198.0.0.0/8", "198.18.0.0/15", (1u << 24) - (1u << 17), 2, "198.0.0.0", "198.255.255.255"},
        {"198.18.0.0/24", "198.18.0.0", 255, 1, "198.18.0.1", "198.18.0.255"},
        {"198.18.0.0/24", "198.18.0.255", 255, 1, "198.18.0.0", "198.18.0.254"},
        {"198.18.0.0/24", "198.18.0.1,3,5", 253, 4, "198.18.0.0", "198.18.0.255"},
        {"198.18.0.0/24", "198.18.0.1,3,5,198.18.0.200-255", 197, 4, "198.18.0.0", "198.18.0.199"},
        {"198.18.0.0/24", "198.18.0.10 , 198.18.0.20", 254, 3, "198.18.0.0", "198.18.0.255"},
        {"198.18.0.0/24", "10.0.0.0/8", 256, 1, "198.18.0.0", "198.18.0.255"},
        {"198.18.0.0/24", "198.18.0.*,2001:db8::", 0, 0, NULL, NULL},
        {"198.18.0.0/24 2001:db8::/120", "2001:db8::/121", 384, 2, "198.18.0.0", "2001:db8::ff"},
        {"198.18.0.0/24", "0.0.0.0/0", 0, 0, NULL, NULL},
        {"2001:db8::/64", "2001:db8::", UINT64_MAX, 1, "2001:db8::1", "2001:db8::ffff:ffff:ffff:ffff"},
        {"2001:db8::/120", "::/0", 0, 0, NULL, NULL},
        {"198.18.0.5 198.18.0.6 198.18.0.4 198.18.0.1-3", NULL, 6, 1, "198.18.0.1", "198.18.0.6"},
        {"198.18.0.0/25 198.18.0.128/25 198.18.0.100-200", NULL, 256, 1, "198.18.0.0", "198.18.0.255"},
        {"198.18.0.1 198.18.0.3", NULL, 2, 2, "198.18.0.1", "198.18.0.3"},
        {"255.255.255.255 255.255.255.254", NULL, 2, 1, "255.255.255.254", "255.255.255.255"},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", NULL,
         2, 1, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
        {"::1 127.0.0.1", NULL, 2, 2, "127.0.0.1", "::1"},
        {"web.test 198.18.0.0/28", "web.test", 15, 2, "198.18.0.0", "198.18.0.15"},
        {"web.test 198.18.0.0/28", "198.18.0.0/29", 8, 1, "198.18.0.8", "198.18.0.15"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ps_targets *t;
        ps_err e = {""};
        char b1[PS_ADDRSTRLEN], b2[PS_ADDRSTRLEN];
        int calls = 0, rc = build(&t, cases[i].targets, cases[i].excl, &calls, &e);
        if (cases[i].count == 0) {
            CHECK(rc == PS_EINPUT && strstr(e.msg, "no targets left after exclusions"),
                  "'%s' - '%s': %d %s", cases[i].targets, cases[i].excl, rc, e.msg);
        } else {
            CHECK(rc == PS_OK, "'%s' - '%s': %s", cases[i].targets, cases[i].excl, e.msg);
            CHECK(ps_targets_count(t) == cases[i].count, "'%s' - '%s': count %llu",
                  cases[i].targets, cases[i].excl, (unsigned long long)ps_targets_count(t));
            CHECK(ps_targets_nranges(t) == cases[i].nranges, "'%s' - '%s': %zu ranges",
                  cases[i].targets, cases[i].excl, ps_targets_nranges(t));
            CHECK_STR(nth(t, 0, b1), cases[i].first);
            CHECK_STR(nth(t, ps_targets_count(t) - 1, b2), cases[i].last);
        }
        ps_targets_free(t);
    }
}

static void test_exclude_split_rule(void)
{
    static const struct {
        const char *list, *want; /* want: NULL = ok, else message part */
    } cases[] = {
        {"10.0.0.1,3,5", NULL},
        {"10.0.0.1,3,5-7,10.0.0.9", NULL},
        {"10.0.0.1,web.test,2001:db8::1,5", "bad exclusion '2001:db8::1,5'"},
        {"10.0.0.1,,10.0.0.2", "empty item"},
        {"10.0.0.1,", "empty item"},
        {",10.0.0.1", "empty item"},
        {"", "empty exclusion list"},
        {"5,10.0.0.1", "bad exclusion '5'"},
        {"10.0.1,2.3", "bad exclusion '10.0.1'"},
        {"10.0.0.0/8,x_y", "bad exclusion 'x_y'"},
        {"10.0.0.1/33", "prefix length 33"},
        {"::/0", NULL}, /* an exclusion may be as wide as it likes */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ps_targets *t = ps_targets_new(AF_UNSPEC);
        ps_err e = {""};
        int calls = 0;
        ps_targets_set_resolver(t, fake_resolve, &calls);
        int rc = ps_targets_exclude(t, cases[i].list, &e);
        if (!cases[i].want)
            CHECK(rc == PS_OK, "'%s': %s", cases[i].list, e.msg);
        else
            CHECK(rc == PS_EINPUT && strstr(e.msg, cases[i].want), "'%s': %d '%s'",
                  cases[i].list, rc, e.msg);
        ps_targets_free(t);
    }
    ps_targets *t = ps_targets_new(AF_UNSPEC);
    ps_err e;
    CHECK(ps_targets_exclude(t, NULL, &e) == PS_EINPUT, "NULL list");
    ps_targets_free(t);
}

static void test_empty_and_state(void)
{
    ps_targets *t = ps_targets_new(AF_UNSPEC);
    ps_err e = {""};
    ps_addr a;
    CHECK(ps_targets_finalize(t, &e) == PS_EINPUT && strstr(e.msg, "no targets given"), "%s", e.msg);
    CHECK(ps_targets_exclude(t, "10.0.0.0/8", &e) == PS_OK, "%s", e.msg);
    CHECK(ps_targets_finalize(t, &e) == PS_EINPUT && strstr(e.msg, "no targets given"), "%s", e.msg);
    CHECK(ps_targets_count(t) == 0, "count before finalize");
    ps_targets_get(t, 0, &a);
    CHECK(a.family == 0, "get on an unfinished set gives family 0");
    CHECK(ps_targets_add(t, "198.18.0.1", &e) == PS_OK, "%s", e.msg);
    CHECK(ps_targets_finalize(t, &e) == PS_OK, "%s", e.msg);
    CHECK(ps_targets_finalize(t, &e) == PS_OK, "finalize twice");
    CHECK(ps_targets_add(t, "198.18.0.2", &e) != PS_OK && strstr(e.msg, "already finalized"),
          "%s", e.msg);
    ps_targets_get(t, 1, &a);
    CHECK(a.family == 0, "get past the end gives family 0");
    ps_targets_free(t);
    ps_targets_free(NULL);
}

/* ---- big sets: O(ranges), 64-bit counts ---- */

static void test_big_sets(void)
{
    ps_targets *t;
    ps_err e = {""};
    char b[PS_ADDRSTRLEN];
    ps_addr a;
    int calls = 0;

    CHECK(build(&t, "0.0.0.0/0", NULL, &calls, &e) == PS_OK, "%s", e.msg);
    CHECK(ps_targets_count(t) == (1ull << 32) && ps_targets_nranges(t) == 1, "/0");
    CHECK_STR(nth(t, 0x7f000001, b), "127.0.0.1");
    ps_targets_free(t);

    CHECK(build(&t, "198.0.0.0/8", "198.18.0.0/15", &calls, &e) == PS_OK, "%s", e.msg);
    CHECK(ps_targets_nranges(t) == 2, "%zu ranges", ps_targets_nranges(t));
    CHECK_STR(nth(t, (18u << 16) - 1, b), "198.17.255.255");
    CHECK_STR(nth(t, 18u << 16, b), "198.20.0.0");
    ps_addr_parse("198.19.1.1", &a);
    CHECK(!ps_targets_contains(t, &a), "excluded address");
    ps_addr_parse("198.20.0.0", &a);
    CHECK(ps_targets_contains(t, &a), "198.20.0.0");
    ps_targets_free(t);

    /* The whole IPv4 space plus 2^64 - 2^32 - 1 IPv6 addresses: just fits. */
    CHECK(build(&t, "0.0.0.0/0 2001:db8::/64", "2001:db8::/96,2001:db8::1:0:0", &calls, &e) ==
              PS_OK, "%s", e.msg);
    CHECK(ps_targets_count(t) == UINT64_MAX, "count %llu", (unsigned long long)ps_targets_count(t));
    CHECK_STR(nth(t, UINT64_MAX - 1, b), "2001:db8::ffff:ffff:ffff:ffff");
    CHECK_STR(nth(t, 1ull << 32, b), "2001:db8::1:0:1");
    CHECK_STR(nth(t, (1ull << 32) - 1, b), "255.255.255.255");
    ps_targets_get(t, UINT64_MAX, &a);
    CHECK(a.family == 0, "index == count is out of range");
    ps_targets_free(t);

    /* 2^64 exactly does not fit a uint64. */
    CHECK(build(&t, "2001:db8::/64", NULL, &calls, &e) == PS_EINPUT && strstr(e.msg, "2^64"),
          "%s", e.msg);
    ps_targets_free(t);
    CHECK(build(&t, "2001:db8::/64 2001:db8:1::/64 198.18.0.0/15", "2001:db8::/65", &calls, &e) ==
              PS_EINPUT && strstr(e.msg, "2^64"), "%s", e.msg);
    ps_targets_free(t);

    /* 2^20 ranges is the per-token limit, and it is allowed. */
    CHECK(build(&t, "10.0-255.0-255.1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31", NULL, &calls, &e) ==
              PS_OK, "%s", e.msg);
    CHECK(ps_targets_nranges(t) == 1u << 20, "%zu ranges", ps_targets_nranges(t));
    CHECK_STR(nth(t, (1u << 20) - 1, b), "10.255.255.31");
    ps_addr_parse("10.7.200.9", &a);
    CHECK(ps_targets_contains(t, &a), "10.7.200.9");
    ps_addr_parse("10.7.200.10", &a);
    CHECK(!ps_targets_contains(t, &a), "10.7.200.10");
    ps_targets_free(t);
}

/* ---- random sets inside 198.18.0.0/16 against a bitmap ---- */

static unsigned rnd(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 8) & 0xffffff;
}

static void random_spec(unsigned *s, char *buf, size_t len, uint8_t *set, int val)
{
    unsigned kind = rnd(s) % 3, a = rnd(s) % 256, b = rnd(s) % 256, c = rnd(s) % 256;
    if (kind == 0) { /* single */
        snprintf(buf, len, "198.18.%u.%u", a, b);
        set[a << 8 | b] = (uint8_t)val;
    } else if (kind == 1) { /* CIDR /20../32 */
        unsigned p = 20 + rnd(s) % 13, x = a << 8 | b, mask = p == 32 ? 0 : (1u << (32 - p)) - 1;
        snprintf(buf, len, "198.18.%u.%u/%u", a, b, p);
        for (unsigned v = x & ~mask; v <= (x | mask); v++)
            set[v] = (uint8_t)val;
    } else { /* octet ranges */
        unsigned lo = a < b ? a : b, hi = a < b ? b : a, c2 = c + rnd(s) % 8;
        if (c2 > 255)
            c2 = 255;
        snprintf(buf, len, "198.18.%u-%u.%u-%u", lo, hi, c, c2);
        for (unsigned x = lo; x <= hi; x++)
            for (unsigned y = c; y <= c2; y++)
                set[x << 8 | y] = (uint8_t)val;
    }
}

static void test_random_against_bitmap(void)
{
    static uint8_t set[65536];
    unsigned seed = 12345;
    for (int round = 0; round < 200; round++) {
        ps_targets *t = ps_targets_new(AF_INET);
        ps_err e = {""};
        char spec[64];
        int ntok = 1 + (int)(rnd(&seed) % 12), nex = (int)(rnd(&seed) % 6), bad = 0;
        memset(set, 0, sizeof set);
        for (int i = 0; i < ntok && !bad; i++) {
            random_spec(&seed, spec, sizeof spec, set, 1);
            bad |= ps_targets_add(t, spec, &e) != PS_OK;
        }
        for (int i = 0; i < nex && !bad; i++) {
            random_spec(&seed, spec, sizeof spec, set, 0);
            bad |= ps_targets_exclude(t, spec, &e) != PS_OK;
        }
        CHECK(!bad, "round %d: %s", round, e.msg);
        uint64_t want = 0;
        size_t want_ranges = 0;
        for (unsigned v = 0; v < 65536; v++) {
            want += set[v];
            want_ranges += set[v] && (v == 0 || !set[v - 1]);
        }
        int rc = ps_targets_finalize(t, &e);
        if (want == 0) {
            CHECK(rc == PS_EINPUT, "round %d: empty set finalized", round);
            ps_targets_free(t);
            continue;
        }
        CHECK(rc == PS_OK && ps_targets_count(t) == want && ps_targets_nranges(t) == want_ranges,
              "round %d: count %llu want %llu, %zu ranges want %zu", round,
              (unsigned long long)ps_targets_count(t), (unsigned long long)want,
              ps_targets_nranges(t), want_ranges);
        uint64_t i = 0;
        int mismatches = 0;
        for (unsigned v = 0; v < 65536; v++) {
            ps_addr a = {.family = AF_INET, .u.v4 = 0xc6120000u | v};
            mismatches += ps_targets_contains(t, &a) != set[v];
            if (set[v]) {
                ps_addr g;
                uint64_t back = UINT64_MAX;
                mismatches += !ps_targets_index(t, &a, &back) || back != i;
                ps_targets_get(t, i++, &g);
                mismatches += g.family != AF_INET || g.u.v4 != a.u.v4;
            }
        }
        CHECK(mismatches == 0, "round %d: %d mismatches", round, mismatches);
        ps_targets_free(t);
    }
}

/* ---- hostnames ---- */

static void test_names(void)
{
    ps_targets *t;
    ps_err e = {""};
    ps_addr a;
    int calls = 0;
    CHECK(build(&t, "web.test alias.test v6.test 198.18.0.11", NULL, &calls, &e) == PS_OK, "%s",
          e.msg);
    CHECK(calls == 3, "%d lookups", calls);
    CHECK(ps_targets_count(t) == 3, "count %llu", (unsigned long long)ps_targets_count(t));
    ps_addr_parse("198.18.0.10", &a);
    CHECK_STR(ps_targets_name(t, &a), "web.test"); /* first name given wins */
    ps_addr_parse("2001:db8::10", &a);
    CHECK_STR(ps_targets_name(t, &a), "v6.test");
    ps_addr_parse("198.18.0.11", &a);
    CHECK(ps_targets_name(t, &a) == NULL, "a literal has no name");
    ps_targets_free(t);

    /* -6 restricts lookups; a name with only an IPv4 address fails. */
    t = ps_targets_new(AF_INET6);
    ps_targets_set_resolver(t, fake_resolve, &calls);
    CHECK(ps_targets_add(t, "web.test", &e) == PS_EINPUT, "web.test under -6");
    CHECK(ps_targets_add(t, "v6.test", &e) == PS_OK, "%s", e.msg);
    ps_addr_parse("2001:db8::10", &a);
    CHECK_STR(ps_targets_name(t, &a), "v6.test"); /* before finalize too */
    ps_targets_free(t);
}

static void test_localhost_and_invalid(void)
{
    ps_targets *t = ps_targets_new(AF_UNSPEC);
    ps_err e = {""};
    ps_addr a;
    char b[PS_ADDRSTRLEN];
    struct timespec t0, t1;
    CHECK(ps_targets_add(t, "localhost", &e) == PS_OK, "%s", e.msg);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(ps_targets_add(t, "pscan-no-such-host.invalid", &e) == PS_EINPUT &&
              strstr(e.msg, "cannot resolve 'pscan-no-such-host.invalid'"), "%s", e.msg);
    CHECK(ps_targets_add(t, "PSCAN.INVALID.", &e) == PS_EINPUT, "upper case .invalid");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK(secs < 0.5, "unknown host took %.3f s", secs);
    CHECK(ps_targets_finalize(t, &e) == PS_OK, "%s", e.msg);
    CHECK(ps_targets_count(t) == 1, "count %llu", (unsigned long long)ps_targets_count(t));
    ps_targets_get(t, 0, &a);
    CHECK_STR(ps_addr_str(&a, b, sizeof b), "127.0.0.1");
    CHECK_STR(ps_targets_name(t, &a), "localhost");
    ps_targets_free(t);
}

/* ---- files ---- */

static char *write_temp(const char *content, size_t len)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/pscan-targets-%d-XXXXXX", (int)getpid());
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    if (write(fd, content, len) != (ssize_t)len) {
        close(fd);
        return NULL;
    }
    close(fd);
    return path;
}

static void test_files(void)
{
    static const char good[] =
        "# targets\n198.18.0.1 198.18.0.2\t198.18.0.3#trailing comment\r\n"
        "\n   # indented comment with 1.2.3 garbage\n198.18.1.0/24\n2001:db8::1"; /* no final newline */
    static const char excl[] = "198.18.1.128/25\n#198.18.0.1\n198.18.0.2";
    ps_targets *t = ps_targets_new(AF_UNSPEC);
    ps_err e = {""};
    char *p = write_temp(good, sizeof good - 1);
    CHECK(p != NULL, "temp file");
    CHECK(ps_targets_add_file(t, p, &e) == PS_OK, "%s", e.msg);
    unlink(p);
    p = write_temp(excl, sizeof excl - 1);
    CHECK(ps_targets_exclude_file(t, p, &e) == PS_OK, "%s", e.msg);
    unlink(p);
    CHECK(ps_targets_finalize(t, &e) == PS_OK, "%s", e.msg);
    CHECK(ps_targets_count(t) == 2 + 128 + 1, "count %llu", (unsigned long long)ps_targets_count(t));
    ps_targets_free(t);

    static const struct {
        const char *content;
        size_t len;
        const char *want;
    } bad[] = {
        {"198.18.0.1\n\n198.18.0.256\n", 26, ":3: bad target '198.18.0.256'"},
        {"198.18.0.1 x\0y\n", 15, ":1: NUL byte"},
        {"1.2.3.4/\n", 9, ":1: bad target '1.2.3.4/': missing prefix"},
        {"\xff\xfe\n", 3, "unexpected byte 0xff"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t = ps_targets_new(AF_UNSPEC);
        p = write_temp(bad[i].content, bad[i].len);
        CHECK(ps_targets_add_file(t, p, &e) == PS_EINPUT && strstr(e.msg, bad[i].want) &&
                  strstr(e.msg, p), "case %zu: '%s'", i, e.msg);
        unlink(p);
        ps_targets_free(t);
    }

    /* Missing and unreadable files name the path and the reason. */
    t = ps_targets_new(AF_UNSPEC);
    CHECK(ps_targets_add_file(t, "/nonexistent/pscan-targets", &e) == PS_EINPUT &&
              strstr(e.msg, "/nonexistent/pscan-targets") && strstr(e.msg, "No such file"),
          "%s", e.msg);
    CHECK(ps_targets_exclude_file(t, "/tmp", &e) == PS_EINPUT && strstr(e.msg, "/tmp") &&
              strstr(e.msg, "directory"), "%s", e.msg);
    CHECK(ps_targets_add_file(t, "", &e) == PS_EINPUT, "empty path");
    ps_targets_free(t);

    /* "-" is standard input. */
    t = ps_targets_new(AF_UNSPEC);
    p = write_temp("198.18.3.0/30 # four\n", 21);
    CHECK(freopen(p, "r", stdin) != NULL, "freopen");
    CHECK(ps_targets_add_file(t, "-", &e) == PS_OK, "%s", e.msg);
    unlink(p);
    CHECK(ps_targets_finalize(t, &e) == PS_OK && ps_targets_count(t) == 4, "%s", e.msg);
    ps_targets_free(t);
}

static void test_file_long_lines(void)
{
    /* 1 MB on one line: tokens of 1024 bytes are fine (as far as length
     * goes), 1025 is refused quoting 40 bytes; comments may be any length. */
    size_t n = 1 << 20;
    char *buf = malloc(n + 64);
    ps_err e = {""};
    buf[0] = '#';
    memset(buf + 1, 'x', n);
    strcpy(buf + 1 + n, "\n198.18.0.1\n");
    FILE *f = fmemopen(buf, strlen(buf), "r");
    ps_targets *t = ps_targets_new(AF_UNSPEC);
    CHECK(ps_targets_add_stream(t, f, "long-comment", &e) == PS_OK, "%s", e.msg);
    fclose(f);
    ps_targets_free(t);

    memset(buf, 'a', n);
    buf[n] = '\0';
    f = fmemopen(buf, n, "r");
    t = ps_targets_new(AF_UNSPEC);
    CHECK(ps_targets_add_stream(t, f, "long-token", &e) == PS_EINPUT &&
              strstr(e.msg, "long-token:1: token longer than 1024 bytes, starting "
                            "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'"), "%s", e.msg);
    fclose(f);
    ps_targets_free(t);

    memset(buf, '1', 1024);
    buf[1024] = '\0';
    f = fmemopen(buf, 1024, "r");
    t = ps_targets_new(AF_UNSPEC);
    CHECK(ps_targets_add_stream(t, f, "max-token", &e) == PS_EINPUT &&
              strstr(e.msg, "max-token:1: bad target"), "%s", e.msg);
    fclose(f);
    ps_targets_free(t);
    free(buf);
}

static void test_file_many_addresses(void)
{
    /* 200,000 consecutive addresses, one per line, merge as they arrive. */
    size_t cap = 200000 * 20, len = 0;
    char *buf = malloc(cap);
    ps_err e = {""};
    for (unsigned i = 0; i < 200000; i++) {
        unsigned v = 0x0a000000u + i;
        len += (size_t)snprintf(buf + len, cap - len, "%u.%u.%u.%u\n", v >> 24, v >> 16 & 255,
                                v >> 8 & 255, v & 255);
    }
    FILE *f = fmemopen(buf, len, "r");
    ps_targets *t = ps_targets_new(AF_UNSPEC);
    CHECK(ps_targets_add_stream(t, f, "many", &e) == PS_OK, "%s", e.msg);
    CHECK(ps_targets_nranges(t) < 200, "%zu ranges before finalize", ps_targets_nranges(t));
    CHECK(ps_targets_finalize(t, &e) == PS_OK, "%s", e.msg);
    CHECK(ps_targets_count(t) == 200000 && ps_targets_nranges(t) == 1, "count %llu",
          (unsigned long long)ps_targets_count(t));
    fclose(f);
    ps_targets_free(t);
    free(buf);
}

/* ps_targets_index inverts ps_targets_get across IPv4 and IPv6 ranges. */
static void test_index_round_trip(void)
{
    ps_targets *t = ps_targets_new(AF_UNSPEC);
    ps_err e = {""};
    CHECK(ps_targets_add(t, "198.18.0.0/30", &e) == PS_OK, "%s", e.msg);
    CHECK(ps_targets_add(t, "198.18.5.1-3", &e) == PS_OK, "%s", e.msg);
    CHECK(ps_targets_add(t, "2001:db8::/126", &e) == PS_OK, "%s", e.msg);
    CHECK(ps_targets_add(t, "2001:db8:1::9", &e) == PS_OK, "%s", e.msg);
    CHECK(ps_targets_finalize(t, &e) == PS_OK, "%s", e.msg);
    CHECK(ps_targets_count(t) == 12, "count %llu", (unsigned long long)ps_targets_count(t));
    for (uint64_t i = 0; i < ps_targets_count(t); i++) {
        ps_addr a;
        uint64_t back = UINT64_MAX;
        ps_targets_get(t, i, &a);
        CHECK(ps_targets_index(t, &a, &back) && back == i, "index %llu -> %llu",
              (unsigned long long)i, (unsigned long long)back);
    }
    ps_addr out = {.family = AF_INET, .u.v4 = 0xc6120004u};
    CHECK(!ps_targets_index(t, &out, NULL), "198.18.0.4 is not in the set");
    ps_targets_free(t);
}

/* Special addresses leave the set only when asked, and are counted. */
static void test_drop_special(void)
{
    ps_targets *t = ps_targets_new(AF_UNSPEC);
    ps_err e = {""};
    CHECK(ps_targets_add(t, "0.0.0.0/0", &e) == PS_OK, "%s", e.msg);
    CHECK(ps_targets_add(t, "ff02::1", &e) == PS_OK, "%s", e.msg);
    CHECK(ps_targets_add(t, "2001:db8::1", &e) == PS_OK, "%s", e.msg);
    ps_targets_drop_special(t, 1);
    CHECK(ps_targets_finalize(t, &e) == PS_OK, "%s", e.msg);
    /* 2^32 - 0/8 - 224/3, plus the one IPv6 unicast address */
    CHECK(ps_targets_count(t) == 4294967296ull - 16777216ull - 536870912ull + 1, "count %llu",
          (unsigned long long)ps_targets_count(t));
    CHECK(ps_targets_special_removed(t) == 16777216ull + 536870912ull + 1, "removed %llu",
          (unsigned long long)ps_targets_special_removed(t));
    ps_targets_free(t);

    t = ps_targets_new(AF_UNSPEC);
    CHECK(ps_targets_add(t, "224.0.0.1", &e) == PS_OK, "%s", e.msg);
    CHECK(ps_targets_add(t, "255.255.255.255", &e) == PS_OK, "%s", e.msg);
    ps_targets_drop_special(t, 1);
    CHECK(ps_targets_finalize(t, &e) == PS_EINPUT && strstr(e.msg, "--allow-special"), "%s", e.msg);
    ps_targets_free(t);
}

int main(void)
{
    RUN(test_drop_special);
    RUN(test_index_round_trip);
    RUN(test_tokens_good);
    RUN(test_tokens_bad);
    RUN(test_long_labels);
    RUN(test_exclusions);
    RUN(test_exclude_split_rule);
    RUN(test_empty_and_state);
    RUN(test_big_sets);
    RUN(test_random_against_bitmap);
    RUN(test_names);
    RUN(test_localhost_and_invalid);
    RUN(test_files);
    RUN(test_file_long_lines);
    RUN(test_file_many_addresses);
    return UNIT_END();
}
