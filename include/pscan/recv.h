/* recv.h: capturing replies to our probes with libpcap.
 *
 * ps_recv_open() opens the interface the probes leave by (pcap_create,
 * immediate mode, small snaplen, a big kernel buffer), installs the caller's
 * BPF filter and makes the handle non-blocking, so a receiving thread can
 * wait on ps_recv_fd() or pass a timeout to ps_recv_next_batch() and still
 * notice promptly that it should stop.  Packets are handed to a callback
 * as captured; ps_recv_datalink() says how to parse them (DLT_EN10MB on
 * Ethernet and on Linux's lo).
 *
 * The filter must take care of direction.  On lo every packet is seen once,
 * as if inbound, including our own outgoing SYNs and the RSTs the local
 * kernel sends for SYN-ACKs it did not expect; on an Ethernet interface the
 * capture sees outgoing frames too (unless the sender bypasses the qdisc).
 * ps_recv_filter_replies() builds a filter that keeps only replies: TCP
 * with SYN+ACK or RST set, addressed to our source-port range, plus ICMP
 * destination-unreachable messages. */
#ifndef PSCAN_RECV_H
#define PSCAN_RECV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "pscan/err.h"

typedef struct ps_recv ps_recv;

typedef struct ps_recv_cfg {
    const char *ifname;  /* interface to capture on */
    const char *filter;  /* BPF filter expression; NULL or "" keeps everything */
    int snaplen;         /* bytes kept per packet; 0 means 256 */
    int buffer_mb;       /* kernel capture buffer, 1..1024 MiB; 0 means 32 */
    int inbound_only;    /* pcap_setdirection(PCAP_D_IN) and PACKET_IGNORE_OUTGOING;
                            never on lo, where replies count as outgoing */
    int immediate;       /* deliver each packet at once (else in blocks,
                            at least every millisecond: far fewer wake-ups) */
} ps_recv_cfg;

typedef struct ps_recv_stats {
    uint64_t received;   /* passed the filter */
    uint64_t dropped;    /* lost because the buffer was full */
    uint64_t ifdropped;  /* lost by the interface/driver */
} ps_recv_stats;

/* One captured packet: caplen bytes at pkt, of a packet wirelen long. */
typedef void (*ps_recv_cb)(void *ctx, const uint8_t *pkt, uint32_t caplen, uint32_t wirelen,
                           const struct timeval *ts);

/* PS_EINPUT for a filter that does not compile or bad sizes (the message
 * quotes the filter), PS_ERUNTIME for a device that cannot be opened. */
int ps_recv_open(const ps_recv_cfg *cfg, ps_recv **out, ps_err *e);

/* DLT_* of the capture (pcap_datalink). */
int ps_recv_datalink(const ps_recv *r);

/* A file descriptor that polls readable when packets wait. */
int ps_recv_fd(const ps_recv *r);

/* Hand up to max waiting packets to cb (max <= 0: all waiting).  If none
 * is waiting, wait at most timeout_ms (0: do not wait) for the first.  *got
 * is the number delivered. */
int ps_recv_next_batch(ps_recv *r, ps_recv_cb cb, void *ctx, int max, int timeout_ms,
                       int *got, ps_err *e);

int ps_recv_get_stats(ps_recv *r, ps_recv_stats *st, ps_err *e);

void ps_recv_close(ps_recv *r);

/* The standard reply filter into buf.  family: AF_INET, AF_INET6 or 0 for
 * both; [port_lo, port_hi] is the range of source ports our probes use. */
int ps_recv_filter_replies(char *buf, size_t len, int family, uint16_t port_lo,
                           uint16_t port_hi, ps_err *e);

#endif
