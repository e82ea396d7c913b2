/* test_ports.c: the -p / --exclude-ports / --top-ports port sets (src/target/ports.c).
 *
 * Cases are tables: a spec, the default protocols, and either the expected
 * set written as ranges ("tcp 1-3,80 udp 53") or a piece the error message
 * must contain (the offending token, quoted). */
#include <stdint.h>
#include <stdlib.h>

#include "pscan/ports.h"
#include "unit.h"


/* Append a sorted port array to buf as "a-b,c". */
static void fmt_list(char *buf, size_t cap, const uint16_t *a, size_t n)
{
    size_t o = strlen(buf);
    for (size_t i = 0; i < n && o < cap;) {
        size_t j = i;
        while (j + 1 < n && a[j + 1] == a[j] + 1) j++;
        if (j == i)
            o += (size_t)snprintf(buf + o, cap - o, "%s%u", i ? "," : "", a[i]);
        else
            o += (size_t)snprintf(buf + o, cap - o, "%s%u-%u", i ? "," : "", a[i], a[j]);
        i = j + 1;
    }
}

static const char *fmt_set(const ps_ports *p)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "tcp ");
    fmt_list(buf, sizeof buf, p->tcp, p->ntcp);
    strncat(buf, " udp ", sizeof buf - strlen(buf) - 1);
    fmt_list(buf, sizeof buf, p->udp, p->nudp);
    return buf;
}

/* Every set must be sorted, unique, within 1..65535, NULL iff empty. */
static int well_formed(const ps_ports *p)
{
    const uint16_t *a[2] = {p->tcp, p->udp};
    size_t n[2] = {p->ntcp, p->nudp};
    for (int k = 0; k < 2; k++) {
        if ((a[k] == NULL) != (n[k] == 0)) return 0;
        for (size_t i = 0; i < n[k]; i++)
            if (a[k][i] == 0 || (i && a[k][i] <= a[k][i - 1])) return 0;
    }
    return 1;
}

struct ok_case {
    const char *spec;
    int tcp, udp; /* default protocols */
    const char *want;
};

static const struct ok_case ok_cases[] = {
    {"22", 1, 0, "tcp 22 udp "},
    {"1", 1, 0, "tcp 1 udp "},
    {"65535", 1, 0, "tcp 65535 udp "},
    {"0022", 1, 0, "tcp 22 udp "},
    {"1-1024", 1, 0, "tcp 1-1024 udp "},
    {"22-22", 1, 0, "tcp 22 udp "},
    {"-", 1, 0, "tcp 1-65535 udp "},
    {"1-", 1, 0, "tcp 1-65535 udp "},
    {"60000-", 1, 0, "tcp 60000-65535 udp "},
    {"-1024", 1, 0, "tcp 1-1024 udp "},
    {"-1", 1, 0, "tcp 1 udp "},
    {"65535-", 1, 0, "tcp 65535 udp "},
    {"7-9", 1, 0, "tcp 7-9 udp "},          /* inside one bitmap byte */
    {"5-20", 1, 0, "tcp 5-20 udp "},        /* across byte edges */
    {"22,80,T:443,U:53", 1, 0, "tcp 22,80,443 udp 53"},
    {"U:53,111,T:22", 1, 0, "tcp 22 udp 53,111"},
    {"u:53,t:22", 1, 0, "tcp 22 udp 53"},
    {"T:1-3,U:1-3", 1, 0, "tcp 1-3 udp 1-3"},
    {"T: 22", 1, 0, "tcp 22 udp "},
    {"ssh", 1, 0, "tcp 22 udp "},
    {"SSH", 1, 0, "tcp 22 udp "},
    {"Http,https", 1, 0, "tcp 80,443 udp "},
    {"U:domain", 1, 0, "tcp  udp 53"},
    {"3com-tsmux", 1, 0, "tcp 106 udp "},   /* legacy name starting with a digit */
    {" 22 , 80 ,\t443 ", 1, 0, "tcp 22,80,443 udp "},
    {"80,22,80,1-100", 1, 0, "tcp 1-100 udp "},
    {"100-200,150-250", 1, 0, "tcp 100-250 udp "},
    {"22", 1, 1, "tcp 22 udp 22"},
    {"22,T:80", 1, 1, "tcp 22,80 udp 22"},
    {"ssh", 1, 1, "tcp 22 udp 22"},
    {"53", 0, 1, "tcp  udp 53"},
    {"T:22", 0, 0, "tcp 22 udp "},
    {"2ping", 1, 1, "tcp  udp 15998"},     /* registered for UDP only */
};

static void test_parse_ok(void)
{
    for (size_t i = 0; i < sizeof ok_cases / sizeof *ok_cases; i++) {
        const struct ok_case *c = &ok_cases[i];
        ps_ports p = {0};
        ps_err e = {{0}};
        int rc = ps_ports_parse_ex(&p, c->spec, c->tcp, c->udp, &e);
        CHECK(rc == PS_OK, "'%s': rc %d: %s", c->spec, rc, e.msg);
        CHECK(well_formed(&p), "'%s': malformed set", c->spec);
        const char *got = fmt_set(&p);
        CHECK(strcmp(got, c->want) == 0, "'%s': got '%s', want '%s'", c->spec, got, c->want);
        ps_ports_free(&p);
    }
}

struct bad_case {
    const char *spec;
    int tcp, udp;
    const char *want; /* substring of the message */
};

static const struct bad_case bad_cases[] = {
    {"0", 1, 0, "port 0 is not allowed in '0'"},
    {"0-10", 1, 0, "'0-10'"},
    {"-0", 1, 0, "'-0'"},
    {"65536", 1, 0, "out of range (1-65535) in '65536'"},
    {"1-65536", 1, 0, "out of range (1-65535) in '1-65536'"},
    {"99999999999999999999", 1, 0, "out of range (1-65535) in '99999999999999999999'"},
    {"80-22", 1, 0, "reversed port range '80-22'"},
    {"22,,80", 1, 0, "empty item in port list '22,,80'"},
    {"22,", 1, 0, "empty item in port list '22,'"},
    {",22", 1, 0, "empty item"},
    {"22, ,80", 1, 0, "empty item"},
    {"", 1, 0, "empty port specification"},
    {" \t", 1, 0, "empty port specification"},
    {"22x", 1, 0, "bad port '22x'"},
    {"+22", 1, 0, "bad port '+22'"},
    {"0x16", 1, 0, "bad port '0x16'"},
    {"1-2-3", 1, 0, "bad port '1-2-3'"},
    {"--", 1, 0, "bad port '--'"},
    {"22 80", 1, 0, "bad port '22 80'"},
    {"22:80", 1, 0, "bad port '22:80'"},
    {"T:U:22", 1, 0, "bad port 'T:U:22'"},
    {"T:", 1, 0, "protocol switch 'T:' has no port"},
    {"22,U:", 1, 0, "protocol switch 'U:' has no port"},
    {"T: ,22", 1, 0, "protocol switch 'T:' has no port"},
    {"S:22", 1, 0, "unknown protocol prefix in 'S:22'"},
    {"nosuchservice", 1, 0, "unknown service name 'nosuchservice' for tcp"},
    {"U:adws", 1, 0, "unknown service name 'U:adws' for udp"},
    {"nosuchservice", 1, 1, "for tcp or udp"},
    {"22", 0, 0, "'22' has no protocol"},
    {"ssh\x1b[31m", 1, 0, "'ssh\\x1b[31m'"},
    {"\xff\xfe", 1, 0, "bad port '\\xff\\xfe'"},
    {"http*", 1, 0, "unknown service name 'http*'"},
};

static void test_parse_errors(void)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
        const struct bad_case *c = &bad_cases[i];
        ps_ports p = {0};
        ps_err e = {{0}};
        int rc = ps_ports_parse_ex(&p, c->spec, c->tcp, c->udp, &e);
        CHECK(rc == PS_EINPUT, "'%s': rc %d, want PS_EINPUT", c->spec, rc);
        CHECK(strstr(e.msg, c->want) != NULL, "'%s': message '%s' lacks '%s'", c->spec,
              e.msg, c->want);
        CHECK(p.tcp == NULL && p.ntcp == 0 && p.udp == NULL && p.nudp == 0,
              "'%s': set changed on error", c->spec);
        ps_ports_free(&p);
    }
}

static void test_parse_null_and_long(void)
{
    ps_ports p = {0};
    ps_err e = {{0}};
    CHECK(ps_ports_parse(&p, NULL, &e) == PS_EINPUT, "NULL spec");
    CHECK(strstr(e.msg, "no port specification") != NULL, "%s", e.msg);
    CHECK(ps_ports_parse(NULL, "22", &e) == PS_EINPUT, "NULL set");
    CHECK(ps_ports_parse(&p, "22", NULL) == PS_OK, "NULL err is allowed");
    CHECK(ps_ports_parse(&p, "0", NULL) == PS_EINPUT, "NULL err on failure");
    ps_ports_free(&p);

    /* A huge garbage token is named, but cut short. */
    char big[2000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    CHECK(ps_ports_parse(&p, big, &e) == PS_EINPUT, "long name");
    CHECK(strstr(e.msg, "aaaa...'") != NULL && strlen(e.msg) < 200, "%s", e.msg);

    /* Many open ranges stay cheap and merge. */
    char *many = malloc(20001);
    for (int i = 0; i < 10000; i++) memcpy(many + 2 * i, "-,", 2);
    many[19999] = 0;
    CHECK(ps_ports_parse(&p, many, &e) == PS_OK, "%s", e.msg);
    CHECK(p.ntcp == 65535 && p.tcp[0] == 1 && p.tcp[65534] == 65535, "ntcp %zu", p.ntcp);
    free(many);
    ps_ports_free(&p);
    CHECK(p.tcp == NULL && p.ntcp == 0, "free resets");
    ps_ports_free(&p); /* twice is fine */
    ps_ports_free(NULL);
}

static void test_parse_accumulates_and_is_atomic(void)
{
    ps_ports p = {0};
    ps_err e = {{0}};
    CHECK(ps_ports_parse(&p, "22", &e) == PS_OK, "%s", e.msg);
    CHECK(ps_ports_parse(&p, "80,U:53", &e) == PS_OK, "%s", e.msg);
    CHECK_STR(fmt_set(&p), "tcp 22,80 udp 53");
    /* The good items before the bad one must not leak in. */
    CHECK(ps_ports_parse(&p, "443,U:161,99999", &e) == PS_EINPUT, "bad tail");
    CHECK_STR(fmt_set(&p), "tcp 22,80 udp 53");
    ps_ports_free(&p);
}

struct excl_case {
    const char *start; /* parsed with (1,0) */
    const char *excl;
    const char *want;
};

static const struct excl_case excl_cases[] = {
    {"1-100,U:53", "60-100", "tcp 1-59 udp 53"},
    {"1-100,U:53", "53", "tcp 1-52,54-100 udp "},  /* unprefixed: both protocols */
    {"1-100,U:53", "T:53", "tcp 1-52,54-100 udp 53"},
    {"1-100,U:53", "U:53", "tcp 1-100 udp "},
    {"1-100", "ssh, 23 ,-10", "tcp 11-21,24-100 udp "},
    {"1-100", "-", "tcp  udp "},
    {"22", "8080", "tcp 22 udp "},
    {"-", "2-65534", "tcp 1,65535 udp "},
};

static void test_exclude(void)
{
    for (size_t i = 0; i < sizeof excl_cases / sizeof *excl_cases; i++) {
        const struct excl_case *c = &excl_cases[i];
        ps_ports p = {0};
        ps_err e = {{0}};
        CHECK(ps_ports_parse(&p, c->start, &e) == PS_OK, "%s", e.msg);
        CHECK(ps_ports_exclude(&p, c->excl, &e) == PS_OK, "'%s': %s", c->excl, e.msg);
        CHECK(well_formed(&p), "'%s': malformed set", c->excl);
        const char *got = fmt_set(&p);
        CHECK(strcmp(got, c->want) == 0, "exclude '%s': got '%s', want '%s'", c->excl, got,
              c->want);
        ps_ports_free(&p);
    }
}

static void test_exclude_errors(void)
{
    static const char *bad[] = {"0", "80-22", "22,,23", "T:", "nosuchservice", "22x", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ps_ports p = {0};
        ps_err e = {{0}};
        CHECK(ps_ports_parse(&p, "1-100", &e) == PS_OK, "%s", e.msg);
        CHECK(ps_ports_exclude(&p, bad[i], &e) == PS_EINPUT, "'%s' accepted", bad[i]);
        CHECK_STR(fmt_set(&p), "tcp 1-100 udp ");
        ps_ports_free(&p);
    }
}

static void test_top(void)
{
    ps_ports p = {0};
    ps_err e = {{0}};
    static const int bad_n[] = {0, -1, 65536, 1 << 30};
    for (size_t i = 0; i < sizeof bad_n / sizeof *bad_n; i++) {
        CHECK(ps_ports_top(&p, PS_TCP, bad_n[i], &e) == PS_EINPUT, "n=%d accepted", bad_n[i]);
        CHECK(strstr(e.msg, "out of range") != NULL, "%s", e.msg);
    }
    CHECK(ps_ports_top(&p, (enum ps_proto)7, 10, &e) == PS_EINPUT, "bad proto accepted");
    CHECK(p.ntcp == 0 && p.nudp == 0, "set changed on error");

    CHECK(ps_ports_top(&p, PS_TCP, 1, &e) == PS_OK, "%s", e.msg);
    CHECK_STR(fmt_set(&p), "tcp 80 udp ");
    CHECK(ps_ports_top(&p, PS_TCP, 1000, &e) == PS_OK, "%s", e.msg);
    CHECK(p.ntcp == 1000 && well_formed(&p), "ntcp %zu", p.ntcp);
    CHECK(ps_ports_top(&p, PS_UDP, 100, &e) == PS_OK, "%s", e.msg);
    CHECK(p.nudp == 100 && well_formed(&p), "nudp %zu", p.nudp);
    CHECK(ps_ports_parse(&p, "U:2", &e) == PS_OK, "%s", e.msg); /* union with -p */
    CHECK(p.nudp == 101, "nudp %zu", p.nudp);
    CHECK(ps_ports_top(&p, PS_TCP, 65535, &e) == PS_OK, "%s", e.msg);
    CHECK(p.ntcp == 65535, "ntcp %zu", p.ntcp);
    ps_ports_free(&p);
}

int main(void)
{
    RUN(test_parse_ok);
    RUN(test_parse_errors);
    RUN(test_parse_null_and_long);
    RUN(test_parse_accumulates_and_is_atomic);
    RUN(test_exclude);
    RUN(test_exclude_errors);
    RUN(test_top);
    return UNIT_END();
}
