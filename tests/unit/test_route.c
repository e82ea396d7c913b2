/* test_route.c: ps_route_lookup on loopback (127/8, ::1, this machine's own
 * addresses) and its error paths.  Netlink route queries need no privilege;
 * routes through a veth with ARP/NDP are covered by tests/integration/netio.sh. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>

#include "pscan/route.h"
#include "unit.h"

/* Local parser, so this test does not depend on addr.c. */
static ps_addr A(const char *s)
{
    ps_addr a;
    memset(&a, 0, sizeof a);
    struct in_addr v4;
    if (inet_pton(AF_INET, s, &v4) == 1) {
        a.family = AF_INET;
        a.u.v4 = ntohl(v4.s_addr);
    } else if (inet_pton(AF_INET6, s, a.u.v6) == 1) {
        a.family = AF_INET6;
    }
    return a;
}

static int same(const ps_addr *a, const ps_addr *b)
{
    if (a->family != b->family)
        return 0;
    return a->family == AF_INET ? a->u.v4 == b->u.v4 : memcmp(a->u.v6, b->u.v6, 16) == 0;
}

static int zero_mac(const uint8_t m[6])
{
    static const uint8_t z[6];
    return memcmp(m, z, 6) == 0;
}

/* skip_neigh: should an address vanish between getifaddrs() and the
 * lookup (other tests add and remove veths), its route would leave by a real
 * interface, and resolving that next hop would send a packet there. */
static void check_lo(const char *dst, const char *want_src)
{
    ps_addr d = A(dst), want = A(want_src);
    ps_route r;
    ps_err e = { "" };
    ps_route_opts o = { .skip_neigh = 1 };
    int rc = ps_route_lookup(&d, &o, &r, &e);
    CHECK(rc == PS_OK, "%s: rc %d: %s", dst, rc, e.msg);
    if (rc)
        return;
    CHECK(r.is_loopback, "%s: not loopback", dst);
    CHECK_STR(r.ifname, "lo");
    CHECK(r.ifindex == (int)if_nametoindex("lo"), "%s: ifindex %d", dst, r.ifindex);
    CHECK(same(&r.src, &want), "%s: wrong source", dst);
    CHECK(same(&r.dst, &d), "%s: dst not kept", dst);
    CHECK(!r.has_gateway && same(&r.nexthop, &d), "%s: next hop should be the target", dst);
    CHECK(zero_mac(r.src_mac) && zero_mac(r.nexthop_mac), "%s: MACs not zero", dst);
    CHECK(r.mtu >= 1280, "%s: mtu %u", dst, r.mtu);
}

static void test_loopback_v4(void)
{
    check_lo("127.0.0.1", "127.0.0.1");
    check_lo("127.1.2.3", "127.0.0.1");
}

static void test_loopback_v6(void)
{
    check_lo("::1", "::1");
}

/* Every address of this machine routes via lo, with itself as source. */
static void test_own_addresses(void)
{
    struct ifaddrs *ifa, *p;
    CHECK(getifaddrs(&ifa) == 0, "getifaddrs");
    int tried = 0;
    for (p = ifa; p; p = p->ifa_next) {
        if (!p->ifa_addr || (p->ifa_flags & IFF_LOOPBACK) || !(p->ifa_flags & IFF_UP))
            continue;
        char buf[INET6_ADDRSTRLEN];
        if (p->ifa_addr->sa_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)p->ifa_addr)->sin_addr, buf, sizeof buf);
        else if (p->ifa_addr->sa_family == AF_INET6) {
            const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)p->ifa_addr;
            if (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr))
                continue; /* needs a scope; not a scan target */
            inet_ntop(AF_INET6, &s6->sin6_addr, buf, sizeof buf);
        } else
            continue;
        check_lo(buf, buf);
        tried++;
    }
    freeifaddrs(ifa);
    printf("# own addresses checked: %d\n", tried);
}

static void test_source_override(void)
{
    ps_addr d = A("127.0.0.1"), s = A("127.9.9.9");
    ps_route_opts o = { .source = &s };
    ps_route r;
    ps_err e = { "" };
    CHECK(ps_route_lookup(&d, &o, &r, &e) == PS_OK, "%s", e.msg);
    CHECK(same(&r.src, &s), "source override ignored");
}

static void test_interface_override(void)
{
    ps_addr d = A("127.0.0.1");
    ps_route_opts o = { .ifname = "lo" };
    ps_route r;
    ps_err e = { "" };
    CHECK(ps_route_lookup(&d, &o, &r, &e) == PS_OK, "%s", e.msg);
    CHECK_STR(r.ifname, "lo");
}

static void test_errors(void)
{
    ps_addr d = A("127.0.0.1"), s6 = A("::1"), bad;
    ps_route r;
    ps_err e = { "" };

    ps_route_opts o1 = { .ifname = "nosuchif0" };
    CHECK(ps_route_lookup(&d, &o1, &r, &e) == PS_EINPUT, "unknown interface accepted");
    CHECK(strstr(e.msg, "'nosuchif0'") != NULL, "message: %s", e.msg);

    ps_route_opts o2 = { .ifname = "a-name-much-too-long-for-linux" };
    CHECK(ps_route_lookup(&d, &o2, &r, &e) == PS_EINPUT, "long interface name accepted");

    ps_route_opts o3 = { .source = &s6 };
    CHECK(ps_route_lookup(&d, &o3, &r, &e) == PS_EINPUT, "mixed families accepted");
    CHECK(strstr(e.msg, "::1") != NULL, "message: %s", e.msg);

    memset(&bad, 0, sizeof bad);
    bad.family = AF_UNIX;
    CHECK(ps_route_lookup(&bad, NULL, &r, &e) == PS_EINPUT, "bad family accepted");
    CHECK(ps_route_lookup(NULL, NULL, &r, &e) == PS_EINPUT, "NULL accepted");
}

static void test_mac_str(void)
{
    uint8_t m[6] = { 0x02, 0xfc, 0, 0, 0xab, 0x01 };
    char buf[18];
    CHECK_STR(ps_mac_str(m, buf, sizeof buf), "02:fc:00:00:ab:01");
}

int main(void)
{
    RUN(test_loopback_v4);
    RUN(test_loopback_v6);
    RUN(test_own_addresses);
    RUN(test_source_override);
    RUN(test_interface_override);
    RUN(test_errors);
    RUN(test_mac_str);
    return UNIT_END();
}
