/* send_packet.c: the AF_PACKET sender (ps_sender_packet), Linux's fast path.
 *
 * The socket is SOCK_RAW with protocol 0 and bound to one ifindex: raw means
 * we hand the kernel whole Ethernet frames, and protocol 0 means no receive
 * hook is registered, so the sender never pays for copies of incoming
 * traffic.  (The kernel reads the ethertype from each frame itself.)
 *
 * Two ways to push frames, chosen by cfg->mode:
 *
 *  sendmmsg  one syscall per batch (default 256 frames), each message one
 *            frame, no per-frame address: the bound interface is used.
 *  TX ring   PACKET_TX_RING with TPACKET_V2: a shared mmap ring of 4096
 *            slots; we copy frames into free slots, flip their status to
 *            SEND_REQUEST and kick the kernel with one send(MSG_DONTWAIT)
 *            per batch.  The kernel hands slots back (status AVAILABLE) once
 *            the device took them; we count them as sent when we see that.
 *
 * No frame is lost silently.  When the device queue is full the kernel says
 * ENOBUFS (veth's backlog, a qdisc) or, with a full socket buffer, blocks
 * or says EAGAIN; we back off (yield, then sleeps doubling from 10 us up to
 * 1 ms) and retry the same frame.  Only when nothing at all has gone out for
 * stall_ms do we give up and count the rest as failed.  Frames too short or
 * longer than the interface's MTU are refused up front and counted failed.
 *
 * docs/netio.md has the rates both paths reached into a veth. */
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pscan/clock.h"
#include "pscan/sender.h"

#define DEFAULT_BATCH 256u
#define MAX_BATCH 1024u
#define RING_FRAME_SIZE 2048u
#define RING_BLOCK_SIZE (64u * 1024u)
#define RING_FRAMES 4096u
#define SNDBUF_BYTES (4 * 1024 * 1024)
/* The mode used when the caller does not choose; see docs/netio.md. */
#define DEFAULT_MODE PS_SEND_MMSG

typedef struct pkt_sender {
    ps_sender base;
    int fd;
    char ifname[IF_NAMESIZE];
    uint32_t max_len;   /* longest frame we accept: MTU + Ethernet header */
    uint32_t batch;
    int stall_ms;
    /* sendmmsg */
    struct mmsghdr *msgs;
    struct iovec *iovs;
    /* TX ring */
    int ring;
    uint8_t *map;
    size_t map_len;
    uint32_t head;      /* next slot to fill */
    uint32_t tail;      /* oldest slot given to the kernel and not yet reclaimed */
    uint32_t inflight;  /* slots between tail and head */
    uint32_t unkicked;  /* slots filled since the last kick */
} pkt_sender;

/* Where V2 TX data starts in a slot: after the aligned header (the kernel
 * reserves room for a sockaddr_ll it does not use on TX). */
#define RING_DATA_OFF (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))

/* One backoff step: a yield first, then sleeps of 10 us doubling to 1 ms.
 * Returns nonzero once nothing has moved for stall_ms. */
static int backoff(pkt_sender *p, unsigned *step, uint64_t last_progress)
{
    p->base.stats.backoffs++;
    if (ps_mono_ms() - last_progress >= (uint64_t)p->stall_ms)
        return 1;
    if (*step == 0) {
        sched_yield();
    } else {
        unsigned sh = *step - 1 < 7 ? *step - 1 : 7;
        struct timespec ts = { 0, (long)(10000u << sh) }; /* 10 us .. 1.28 ms */
        nanosleep(&ts, NULL);
    }
    (*step)++;
    return 0;
}

static int transient(int err)
{
    return err == ENOBUFS || err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

static int frame_ok(const pkt_sender *p, const ps_frame *f)
{
    return f->data && f->len >= ETH_HLEN && f->len <= p->max_len;
}

static int fail_rest(pkt_sender *p, size_t rest, ps_err *e, const char *why, int err)
{
    p->base.stats.failed += rest;
    return ps_fail(e, PS_ERUNTIME, "sending on %s: %s (%s); %zu frame(s) not sent",
                   p->ifname, why, strerror(err), rest);
}

/* ---- sendmmsg ---- */

static int mmsg_send(pkt_sender *p, const ps_frame *f, size_t n, ps_err *e)
{
    size_t i = 0;
    unsigned step = 0;
    uint64_t last = ps_mono_ms();
    int last_err = 0;

    while (i < n) {
        if (!frame_ok(p, &f[i])) {
            p->base.stats.failed++;
            i++;
            continue;
        }
        /* a run of valid frames, at most one batch */
        unsigned k = 0;
        while (k < p->batch && i + k < n && frame_ok(p, &f[i + k])) {
            p->iovs[k].iov_base = (void *)(uintptr_t)f[i + k].data;
            p->iovs[k].iov_len = f[i + k].len;
            k++;
        }
        p->base.stats.syscalls++;
        int r = sendmmsg(p->fd, p->msgs, k, 0);
        if (r > 0) {
            p->base.stats.sent += (uint64_t)r;
            i += (size_t)r;
            step = 0;
            last = ps_mono_ms();
            continue;
        }
        int err = r < 0 ? errno : EAGAIN;
        if (transient(err)) {
            last_err = err;
            if (backoff(p, &step, last))
                return fail_rest(p, n - i, e, "device queue stayed full", last_err);
        } else if (err == EMSGSIZE || err == EINVAL) {
            p->base.stats.failed++; /* the kernel refused this one frame */
            i++;
        } else {
            return fail_rest(p, n - i, e, "send failed", err);
        }
    }
    return PS_OK;
}

/* ---- TX ring ---- */

static struct tpacket2_hdr *slot(pkt_sender *p, uint32_t i)
{
    return (struct tpacket2_hdr *)(p->map + (size_t)(i % RING_FRAMES) * RING_FRAME_SIZE);
}

/* Take back the slots the kernel is done with, oldest first. */
static void ring_reclaim(pkt_sender *p)
{
    while (p->inflight) {
        struct tpacket2_hdr *h = slot(p, p->tail);
        uint32_t st = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
        if (st == TP_STATUS_AVAILABLE)
            p->base.stats.sent++;
        else if (st & TP_STATUS_WRONG_FORMAT) {
            p->base.stats.failed++;
            __atomic_store_n(&h->tp_status, TP_STATUS_AVAILABLE, __ATOMIC_RELEASE);
        } else
            break;
        p->tail++;
        p->inflight--;
    }
}

/* Ask the kernel to send every SEND_REQUEST slot; 0 or an errno. */
static int ring_kick(pkt_sender *p)
{
    p->base.stats.syscalls++;
    p->unkicked = 0;
    if (send(p->fd, NULL, 0, MSG_DONTWAIT) < 0)
        return errno;
    return 0;
}

static int ring_send(pkt_sender *p, const ps_frame *f, size_t n, ps_err *e)
{
    unsigned step = 0;
    uint64_t last = ps_mono_ms();
    for (size_t i = 0; i < n;) {
        if (!frame_ok(p, &f[i]) || f[i].len > RING_FRAME_SIZE - RING_DATA_OFF) {
            p->base.stats.failed++;
            i++;
            continue;
        }
        ring_reclaim(p);
        if (p->inflight == RING_FRAMES) { /* ring full: push and wait */
            int err = ring_kick(p);
            if (err && !transient(err))
                return fail_rest(p, n - i, e, "TX ring send failed", err);
            ring_reclaim(p);
            if (p->inflight == RING_FRAMES) {
                if (backoff(p, &step, last))
                    return fail_rest(p, n - i, e, "TX ring stayed full", err ? err : EAGAIN);
                continue;
            }
        }
        step = 0;
        last = ps_mono_ms();
        struct tpacket2_hdr *h = slot(p, p->head);
        memcpy((uint8_t *)h + RING_DATA_OFF, f[i].data, f[i].len);
        h->tp_len = f[i].len;
        __atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
        p->head++;
        p->inflight++;
        i++;
        if (++p->unkicked >= p->batch) {
            int err = ring_kick(p);
            if (err && !transient(err))
                return fail_rest(p, n - i, e, "TX ring send failed", err);
        }
    }
    if (p->unkicked) {
        int err = ring_kick(p);
        if (err && !transient(err))
            return ps_fail(e, PS_ERUNTIME, "sending on %s: TX ring send failed (%s)",
                           p->ifname, strerror(err));
    }
    return PS_OK;
}

static int ring_setup(pkt_sender *p, ps_err *e)
{
    int v = TPACKET_V2, one = 1;
    if (setsockopt(p->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0)
        return ps_fail(e, PS_ERUNTIME, "TPACKET_V2 on %s: %s", p->ifname, strerror(errno));
    /* We check sizes ourselves; a frame the kernel still rejects must not
     * wedge the ring. */
    setsockopt(p->fd, SOL_PACKET, PACKET_LOSS, &one, sizeof one);
    struct tpacket_req req = {
        .tp_block_size = RING_BLOCK_SIZE,
        .tp_block_nr = RING_FRAMES / (RING_BLOCK_SIZE / RING_FRAME_SIZE),
        .tp_frame_size = RING_FRAME_SIZE,
        .tp_frame_nr = RING_FRAMES,
    };
    if (setsockopt(p->fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof req) < 0)
        return ps_fail(e, PS_ERUNTIME, "PACKET_TX_RING on %s: %s", p->ifname, strerror(errno));
    p->map_len = (size_t)req.tp_block_size * req.tp_block_nr;
    void *m = mmap(NULL, p->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, 0);
    if (m == MAP_FAILED)
        return ps_fail(e, PS_ERUNTIME, "mapping the TX ring of %s: %s", p->ifname,
                       strerror(errno));
    p->map = m;
    p->ring = 1;
    return PS_OK;
}

/* ---- ops ---- */

static int pkt_flush(ps_sender *s, ps_err *e)
{
    pkt_sender *p = (pkt_sender *)s;
    if (!p->ring)
        return PS_OK; /* sendmmsg hands frames over synchronously */
    unsigned step = 0;
    uint64_t last = ps_mono_ms();
    ring_reclaim(p);
    while (p->inflight) {
        uint32_t before = p->inflight;
        int err = ring_kick(p);
        if (err && !transient(err))
            break;
        ring_reclaim(p);
        if (p->inflight < before) {
            step = 0;
            last = ps_mono_ms();
        } else if (backoff(p, &step, last)) {
            break;
        }
    }
    if (p->inflight) {
        uint32_t left = p->inflight;
        p->base.stats.failed += left;
        p->inflight = 0;
        return ps_fail(e, PS_ERUNTIME, "%u frame(s) still queued on %s after %d ms",
                       left, p->ifname, p->stall_ms);
    }
    return PS_OK;
}

static void pkt_close(ps_sender *s)
{
    pkt_sender *p = (pkt_sender *)s;
    if (!p)
        return;
    if (p->ring)
        pkt_flush(s, NULL);
    if (p->map)
        munmap(p->map, p->map_len);
    if (p->fd >= 0)
        close(p->fd);
    free(p->msgs);
    free(p->iovs);
    free(p);
}

static int pkt_send_batch(ps_sender *s, const ps_frame *f, size_t n, ps_err *e)
{
    pkt_sender *p = (pkt_sender *)s;
    return p->ring ? ring_send(p, f, n, e) : mmsg_send(p, f, n, e);
}

/* The socket: bound to the device, a big send buffer, bounded blocking
 * sends, and (if asked) no qdisc. */
static int socket_setup(pkt_sender *p, const ps_sender_cfg *cfg, int ifindex, ps_err *e)
{
    p->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (p->fd < 0) {
        int err = errno;
        return ps_fail(e, PS_ERUNTIME, "AF_PACKET socket: %s%s", strerror(err),
                       err == EPERM ? " (raw sending needs root or CAP_NET_RAW)" : "");
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, p->ifname, sizeof ifr.ifr_name);
    if (ioctl(p->fd, SIOCGIFMTU, &ifr) < 0)
        return ps_fail(e, PS_ERUNTIME, "MTU of %s: %s", p->ifname, strerror(errno));
    p->max_len = (uint32_t)ifr.ifr_mtu + ETH_HLEN;

    struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = 0,
                               .sll_ifindex = ifindex };
    if (bind(p->fd, (struct sockaddr *)&sll, sizeof sll) < 0)
        return ps_fail(e, PS_ERUNTIME, "binding AF_PACKET to %s: %s", p->ifname, strerror(errno));
    int sndbuf = SNDBUF_BYTES;
    if (setsockopt(p->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) < 0)
        setsockopt(p->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    /* A blocking send waits for buffer space, but never longer than this. */
    struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
    setsockopt(p->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    if (cfg->qdisc_bypass && setsockopt(p->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) < 0)
        return ps_fail(e, PS_ERUNTIME, "PACKET_QDISC_BYPASS on %s: %s", p->ifname, strerror(errno));
    return PS_OK;
}

/* The sending mode: a TX ring, or message vectors for sendmmsg. */
static int mode_setup(pkt_sender *p, int mode, ps_err *e)
{
    if (mode == PS_SEND_RING) {
        int rc = ring_setup(p, e);
        if (rc) return rc;
        snprintf(p->base.mode, sizeof p->base.mode, "tx-ring");
        return PS_OK;
    }
    if (mode != PS_SEND_MMSG) return ps_fail(e, PS_EINPUT, "unknown send mode %d", mode);
    p->msgs = calloc(p->batch, sizeof *p->msgs);
    p->iovs = calloc(p->batch, sizeof *p->iovs);
    if (!p->msgs || !p->iovs) return ps_fail(e, PS_ERUNTIME, "out of memory");
    for (uint32_t i = 0; i < p->batch; i++) {
        p->msgs[i].msg_hdr.msg_iov = &p->iovs[i];
        p->msgs[i].msg_hdr.msg_iovlen = 1;
    }
    snprintf(p->base.mode, sizeof p->base.mode, "sendmmsg");
    return PS_OK;
}

static int pkt_open(const ps_sender_cfg *cfg, ps_sender **out, ps_err *e)
{
    *out = NULL;
    if (cfg->batch > MAX_BATCH)
        return ps_fail(e, PS_EINPUT, "batch size %u is above %u", cfg->batch, MAX_BATCH);
    int ifindex = cfg->ifindex;
    if (ifindex <= 0 && cfg->ifname)
        ifindex = (int)if_nametoindex(cfg->ifname);
    if (ifindex <= 0)
        return ps_fail(e, PS_EINPUT, "no such interface '%s'", cfg->ifname ? cfg->ifname : "?");

    pkt_sender *p = calloc(1, sizeof *p);
    if (!p)
        return ps_fail(e, PS_ERUNTIME, "out of memory");
    p->base.ops = &ps_sender_packet;
    p->fd = -1;
    p->batch = cfg->batch ? cfg->batch : DEFAULT_BATCH;
    p->stall_ms = cfg->stall_ms > 0 ? cfg->stall_ms : 1000;
    if (!if_indextoname((unsigned)ifindex, p->ifname)) {
        free(p);
        return ps_fail(e, PS_EINPUT, "no interface with index %d", ifindex);
    }
    int rc = socket_setup(p, cfg, ifindex, e);
    if (!rc) rc = mode_setup(p, cfg->mode ? cfg->mode : DEFAULT_MODE, e);
    if (rc) {
        pkt_close(&p->base);
        return rc;
    }
    *out = &p->base;
    return PS_OK;
}

const struct ps_sender_ops ps_sender_packet = {
    .name = "af_packet",
    .parallel = 1,
    .open = pkt_open,
    .send_batch = pkt_send_batch,
    .flush = pkt_flush,
    .close = pkt_close,
};
