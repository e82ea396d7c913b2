/* cookie.c: SipHash-2-4 and the SYN cookies built on it (the protocol is
 * described in include/pscan/cookie.h).
 *
 * Why SipHash.  A cookie must be unforgeable by someone who sees many
 * (tuple, cookie) pairs -- a target can observe its own probes -- so a
 * plain hash will not do; it needs a keyed pseudo-random function.
 * SipHash-2-4 (Aumasson and Bernstein, 2012) is exactly that, designed for
 * short inputs: a 12-byte IPv4 tuple costs two compression rounds per
 * 8-byte block and four finalization rounds, a few tens of nanoseconds.
 * Folding the 64-bit output to 32 bits (xor of the halves) keeps the
 * result uniformly distributed for the TCP sequence number.
 *
 * Written from the SipHash paper's specification: the state is four 64-bit
 * words initialised from the key and the constant "somepseudorandomlygeneratedbytes",
 * the message is read as little-endian 64-bit words, the last word carries
 * the remaining bytes and the message length in its top byte, and
 * finalization xors 0xff into v2.  tests/unit/test_cookie.c checks it
 * against the reference vectors and against OpenSSL's implementation. */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "pscan/cookie.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND(v0, v1, v2, v3)                                             \
    do {                                                                     \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);            \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                               \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                               \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);            \
    } while (0)

static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    int i;

    for (i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* SipHash-2-4 in three steps -- init from the key, one compression per
 * 64-bit message word (the last word holds the tail bytes and len << 56),
 * finish -- as macros over local state so the fixed-size IPv4 cookie can
 * feed its words directly. */
#define SIP_INIT(k, v0, v1, v2, v3)                                          \
    uint64_t v0 = (k)->k0 ^ 0x736f6d6570736575ULL;                           \
    uint64_t v1 = (k)->k1 ^ 0x646f72616e646f6dULL;                           \
    uint64_t v2 = (k)->k0 ^ 0x6c7967656e657261ULL;                           \
    uint64_t v3 = (k)->k1 ^ 0x7465646279746573ULL

#define SIP_BLOCK(m, v0, v1, v2, v3)                                         \
    do {                                                                     \
        v3 ^= (m);                                                           \
        SIPROUND(v0, v1, v2, v3);                                            \
        SIPROUND(v0, v1, v2, v3);                                            \
        v0 ^= (m);                                                           \
    } while (0)

#define SIP_FINISH(v0, v1, v2, v3, out)                                     \
    do {                                                                     \
        v2 ^= 0xff;                                                          \
        SIPROUND(v0, v1, v2, v3);                                            \
        SIPROUND(v0, v1, v2, v3);                                            \
        SIPROUND(v0, v1, v2, v3);                                            \
        SIPROUND(v0, v1, v2, v3);                                            \
        (out) = v0 ^ v1 ^ v2 ^ v3;                                           \
    } while (0)

uint64_t ps_siphash24(const ps_cookie_key *k, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t full = len & ~(size_t)7, i;
    uint64_t last = (uint64_t)len << 56, h;
    SIP_INIT(k, v0, v1, v2, v3);

    for (i = 0; i < full; i += 8)
        SIP_BLOCK(load_le64(p + i), v0, v1, v2, v3);
    for (i = 0; i < (len & 7); i++)
        last |= (uint64_t)p[full + i] << (8 * i);
    SIP_BLOCK(last, v0, v1, v2, v3);
    SIP_FINISH(v0, v1, v2, v3, h);
    return h;
}

static inline uint32_t fold64(uint64_t h)
{
    return (uint32_t)(h ^ (h >> 32));
}

/* The IPv4 tuple is 12 bytes: one full word (saddr, daddr) and a final
 * word holding (sport, dport) and the length.  Building the words directly
 * gives the same result as hashing the byte string, without the copy. */
uint32_t ps_cookie_v4(const ps_cookie_key *k, uint32_t saddr, uint32_t daddr,
                      uint16_t sport, uint16_t dport)
{
    uint64_t m0 = (uint64_t)saddr | (uint64_t)daddr << 32;
    uint64_t m1 = (uint64_t)sport | (uint64_t)dport << 16 | (uint64_t)12 << 56;
    uint64_t h;
    SIP_INIT(k, v0, v1, v2, v3);

    SIP_BLOCK(m0, v0, v1, v2, v3);
    SIP_BLOCK(m1, v0, v1, v2, v3);
    SIP_FINISH(v0, v1, v2, v3, h);
    return fold64(h);
}

uint32_t ps_cookie_v6(const ps_cookie_key *k, const uint8_t saddr[16],
                      const uint8_t daddr[16], uint16_t sport, uint16_t dport)
{
    uint8_t m[36];

    memcpy(m, saddr, 16);
    memcpy(m + 16, daddr, 16);
    m[32] = (uint8_t)sport;
    m[33] = (uint8_t)(sport >> 8);
    m[34] = (uint8_t)dport;
    m[35] = (uint8_t)(dport >> 8);
    return fold64(ps_siphash24(k, m, sizeof m));
}

uint32_t ps_cookie_addr(const ps_cookie_key *k, const ps_addr *src,
                        const ps_addr *dst, uint16_t sport, uint16_t dport)
{
    if (src->family != dst->family)
        return 0;
    if (src->family == AF_INET)
        return ps_cookie_v4(k, src->u.v4, dst->u.v4, sport, dport);
    if (src->family == AF_INET6)
        return ps_cookie_v6(k, src->u.v6, dst->u.v6, sport, dport);
    return 0;
}

void ps_cookie_key_from_bytes(ps_cookie_key *k, const uint8_t bytes[16])
{
    k->k0 = load_le64(bytes);
    k->k1 = load_le64(bytes + 8);
}

int ps_cookie_key_random(ps_cookie_key *k, ps_err *e)
{
    uint8_t b[16];
    size_t got = 0;
    int tries;

    /* Small requests do not return short once the pool is ready, but
     * handle short reads and EINTR anyway, a bounded number of times. */
    for (tries = 0; got < sizeof b; tries++) {
        ssize_t r;
        if (tries == 16)
            return ps_fail(e, PS_ERUNTIME, "getrandom kept returning short reads");
        r = getrandom(b + got, sizeof b - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return ps_fail(e, PS_ERUNTIME, "getrandom failed for the cookie key: %s",
                           strerror(errno));
        got += (size_t)r;
    }
    ps_cookie_key_from_bytes(k, b);
    memset(b, 0, sizeof b);
    return PS_OK;
}

void ps_cookie_key_from_seed(ps_cookie_key *k, uint64_t seed)
{
    /* Hash the seed under a fixed public key with two different domain
     * tags: a distinct derivation from the permutation's round keys. */
    static const ps_cookie_key derive = { 0x7073636e636f6f6bULL, 0x69652d6b65792d31ULL };
    uint8_t m[9];
    int i;

    for (i = 0; i < 8; i++)
        m[i] = (uint8_t)(seed >> (8 * i));
    m[8] = 0;
    k->k0 = ps_siphash24(&derive, m, sizeof m);
    m[8] = 1;
    k->k1 = ps_siphash24(&derive, m, sizeof m);
}
