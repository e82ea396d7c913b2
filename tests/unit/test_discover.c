/* test_discover.c: host discovery's packet layer (src/discover/discover_pkt.c) and
 * the parts of ps_discover_run that need no network.
 *
 * Probes: every layout byte by byte, every checksum verified by a naive
 * RFC 1071 sum written here (independent of src/net/checksum.c).  Answers: each
 * built from the probe as the target would (addresses swapped, the cookie
 * numbers echoed, acknowledged or quoted), then parsed and checked; a
 * tampered number, port or source must fail, and one kind's cookie must
 * never pass for another's.  Hostile input: every truncation of every
 * answer, and random frames, parse without reading out of bounds (run
 * under ASan). */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>

#include "discover/discover_int.h"
#include "unit.h"

static const uint8_t MAC_US[6] = {0x02, 0x00, 0x5e, 0x10, 0x20, 0x30};
static const uint8_t MAC_THEM[6] = {0x02, 0x00, 0x5e, 0xaa, 0xbb, 0xcc};

static unsigned be16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }
static uint32_t be32(const uint8_t *p) { return (uint32_t)be16(p) << 16 | be16(p + 2); }
static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v & 0xffff); }

/* Naive RFC 1071 over a pseudo header and a segment; 0 means "verifies". */
static unsigned naive(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    unsigned long sum = 0;
    for (size_t i = 0; i < alen; i += 2) sum += (unsigned long)a[i] << 8 | (i + 1 < alen ? a[i + 1] : 0);
    for (size_t i = 0; i < blen; i += 2) sum += (unsigned long)b[i] << 8 | (i + 1 < blen ? b[i + 1] : 0);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (unsigned)(~sum & 0xffff);
}

/* Verify the L4 checksum of an IP packet at ip (v4 ICMP: no pseudo header). */
static unsigned verify_l4(const uint8_t *ip)
{
    uint8_t ph[40] = {0};
    if ((ip[0] >> 4) == 4) {
        size_t hl = (size_t)(ip[0] & 15) * 4, len = be16(ip + 2) - hl;
        if (ip[9] == IPPROTO_ICMP) return naive(NULL, 0, ip + hl, len);
        memcpy(ph, ip + 12, 8);
        ph[9] = ip[9];
        put16(ph + 10, (unsigned)len);
        return naive(ph, 12, ip + hl, len);
    }
    size_t len = be16(ip + 4);
    memcpy(ph, ip + 8, 32);
    put32(ph + 32, (uint32_t)len);
    ph[39] = ip[6];
    return naive(ph, 40, ip + 40, len);
}

static ps_addr v4(uint32_t a) { ps_addr x = {.family = AF_INET}; x.u.v4 = a; return x; }

static ps_addr v6(const char *s)
{
    ps_addr a;
    if (ps_addr_parse(s, &a) != 0) memset(&a, 0, sizeof a);
    return a;
}

static ps_disc_keys keys(void)
{
    ps_disc_keys k = {.sport_lo = 61000};
    ps_cookie_key_from_seed(&k.key, 42);
    return k;
}

/* ---- probes ----------------------------------------------------------- */

static void test_arp_layout(void)
{
    ps_disc_keys k = keys();
    ps_addr us = v4(0xc6124001), t = v4(0xc6124042); /* 198.18.64.1 -> .66 */
    uint8_t f[PS_DISC_FRAME_MAX];
    size_t n = ps_disc_build(&k, PS_DK_ARP, &us, MAC_US, &t, 0, f, sizeof f);
    CHECK(n == 60, "ARP frame is %zu bytes, want 60 (padded)", n);
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, zero[6] = {0};
    CHECK(memcmp(f, bcast, 6) == 0, "to broadcast");
    CHECK(memcmp(f + 6, MAC_US, 6) == 0, "from our MAC");
    CHECK(be16(f + 12) == 0x0806, "ethertype %04x", be16(f + 12));
    const uint8_t *a = f + 14;
    CHECK(be16(a) == 1 && be16(a + 2) == 0x0800 && a[4] == 6 && a[5] == 4, "Ethernet/IPv4 ARP");
    CHECK(be16(a + 6) == 1, "a request");
    CHECK(memcmp(a + 8, MAC_US, 6) == 0 && be32(a + 14) == us.u.v4, "sender is us");
    CHECK(memcmp(a + 18, zero, 6) == 0 && be32(a + 24) == t.u.v4, "asks for the target");
    ps_addr t6 = v6("2001:db8::2"), us6 = v6("2001:db8::1");
    CHECK(ps_disc_build(&k, PS_DK_ARP, &us6, MAC_US, &t6, 0, f, sizeof f) == 0, "no ARP for IPv6");
    CHECK(ps_disc_build(&k, PS_DK_ARP, &us, MAC_US, &t6, 0, f, sizeof f) == 0, "families must match");
    CHECK(ps_disc_build(&k, PS_DK_ARP, &us, MAC_US, &t, 0, f, 40) == 0, "small buffer refused");
}

static void test_ns_layout(void)
{
    ps_disc_keys k = keys();
    ps_addr us = v6("2001:db8:5::1"), t = v6("2001:db8:5::ab:cdef");
    uint8_t f[PS_DISC_FRAME_MAX];
    size_t n = ps_disc_build(&k, PS_DK_ND, &us, MAC_US, &t, 0, f, sizeof f);
    CHECK(n == 14 + 40 + 32, "NS frame is %zu bytes", n);
    static const uint8_t mc[6] = {0x33, 0x33, 0xff, 0xab, 0xcd, 0xef};
    CHECK(memcmp(f, mc, 6) == 0, "to the solicited-node group's MAC");
    CHECK(be16(f + 12) == 0x86dd, "IPv6");
    const uint8_t *ip = f + 14;
    ps_addr grp = v6("ff02::1:ffab:cdef");
    CHECK(memcmp(ip + 24, grp.u.v6, 16) == 0, "to ff02::1:ffab:cdef");
    CHECK(memcmp(ip + 8, us.u.v6, 16) == 0, "from us");
    CHECK(ip[6] == 58 && ip[7] == 255 && be16(ip + 4) == 32, "ICMPv6, hop limit 255, 32 bytes");
    const uint8_t *m = ip + 40;
    CHECK(m[0] == 135 && m[1] == 0, "neighbour solicitation");
    CHECK(memcmp(m + 8, t.u.v6, 16) == 0, "for the target");
    CHECK(m[24] == 1 && m[25] == 1 && memcmp(m + 26, MAC_US, 6) == 0, "source link-layer option");
    CHECK(verify_l4(ip) == 0, "ICMPv6 checksum");
    ps_addr u4 = v4(1), t4 = v4(2);
    CHECK(ps_disc_build(&k, PS_DK_ND, &u4, MAC_US, &t4, 0, f, sizeof f) == 0, "no ND for IPv4");
}

static void test_icmp_layouts(void)
{
    ps_disc_keys k = keys();
    ps_addr us = v4(0xc6130001), t = v4(0xc6130102);
    uint8_t f[PS_DISC_FRAME_MAX];
    size_t n = ps_disc_build(&k, PS_DK_ECHO, &us, MAC_US, &t, 0, f, sizeof f);
    CHECK(n == 14 + 20 + 8, "echo is %zu bytes", n);
    const uint8_t *ip = f + 14, *m = ip + 20;
    CHECK(be16(f + 12) == 0x0800 && f[0] == 0 && f[6] == 0, "zero MACs, IPv4 (the L3 sender strips them)");
    CHECK(naive(ip, 20, NULL, 0) == 0, "IPv4 header checksum");
    CHECK(ip[9] == 1 && ip[8] == 64 && be16(ip + 2) == 28, "ICMP, TTL 64, length");
    CHECK(be32(ip + 12) == us.u.v4 && be32(ip + 16) == t.u.v4, "addresses");
    CHECK(m[0] == 8 && m[1] == 0, "echo request");
    CHECK(verify_l4(ip) == 0, "ICMP checksum");
    CHECK(be32(m + 4) == ps_disc_cookie(&k, PS_DK_ECHO, &us, &t, 0), "id:seq is the cookie");

    n = ps_disc_build(&k, PS_DK_TIMESTAMP, &us, MAC_US, &t, 0, f, sizeof f);
    CHECK(n == 14 + 20 + 20, "timestamp is %zu bytes", n);
    CHECK(m[0] == 13 && verify_l4(ip) == 0, "timestamp request, checksum");
    CHECK(be32(m + 4) == ps_disc_cookie(&k, PS_DK_TIMESTAMP, &us, &t, 0), "its own cookie");
    CHECK(ps_disc_cookie(&k, PS_DK_TIMESTAMP, &us, &t, 0) != ps_disc_cookie(&k, PS_DK_ECHO, &us, &t, 0),
          "kinds differ");

    ps_addr us6 = v6("2001:db8::1"), t6 = v6("2001:db8:1::9");
    n = ps_disc_build(&k, PS_DK_ECHO, &us6, MAC_US, &t6, 0, f, sizeof f);
    ip = f + 14;
    CHECK(n == 14 + 40 + 8 && be16(f + 12) == 0x86dd, "ICMPv6 echo, %zu bytes", n);
    CHECK(ip[6] == 58 && ip[40] == 128 && verify_l4(ip) == 0, "echo request, checksum");
    CHECK(ps_disc_build(&k, PS_DK_TIMESTAMP, &us6, MAC_US, &t6, 0, f, sizeof f) == 0, "no timestamp in IPv6");
}

static void test_tcp_udp_layouts(void)
{
    ps_disc_keys k = keys();
    ps_addr pairs[2][2] = {{v4(0xc6130001), v4(0xc6130102)}, {v6("2001:db8::1"), v6("2001:db8:1::9")}};
    for (int fam = 0; fam < 2; fam++) {
        ps_addr *us = &pairs[fam][0], *t = &pairs[fam][1];
        size_t ih = fam ? 40 : 20;
        uint8_t f[PS_DISC_FRAME_MAX];
        size_t n = ps_disc_build(&k, PS_DK_SYN, us, MAC_US, t, 443, f, sizeof f);
        const uint8_t *ip = f + 14, *tcp = ip + ih;
        uint32_t c = ps_disc_cookie(&k, PS_DK_SYN, us, t, 443);
        CHECK(n == 14 + ih + 24, "SYN %zu bytes", n);
        CHECK(verify_l4(ip) == 0 && (fam || naive(ip, 20, NULL, 0) == 0), "SYN checksums (IPv%d)", fam ? 6 : 4);
        CHECK(tcp[13] == 0x02 && be16(tcp + 2) == 443 && be32(tcp + 4) == c, "SYN to 443, seq = cookie");
        CHECK(be16(tcp) == ps_disc_sport(&k, c) && be16(tcp) >= 61000 && be16(tcp) < 61000 + 256, "source port");
        CHECK(tcp[12] >> 4 == 6 && tcp[20] == 2 && tcp[21] == 4, "MSS option");

        n = ps_disc_build(&k, PS_DK_ACK, us, MAC_US, t, 80, f, sizeof f);
        c = ps_disc_cookie(&k, PS_DK_ACK, us, t, 80);
        CHECK(n == 14 + ih + 20 && verify_l4(ip) == 0, "ACK size and checksum");
        CHECK(tcp[13] == 0x10 && be32(tcp + 8) == c && be32(tcp + 4) == c, "ACK with ack = seq = cookie");

        n = ps_disc_build(&k, PS_DK_UDP, us, MAC_US, t, 40125, f, sizeof f);
        c = ps_disc_cookie(&k, PS_DK_UDP, us, t, 40125);
        const uint8_t *u = ip + ih;
        CHECK(n == 14 + ih + 12 && verify_l4(ip) == 0, "UDP size and checksum");
        CHECK(be16(u + 2) == 40125 && be16(u) == ps_disc_sport(&k, c) && be32(u + 8) == c,
              "UDP ports and cookie payload");
    }
}

/* ---- answers ---------------------------------------------------------- */

/* Make the IP reply to probe frame p: addresses swapped, Ethernet from
 * the target to us, TTL 61; returns a pointer to its L4 header. */
static uint8_t *reply_ip(uint8_t *r, const uint8_t *p, size_t l4len)
{
    memcpy(r, MAC_US, 6);
    memcpy(r + 6, MAC_THEM, 6);
    memcpy(r + 12, p + 12, 2);
    const uint8_t *pi = p + 14;
    uint8_t *ri = r + 14;
    if ((pi[0] >> 4) == 4) {
        memcpy(ri, pi, 20);
        memcpy(ri + 12, pi + 16, 4);
        memcpy(ri + 16, pi + 12, 4);
        put16(ri + 2, (unsigned)(20 + l4len));
        ri[8] = 61;
        return ri + 20;
    }
    memcpy(ri, pi, 40);
    memcpy(ri + 8, pi + 24, 16);
    memcpy(ri + 24, pi + 8, 16);
    put16(ri + 4, (unsigned)l4len);
    ri[7] = 61;
    return ri + 40;
}

static int answer(const ps_disc_keys *k, const uint8_t *f, size_t n, ps_disc_reply *r)
{
    if (!ps_disc_parse(f, n, r)) return -2;
    return ps_disc_check(k, r);
}

static void test_icmp_answers(void)
{
    ps_disc_keys k = keys();
    ps_addr us = v4(0xc6130001), t = v4(0xc6130102);
    uint8_t p[PS_DISC_FRAME_MAX], r[256];
    ps_disc_reply rep;
    size_t n = ps_disc_build(&k, PS_DK_ECHO, &us, MAC_US, &t, 0, p, sizeof p);
    uint8_t *m = reply_ip(r, p, 8);
    memcpy(m, p + 34, 8);
    m[0] = 0;
    CHECK(answer(&k, r, n, &rep) == PS_DK_ECHO, "echo reply passes");
    CHECK_STR(rep.reason, "echo-reply");
    CHECK(ps_addr_cmp(&rep.host, &t) == 0 && ps_addr_cmp(&rep.us, &us) == 0 && rep.ttl == 61, "host, us, ttl");
    CHECK(memcmp(rep.mac, MAC_THEM, 6) == 0, "MAC from Ethernet");
    m[7] ^= 1;
    CHECK(answer(&k, r, n, &rep) == -1, "a changed seq fails");
    m[7] ^= 1;
    m[0] = 14; /* an echo cookie in a timestamp reply */
    CHECK(answer(&k, r, n, &rep) == -2, "short timestamp reply is not one");

    n = ps_disc_build(&k, PS_DK_TIMESTAMP, &us, MAC_US, &t, 0, p, sizeof p);
    m = reply_ip(r, p, 20);
    memcpy(m, p + 34, 20);
    m[0] = 14;
    CHECK(answer(&k, r, n, &rep) == PS_DK_TIMESTAMP, "timestamp reply passes");
    CHECK_STR(rep.reason, "timestamp-reply");
    m[0] = 0;
    CHECK(answer(&k, r, n, &rep) == -1, "a timestamp cookie in an echo reply fails");

    ps_addr us6 = v6("2001:db8::1"), t6 = v6("2001:db8:1::9");
    n = ps_disc_build(&k, PS_DK_ECHO, &us6, MAC_US, &t6, 0, p, sizeof p);
    m = reply_ip(r, p, 8);
    memcpy(m, p + 54, 8);
    m[0] = 129;
    CHECK(answer(&k, r, n, &rep) == PS_DK_ECHO, "ICMPv6 echo reply passes");
    ps_addr other = v6("2001:db8:1::10");
    memcpy(r + 14 + 8, other.u.v6, 16);
    CHECK(answer(&k, r, n, &rep) == -1, "from another address it fails");
}

static void test_tcp_answers(void)
{
    ps_disc_keys k = keys();
    ps_addr pairs[2][2] = {{v4(0xc6130001), v4(0xc6130102)}, {v6("2001:db8::1"), v6("2001:db8:1::9")}};
    for (int fam = 0; fam < 2; fam++) {
        ps_addr *us = &pairs[fam][0], *t = &pairs[fam][1];
        size_t ih = fam ? 40 : 20;
        uint8_t p[PS_DISC_FRAME_MAX], r[256];
        ps_disc_reply rep;
        size_t n = ps_disc_build(&k, PS_DK_SYN, us, MAC_US, t, 443, p, sizeof p);
        const uint8_t *pt = p + 14 + ih;
        uint8_t *tc = reply_ip(r, p, 20);
        memset(tc, 0, 20);
        put16(tc, be16(pt + 2));
        put16(tc + 2, be16(pt));
        put32(tc + 4, 12345);
        put32(tc + 8, be32(pt + 4) + 1);
        tc[12] = 0x50;
        tc[13] = 0x12;
        size_t rn = 14 + ih + 20;
        CHECK(answer(&k, r, rn, &rep) == PS_DK_SYN, "SYN-ACK passes");
        CHECK_STR(rep.reason, "syn-ack");
        tc[13] = 0x14;
        CHECK(answer(&k, r, rn, &rep) == PS_DK_SYN, "RST+ACK to the SYN passes");
        CHECK_STR(rep.reason, "reset");
        put32(tc + 8, be32(pt + 4));
        CHECK(answer(&k, r, rn, &rep) == -1, "ack without the + 1 fails");
        put32(tc + 8, be32(pt + 4) + 1);
        put16(tc + 2, be16(pt) + 1);
        CHECK(answer(&k, r, rn, &rep) == -1, "to another source port fails");
        put16(tc + 2, be16(pt));
        put16(tc, 444);
        CHECK(answer(&k, r, rn, &rep) == -1, "from another port fails");

        n = ps_disc_build(&k, PS_DK_ACK, us, MAC_US, t, 80, p, sizeof p);
        (void)n;
        tc = reply_ip(r, p, 20);
        memset(tc, 0, 20);
        put16(tc, 80);
        put16(tc + 2, be16(pt));
        put32(tc + 4, be32(pt + 8)); /* RST.seq = our ack */
        tc[12] = 0x50;
        tc[13] = 0x04;
        CHECK(answer(&k, r, rn, &rep) == PS_DK_ACK, "RST to the ACK passes");
        CHECK_STR(rep.reason, "reset");
        put32(tc + 4, be32(pt + 8) + 1);
        CHECK(answer(&k, r, rn, &rep) == -1, "RST with another seq fails");
        tc[13] = 0x10;
        CHECK(answer(&k, r, rn, &rep) == -2, "a bare ACK is no answer");
    }
}

/* Build an ICMP destination unreachable (code) from `from` quoting probe p
 * (quote bytes of it after its Ethernet header). */
static size_t unreach(uint8_t *r, const uint8_t *p, size_t plen, size_t quote, const ps_addr *from, int code)
{
    int is6 = be16(p + 12) == 0x86dd;
    size_t ih = is6 ? 40 : 20;
    if (quote > plen - 14) quote = plen - 14;
    uint8_t *m = reply_ip(r, p, 8 + quote);
    uint8_t *ri = r + 14;
    ri[is6 ? 6 : 9] = is6 ? 58 : 1;
    if (is6) memcpy(ri + 8, from->u.v6, 16);
    else put32(ri + 12, from->u.v4);
    memset(m, 0, 8);
    m[0] = is6 ? 1 : 3;
    m[1] = (uint8_t)code;
    memcpy(m + 8, p + 14, quote);
    return 14 + ih + 8 + quote;
}

static void test_unreach_answers(void)
{
    ps_disc_keys k = keys();
    ps_addr us = v4(0xc6130001), t = v4(0xc6130102), router = v4(0xc6120002);
    uint8_t p[PS_DISC_FRAME_MAX], r[256];
    ps_disc_reply rep;
    size_t n = ps_disc_build(&k, PS_DK_UDP, &us, MAC_US, &t, 40125, p, sizeof p);
    size_t rn = unreach(r, p, n, 200, &t, 3);
    CHECK(answer(&k, r, rn, &rep) == PS_DK_UDP, "port unreachable quoting the UDP probe passes");
    CHECK_STR(rep.reason, "port-unreach");
    CHECK(ps_addr_cmp(&rep.host, &t) == 0, "speaks for the target");
    r[rn - 1] ^= 0xff;
    CHECK(answer(&k, r, rn, &rep) == -1, "a changed payload cookie fails");
    rn = unreach(r, p, n, 28, &t, 3);
    CHECK(answer(&k, r, rn, &rep) == PS_DK_UDP, "a quote cut after the UDP header passes on the port");
    rn = unreach(r, p, n, 200, &router, 3);
    CHECK(answer(&k, r, rn, &rep) == PS_DK_UDP, "port unreachable from another address of the host passes");
    CHECK(ps_addr_cmp(&rep.host, &t) == 0, "... for the quoted target");
    rn = unreach(r, p, n, 200, &router, 1);
    CHECK(answer(&k, r, rn, &rep) == -2, "a router's host unreachable is no answer");
    rn = unreach(r, p, n, 200, &t, 13);
    CHECK(answer(&k, r, rn, &rep) == PS_DK_UDP, "admin prohibited from the target itself passes");
    CHECK_STR(rep.reason, "admin-prohibited");

    n = ps_disc_build(&k, PS_DK_SYN, &us, MAC_US, &t, 443, p, sizeof p);
    rn = unreach(r, p, n, 200, &t, 3);
    CHECK(answer(&k, r, rn, &rep) == PS_DK_SYN, "unreachable quoting the SYN passes");
    rn = unreach(r, p, n, 28, &t, 3);
    CHECK(answer(&k, r, rn, &rep) == PS_DK_SYN, "... quote of 8 TCP bytes too");
    n = ps_disc_build(&k, PS_DK_ECHO, &us, MAC_US, &t, 0, p, sizeof p);
    rn = unreach(r, p, n, 200, &t, 2);
    CHECK(answer(&k, r, rn, &rep) == PS_DK_ECHO, "protocol unreachable quoting the echo passes");
    CHECK_STR(rep.reason, "proto-unreach");

    ps_addr us6 = v6("2001:db8::1"), t6 = v6("2001:db8:1::9"), prim = v6("2001:db8::2");
    n = ps_disc_build(&k, PS_DK_UDP, &us6, MAC_US, &t6, 40125, p, sizeof p);
    rn = unreach(r, p, n, 200, &prim, 4);
    CHECK(answer(&k, r, rn, &rep) == PS_DK_UDP, "ICMPv6 port unreachable passes");
    CHECK(ps_addr_cmp(&rep.host, &t6) == 0, "... for the quoted target");
    rn = unreach(r, p, n, 200, &prim, 3);
    CHECK(answer(&k, r, rn, &rep) == -2, "ICMPv6 address unreachable from a router is no answer");
}

static void test_arp_nd_answers(void)
{
    ps_disc_keys k = keys();
    uint8_t r[128] = {0};
    ps_disc_reply rep;
    memcpy(r, MAC_US, 6);
    memcpy(r + 6, MAC_THEM, 6);
    put16(r + 12, 0x0806);
    uint8_t *a = r + 14;
    put16(a, 1);
    put16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, 2);
    memcpy(a + 8, MAC_THEM, 6);
    put32(a + 14, 0xc6124042);
    memcpy(a + 18, MAC_US, 6);
    put32(a + 24, 0xc6124001);
    CHECK(answer(&k, r, 60, &rep) == PS_DK_ARP, "ARP reply parses");
    CHECK_STR(rep.reason, "arp-response");
    CHECK(rep.host.family == AF_INET && rep.host.u.v4 == 0xc6124042 && rep.us.u.v4 == 0xc6124001, "addresses");
    CHECK(memcmp(rep.mac, MAC_THEM, 6) == 0 && memcmp(rep.eth_dst, MAC_US, 6) == 0 && rep.ttl == -1, "MACs");
    put16(a + 6, 1);
    CHECK(answer(&k, r, 60, &rep) == -2, "an ARP request is no answer");
    put16(a + 6, 2);
    CHECK(answer(&k, r, 41, &rep) == -2, "a truncated ARP reply is no answer");

    /* Neighbour advertisement: solicited, hop limit 255, target option. */
    memset(r, 0, sizeof r);
    memcpy(r, MAC_US, 6);
    memcpy(r + 6, MAC_THEM, 6);
    put16(r + 12, 0x86dd);
    uint8_t *ip = r + 14;
    ps_addr t = v6("2001:db8:5::3"), us = v6("2001:db8:5::1"), src = v6("fe80::1");
    ip[0] = 0x60;
    put16(ip + 4, 32);
    ip[6] = 58;
    ip[7] = 255;
    memcpy(ip + 8, src.u.v6, 16);
    memcpy(ip + 24, us.u.v6, 16);
    uint8_t *m = ip + 40;
    m[0] = 136;
    m[4] = 0x60; /* solicited, override */
    memcpy(m + 8, t.u.v6, 16);
    m[24] = 2;
    m[25] = 1;
    static const uint8_t other[6] = {0x02, 1, 2, 3, 4, 5};
    memcpy(m + 26, other, 6);
    CHECK(answer(&k, r, 14 + 40 + 32, &rep) == PS_DK_ND, "NA parses");
    CHECK_STR(rep.reason, "nd-response");
    CHECK(ps_addr_cmp(&rep.host, &t) == 0 && ps_addr_cmp(&rep.us, &us) == 0, "the target address is the host");
    CHECK(memcmp(rep.mac, other, 6) == 0, "MAC from the target link-layer option");
    CHECK(answer(&k, r, 14 + 40 + 24, &rep) == PS_DK_ND && memcmp(rep.mac, MAC_THEM, 6) == 0,
          "without the option, the Ethernet source");
    ip[7] = 64;
    CHECK(answer(&k, r, 14 + 40 + 32, &rep) == -2, "hop limit below 255 is refused");
    ip[7] = 255;
    m[4] = 0x20;
    CHECK(answer(&k, r, 14 + 40 + 32, &rep) == -2, "an unsolicited NA is refused");
    m[4] = 0x60;
    m[25] = 0;
    CHECK(answer(&k, r, 14 + 40 + 32, &rep) == PS_DK_ND, "a zero-length option ends the walk");
}

/* ---- hostile input ------------------------------------------------------ */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Parse a heap copy of exactly n bytes, so ASan sees any overread. */
static void parse_exact(const ps_disc_keys *k, const uint8_t *f, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    if (!c) return;
    memcpy(c, f, n);
    ps_disc_reply rep;
    if (ps_disc_parse(c, n, &rep)) (void)ps_disc_check(k, &rep);
    free(c);
}

static void test_truncation_and_noise(void)
{
    ps_disc_keys k = keys();
    ps_addr us = v4(0xc6130001), t = v4(0xc6130102), us6 = v6("2001:db8::1"), t6 = v6("2001:db8:1::9");
    uint8_t p[PS_DISC_FRAME_MAX], r[256];
    for (int fam = 0; fam < 2; fam++) {
        const ps_addr *u = fam ? &us6 : &us, *tt = fam ? &t6 : &t;
        for (int kind = PS_DK_ECHO; kind < PS_DK_COUNT; kind++) {
            size_t n = ps_disc_build(&k, (enum ps_disc_kind)kind, u, MAC_US, tt, 53, p, sizeof p);
            if (!n) continue;
            size_t rn = unreach(r, p, n, 200, tt, fam ? 4 : 3);
            for (size_t cut = 0; cut <= rn; cut++) parse_exact(&k, r, cut);
            for (size_t cut = 0; cut <= n; cut++) parse_exact(&k, p, cut);
        }
    }
    int parsed = 0;
    for (int i = 0; i < 200000; i++) {
        uint8_t f[128];
        size_t n = rnd() % sizeof f;
        for (size_t j = 0; j < n; j++) f[j] = (uint8_t)rnd();
        if (n >= 14) { /* give the link and IP layers a chance */
            static const uint16_t types[] = {0x0800, 0x86dd, 0x0806, 0x8100};
            put16(f + 12, types[rnd() % 4]);
            if (n > 14) f[14] = (uint8_t)((f[13] == 0xdd ? 0x60 : 0x45) | (rnd() % 2 ? 0 : f[14] & 0x0f));
        }
        ps_disc_reply rep;
        uint8_t *c = malloc(n ? n : 1);
        if (!c) break;
        memcpy(c, f, n);
        if (ps_disc_parse(c, n, &rep)) {
            parsed++;
            CHECK(rep.ncand >= 1 && rep.ncand <= 2 && rep.reason, "a parsed frame names what it answers");
            (void)ps_disc_check(&k, &rep);
        }
        free(c);
    }
    CHECK(parsed > 0, "some random frames parsed (%d)", parsed);
    CHECK(ps_disc_parse(NULL, 0, (ps_disc_reply[1]){{0}}) == 0, "NULL frame");
}

/* ---- the run, where it needs no network ----------------------------------- */

struct seen {
    int n;
    char lines[8][96];
};

static void on_up(void *ctx, uint64_t idx, const ps_discover_result *r)
{
    struct seen *s = ctx;
    char a[PS_ADDRSTRLEN];
    if (s->n < 8)
        snprintf(s->lines[s->n++], sizeof s->lines[0], "%llu %s %s %d", (unsigned long long)idx,
                 ps_addr_str(&r->addr, a, sizeof a), r->reason, r->up);
}

static void test_run_local_and_errors(void)
{
    ps_err e = {{0}};
    ps_targets *t = ps_targets_new(AF_UNSPEC);
    CHECK(t && ps_targets_add(t, "127.0.0.1", &e) == 0 && ps_targets_add(t, "::1", &e) == 0 &&
              ps_targets_finalize(t, &e) == 0, "targets: %s", e.msg);
    ps_discover_opts o;
    ps_discover_opts_default(&o);
    CHECK(o.max_retries == -1 && o.methods == 0, "defaults");
    for (int unpriv = 0; unpriv < 2; unpriv++) {
        struct seen s = {0};
        ps_discover_stats st;
        o.unprivileged = unpriv;
        int r = ps_discover_run_stats(&o, t, on_up, &s, NULL, &st, &e);
        CHECK(r == PS_OK, "local run (unprivileged=%d): %s", unpriv, e.msg);
        CHECK(s.n == 2, "two callbacks, got %d", s.n);
        CHECK_STR(s.lines[0], "0 127.0.0.1 localhost-response 1");
        CHECK_STR(s.lines[1], "1 ::1 localhost-response 1");
        CHECK(st.up == 2 && st.local == 2 && st.sent == 0 && st.hosts == 2, "stats: nothing sent");
    }
    o.unprivileged = 0;
    o.methods = 1u << 12;
    CHECK(ps_discover_run(&o, t, on_up, NULL, NULL, &e) == PS_EINPUT, "unknown method bits refused");
    o.methods = 0;
    o.min_rtt_ms = 500;
    o.max_rtt_ms = 100;
    CHECK(ps_discover_run(&o, t, on_up, NULL, NULL, &e) == PS_EINPUT, "min RTT above max refused");
    o.min_rtt_ms = o.max_rtt_ms = 0;
    o.max_rate = -1;
    CHECK(ps_discover_run(&o, t, on_up, NULL, NULL, &e) == PS_EINPUT, "negative rate refused");
    ps_targets_free(t);
}

int main(void)
{
    RUN(test_arp_layout);
    RUN(test_ns_layout);
    RUN(test_icmp_layouts);
    RUN(test_tcp_udp_layouts);
    RUN(test_icmp_answers);
    RUN(test_tcp_answers);
    RUN(test_unreach_answers);
    RUN(test_arp_nd_answers);
    RUN(test_truncation_and_noise);
    RUN(test_run_local_and_errors);
    return UNIT_END();
}
