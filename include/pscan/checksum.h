/* checksum.h: the internet checksum (RFC 1071) and its incremental update
 * (RFC 1624), for IPv4 headers and for TCP/UDP over IPv4 and IPv6.
 *
 * Conventions used by every function here:
 *  - A 16-bit checksum or field is handled as the numeric value of the two
 *    bytes read big-endian (ps_get_be16), and stored back with ps_put_be16.
 *  - "Compute" functions sum the bytes exactly as given.  To fill a header,
 *    zero its checksum field first and store the result; to verify one,
 *    sum it with the field in place: a correct packet gives 0.
 *  - UDP sends a computed 0 as 0xffff (0 means "no checksum"); the caller
 *    does that mapping, TCP and IPv4 headers never need it.
 * Everything is pure and reentrant. */
#ifndef PSCAN_CHECKSUM_H
#define PSCAN_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t ps_get_be16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t ps_get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void ps_put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void ps_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Add data to a running sum of 16-bit big-endian words and return the new
 * (folded, not complemented) sum.  Start from 0.  A trailing odd byte is
 * padded with zero, so every chunk but the last must have even length. */
uint32_t ps_csum_add(uint32_t sum, const void *data, size_t len);

/* Fold a running sum to 16 bits and complement it: the value to store. */
uint16_t ps_csum_finish(uint64_t sum);

/* RFC 1071 checksum of one buffer. */
uint16_t ps_csum(const void *data, size_t len);

/* IPv4 header checksum over hlen bytes (IHL * 4). */
uint16_t ps_csum_ipv4_header(const void *hdr, size_t hlen);

/* TCP or UDP checksum with the IPv4 pseudo header.  saddr and daddr in host
 * byte order (as ps_addr.u.v4); seg is the whole L4 segment, len <= 65535. */
uint16_t ps_csum_l4_v4(uint32_t saddr, uint32_t daddr, uint8_t proto,
                       const void *seg, size_t len);

/* Same with the IPv6 pseudo header (RFC 8200 section 8.1). */
uint16_t ps_csum_l4_v6(const uint8_t saddr[16], const uint8_t daddr[16],
                       uint8_t proto, const void *seg, size_t len);

/* Incremental update, RFC 1624 eqn. 3:  HC' = ~(~HC + ~m + m').
 * A hot path that changes several fields keeps one accumulator: start it
 * with ps_csum_acc_start(old checksum), add each change with
 * ps_csum_acc16/32, and store ps_csum_finish(acc).  The accumulator is
 * 64 bits wide so thousands of changes cannot overflow it. */
static inline uint64_t ps_csum_acc_start(uint16_t old_csum)
{
    return (uint16_t)~old_csum;
}

static inline uint64_t ps_csum_acc16(uint64_t acc, uint16_t old, uint16_t new_)
{
    return acc + (uint16_t)~old + new_;
}

static inline uint64_t ps_csum_acc32(uint64_t acc, uint32_t old, uint32_t new_)
{
    return acc + (uint16_t)~(old >> 16) + (uint16_t)~old + (new_ >> 16) + (new_ & 0xffff);
}

/* One-shot forms of the above. */
uint16_t ps_csum_update16(uint16_t csum, uint16_t old, uint16_t new_);
uint16_t ps_csum_update32(uint16_t csum, uint32_t old, uint32_t new_);
/* Replace len bytes (len even, fields at even offsets): e.g. an IPv6 address. */
uint16_t ps_csum_update_bytes(uint16_t csum, const void *old, const void *new_, size_t len);

#endif
