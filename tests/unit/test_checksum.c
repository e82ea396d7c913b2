/* test_checksum.c: RFC 1071 sums against known packets, and RFC 1624
 * incremental updates against full recomputation over random patches. */
#include <stdint.h>
#include <stdlib.h>

#include "pscan/checksum.h"
#include "unit.h"

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (s[0] && s[1] && n < cap) {
        unsigned v;
        sscanf(s, "%2x", &v);
        out[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}

/* The worked example of RFC 1071 section 3. */
static void test_rfc1071_example(void)
{
    const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
    CHECK(ps_csum_add(0, b, sizeof b) == 0xddf2, "sum %x", ps_csum_add(0, b, sizeof b));
    CHECK(ps_csum(b, sizeof b) == 0x220d, "csum %x", ps_csum(b, sizeof b));
    /* Chunked sums (even chunks) give the same total. */
    CHECK(ps_csum_add(ps_csum_add(0, b, 2), b + 2, 6) == 0xddf2, "chunked");
}

static void test_odd_length(void)
{
    const uint8_t odd[] = { 0x12, 0x34, 0x56 };
    const uint8_t pad[] = { 0x12, 0x34, 0x56, 0x00 };
    CHECK(ps_csum(odd, 3) == ps_csum(pad, 4), "odd byte padded with zero");
    CHECK(ps_csum(odd, 0) == 0xffff, "empty buffer sums to 0 -> 0xffff");
}

/* Packets whose checksums were filled in by another implementation
 * (libnet 1.1.6): an IPv4 TCP SYN and an IPv6 TCP SYN, ::1 -> ::1. */
static void test_known_packets(void)
{
    uint8_t p[128];
    size_t n = unhex("4500003c1234400040062a857f0000017f00000204d200501122334400000000"
                     "a002faf005830000020405b40402080a000000010000000001030307", p, sizeof p);
    uint8_t v6[128];
    size_t n6 = unhex("6000000000280640000000000000000000000000000000010000000000000000"
                      "000000000000000104d200501122334400000000a002faf003990000020405a0"
                      "0402080a000000010000000001030307", v6, sizeof v6);
    uint8_t hdr[20];

    CHECK(n == 60 && n6 == 80, "vector lengths %zu %zu", n, n6);
    CHECK(ps_csum_ipv4_header(p, 20) == 0, "IPv4 header verifies");
    memcpy(hdr, p, 20);
    ps_put_be16(hdr + 10, 0);
    CHECK(ps_csum_ipv4_header(hdr, 20) == 0x2a85, "IPv4 header csum %04x",
          ps_csum_ipv4_header(hdr, 20));
    CHECK(ps_csum_l4_v4(0x7f000001, 0x7f000002, 6, p + 20, 40) == 0, "TCP/IPv4 verifies");
    ps_put_be16(p + 36, 0);
    CHECK(ps_csum_l4_v4(0x7f000001, 0x7f000002, 6, p + 20, 40) == 0x0583, "TCP/IPv4 csum %04x",
          ps_csum_l4_v4(0x7f000001, 0x7f000002, 6, p + 20, 40));
    CHECK(ps_csum_l4_v6(v6 + 8, v6 + 24, 6, v6 + 40, 40) == 0, "TCP/IPv6 verifies");
    ps_put_be16(v6 + 56, 0);
    CHECK(ps_csum_l4_v6(v6 + 8, v6 + 24, 6, v6 + 40, 40) == 0x0399, "TCP/IPv6 csum %04x",
          ps_csum_l4_v6(v6 + 8, v6 + 24, 6, v6 + 40, 40));
}

/* Random edge-heavy 16-bit value: often 0x0000 or 0xffff. */
static uint16_t edgy16(void)
{
    uint64_t r = rnd();
    switch (r & 7) {
    case 0: return 0;
    case 1: return 0xffff;
    default: return (uint16_t)(r >> 16);
    }
}

/* A random IPv4 header (version nibble set, so never all zero) is patched
 * at random even offsets with update16/update32/update_bytes; each
 * incremental result must equal the full recomputation. */
static void test_incremental_matches_full(void)
{
    int iter, bad = 0;

    for (iter = 0; iter < 200000; iter++) {
        uint8_t buf[60], old[16];
        size_t len = 20 + 2 * (size_t)(rnd() % 21), off;
        uint16_t c, want, got = 0;
        int kind = (int)(rnd() % 3);
        size_t i;

        for (i = 0; i < len; i += 2)
            ps_put_be16(buf + i, edgy16());
        buf[0] = 0x45;
        ps_put_be16(buf + 10, 0);
        c = ps_csum(buf, len);
        /* Patch anything after the checksum field (addresses, options). */
        off = 12 + 2 * (size_t)(rnd() % ((len - 12) / 2));
        if (kind == 0) {
            uint16_t o = ps_get_be16(buf + off), nv = edgy16();
            ps_put_be16(buf + off, nv);
            got = ps_csum_update16(c, o, nv);
        } else if (kind == 1 && off + 4 <= len) {
            uint32_t o = ps_get_be32(buf + off);
            uint32_t nv = (uint32_t)edgy16() << 16 | edgy16();
            ps_put_be32(buf + off, nv);
            got = ps_csum_update32(c, o, nv);
        } else {
            size_t n = 2 * (1 + (size_t)(rnd() % 8));
            if (off + n > len)
                n = (len - off) & ~(size_t)1;
            memcpy(old, buf + off, n);
            for (i = 0; i < n; i += 2)
                ps_put_be16(buf + off + i, edgy16());
            got = ps_csum_update_bytes(c, old, buf + off, n);
        }
        want = ps_csum(buf, len);
        if (got != want && bad++ < 5)
            printf("#   iter %d kind %d: incremental %04x, full %04x\n", iter, kind, got, want);
    }
    CHECK(bad == 0, "%d mismatches", bad);
}

/* The same through the accumulator API on TCP/IPv4 and TCP/IPv6 segments,
 * several fields at once, including the pseudo-header addresses. */
static void test_incremental_pseudo_header(void)
{
    int iter, bad = 0;

    for (iter = 0; iter < 50000; iter++) {
        uint8_t seg[40], s6[16], d6[16], nd6[16];
        uint32_t s4 = (uint32_t)rnd(), d4 = (uint32_t)rnd(), nd4 = (uint32_t)rnd();
        uint16_t c4, c6, np = edgy16();
        uint32_t nseq = (uint32_t)rnd();
        uint64_t a4, a6;
        size_t i;

        for (i = 0; i < sizeof seg; i++)
            seg[i] = (uint8_t)rnd();
        for (i = 0; i < 16; i++) {
            s6[i] = (uint8_t)rnd();
            d6[i] = (uint8_t)rnd();
            nd6[i] = (uint8_t)rnd();
        }
        ps_put_be16(seg + 16, 0);
        c4 = ps_csum_l4_v4(s4, d4, 6, seg, sizeof seg);
        c6 = ps_csum_l4_v6(s6, d6, 6, seg, sizeof seg);

        a4 = ps_csum_acc32(ps_csum_acc_start(c4), d4, nd4);
        a6 = ps_csum_acc_start(c6);
        for (i = 0; i < 16; i += 2)
            a6 = ps_csum_acc16(a6, ps_get_be16(d6 + i), ps_get_be16(nd6 + i));
        a4 = ps_csum_acc16(a4, ps_get_be16(seg + 2), np);
        a6 = ps_csum_acc16(a6, ps_get_be16(seg + 2), np);
        a4 = ps_csum_acc32(a4, ps_get_be32(seg + 4), nseq);
        a6 = ps_csum_acc32(a6, ps_get_be32(seg + 4), nseq);
        ps_put_be16(seg + 2, np);
        ps_put_be32(seg + 4, nseq);

        if (ps_csum_finish(a4) != ps_csum_l4_v4(s4, nd4, 6, seg, sizeof seg))
            bad++;
        if (ps_csum_finish(a6) != ps_csum_l4_v6(s6, nd6, 6, seg, sizeof seg))
            bad++;
    }
    CHECK(bad == 0, "%d mismatches", bad);
}

int main(void)
{
    RUN(test_rfc1071_example);
    RUN(test_odd_length);
    RUN(test_known_packets);
    RUN(test_incremental_matches_full);
    RUN(test_incremental_pseudo_header);
    return UNIT_END();
}
