/* test_decode.c: hand-built frames on every supported link type, IPv6
 * extension headers, ICMP errors with quoted probes, and hostile input:
 * every frame truncated at every length (each copy in an exactly sized
 * heap buffer, so the sanitizer build catches any overread), plus random
 * and mutated frames. */
#include <pcap/dlt.h>
#include <stdint.h>
#include <stdlib.h>

#include "pscan/decode.h"
#include "unit.h"

static uint64_t rng_state = 0x452821e638d01377ULL;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ---- tiny frame builders ------------------------------------------------ */

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v & 0xffff); }

static const uint8_t A6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t B6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };

static size_t tcp_hdr(uint8_t *p, unsigned sport, unsigned dport, uint32_t seq, uint32_t ack,
                      unsigned flags, unsigned win)
{
    memset(p, 0, 20);
    put16(p, sport);
    put16(p + 2, dport);
    put32(p + 4, seq);
    put32(p + 8, ack);
    p[12] = 5 << 4;
    p[13] = (uint8_t)flags;
    put16(p + 14, win);
    return 20;
}

static size_t udp_hdr(uint8_t *p, unsigned sport, unsigned dport, unsigned len)
{
    put16(p, sport);
    put16(p + 2, dport);
    put16(p + 4, len);
    put16(p + 6, 0);
    return 8;
}

/* IPv4 header at p followed by payload already at p + 20. */
static size_t ipv4_wrap(uint8_t *p, uint32_t src, uint32_t dst, unsigned proto, size_t plen,
                        unsigned ttl)
{
    memset(p, 0, 20);
    p[0] = 0x45;
    put16(p + 2, (unsigned)(20 + plen));
    put16(p + 6, 0x4000);
    p[8] = (uint8_t)ttl;
    p[9] = (uint8_t)proto;
    put32(p + 12, src);
    put32(p + 16, dst);
    return 20 + plen;
}

static size_t ipv6_wrap(uint8_t *p, const uint8_t *src, const uint8_t *dst, unsigned nh,
                        size_t plen, unsigned hops)
{
    memset(p, 0, 40);
    p[0] = 0x60;
    put16(p + 4, (unsigned)plen);
    p[6] = (uint8_t)nh;
    p[7] = (uint8_t)hops;
    memcpy(p + 8, src, 16);
    memcpy(p + 24, dst, 16);
    return 40 + plen;
}

/* Prepend a link header (frames are built at offset 32 of a buffer). */
#define L3 32
static size_t link_wrap(uint8_t *buf, int dlt, size_t l3len, unsigned ethertype, uint8_t **start)
{
    uint8_t *p = buf + L3;
    switch (dlt) {
    case DLT_EN10MB:
        p -= 14;
        memset(p, 0, 12); /* Linux lo: zero MACs */
        put16(p + 12, ethertype);
        break;
    case DLT_LINUX_SLL:
        p -= 16;
        memset(p, 0, 16);
        put16(p + 2, 772); /* ARPHRD_LOOPBACK */
        put16(p + 14, ethertype);
        break;
    case DLT_LINUX_SLL2:
        p -= 20;
        memset(p, 0, 20);
        put16(p, ethertype);
        put16(p + 8, 772);
        break;
    default: /* DLT_RAW, DLT_IPV4, DLT_IPV6 */
        break;
    }
    *start = p;
    return l3len + (size_t)(buf + L3 - p);
}

/* Decode a copy in an exactly sized heap buffer. */
static int decode_copy(int dlt, const uint8_t *f, size_t len, ps_decoded *d)
{
    uint8_t *c = malloc(len ? len : 1);
    int rc;
    memcpy(c, f, len);
    rc = ps_decode(dlt, c, len, d);
    free(c);
    return rc;
}

/* Every proper prefix of f must decode without trouble; those shorter than
 * `need` must not claim success. */
static int truncations_ok(int dlt, const uint8_t *f, size_t len, size_t need)
{
    size_t n;
    int bad = 0;
    ps_decoded d;
    for (n = 0; n < len; n++) {
        int rc = decode_copy(dlt, f, n, &d);
        if (n < need && rc == PS_DEC_OK) {
            printf("#   dlt %d: prefix %zu of %zu decoded as ok\n", dlt, n, len);
            bad++;
        }
    }
    return bad == 0;
}

/* ---- tests --------------------------------------------------------------- */

static const int all_dlts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW };

static void test_synack_v4_all_links(void)
{
    size_t k;
    for (k = 0; k < 4; k++) {
        uint8_t buf[256], *f;
        ps_decoded d;
        size_t n = tcp_hdr(buf + L3 + 20, 80, 40000, 0xdeadbeef, 0x12345679,
                           PS_TCP_SYN | PS_TCP_ACK, 65483);
        n = ipv4_wrap(buf + L3, 0x7f000002, 0x7f000001, 6, n, 61);
        n = link_wrap(buf, all_dlts[k], n, 0x0800, &f);
        CHECK(decode_copy(all_dlts[k], f, n, &d) == PS_DEC_OK, "dlt %d", all_dlts[k]);
        CHECK(d.family == AF_INET && d.src.family == AF_INET && d.src.u.v4 == 0x7f000002 &&
              d.dst.u.v4 == 0x7f000001, "addresses");
        CHECK(d.ttl == 61 && d.proto == 6, "ttl %u proto %u", d.ttl, d.proto);
        CHECK(d.sport == 80 && d.dport == 40000 && d.seq == 0xdeadbeef && d.ack == 0x12345679,
              "ports and numbers");
        CHECK(d.tcp_flags == (PS_TCP_SYN | PS_TCP_ACK) && d.window == 65483, "flags, window");
        CHECK(d.has_inner == 0, "no inner");
        CHECK(truncations_ok(all_dlts[k], f, n, n), "truncations, dlt %d", all_dlts[k]);
    }
}

static void test_rst_v6_all_links(void)
{
    const int dlts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV6 };
    size_t k;
    for (k = 0; k < 5; k++) {
        uint8_t buf[256], *f;
        ps_decoded d;
        size_t n = tcp_hdr(buf + L3 + 40, 443, 40001, 0, 0x1000, PS_TCP_RST | PS_TCP_ACK, 0);
        n = ipv6_wrap(buf + L3, B6, A6, 6, n, 64);
        n = link_wrap(buf, dlts[k], n, 0x86dd, &f);
        CHECK(decode_copy(dlts[k], f, n, &d) == PS_DEC_OK, "dlt %d", dlts[k]);
        CHECK(d.family == AF_INET6 && memcmp(d.src.u.v6, B6, 16) == 0 &&
              memcmp(d.dst.u.v6, A6, 16) == 0, "addresses");
        CHECK(d.ttl == 64 && d.sport == 443 && d.dport == 40001 && d.ack == 0x1000 &&
              d.tcp_flags == (PS_TCP_RST | PS_TCP_ACK), "fields");
        CHECK(truncations_ok(dlts[k], f, n, n), "truncations, dlt %d", dlts[k]);
    }
}

static void test_vlan_and_padding(void)
{
    uint8_t f[128];
    ps_decoded d;
    size_t n;

    /* Ethernet, 802.1ad + 802.1Q tags, IPv4 UDP, padded to 64 bytes. */
    memset(f, 0xee, sizeof f);
    memset(f, 0, 12);
    put16(f + 12, 0x88a8); put16(f + 14, 10);
    put16(f + 16, 0x8100); put16(f + 18, 20);
    put16(f + 20, 0x0800);
    n = udp_hdr(f + 42, 53, 40000, 8);
    n = ipv4_wrap(f + 22, 0xc6120002, 0xc6120001, 17, n, 64);
    CHECK(n == 28, "udp packet");
    CHECK(decode_copy(DLT_EN10MB, f, 64, &d) == PS_DEC_OK && d.proto == 17 && d.sport == 53 &&
          d.dport == 40000, "VLAN-tagged UDP with padding");
    CHECK(truncations_ok(DLT_EN10MB, f, 64, 22 + 28), "truncations");
    /* Three tags is more than we accept: the third is not an IP ethertype. */
    put16(f + 20, 0x8100);
    CHECK(decode_copy(DLT_EN10MB, f, 64, &d) == PS_DEC_UNSUPPORTED, "third tag refused");
}

/* IPv6 with hop-by-hop, destination options and a first-fragment header. */
static void test_v6_extension_headers(void)
{
    uint8_t buf[512], *p = buf + L3 + 40;
    ps_decoded d;
    size_t n = 0, i;

    p[n] = 60; p[n + 1] = 0; memset(p + n + 2, 0, 6); n += 8;          /* HBH -> DSTOPTS */
    p[n] = 44; p[n + 1] = 1; memset(p + n + 2, 1, 14); n += 16;        /* DSTOPTS -> FRAG */
    p[n] = 6; p[n + 1] = 0; put16(p + n + 2, 0x0001); put32(p + n + 4, 7); n += 8; /* first frag, M */
    n += tcp_hdr(p + n, 22, 40002, 5, 6, PS_TCP_SYN | PS_TCP_ACK, 100);
    n = ipv6_wrap(buf + L3, B6, A6, 0, n, 63);
    CHECK(decode_copy(DLT_RAW, buf + L3, n, &d) == PS_DEC_OK && d.proto == 6 && d.sport == 22 &&
          d.ack == 6, "ext headers skipped");
    CHECK(truncations_ok(DLT_RAW, buf + L3, n, n), "truncations");

    /* A non-first fragment carries no TCP header. */
    put16(p + 24 + 2, 0x0008);
    CHECK(decode_copy(DLT_RAW, buf + L3, n, &d) == PS_DEC_UNSUPPORTED, "non-first fragment");

    /* Too many extension headers. */
    p = buf + L3 + 40;
    for (i = 0; i < PS_DECODE_MAX_EXT + 1; i++) {
        p[i * 8] = 60;
        p[i * 8 + 1] = 0;
        memset(p + i * 8 + 2, 0, 6);
    }
    p[(PS_DECODE_MAX_EXT) * 8] = 6;
    n = (PS_DECODE_MAX_EXT + 1) * 8;
    n += tcp_hdr(p + n, 1, 2, 3, 4, PS_TCP_RST, 0);
    n = ipv6_wrap(buf + L3, B6, A6, 60, n, 1);
    CHECK(decode_copy(DLT_RAW, buf + L3, n, &d) == PS_DEC_UNSUPPORTED, "9 ext headers refused");
    p[0] = 50; /* ESP */
    buf[L3 + 6] = 50;
    CHECK(decode_copy(DLT_RAW, buf + L3, n, &d) == PS_DEC_UNSUPPORTED, "ESP refused");
    buf[L3 + 6] = 59;
    CHECK(decode_copy(DLT_RAW, buf + L3, n, &d) == PS_DEC_UNSUPPORTED, "no next header");
}

/* ICMPv4 destination unreachable quoting our TCP SYN. */
static void test_icmp4_quote(void)
{
    uint8_t buf[256], *p = buf + L3 + 20, *f;
    ps_decoded d;
    size_t q, n;

    memset(p, 0, 8);
    p[0] = 3;  /* destination unreachable */
    p[1] = 13; /* administratively prohibited */
    q = tcp_hdr(p + 8 + 20, 40000, 443, 0xcafef00d, 0, PS_TCP_SYN, 64240);
    q = ipv4_wrap(p + 8, 0xc6120001, 0xc6120063, 6, q, 63);
    n = ipv4_wrap(buf + L3, 0xc6120063 - 0x62, 0xc6120001, 1, 8 + q, 250);
    n = link_wrap(buf, DLT_EN10MB, n, 0x0800, &f);
    CHECK(q == 40, "quote");
    CHECK(n == 14 + 20 + 8 + 40, "frame");
    /* Routers quote only 8 bytes of L4: cut the frame there. */
    n -= 12;
    put16(f + 14 + 2, (unsigned)(n - 14));
    CHECK(decode_copy(DLT_EN10MB, f, n, &d) == PS_DEC_OK, "decodes");
    CHECK(d.proto == 1 && d.icmp_type == 3 && d.icmp_code == 13 && d.has_inner, "icmp error");
    CHECK(d.inner.src.u.v4 == 0xc6120001 && d.inner.dst.u.v4 == 0xc6120063 &&
          d.inner.proto == 6 && d.inner.has_ports && d.inner.sport == 40000 &&
          d.inner.dport == 443 && d.inner.has_seq && d.inner.seq == 0xcafef00d, "quoted probe");
    CHECK(truncations_ok(DLT_EN10MB, f, n, 14 + 20 + 8), "truncations");
    /* A quote cut after the ports: ports but no seq. */
    CHECK(decode_copy(DLT_EN10MB, f, n - 4, &d) == PS_DEC_OK && d.inner.has_ports &&
          !d.inner.has_seq, "4-byte quote");
    /* A quote cut inside the IP header: type/code but no inner. */
    CHECK(decode_copy(DLT_EN10MB, f, 14 + 20 + 8 + 10, &d) == PS_DEC_OK && !d.has_inner &&
          d.icmp_type == 3, "cut quote");
    /* Echo reply is not an error: no inner parsing. */
    f[14 + 20] = 0;
    CHECK(decode_copy(DLT_EN10MB, f, n, &d) == PS_DEC_OK && !d.has_inner, "echo reply");
}

/* ICMPv6 destination unreachable (port unreachable) quoting a UDP probe,
 * and time exceeded quoting TCP. */
static void test_icmp6_quote(void)
{
    uint8_t buf[256], *p = buf + L3 + 40;
    ps_decoded d;
    size_t q, n;

    memset(p, 0, 8);
    p[0] = 1;
    p[1] = 4;
    q = udp_hdr(p + 8 + 40, 40000, 161, 8);
    q = ipv6_wrap(p + 8, A6, B6, 17, q, 64);
    n = ipv6_wrap(buf + L3, B6, A6, 58, 8 + q, 64);
    CHECK(decode_copy(DLT_RAW, buf + L3, n, &d) == PS_DEC_OK && d.proto == 58 &&
          d.icmp_type == 1 && d.icmp_code == 4, "icmpv6 unreachable");
    CHECK(d.has_inner && memcmp(d.inner.src.u.v6, A6, 16) == 0 && d.inner.proto == 17 &&
          d.inner.has_ports && d.inner.sport == 40000 && d.inner.dport == 161 && !d.inner.has_seq,
          "quoted UDP probe");
    CHECK(truncations_ok(DLT_RAW, buf + L3, n, 48), "truncations");

    p[0] = 3;
    q = tcp_hdr(p + 8 + 40, 40000, 22, 77, 0, PS_TCP_SYN, 1);
    q = ipv6_wrap(p + 8, A6, B6, 6, q, 1);
    n = ipv6_wrap(buf + L3, B6, A6, 58, 8 + q, 64);
    CHECK(decode_copy(DLT_RAW, buf + L3, n, &d) == PS_DEC_OK && d.icmp_type == 3 &&
          d.inner.has_seq && d.inner.seq == 77, "time exceeded quoting TCP");
    /* ICMPv4 inside IPv6 is nonsense. */
    buf[L3 + 6] = 1;
    CHECK(decode_copy(DLT_RAW, buf + L3, n, &d) == PS_DEC_MALFORMED, "ICMPv4 in IPv6");
}

static void test_malformed(void)
{
    uint8_t buf[256], *f;
    ps_decoded d;
    size_t n = tcp_hdr(buf + L3 + 20, 1, 2, 3, 4, PS_TCP_RST, 0);

    n = ipv4_wrap(buf + L3, 1, 2, 6, n, 1);
    n = link_wrap(buf, DLT_EN10MB, n, 0x0800, &f);
    CHECK(ps_decode(12345, f, n, &d) == PS_DEC_UNSUPPORTED, "unknown DLT");
    put16(f + 12, 0x0806);
    CHECK(ps_decode(DLT_EN10MB, f, n, &d) == PS_DEC_UNSUPPORTED, "ARP");
    put16(f + 12, 0x86dd);
    CHECK(ps_decode(DLT_EN10MB, f, n, &d) == PS_DEC_MALFORMED, "IPv4 bytes under IPv6 type");
    put16(f + 12, 0x0800);
    f[14] = 0x44;
    CHECK(ps_decode(DLT_EN10MB, f, n, &d) == PS_DEC_MALFORMED, "IHL 4");
    f[14] = 0x4f;
    CHECK(ps_decode(DLT_EN10MB, f, n, &d) == PS_DEC_MALFORMED, "IHL 15 > total length");
    put16(f + 16, 80);
    CHECK(ps_decode(DLT_EN10MB, f, n, &d) == PS_DEC_TRUNCATED, "IHL 15 beyond the frame");
    f[14] = 0x45;
    put16(f + 16, 19);
    CHECK(ps_decode(DLT_EN10MB, f, n, &d) == PS_DEC_MALFORMED, "total length < header");
    put16(f + 16, 30);
    CHECK(ps_decode(DLT_EN10MB, f, n, &d) == PS_DEC_TRUNCATED, "total length cuts TCP");
    put16(f + 16, 40);
    f[14 + 20 + 12] = 0x40;
    CHECK(ps_decode(DLT_EN10MB, f, n, &d) == PS_DEC_MALFORMED, "TCP data offset 4");
    f[14 + 20 + 12] = 0x50;
    put16(f + 14 + 6, 0x0010);
    CHECK(ps_decode(DLT_EN10MB, f, n, &d) == PS_DEC_UNSUPPORTED, "IPv4 non-first fragment");
    put16(f + 14 + 6, 0x2000);
    CHECK(ps_decode(DLT_EN10MB, f, n, &d) == PS_DEC_OK, "IPv4 first fragment");
    f[14] = 0x75;
    CHECK(ps_decode(DLT_RAW, f + 14, n - 14, &d) == PS_DEC_MALFORMED, "IP version 7");
    CHECK(ps_decode(DLT_RAW, NULL, 0, &d) == PS_DEC_TRUNCATED, "NULL frame");
    CHECK(strcmp(ps_decode_status_str(PS_DEC_MALFORMED), "malformed") == 0 &&
          strcmp(ps_decode_status_str(99), "unknown") == 0, "status names");
}

/* Random bytes and randomly mutated valid frames on every link type: the
 * test passes if nothing crashes (the sanitizer build checks reads). */
static void test_random_frames(void)
{
    const int dlts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4, DLT_IPV6 };
    uint8_t seed4[128], seed6[160], buf[160];
    size_t n4, n6, i;
    int iter, ok = 0;
    ps_decoded d;

    n4 = tcp_hdr(seed4 + 20 + 8 + 20, 40000, 443, 1, 0, PS_TCP_SYN, 1);
    n4 = ipv4_wrap(seed4 + 20 + 8, 1, 2, 6, n4, 1);
    memset(seed4 + 20, 0, 8);
    seed4[20] = 3;
    n4 = ipv4_wrap(seed4, 2, 1, 1, 8 + n4, 1);
    n6 = tcp_hdr(seed6 + 40 + 8, 1, 2, 3, 4, PS_TCP_ACK, 5);
    seed6[40] = 6; seed6[41] = 0; memset(seed6 + 42, 0, 6);
    n6 = ipv6_wrap(seed6, A6, B6, 0, 8 + n6, 1);

    for (iter = 0; iter < 300000; iter++) {
        int dlt = dlts[rnd() % 6], mode = (int)(rnd() % 3);
        size_t len;
        if (mode == 0) {
            len = (size_t)(rnd() % sizeof buf);
            for (i = 0; i < len; i++)
                buf[i] = (uint8_t)rnd();
            if (len)
                buf[0] = (uint8_t)((rnd() & 1 ? 0x40 : 0x60) | (buf[0] & 0x0f));
        } else {
            const uint8_t *s = mode == 1 ? seed4 : seed6;
            len = mode == 1 ? n4 : n6;
            memcpy(buf, s, len);
            for (i = 0; i < 1 + rnd() % 4; i++)
                buf[rnd() % len] = (uint8_t)rnd();
            len -= (size_t)(rnd() % 8 == 0 ? rnd() % len : 0);
            dlt = DLT_RAW;
        }
        ok += decode_copy(dlt, buf, len, &d) == PS_DEC_OK;
    }
    printf("# %d of 300000 random/mutated frames decoded as ok\n", ok);
    CHECK(ok > 0, "some mutated frames still decode");
}

int main(void)
{
    RUN(test_synack_v4_all_links);
    RUN(test_rst_v6_all_links);
    RUN(test_vlan_and_padding);
    RUN(test_v6_extension_headers);
    RUN(test_icmp4_quote);
    RUN(test_icmp6_quote);
    RUN(test_malformed);
    RUN(test_random_frames);
    return UNIT_END();
}
