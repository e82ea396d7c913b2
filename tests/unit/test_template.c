/* test_template.c: the SYN template's layout, and patched probes whose
 * checksums are verified by full recomputation (with a naive checksum
 * written here, independent of src/net/checksum.c), for IPv4 and IPv6, with
 * and without an Ethernet header.  Also prints the cost of a patch. */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "pscan/template.h"
#include "unit.h"

static uint64_t rng_state = 0x082efa98ec4e6c89ULL;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned be16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }
static uint32_t be32(const uint8_t *p) { return (uint32_t)be16(p) << 16 | be16(p + 2); }

/* Naive RFC 1071 sum over a list of buffers; 0 means "verifies". */
static unsigned naive_csum(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    unsigned long sum = 0;
    size_t i;
    for (i = 0; i < alen; i += 2)
        sum += be16(a + i);
    for (i = 0; i < blen; i += 2)
        sum += be16(b + i);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (unsigned)(~sum & 0xffff);
}

static unsigned verify_tcp(const ps_template *t, const uint8_t *f)
{
    const uint8_t *ip = f + t->l3_off, *tcp = f + t->l4_off;
    uint8_t ph[40];
    size_t tcplen = t->len - t->l4_off;

    memset(ph, 0, sizeof ph);
    if (t->family == AF_INET) {
        memcpy(ph, ip + 12, 8);
        ph[9] = 6;
        ph[10] = (uint8_t)(tcplen >> 8);
        ph[11] = (uint8_t)tcplen;
        return naive_csum(ph, 12, tcp, tcplen);
    }
    memcpy(ph, ip + 8, 32);              /* source and destination */
    ph[34] = (uint8_t)(tcplen >> 8);     /* 32-bit upper-layer length */
    ph[35] = (uint8_t)tcplen;
    ph[39] = 6;                          /* 3 zero bytes, next header */
    return naive_csum(ph, 40, tcp, tcplen);
}

static int build(ps_template *t, int family, int link)
{
    ps_template_opts o;
    ps_err e;
    int rc;

    memset(&o, 0, sizeof o);
    o.link = link;
    o.src.family = family;
    if (family == AF_INET) {
        o.src.u.v4 = 0xc6120001; /* 198.18.0.1 */
    } else {
        static const uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
        memcpy(o.src.u.v6, s6, 16);
    }
    memcpy(o.src_mac, "\x02\x00\x00\x00\x00\x01", 6);
    memcpy(o.dst_mac, "\x02\x00\x00\x00\x00\x02", 6);
    o.entropy = 0x0123456789abcdefULL;
    e.msg[0] = '\0';
    rc = ps_template_build(t, &o, &e);
    if (rc != PS_OK)
        printf("#   build failed: %s\n", e.msg);
    return rc;
}

static void check_layout(int family, int link)
{
    ps_template t;
    const uint8_t *ip, *tcp;
    static const uint8_t opts_prefix[] = { 2, 4 };
    static const uint8_t opts_rest[] = { 4, 2, 8, 10 };
    static const uint8_t opts_tail[] = { 1, 3, 3, 7 };
    size_t l3 = family == AF_INET ? 20 : 40, l2 = link == PS_LINK_ETHERNET ? 14 : 0;

    if (build(&t, family, link) != PS_OK) {
        CHECK(0, "build");
        return;
    }
    CHECK(t.len == l2 + l3 + 40 && t.l3_off == l2 && t.l4_off == l2 + l3, "len %zu", t.len);
    ip = t.frame + t.l3_off;
    tcp = t.frame + t.l4_off;
    if (link == PS_LINK_ETHERNET) {
        CHECK(memcmp(t.frame, "\x02\x00\x00\x00\x00\x02", 6) == 0, "dst MAC first");
        CHECK(memcmp(t.frame + 6, "\x02\x00\x00\x00\x00\x01", 6) == 0, "src MAC");
        CHECK(be16(t.frame + 12) == (family == AF_INET ? 0x0800u : 0x86ddu), "ethertype");
    }
    if (family == AF_INET) {
        CHECK(ip[0] == 0x45 && be16(ip + 2) == 60 && ip[8] == 64 && ip[9] == 6, "IPv4 header");
        CHECK(be16(ip + 6) == 0x4000, "DF set, no fragment");
        CHECK(be32(ip + 12) == 0xc6120001 && be32(ip + 16) == 0, "addresses");
        CHECK(naive_csum(ip, 20, NULL, 0) == 0, "IP checksum valid");
    } else {
        CHECK((ip[0] >> 4) == 6 && be16(ip + 4) == 40 && ip[6] == 6 && ip[7] == 64, "IPv6 header");
    }
    CHECK(tcp[12] == 0xa0 && tcp[13] == 0x02, "40-byte header, SYN only");
    CHECK(be16(tcp + 14) == (family == AF_INET ? 64240u : 64800u), "window");
    CHECK(memcmp(tcp + 20, opts_prefix, 2) == 0 && be16(tcp + 22) == (family == AF_INET ? 1460u : 1440u),
          "MSS option");
    CHECK(memcmp(tcp + 24, opts_rest, 4) == 0 && be32(tcp + 32) == 0, "SACK-permitted, timestamps");
    CHECK(memcmp(tcp + 36, opts_tail, 4) == 0, "NOP, window scale 7");
    CHECK(verify_tcp(&t, t.frame) == 0, "TCP checksum valid");
}

static void test_layout_v4_ethernet(void) { check_layout(AF_INET, PS_LINK_ETHERNET); }
static void test_layout_v4_raw(void) { check_layout(AF_INET, PS_LINK_RAW); }
static void test_layout_v6_ethernet(void) { check_layout(AF_INET6, PS_LINK_ETHERNET); }
static void test_layout_v6_raw(void) { check_layout(AF_INET6, PS_LINK_RAW); }

static void random_dst(int family, ps_addr *a)
{
    int i;
    memset(a, 0, sizeof *a);
    a->family = family;
    if (family == AF_INET) {
        switch (rnd() % 4) {
        case 0: a->u.v4 = 0; break;
        case 1: a->u.v4 = 0xffffffff; break;
        default: a->u.v4 = (uint32_t)rnd();
        }
    } else {
        int edge = (int)(rnd() % 4);
        for (i = 0; i < 16; i++)
            a->u.v6[i] = edge == 0 ? 0 : edge == 1 ? 0xff : (uint8_t)rnd();
    }
}

/* Patched probes: checksums verify by full recomputation, the patched
 * fields hold what was asked, and every other byte is the template's. */
static void check_patches(int family, int link)
{
    ps_template t;
    uint8_t out[PS_TEMPLATE_MAX];
    int iter, bad_csum = 0, bad_field = 0, bad_other = 0;

    if (build(&t, family, link) != PS_OK) {
        CHECK(0, "build");
        return;
    }
    for (iter = 0; iter < 100000; iter++) {
        ps_addr dst;
        uint16_t dport = (uint16_t)rnd(), sport = (uint16_t)rnd();
        uint32_t seq = iter % 7 == 0 ? 0 : iter % 7 == 1 ? 0xffffffff : (uint32_t)rnd();
        const uint8_t *ip = out + t.l3_off, *tcp = out + t.l4_off;
        size_t i;

        random_dst(family, &dst);
        if (iter % 5 == 0) { dport = 0; sport = 0xffff; }
        if (ps_template_patch(&t, out, &dst, dport, sport, seq) != t.len) {
            bad_field++;
            continue;
        }
        if (family == AF_INET && naive_csum(ip, 20, NULL, 0) != 0)
            bad_csum++;
        if (verify_tcp(&t, out) != 0)
            bad_csum++;
        if (be16(tcp) != sport || be16(tcp + 2) != dport || be32(tcp + 4) != seq)
            bad_field++;
        if (family == AF_INET ? be32(ip + 16) != dst.u.v4 : memcmp(ip + 24, dst.u.v6, 16) != 0)
            bad_field++;
        for (i = 0; i < t.len; i++) {
            size_t r = i - t.l3_off; /* offset in the IP header */
            int patched = (i >= t.l4_off && (i - t.l4_off < 8 || i - t.l4_off == 16 ||
                                             i - t.l4_off == 17));
            if (family == AF_INET)
                patched |= i >= t.l3_off && (r == 4 || r == 5 || r == 10 || r == 11 ||
                                             (r >= 16 && r < 20));
            else
                patched |= i >= t.l3_off && ((r >= 1 && r <= 3) || (r >= 24 && r < 40));
            if (!patched && out[i] != t.frame[i])
                bad_other++;
        }
        if (family == AF_INET6 && (ip[0] != t.frame[t.l3_off] || (ip[1] & 0xf0) != (t.frame[t.l3_off + 1] & 0xf0)))
            bad_other++; /* version and traffic class kept around the flow label */
    }
    CHECK(bad_csum == 0, "%d checksum failures", bad_csum);
    CHECK(bad_field == 0, "%d wrong fields", bad_field);
    CHECK(bad_other == 0, "%d unexpected byte changes", bad_other);
}

static void test_patch_v4_ethernet(void) { check_patches(AF_INET, PS_LINK_ETHERNET); }
static void test_patch_v4_raw(void) { check_patches(AF_INET, PS_LINK_RAW); }
static void test_patch_v6_ethernet(void) { check_patches(AF_INET6, PS_LINK_ETHERNET); }
static void test_patch_v6_raw(void) { check_patches(AF_INET6, PS_LINK_RAW); }

/* The IP ID and flow label vary between probes. */
static void test_ids_vary(void)
{
    ps_template t4, t6;
    uint8_t a[PS_TEMPLATE_MAX], b[PS_TEMPLATE_MAX];
    ps_addr d4 = { .family = AF_INET, .u.v4 = 0xc6120002 }, d6 = { .family = AF_INET6 };

    d6.u.v6[15] = 2;
    if (build(&t4, AF_INET, PS_LINK_RAW) != PS_OK || build(&t6, AF_INET6, PS_LINK_RAW) != PS_OK) {
        CHECK(0, "build");
        return;
    }
    ps_template_patch(&t4, a, &d4, 80, 40000, 0x11110000);
    ps_template_patch(&t4, b, &d4, 80, 40000, 0x22220000);
    CHECK(be16(a + 4) != be16(b + 4), "IPv4 ID differs");
    ps_template_patch(&t6, a, &d6, 80, 40000, 0x00011111);
    ps_template_patch(&t6, b, &d6, 80, 40000, 0x00022222);
    CHECK((be32(a) & 0xfffff) != (be32(b) & 0xfffff), "IPv6 flow label differs");
}

static void test_bad_input(void)
{
    ps_template t;
    ps_template_opts o;
    ps_addr d6 = { .family = AF_INET6 };
    uint8_t out[PS_TEMPLATE_MAX];
    ps_err e;

    memset(&o, 0, sizeof o);
    o.src.family = AF_INET;
    o.link = 7;
    CHECK(ps_template_build(&t, &o, &e) == PS_EINPUT && strstr(e.msg, "'7'"), "bad link: %s", e.msg);
    o.link = PS_LINK_RAW;
    o.src.family = 99;
    CHECK(ps_template_build(&t, &o, &e) == PS_EINPUT && strstr(e.msg, "'99'"), "bad family: %s",
          e.msg);
    if (build(&t, AF_INET, PS_LINK_RAW) == PS_OK)
        CHECK(ps_template_patch(&t, out, &d6, 1, 2, 3) == 0, "family mismatch refused");
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void test_report_cost(void)
{
    int fam[2] = { AF_INET, AF_INET6 }, f, rep;

    for (f = 0; f < 2; f++) {
        ps_template t;
        uint8_t out[PS_TEMPLATE_MAX];
        ps_addr d;
        double best = 1e18;
        unsigned sink = 0;
        uint32_t i, calls = 1000000;

        if (build(&t, fam[f], PS_LINK_ETHERNET) != PS_OK)
            return;
        random_dst(fam[f], &d);
        for (rep = 0; rep < 5; rep++) {
            double t0 = now_ns(), el;
            for (i = 0; i < calls; i++) {
                ps_template_patch(&t, out, &d, (uint16_t)i, 40000, i * 2654435761u);
                sink += out[t.len - 1];
            }
            el = (now_ns() - t0) / calls;
            best = el < best ? el : best;
        }
        printf("# ps_template_patch %s: %.1f ns/call (best of 5; sink %u)\n",
               fam[f] == AF_INET ? "IPv4" : "IPv6", best, sink & 1);
    }
}

int main(void)
{
    RUN(test_layout_v4_ethernet);
    RUN(test_layout_v4_raw);
    RUN(test_layout_v6_ethernet);
    RUN(test_layout_v6_raw);
    RUN(test_patch_v4_ethernet);
    RUN(test_patch_v4_raw);
    RUN(test_patch_v6_ethernet);
    RUN(test_patch_v6_raw);
    RUN(test_ids_vary);
    RUN(test_bad_input);
    RUN(test_report_cost);
    return UNIT_END();
}
