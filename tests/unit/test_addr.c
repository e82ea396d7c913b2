/* test_addr.c: the address type: parsing, printing, order, 128-bit
 * conversion and sockaddr filling. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "pscan/addr.h"
#include "unit.h"

static void test_parse_good(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"0.0.0.0", "0.0.0.0"},
        {"255.255.255.255", "255.255.255.255"},
        {"198.18.0.1", "198.18.0.1"},
        {"010.000.0.001", "10.0.0.1"}, /* decimal, never octal */
        {"::", "::"},
        {"::1", "::1"},
        {"2001:db8::1", "2001:db8::1"},
        {"2001:0DB8:0:0:0:0:0:1", "2001:db8::1"},
        {"::ffff:198.18.0.1", "::ffff:198.18.0.1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ps_addr a;
        char buf[PS_ADDRSTRLEN];
        int rc = ps_addr_parse(cases[i].in, &a);
        CHECK(rc == 0, "parse '%s' failed", cases[i].in);
        if (rc == 0)
            CHECK_STR(ps_addr_str(&a, buf, sizeof buf), cases[i].out);
    }
}

static void test_parse_bad(void)
{
    static const char *const cases[] = {
        "", ".", "1.2.3", "1.2.3.4.5", "1.2.3.256", "300.1.1.1", "1..2.3", "1.2.3.4 ",
        " 1.2.3.4", "0x7f.0.0.1", "127.1", "1.2.3.0001", "-1.2.3.4", "1.2.3.4/32",
        "fe80::1%eth0", ":::", "2001:db8::1::2", "12345::", "localhost", "1.2.3.-",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ps_addr a;
        CHECK(ps_addr_parse(cases[i], &a) != 0, "'%s' parsed", cases[i]);
    }
    CHECK(ps_addr_parse(NULL, &(ps_addr){0}) != 0, "NULL parsed");
}

static void test_cmp(void)
{
    ps_addr a, b, c, d;
    ps_addr_parse("198.18.0.1", &a);
    ps_addr_parse("198.18.0.2", &b);
    ps_addr_parse("::", &c);
    ps_addr_parse("2001:db8::1", &d);
    CHECK(ps_addr_cmp(&a, &b) < 0, "a<b");
    CHECK(ps_addr_cmp(&b, &a) > 0, "b>a");
    CHECK(ps_addr_cmp(&a, &a) == 0, "a==a");
    CHECK(ps_addr_cmp(&b, &c) < 0, "IPv4 before IPv6");
    CHECK(ps_addr_cmp(&c, &b) > 0, "IPv6 after IPv4");
    CHECK(ps_addr_cmp(&c, &d) < 0, ":: < 2001:db8::1");
}

static void test_u128(void)
{
    ps_addr a;
    uint8_t back[16];
    ps_addr_parse("2001:db8::1:2", &a);
    ps_u128 x = ps_addr6_to_u128(a.u.v6);
    CHECK((uint64_t)(x >> 96) == 0x20010db8u, "top word %llx", (unsigned long long)(x >> 96));
    CHECK((uint64_t)x == 0x10002u, "low word %llx", (unsigned long long)x);
    ps_u128_to_addr6(x + 0xfffe, back);
    ps_addr_parse("2001:db8::2:0", &a);
    CHECK(memcmp(back, a.u.v6, 16) == 0, "x + 0xfffe carries into the next group");
    ps_u128_to_addr6(~(ps_u128)0, back);
    ps_addr_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &a);
    CHECK(memcmp(back, a.u.v6, 16) == 0, "all ones");
}

static void test_sockaddr(void)
{
    ps_addr a;
    struct sockaddr_storage ss;
    ps_addr_parse("127.0.0.1", &a);
    socklen_t n = ps_addr_to_sockaddr(&a, 8080, &ss);
    const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
    CHECK(n == sizeof(struct sockaddr_in), "len %u", (unsigned)n);
    CHECK(sin->sin_family == AF_INET && ntohs(sin->sin_port) == 8080 &&
              ntohl(sin->sin_addr.s_addr) == 0x7f000001u, "v4 sockaddr");
    ps_addr_parse("::1", &a);
    n = ps_addr_to_sockaddr(&a, 443, &ss);
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
    CHECK(n == sizeof(struct sockaddr_in6), "len %u", (unsigned)n);
    CHECK(sin6->sin6_family == AF_INET6 && ntohs(sin6->sin6_port) == 443 &&
              IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr), "v6 sockaddr");
    a.family = 0;
    CHECK(ps_addr_to_sockaddr(&a, 1, &ss) == 0, "unknown family gives 0");
}

int main(void)
{
    RUN(test_parse_good);
    RUN(test_parse_bad);
    RUN(test_cmp);
    RUN(test_u128);
    RUN(test_sockaddr);
    return UNIT_END();
}
