/* template.h: the SYN probe, built once and patched per target.
 *
 * Building a packet with all its headers and options for every probe would
 * dominate a fast scan, and almost every byte is the same for every probe.
 * So the scanner builds one template at start-up (with libnet) and, per
 * probe, copies it and patches the few bytes that differ: destination
 * address, ports, sequence number (the cookie), IP ID / flow label -- and
 * the two checksums, updated incrementally (RFC 1624) from the template's
 * instead of recomputed.
 *
 * The probe looks like a Linux client's SYN: TTL / hop limit 64, DF set,
 * window 64240 (IPv6: 64800) and options MSS, SACK-permitted, timestamps,
 * NOP, window scale 7.  The IPv4 ID and the IPv6 flow label vary per probe
 * (derived from the cookie and a random base) as a real stack's would.
 *
 * The frame is Ethernet + IP + TCP (for AF_PACKET; on loopback both MACs
 * are zero) or starts directly at the IP header (PS_LINK_RAW, for raw IP
 * sockets); l3_off says where the IP header is either way.  A built
 * template is read-only, so many sender threads may patch from one. */
#ifndef PSCAN_TEMPLATE_H
#define PSCAN_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "pscan/addr.h"
#include "pscan/err.h"

#define PS_TEMPLATE_MAX 128 /* bytes; the largest frame is 14 + 40 + 40 = 94 */

enum {
    PS_LINK_ETHERNET = 1, /* 14-byte Ethernet header first */
    PS_LINK_RAW = 2,      /* no link header: the frame is the IP packet */
};

typedef struct ps_template_opts {
    int link;            /* PS_LINK_ETHERNET or PS_LINK_RAW */
    ps_addr src;         /* our source address; its family picks IPv4 or IPv6 */
    uint8_t src_mac[6];  /* Ethernet only (all zero on loopback) */
    uint8_t dst_mac[6];  /* Ethernet only: the gateway's or target's MAC */
    uint64_t entropy;    /* random bits drawn once by the caller (getrandom or
                          * the seed): IP ID base, TCP timestamp, flow label */
} ps_template_opts;

typedef struct ps_template {
    uint8_t frame[PS_TEMPLATE_MAX];
    size_t len;      /* frame length, link header included */
    size_t l3_off;   /* offset of the IP header (14 or 0) */
    size_t l4_off;   /* offset of the TCP header */
    int family;      /* AF_INET or AF_INET6 */
    /* Template state the incremental update starts from; the destination,
     * ports and sequence number are zero in the template. */
    uint16_t ip_csum, tcp_csum, ip_id;
    uint32_t flow;
} ps_template;

/* Build the template; PS_EINPUT for a bad family/link, PS_ERUNTIME if
 * libnet fails.  Needs no privileges and no network device. */
int ps_template_build(ps_template *t, const ps_template_opts *o, ps_err *e);

/* Write one probe into out (at least t->len bytes) and return its length,
 * or 0 if dst's family differs from the template's.  seq is the cookie.
 * Allocation-free; the only work is one copy and a few additions. */
size_t ps_template_patch(const ps_template *t, uint8_t *out, const ps_addr *dst,
                         uint16_t dport, uint16_t sport, uint32_t seq);

#endif
