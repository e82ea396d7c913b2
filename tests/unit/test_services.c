/* test_services.c: IANA registry lookups (src/target/iana.c) and pscan's
 * top-ports ranking (src/target/top_ports.c). */
#include <stdint.h>
#include <stdlib.h>

#include "pscan/iana.h"
#include "unit.h"

static void test_service_port(void)
{
    static const struct {
        const char *name;
        enum ps_proto proto;
        int want;
    } cases[] = {
        {"ssh", PS_TCP, 22},      {"http", PS_TCP, 80},    {"https", PS_TCP, 443},
        {"HTTP", PS_TCP, 80},     {"sSh", PS_TCP, 22},     {"domain", PS_UDP, 53},
        {"snmp", PS_UDP, 161},    {"alarm", PS_TCP, 2740}, {"ms-wbt-server", PS_TCP, 3389},
        {"adws", PS_TCP, 9389},   {"adws", PS_UDP, -1},    {"nosuchservice", PS_TCP, -1},
        {"", PS_TCP, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int got = ps_service_port(cases[i].name, cases[i].proto);
        CHECK(got == cases[i].want, "'%s'/%d: got %d, want %d", cases[i].name,
              (int)cases[i].proto, got, cases[i].want);
    }
}

static void test_service_name(void)
{
    CHECK_STR(ps_service_name(22, PS_TCP), "ssh");
    CHECK_STR(ps_service_name(80, PS_TCP), "http");
    CHECK_STR(ps_service_name(53, PS_UDP), "domain");
    CHECK_STR(ps_service_name(2740, PS_TCP), "alarm");
    CHECK_STR(ps_service_name(2740, PS_UDP), "alarm");
    CHECK(ps_service_name(4, PS_TCP) == NULL, "4/tcp is unassigned");
    CHECK(ps_service_name(0, PS_TCP) == NULL, "0/tcp is reserved, not named");
    CHECK(ps_service_name(50000, PS_TCP) == NULL, "50000/tcp is dynamic");
}

static void test_service_status(void)
{
    CHECK(ps_service_status(0, PS_TCP) == PS_REG_RESERVED, "0/tcp");
    CHECK(ps_service_status(0, PS_UDP) == PS_REG_RESERVED, "0/udp");
    CHECK(ps_service_status(22, PS_TCP) == PS_REG_ASSIGNED, "22/tcp");
    CHECK(ps_service_status(4, PS_TCP) == PS_REG_UNASSIGNED, "4/tcp");
    CHECK(ps_service_status(50000, PS_TCP) == PS_REG_DYNAMIC, "50000/tcp");
    CHECK(ps_service_status(65535, PS_UDP) == PS_REG_DYNAMIC, "65535/udp");
}

/* The first n of the ranking: n entries, all in 1..65535, none twice. */
static int distinct_ports(const uint16_t *a, int n)
{
    uint8_t *seen = calloc(65536, 1);
    int ok = seen != NULL;
    for (int i = 0; ok && i < n; i++) {
        if (a[i] == 0 || seen[a[i]]) ok = 0;
        else seen[a[i]] = 1;
    }
    free(seen);
    return ok;
}

static int index_of(const uint16_t *a, int n, uint16_t port)
{
    for (int i = 0; i < n; i++)
        if (a[i] == port) return i;
    return -1;
}

static void test_top_tcp(void)
{
    static uint16_t a[65535], b[65535];
    CHECK(ps_top_ports(PS_TCP, 1000, a) == 1000, "1000 tcp ports");
    CHECK(distinct_ports(a, 1000), "tcp top 1000 has duplicates or port 0");
    for (uint16_t want = 80;; want = want == 80 ? 443 : 22) {
        int at = index_of(a, 5, want);
        CHECK(at >= 0, "%u not among the first 5 tcp ports", want);
        if (want == 22) break;
    }
    /* Deterministic, and a prefix of the longer list. */
    CHECK(ps_top_ports(PS_TCP, 65535, b) == 65535, "all tcp ports");
    CHECK(memcmp(a, b, 1000 * sizeof *a) == 0, "top 1000 is a prefix of the full list");
    CHECK(distinct_ports(b, 65535), "full tcp ranking is not a permutation of 1..65535");
    CHECK(b[65534] == 65535, "the tail ends ascending, last %u", b[65534]);
    CHECK(ps_top_ports(PS_TCP, 100000, a) == 65535, "n is capped at 65535");
    CHECK(ps_top_ports(PS_TCP, 0, a) == 0, "n=0");
    CHECK(ps_top_ports(PS_TCP, -5, a) == 0, "n<0");
    CHECK(ps_top_ports(PS_TCP, 10, NULL) == 0, "out=NULL");
    CHECK(ps_top_ports((enum ps_proto)9, 10, a) == 0, "bad proto");
}

static void test_top_tcp_tail_rule(void)
{
    /* After the hand-ranked head come the IANA-assigned ports below 1024
     * ascending, then assigned 1024-49151 ascending, then the rest: so the
     * last unassigned system port must come after every assigned one. */
    static uint16_t a[65535];
    ps_top_ports(PS_TCP, 65535, a);
    int last_assigned_low = -1, first_rest = -1;
    for (int i = 0; i < 65535; i++) {
        if (a[i] < 1024 && ps_service_status(a[i], PS_TCP) == PS_REG_ASSIGNED)
            last_assigned_low = i;
        if (first_rest < 0 && a[i] == 4) first_rest = i; /* 4/tcp: unassigned, not ranked */
    }
    CHECK(last_assigned_low >= 0 && first_rest > last_assigned_low, "low %d rest %d",
          last_assigned_low, first_rest);
}

static void test_top_udp(void)
{
    static uint16_t a[65535];
    CHECK(ps_top_ports(PS_UDP, 100, a) == 100, "100 udp ports");
    CHECK(distinct_ports(a, 100), "udp top 100 has duplicates");
    CHECK(index_of(a, 5, 53) >= 0 && index_of(a, 5, 123) >= 0 && index_of(a, 5, 161) >= 0,
          "53, 123, 161 among the first 5 udp ports");
    CHECK(ps_top_ports(PS_UDP, 65535, a) == 65535, "all udp ports");
    CHECK(distinct_ports(a, 65535), "full udp ranking is not a permutation");
}

int main(void)
{
    RUN(test_service_port);
    RUN(test_service_name);
    RUN(test_service_status);
    RUN(test_top_tcp);
    RUN(test_top_tcp_tail_rule);
    RUN(test_top_udp);
    return UNIT_END();
}
