/* permute.h: a keyed, seekable shuffle of the scan's index space.
 *
 * The scanner numbers every (host, port) pair 0..N-1 and sends them in the
 * order ps_permute_at(p, 0), ps_permute_at(p, 1), ...: a bijection on
 * [0, N) chosen by a 64-bit seed, computed on demand with no memory, so a
 * sender can start anywhere and N can be as large as 2^64 - 1.  Same seed,
 * same order.  See src/scan/permute.c for how and why it works.
 *
 * The struct is written once by ps_permute_init and only read afterwards,
 * so any number of threads may call ps_permute_at on it at once. */
#ifndef PSCAN_PERMUTE_H
#define PSCAN_PERMUTE_H

#include <stdint.h>

#include "pscan/err.h"

#define PS_PERMUTE_ROUNDS 6

typedef struct ps_permute {
    uint64_t n;                        /* size of the index space */
    unsigned half_bits;                /* Feistel half width, 1..32 */
    uint64_t half_mask;                /* (1 << half_bits) - 1 */
    uint64_t key[PS_PERMUTE_ROUNDS];   /* round keys derived from the seed: */
    uint64_t mul[PS_PERMUTE_ROUNDS];   /*   xor and (odd) multiplier per round */
} ps_permute;

/* Prepare the permutation of [0, n) chosen by seed.  n == 0 is allowed (an
 * empty scan); then every ps_permute_at call returns UINT64_MAX. */
void ps_permute_init(ps_permute *p, uint64_t n, uint64_t seed);

/* The i-th element of the shuffled sequence, for i < n.  Out of range i
 * returns UINT64_MAX, which is never a valid element (n <= 2^64 - 1).
 * Costs on average fewer than 4 Feistel evaluations, see permute.c. */
uint64_t ps_permute_at(const ps_permute *p, uint64_t i);
/* The position i at which ps_permute_at gives x (x < n), so a reply can
 * be mapped back to its probe's place in the sequence. */
uint64_t ps_permute_inverse(const ps_permute *p, uint64_t x);

/* Which part of the shuffled sequence shard `shard` (0-based) of `nshards`
 * sends: positions [*first, *first + *count).  The slices of all shards are
 * contiguous, in shard order, and partition [0, n) exactly; their sizes
 * differ by at most one.  Fails with PS_EINPUT if nshards == 0 or
 * shard >= nshards. */
int ps_shard_range(uint64_t n, unsigned shard, unsigned nshards,
                   uint64_t *first, uint64_t *count, ps_err *e);

/* One shard's part of the shuffled order of n items, with the order:
 * positions [first, first + count) of perm (permute.c, "Slices"). */
typedef struct ps_slice {
    ps_permute perm;
    uint64_t n, first, count;
} ps_slice;

/* The slice of shard `shard` (0-based) of nshards (0 counts as 1) of the
 * order of n items chosen by seed; PS_EINPUT as ps_shard_range. */
int ps_slice_init(ps_slice *s, uint64_t n, uint64_t seed, unsigned shard, unsigned nshards, ps_err *e);
/* Item x's position within the slice (0 .. count-1), or UINT64_MAX when it
 * lies in another shard's (or x >= n). */
uint64_t ps_slice_pos(const ps_slice *s, uint64_t x);
/* Is item x in the slice?  No permutation to compute for a whole order. */
static inline int ps_slice_has(const ps_slice *s, uint64_t x)
{
    return x < s->n && (s->count == s->n || ps_slice_pos(s, x) != UINT64_MAX);
}

#endif
