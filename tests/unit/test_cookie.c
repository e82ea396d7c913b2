/* test_cookie.c: SipHash-2-4 against the reference vectors and OpenSSL,
 * and the SYN-cookie protocol of include/pscan/cookie.h end to end.
 * Also prints the measured cost of a cookie. */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "pscan/cookie.h"
#include "unit.h"

/* SipHash-2-4 reference vectors (Aumasson and Bernstein; the reference
 * implementation's vectors.h, 64-bit output): key 00 01 .. 0f, message
 * 00 01 .. (i-1) of length i, output as a little-endian 64-bit word.
 * Entry 15 is the worked example in the paper's appendix. */
static const uint64_t sip64_vectors[64] = {
    0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL,
    0x85676696d7fb7e2dULL, 0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL,
    0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL, 0x93f5f5799a932462ULL,
    0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL,
    0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL,
    0xa129ca6149be45e5ULL, 0x3f2acc7f57c29bdbULL, 0x699ae9f52cbe4794ULL,
    0x4bc1b3f0968dd39cULL, 0xbb6dc91da77961bdULL, 0xbed65cf21aa2ee98ULL,
    0xd0f2cbb02e3b67c7ULL, 0x93536795e3a33e88ULL, 0xa80c038ccd5ccec8ULL,
    0xb8ad50c6f649af94ULL, 0xbce192de8a85b8eaULL, 0x17d835b85bbb15f3ULL,
    0x2f2e6163076bcfadULL, 0xde4daaaca71dc9a5ULL, 0xa6a2506687956571ULL,
    0xad87a3535c49ef28ULL, 0x32d892fad841c342ULL, 0x7127512f72f27cceULL,
    0xa7f32346f95978e3ULL, 0x12e0b01abb051238ULL, 0x15e034d40fa197aeULL,
    0x314dffbe0815a3b4ULL, 0x027990f029623981ULL, 0xcadcd4e59ef40c4dULL,
    0x9abfd8766a33735cULL, 0x0e3ea96b5304a7d0ULL, 0xad0c42d6fc585992ULL,
    0x187306c89bc215a9ULL, 0xd4a60abcf3792b95ULL, 0xf935451de4f21df2ULL,
    0xa9538f0419755787ULL, 0xdb9acddff56ca510ULL, 0xd06c98cd5c0975ebULL,
    0xe612a3cb9ecba951ULL, 0xc766e62cfcadaf96ULL, 0xee64435a9752fe72ULL,
    0xa192d576b245165aULL, 0x0a8787bf8ecb74b2ULL, 0x81b3e73d20b49b6fULL,
    0x7fa8220ba3b2eceaULL, 0x245731c13ca42499ULL, 0xb78dbfaf3a8d83bdULL,
    0xea1ad565322a1a0bULL, 0x60e61c23a3795013ULL, 0x6606d7e446282b93ULL,
    0x6ca4ecb15c5f91e1ULL, 0x9f626da15c9625f3ULL, 0xe51b38608ef25f57ULL,
    0x958a324ceb064572ULL,
};

static uint64_t rng_state = 0xa4093822299f31d0ULL;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void test_reference_vectors(void)
{
    uint8_t key[16], msg[64];
    ps_cookie_key k;
    int i, bad = 0;

    for (i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    ps_cookie_key_from_bytes(&k, key);
    for (i = 0; i < 64; i++) {
        uint64_t h = ps_siphash24(&k, msg, (size_t)i);
        if (h != sip64_vectors[i] && bad++ < 3)
            printf("#   len %d: got %016llx want %016llx\n", i, (unsigned long long)h,
                   (unsigned long long)sip64_vectors[i]);
    }
    CHECK(bad == 0, "%d of 64 vectors differ", bad);
}

/* OpenSSL 3's SIPHASH MAC (size 8) is an independent implementation. */
static int openssl_siphash(const uint8_t key[16], const uint8_t *m, size_t len, uint64_t *out)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    size_t size = 8, outl = 0;
    uint8_t b[8];
    OSSL_PARAM params[2];
    int ok = 0, i;

    params[0] = OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size);
    params[1] = OSSL_PARAM_construct_end();
    if (ctx && EVP_MAC_init(ctx, key, 16, params) && EVP_MAC_update(ctx, m, len) &&
        EVP_MAC_final(ctx, b, &outl, sizeof b) && outl == 8) {
        *out = 0;
        for (i = 7; i >= 0; i--)
            *out = *out << 8 | b[i];
        ok = 1;
    }
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return ok;
}

static void test_matches_openssl(void)
{
    int iter, bad = 0, unavailable = 0;

    for (iter = 0; iter < 2000; iter++) {
        uint8_t key[16], m[100];
        size_t len = (size_t)(rnd() % sizeof m), i;
        ps_cookie_key k;
        uint64_t want;

        for (i = 0; i < 16; i++)
            key[i] = (uint8_t)rnd();
        for (i = 0; i < len; i++)
            m[i] = (uint8_t)rnd();
        if (!openssl_siphash(key, m, len, &want)) {
            unavailable = 1;
            break;
        }
        ps_cookie_key_from_bytes(&k, key);
        bad += ps_siphash24(&k, m, len) != want;
    }
    CHECK(!unavailable, "OpenSSL SIPHASH not available");
    CHECK(bad == 0, "%d of 2000 differ from OpenSSL", bad);
}

static uint32_t fold(uint64_t h)
{
    return (uint32_t)(h ^ (h >> 32));
}

/* The fast word-building IPv4 path equals hashing the documented bytes. */
static void test_v4_layout(void)
{
    ps_cookie_key k = { rnd(), rnd() };
    int iter, bad = 0;

    for (iter = 0; iter < 10000; iter++) {
        uint32_t s = (uint32_t)rnd(), d = (uint32_t)rnd();
        uint16_t sp = (uint16_t)rnd(), dp = (uint16_t)rnd();
        uint8_t m[12];
        int i;
        for (i = 0; i < 4; i++) {
            m[i] = (uint8_t)(s >> (8 * i));
            m[4 + i] = (uint8_t)(d >> (8 * i));
        }
        m[8] = (uint8_t)sp; m[9] = (uint8_t)(sp >> 8);
        m[10] = (uint8_t)dp; m[11] = (uint8_t)(dp >> 8);
        bad += ps_cookie_v4(&k, s, d, sp, dp) != fold(ps_siphash24(&k, m, 12));
    }
    CHECK(bad == 0, "%d mismatches", bad);
}

static void test_v6_and_dispatch(void)
{
    ps_cookie_key k = { rnd(), rnd() };
    ps_addr a4 = { .family = AF_INET, .u.v4 = 0x7f000001 };
    ps_addr b4 = { .family = AF_INET, .u.v4 = 0xc6120002 };
    ps_addr a6 = { .family = AF_INET6 }, b6 = { .family = AF_INET6 };
    uint8_t m[36];

    a6.u.v6[15] = 1;
    b6.u.v6[0] = 0x20; b6.u.v6[1] = 0x01; b6.u.v6[2] = 0x0d; b6.u.v6[3] = 0xb8; b6.u.v6[15] = 2;
    memcpy(m, a6.u.v6, 16);
    memcpy(m + 16, b6.u.v6, 16);
    m[32] = 0x39; m[33] = 0x30; /* 12345 */
    m[34] = 80;   m[35] = 0;
    CHECK(ps_cookie_v6(&k, a6.u.v6, b6.u.v6, 12345, 80) == fold(ps_siphash24(&k, m, 36)),
          "v6 layout");
    CHECK(ps_cookie_addr(&k, &a6, &b6, 12345, 80) == ps_cookie_v6(&k, a6.u.v6, b6.u.v6, 12345, 80),
          "dispatch v6");
    CHECK(ps_cookie_addr(&k, &a4, &b4, 1, 2) == ps_cookie_v4(&k, a4.u.v4, b4.u.v4, 1, 2),
          "dispatch v4");
    CHECK(ps_cookie_addr(&k, &a4, &b6, 1, 2) == 0, "mixed families give 0");
}

/* Probe and reply as the sender and receiver see them. */
static void test_protocol(void)
{
    ps_cookie_key k, other;
    uint32_t us = 0x7f000001, them = 0x7f000002, seq, ack;
    uint16_t sport = 40000, dport = 443;

    ps_cookie_key_from_seed(&k, 1);
    ps_cookie_key_from_seed(&other, 2);
    seq = ps_cookie_v4(&k, us, them, sport, dport); /* the SYN */
    ack = seq + 1;                                  /* SYN-ACK or RST */
    /* The receiver sees src=them:dport, dst=us:sport and reverses. */
    CHECK(ps_cookie_ack_ok(ps_cookie_v4(&k, us, them, sport, dport), ack), "valid reply");
    CHECK(!ps_cookie_ack_ok(ps_cookie_v4(&k, us, them, sport, dport), seq), "ack == seq is not");
    CHECK(!ps_cookie_ack_ok(ps_cookie_v4(&k, them, us, dport, sport), ack),
          "unreversed tuple does not match");
    CHECK(!ps_cookie_ack_ok(ps_cookie_v4(&k, us, them, sport, dport + 1), ack), "other port");
    CHECK(!ps_cookie_ack_ok(ps_cookie_v4(&other, us, them, sport, dport), ack), "other key");
    CHECK(ps_cookie_ack_ok(0xffffffffu, 0), "ack wraps around 2^32");
}

static void test_keys(void)
{
    ps_cookie_key a, b, c;
    ps_err e;

    ps_cookie_key_from_seed(&a, 42);
    ps_cookie_key_from_seed(&b, 42);
    CHECK(a.k0 == b.k0 && a.k1 == b.k1, "seed keys are repeatable");
    ps_cookie_key_from_seed(&b, 43);
    CHECK(a.k0 != b.k0 && a.k1 != b.k1, "different seeds, different keys");
    CHECK(a.k0 != a.k1, "the two key halves differ");
    CHECK(ps_cookie_key_random(&b, &e) == PS_OK && ps_cookie_key_random(&c, &e) == PS_OK,
          "getrandom works");
    CHECK(b.k0 != c.k0 || b.k1 != c.k1, "two random keys differ");
}

/* Cookies of neighbouring tuples look independent: each output bit is set
 * about half the time. */
static void test_bit_balance(void)
{
    ps_cookie_key k;
    unsigned ones[32] = { 0 }, i, b, n = 65536, worst = 0;

    ps_cookie_key_from_seed(&k, 7);
    for (i = 0; i < n; i++) {
        uint32_t c = ps_cookie_v4(&k, 0xc6120001, 0xc6120000 + (i >> 8), 40000, (uint16_t)i);
        for (b = 0; b < 32; b++)
            ones[b] += (c >> b) & 1;
    }
    for (b = 0; b < 32; b++) {
        unsigned d = ones[b] > n / 2 ? ones[b] - n / 2 : n / 2 - ones[b];
        worst = d > worst ? d : worst;
    }
    CHECK(worst < 1000, "a bit deviates by %u of %u (sd 128)", worst, n);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void test_report_cost(void)
{
    ps_cookie_key k;
    uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8 }, d6[16] = { 0x20, 0x01, 0x0d, 0xb8, 1 };
    double best4 = 1e18, best6 = 1e18;
    uint32_t sink = 0, i, calls = 1000000;
    int rep;

    ps_cookie_key_from_seed(&k, 3);
    for (rep = 0; rep < 5; rep++) {
        double t0 = now_ns(), t;
        for (i = 0; i < calls; i++)
            sink += ps_cookie_v4(&k, 0x7f000001, 0x7f000000 + (i >> 16), 40000, (uint16_t)i);
        t = (now_ns() - t0) / calls;
        best4 = t < best4 ? t : best4;
        t0 = now_ns();
        for (i = 0; i < calls; i++) {
            d6[15] = (uint8_t)i;
            sink += ps_cookie_v6(&k, s6, d6, 40000, (uint16_t)(i >> 8));
        }
        t = (now_ns() - t0) / calls;
        best6 = t < best6 ? t : best6;
    }
    printf("# ps_cookie_v4: %.1f ns/call, ps_cookie_v6: %.1f ns/call (best of 5; sink %u)\n",
           best4, best6, sink & 1);
}

int main(void)
{
    RUN(test_reference_vectors);
    RUN(test_matches_openssl);
    RUN(test_v4_layout);
    RUN(test_v6_and_dispatch);
    RUN(test_protocol);
    RUN(test_keys);
    RUN(test_bit_balance);
    RUN(test_report_cost);
    return UNIT_END();
}
