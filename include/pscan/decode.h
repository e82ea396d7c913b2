/* decode.h: turn one captured frame into the few facts the receiver needs.
 *
 * The receiver gets frames from libpcap with a link type (DLT) and a
 * captured length.  ps_decode() parses the link header (Ethernet incl.
 * Linux loopback and 802.1Q/802.1ad tags, Linux cooked capture v1 and v2,
 * raw IP), then IPv4 or IPv6 (skipping IPv6 extension headers, at most
 * PS_DECODE_MAX_EXT), then TCP, UDP, ICMP or ICMPv6.  For an ICMP error
 * (destination unreachable, time exceeded, parameter problem, IPv6 packet
 * too big, IPv4 source quench / redirect) it also parses the quoted
 * original packet, so a reply can be matched to the probe that caused it.
 *
 * Hostile input is expected: the decoder never reads outside
 * frame[0, caplen), never allocates, and reports bad frames as a status.
 * It is pure, so any number of threads may decode at once. */
#ifndef PSCAN_DECODE_H
#define PSCAN_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "pscan/addr.h"

#define PS_DECODE_MAX_EXT 8 /* IPv6 extension headers we are willing to skip */

enum ps_decode_status {
    PS_DEC_OK = 0,
    PS_DEC_TRUNCATED = 1,   /* a header we need ends beyond caplen */
    PS_DEC_MALFORMED = 2,   /* inconsistent lengths or versions */
    PS_DEC_UNSUPPORTED = 3, /* not IP, unknown link type, non-first fragment,
                             * ESP, too many extension headers */
};

/* TCP flag bits as in the header's 13th byte. */
enum {
    PS_TCP_FIN = 0x01, PS_TCP_SYN = 0x02, PS_TCP_RST = 0x04, PS_TCP_PSH = 0x08,
    PS_TCP_ACK = 0x10, PS_TCP_URG = 0x20, PS_TCP_ECE = 0x40, PS_TCP_CWR = 0x80,
};

/* The original packet quoted inside an ICMP error (it went from src to
 * dst: the probe's own direction). */
typedef struct ps_decoded_inner {
    ps_addr src, dst;
    uint8_t proto;        /* IPPROTO_TCP, IPPROTO_UDP, ... */
    uint8_t has_ports;    /* quote reached the ports */
    uint8_t has_seq;      /* TCP quote reached the sequence number */
    uint16_t sport, dport;
    uint32_t seq;
} ps_decoded_inner;

typedef struct ps_decoded {
    int family;           /* AF_INET or AF_INET6 */
    ps_addr src, dst;     /* IPv4 host order, IPv6 network order (ps_addr) */
    uint8_t ttl;          /* TTL or hop limit */
    uint8_t proto;        /* final upper-layer protocol (after IPv6 ext headers) */
    /* TCP and UDP */
    uint16_t sport, dport;
    /* TCP only */
    uint32_t seq, ack;
    uint8_t tcp_flags;    /* PS_TCP_* */
    uint16_t window;
    /* ICMP / ICMPv6 */
    uint8_t icmp_type, icmp_code;
    uint8_t has_inner;    /* an ICMP error with a parsable quoted packet */
    ps_decoded_inner inner;
} ps_decoded;

/* Decode frame[0, caplen) captured on a link of type dlt (DLT_EN10MB,
 * DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4, DLT_IPV6).  Returns a
 * ps_decode_status; *out is fully written (zeroed first) on every return,
 * meaningful only for PS_DEC_OK. */
int ps_decode(int dlt, const uint8_t *frame, size_t caplen, ps_decoded *out);

/* A short fixed name for a status, for counters and debug output. */
const char *ps_decode_status_str(int status);

#endif
