/* checksum.c: RFC 1071 internet checksum and RFC 1624 incremental update
 * (see include/pscan/checksum.h for the conventions).
 *
 * Why the sum is kept in a wide accumulator and folded only at the end:
 * ones'-complement addition is ordinary addition with the carries out of
 * bit 15 added back in ("end-around carry").  Adding the carries late gives
 * the same result as adding them at once, so we add 16-bit words into a
 * 64-bit integer and fold the high bits down when done.
 *
 * Why the incremental form is exact here: RFC 1624 eqn. 3 computes the
 * checksum of the changed data without ever producing the "negative zero"
 * 0x0000 that eqn. 2 (HC - m + m') can give, except when the whole
 * summed data is zero -- which cannot happen for an IPv4 header (version
 * nibble) or a TCP/UDP pseudo header (protocol number).  So incremental and
 * full recomputation agree bit for bit, and the tests check exactly that. */
#include "pscan/checksum.h"

static uint32_t fold32(uint64_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint32_t)sum;
}

uint16_t ps_csum_finish(uint64_t sum)
{
    return (uint16_t)~fold32(sum);
}

uint32_t ps_csum_add(uint32_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t acc = sum;
    size_t i;

    for (i = 0; i + 1 < len; i += 2)
        acc += (uint32_t)p[i] << 8 | p[i + 1];
    if (len & 1)
        acc += (uint32_t)p[len - 1] << 8;
    return fold32(acc);
}

uint16_t ps_csum(const void *data, size_t len)
{
    return ps_csum_finish(ps_csum_add(0, data, len));
}

uint16_t ps_csum_ipv4_header(const void *hdr, size_t hlen)
{
    return ps_csum(hdr, hlen);
}

uint16_t ps_csum_l4_v4(uint32_t saddr, uint32_t daddr, uint8_t proto,
                       const void *seg, size_t len)
{
    uint64_t acc = 0;

    acc += (saddr >> 16) + (saddr & 0xffff);
    acc += (daddr >> 16) + (daddr & 0xffff);
    acc += proto;
    acc += (uint32_t)len;
    return ps_csum_finish(ps_csum_add(fold32(acc), seg, len));
}

uint16_t ps_csum_l4_v6(const uint8_t saddr[16], const uint8_t daddr[16],
                       uint8_t proto, const void *seg, size_t len)
{
    uint32_t sum = 0;
    uint64_t acc;

    sum = ps_csum_add(sum, saddr, 16);
    sum = ps_csum_add(sum, daddr, 16);
    acc = (uint64_t)sum + (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff) + proto;
    return ps_csum_finish(ps_csum_add(fold32(acc), seg, len));
}

uint16_t ps_csum_update16(uint16_t csum, uint16_t old, uint16_t new_)
{
    return ps_csum_finish(ps_csum_acc16(ps_csum_acc_start(csum), old, new_));
}

uint16_t ps_csum_update32(uint16_t csum, uint32_t old, uint32_t new_)
{
    return ps_csum_finish(ps_csum_acc32(ps_csum_acc_start(csum), old, new_));
}

uint16_t ps_csum_update_bytes(uint16_t csum, const void *old, const void *new_, size_t len)
{
    const uint8_t *o = old, *n = new_;
    uint64_t acc = ps_csum_acc_start(csum);
    size_t i;

    for (i = 0; i + 1 < len; i += 2)
        acc = ps_csum_acc16(acc, ps_get_be16(o + i), ps_get_be16(n + i));
    return ps_csum_finish(acc);
}
