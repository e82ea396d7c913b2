/* cookie.h: stateless SYN cookies -- how the receiver knows a reply
 * answers one of our probes without remembering any probe.
 *
 * The cookie is a keyed hash (SipHash-2-4, 128-bit secret key) of the
 * probe's 4-tuple, truncated to 32 bits.  The protocol:
 *
 *   sending   the SYN from (saddr, sport) to (daddr, dport) carries
 *             seq = ps_cookie_v4(key, saddr, daddr, sport, dport).
 *   SYN-ACK   from the target: valid iff
 *             ack - 1 == ps_cookie_v4(key, reply.daddr, reply.saddr,
 *                                     reply.dport, reply.sport)
 *             i.e. the cookie of the REVERSED reply tuple, which is the
 *             probe's own tuple.  ps_cookie_ack_ok() does the "- 1"
 *             (mod 2^32).
 *   RST       answering the SYN (port closed) also acknowledges it with
 *             ack = seq + 1, so it is validated exactly the same way.
 *   ICMP      errors quote our original SYN: its embedded tuple is in the
 *             probe's direction and its seq must equal the cookie
 *             itself (no reversal, no + 1), when the quote reaches that far.
 *
 * Without the key nobody can forge a matching reply except by guessing a
 * 32-bit value.  Byte order: IPv4 addresses and ports are host-order
 * integers (as in ps_addr.u.v4); IPv6 addresses are the 16 network-order
 * bytes.  The key is read-only after setup, so all functions are safe to
 * call from many threads at once. */
#ifndef PSCAN_COOKIE_H
#define PSCAN_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pscan/addr.h"
#include "pscan/err.h"

typedef struct ps_cookie_key {
    uint64_t k0, k1; /* the SipHash key, as two little-endian words */
} ps_cookie_key;

/* A fresh random key from getrandom(2); the normal choice. */
int ps_cookie_key_random(ps_cookie_key *k, ps_err *e);

/* A key derived from the scan seed, for reproducible runs (tests, replays).
 * Anyone who knows the seed can forge replies, so use only on request. */
void ps_cookie_key_from_seed(ps_cookie_key *k, uint64_t seed);

/* Load a key from the 16-byte form used by the SipHash reference code
 * (k0 = bytes 0..7, k1 = bytes 8..15, little-endian). */
void ps_cookie_key_from_bytes(ps_cookie_key *k, const uint8_t bytes[16]);

/* SipHash-2-4 of len bytes: the 64-bit PRF under the cookies. */
uint64_t ps_siphash24(const ps_cookie_key *k, const void *data, size_t len);

/* The cookie of an IPv4 tuple: SipHash-2-4 of the 12 bytes
 * le32(saddr) le32(daddr) le16(sport) le16(dport), folded to 32 bits. */
uint32_t ps_cookie_v4(const ps_cookie_key *k, uint32_t saddr, uint32_t daddr,
                      uint16_t sport, uint16_t dport);

/* The cookie of an IPv6 tuple: SipHash-2-4 of the 36 bytes
 * saddr daddr le16(sport) le16(dport), folded to 32 bits. */
uint32_t ps_cookie_v6(const ps_cookie_key *k, const uint8_t saddr[16],
                      const uint8_t daddr[16], uint16_t sport, uint16_t dport);

/* Either of the above by family; src and dst must have the same family
 * (a mismatch returns 0, which the caller must not use as a cookie). */
uint32_t ps_cookie_addr(const ps_cookie_key *k, const ps_addr *src,
                        const ps_addr *dst, uint16_t sport, uint16_t dport);

/* Does a SYN-ACK's or RST's ack number acknowledge a SYN with this cookie? */
static inline bool ps_cookie_ack_ok(uint32_t cookie, uint32_t ack)
{
    return (uint32_t)(ack - 1u) == cookie;
}

#endif
