/* permute.c: the scan order -- a keyed bijection on [0, N) for any N.
 *
 * What we need.  A stateless scanner visits N = hosts x ports targets in an
 * order that looks random (so no network sees a burst of consecutive
 * addresses or ports), visits each exactly once, can be reproduced from a
 * seed, can be split between shards, and costs no memory: N may be 2^40 or
 * more, far too large to shuffle an array.  So the order is a function:
 * position i -> target P(i), where P is a permutation of [0, N).
 *
 * A Feistel network gives a permutation of a power-of-two domain.  Split a
 * w-bit value (w even) into halves L and R of w/2 bits, and apply rounds
 *         (L, R) -> (R, L xor F_r(R))
 * with any round functions F_r.  Each round is invertible whatever F_r is
 * (given the output (R, X), L = X xor F_r(R)), so the composition is a
 * bijection on [0, 2^w).  F_r mixes the half with a round key derived from
 * the seed; six rounds scatter neighbouring inputs thoroughly.  This is a
 * shuffle, not encryption: the seed is not a secret and nothing relies on
 * the order being unpredictable.
 *
 * Cycle walking shrinks it to [0, N).  Let D = 2^w be the smallest even-bit
 * power of two >= N.  For i < N, apply the Feistel permutation E repeatedly
 * -- E(i), E(E(i)), ... -- and stop at the first value that is < N.  The
 * walk ends because the cycle of E through i returns to i, which is < N;
 * and it defines a bijection on [0, N) because walking visits the in-range
 * points of each cycle in cycle order, so each in-range point is the stop
 * of exactly one start (its in-range predecessor on the cycle).
 *
 * Why cycle walking stays cheap.  Since w is the smallest EVEN width with
 * 2^w >= N, we have 2^(w-2) < N, i.e. D < 4N.  Summed over all N starts,
 * the walks evaluate E at most D times in total: each point of the domain
 * is stepped onto at most once (an in-range point by the walk that stops
 * there, an out-of-range point by the one walk that passes it, and points
 * on cycles that never enter [0, N) not at all).  So the AVERAGE cost is
 * at most D/N < 4 evaluations: near 1 when N is just below a power of four,
 * near 4 just above one.  A single walk is long only if it meets many
 * out-of-range points in a row; each step lands out of range with
 * probability about 1 - N/D < 3/4, so the chance of a walk longer than k
 * steps falls like (3/4)^k: 50 steps happen about once in 10^6 walks, 100
 * once in 3 x 10^12, and the worst case is bounded by the cycle length.
 * (An odd width would give D < 2N and a cheaper walk, but a balanced
 * Feistel network needs two equal halves; an unbalanced one is not worth
 * the complexity for a factor < 2.)
 *
 * Measured on a 2.6 GHz Xeon VM: about 5 ns per call when D/N is near 1,
 * about 50 ns when it is near 4 (each about twice that on a loaded
 * machine) -- more than 4x, because the steps of a walk depend on each
 * other and cannot overlap the way independent calls do.
 *
 * Sharding.  Shard k of K takes the contiguous positions
 * [floor(N*k/K), floor(N*(k+1)/K)) of the one shared order; the products
 * are taken in 128 bits so N up to 2^64 - 1 cannot overflow.  Because the
 * slices partition the positions and P is a bijection, shards partition
 * the targets with no overlap and no gap, and each shard's targets are
 * themselves spread evenly over the whole space.
 *
 * Slices.  A ps_slice is one shard's part with the order it lives in: the
 * SYN scan sends its positions; the connect and UDP scans, which keep
 * their host-by-host order, probe only the pairs whose position lies in
 * it; and the report asks it which pairs another shard has. */
#include "pscan/permute.h"

/* SplitMix64 step: a well-mixed 64-bit sequence from a counter, used to
 * expand the seed into independent round keys. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void ps_permute_init(ps_permute *p, uint64_t n, uint64_t seed)
{
    unsigned bits = 0, w;
    uint64_t st = seed ^ 0x7065726d75746531ULL; /* separates from other seed uses */
    int r;

    /* bits = how many bits it takes to write n - 1 (0 for n <= 1). */
    if (n > 1)
        bits = 64u - (unsigned)__builtin_clzll(n - 1);
    w = (bits + 1) & ~1u; /* round up to even */
    if (w < 2)
        w = 2;
    p->n = n;
    p->half_bits = w / 2;
    p->half_mask = (1ULL << p->half_bits) - 1; /* half_bits <= 32 */
    for (r = 0; r < PS_PERMUTE_ROUNDS; r++) {
        p->key[r] = splitmix64(&st);
        p->mul[r] = splitmix64(&st) | 1;
    }
}

/* Round function: keyed multiplicative hashing.  The half is xored with
 * one round key and multiplied (mod 2^64) by another, odd one; the top
 * half_bits of the product depend on every input bit.  One multiply keeps
 * the latency of a round short, which matters because the rounds -- and
 * the steps of a cycle walk -- form one serial chain. */
static inline uint64_t feistel(const ps_permute *p, uint64_t v)
{
    unsigned h = p->half_bits, shift = 64 - h;
    uint64_t m = p->half_mask;
    uint64_t l = v >> h, r = v & m;
    int i;

    for (i = 0; i < PS_PERMUTE_ROUNDS; i++) {
        uint64_t t = r;
        r = l ^ (((r ^ p->key[i]) * p->mul[i]) >> shift);
        l = t;
    }
    return l << h | r;
}

/* The round function run backwards: each Feistel round is undone by
 * recomputing the same keyed hash of the half that was left alone. */
static inline uint64_t feistel_inverse(const ps_permute *p, uint64_t v)
{
    unsigned h = p->half_bits, shift = 64 - h;
    uint64_t m = p->half_mask;
    uint64_t l = v >> h, r = v & m;
    int i;

    for (i = PS_PERMUTE_ROUNDS - 1; i >= 0; i--) {
        uint64_t t = l;
        l = r ^ (((l ^ p->key[i]) * p->mul[i]) >> shift);
        r = t;
    }
    return l << h | r;
}

/* Cycle walking is reversible: from x, step backwards through the domain
 * until back inside [0, n); that is the position that walked forward to x. */
uint64_t ps_permute_inverse(const ps_permute *p, uint64_t x)
{
    uint64_t i = x;

    if (x >= p->n)
        return UINT64_MAX;
    do
        i = feistel_inverse(p, i);
    while (i >= p->n);
    return i;
}

uint64_t ps_permute_at(const ps_permute *p, uint64_t i)
{
    uint64_t x = i;

    if (i >= p->n)
        return UINT64_MAX;
    do
        x = feistel(p, x);
    while (x >= p->n);
    return x;
}

int ps_shard_range(uint64_t n, unsigned shard, unsigned nshards,
                   uint64_t *first, uint64_t *count, ps_err *e)
{
    unsigned __int128 lo, hi;

    if (nshards == 0)
        return ps_fail(e, PS_EINPUT, "shard count must be at least 1, got '0'");
    if (shard >= nshards)
        return ps_fail(e, PS_EINPUT, "shard '%u' out of range: shards are numbered 0..%u",
                       shard, nshards - 1);
    lo = (unsigned __int128)n * shard / nshards;
    hi = (unsigned __int128)n * (shard + 1ULL) / nshards;
    *first = (uint64_t)lo;
    *count = (uint64_t)(hi - lo);
    return PS_OK;
}

int ps_slice_init(ps_slice *s, uint64_t n, uint64_t seed, unsigned shard, unsigned nshards, ps_err *e)
{
    ps_permute_init(&s->perm, n, seed);
    s->n = n;
    return ps_shard_range(n, shard, nshards ? nshards : 1, &s->first, &s->count, e);
}

uint64_t ps_slice_pos(const ps_slice *s, uint64_t x)
{
    if (x >= s->n)
        return UINT64_MAX;
    uint64_t pos = ps_permute_inverse(&s->perm, x);
    return pos >= s->first && pos - s->first < s->count ? pos - s->first : UINT64_MAX;
}
