/* sender.h: putting prebuilt Ethernet frames on the wire, in batches.
 *
 * One interface, several back-ends (struct ps_sender_ops):
 *   ps_sender_packet  Linux AF_PACKET: sendmmsg batches, or a TPACKET_V2
 *                     TX ring (src/net/send_packet.c);
 *   ps_sender_rawip   raw IP sockets with sendmmsg (layer 3), for routes the
 *                     kernel must resolve itself: lo, on-link subnets
 *                     (src/net/send_rawip.c);
 *   ps_sender_libnet  libnet injection, link layer or raw IP, for systems
 *                     where AF_PACKET is not available (src/net/send_libnet.c).
 *
 * Frames are complete Ethernet frames (on lo too, with all-zero MACs), as
 * built from a packet template.  A back-end never drops a frame silently:
 * when the device or its queue is full (ENOBUFS, EAGAIN) it backs off and
 * retries the same frame, and every frame handed to send_batch ends up
 * counted in exactly one of stats.sent or stats.failed. */
#ifndef PSCAN_SENDER_H
#define PSCAN_SENDER_H

#include <stddef.h>
#include <stdint.h>

#include "pscan/err.h"

typedef struct ps_frame {
    const uint8_t *data; /* Ethernet frame: dst MAC, src MAC, ethertype, payload */
    uint32_t len;
} ps_frame;

enum ps_send_mode {
    PS_SEND_DEFAULT = 0, /* the faster of the two in docs/netio.md */
    PS_SEND_MMSG,        /* AF_PACKET + sendmmsg */
    PS_SEND_RING,        /* AF_PACKET + PACKET_TX_RING (TPACKET_V2) */
};

typedef struct ps_sender_cfg {
    int ifindex;          /* output interface (from ps_route) */
    const char *ifname;   /* its name (libnet wants the name) */
    int mode;             /* enum ps_send_mode, AF_PACKET only */
    int qdisc_bypass;     /* PACKET_QDISC_BYPASS: skip the qdisc; local taps
                             (tcpdump, pcap) then no longer see our frames */
    uint32_t batch;       /* frames per syscall, 1..1024; 0 means 256 */
    int l3;               /* libnet only: inject the IP packet by raw socket
                             (the frame minus its 14-byte Ethernet header) */
    int stall_ms;         /* give up after this long without progress; 0 = 1000 */
} ps_sender_cfg;

typedef struct ps_send_stats {
    uint64_t sent;      /* accepted by the kernel for the device */
    uint64_t failed;    /* refused for good (bad size, device gone, stalled) */
    uint64_t backoffs;  /* times the queue was full and we waited */
    uint64_t syscalls;  /* send calls made */
} ps_send_stats;

typedef struct ps_sender ps_sender;

struct ps_sender_ops {
    const char *name;
    /* A second handle on the same device, driven from another thread,
     * adds sending capacity (each has its own kernel queue). */
    int parallel;
    int (*open)(const ps_sender_cfg *cfg, ps_sender **out, ps_err *e);
    /* Send all n frames; PS_OK unless the device failed or stalled (then the
     * unsent rest is counted as failed and e says why). */
    int (*send_batch)(ps_sender *s, const ps_frame *frames, size_t n, ps_err *e);
    /* Wait (bounded) until every queued frame has left and stats are final;
     * back-ends that never queue do nothing. */
    int (*flush)(ps_sender *s, ps_err *e);
    void (*close)(ps_sender *s); /* flushes first; NULL is fine */
};

/* Every back-end's state starts with this, so callers can read stats. */
struct ps_sender {
    const struct ps_sender_ops *ops;
    ps_send_stats stats;
    char mode[16]; /* "sendmmsg", "tx-ring", "libnet-link", "libnet-raw" */
};

extern const struct ps_sender_ops ps_sender_packet;
extern const struct ps_sender_ops ps_sender_libnet;
extern const struct ps_sender_ops ps_sender_rawip; /* layer 3: raw IP socket + sendmmsg */

static inline int ps_sender_send(ps_sender *s, const ps_frame *f, size_t n, ps_err *e)
{
    return s->ops->send_batch(s, f, n, e);
}

static inline int ps_sender_flush(ps_sender *s, ps_err *e)
{
    return s->ops->flush(s, e);
}

static inline void ps_sender_close(ps_sender *s)
{
    if (s)
        s->ops->close(s);
}

/* Choosing a back-end (sender.c).  Link layer: AF_PACKET, or libnet when
 * AF_PACKET cannot be opened.  Layer 3 (frames whose Ethernet header the
 * sender strips; the kernel routes and resolves): a raw IP socket, or
 * libnet's raw injection.  If both fail the message names both reasons. */
int ps_sender_open_link(const ps_sender_cfg *cfg, ps_sender **out, ps_err *e);
int ps_sender_open_l3(const ps_sender_cfg *cfg, ps_sender **out, ps_err *e);

#endif
