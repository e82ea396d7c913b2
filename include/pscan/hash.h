/* hash.h: FNV-1a, 64 bits: the one hash of small keys (the -sV scheduler's
 * host table) and of a scan's coverage digest (report.c, ps_scan_id). */
#ifndef PSCAN_HASH_H
#define PSCAN_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "pscan/addr.h"

#define PS_FNV_INIT 1469598103934665603ull

/* Go on hashing n bytes from h (start from PS_FNV_INIT). */
static inline uint64_t ps_fnv1a(uint64_t h, const void *data, size_t n)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/* Go on hashing an address's bytes (4 or 16). */
static inline uint64_t ps_fnv1a_addr(uint64_t h, const ps_addr *a)
{
    return a->family == AF_INET ? ps_fnv1a(h, &a->u.v4, 4) : ps_fnv1a(h, a->u.v6, 16);
}

#endif
