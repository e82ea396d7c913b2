/* send_rawip.c: the layer-3 sender (ps_sender_rawip) for routes where the
 * kernel must do the routing and the neighbour work itself: IPv4 over lo
 * (Linux drops frames injected there whose source is local) and on-link
 * subnets, where every target has its own MAC.
 *
 * Frames arrive as Ethernet frames, like for every sender; the 14-byte
 * header is stripped and the IP packet goes to a raw socket that carries
 * its own header (IPPROTO_RAW: IP_HDRINCL for IPv4, implied for IPv6),
 * many per sendmmsg() call.  This is what libnet's raw mode does one
 * packet (and several setsockopt calls) at a time; batching is about six
 * times faster on lo.  As in send_packet.c, a full queue (ENOBUFS, EAGAIN)
 * means back off and retry the same packet; every frame ends up counted as
 * sent or failed. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pscan/clock.h"
#include "pscan/sender.h"

enum { MAX_BATCH = 1024, ETH_HLEN_ = 14 };

typedef struct raw_sender {
    ps_sender base;
    int fd4, fd6;
    uint32_t batch;
    int stall_ms;
    struct mmsghdr msgs[MAX_BATCH];
    struct iovec iov[MAX_BATCH];
    struct sockaddr_storage dst[MAX_BATCH];
} raw_sender;

static int open_fd(int family)
{
    int fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);
    if (fd < 0) return -1;
    int big = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    return fd;
}

static int raw_open(const ps_sender_cfg *cfg, ps_sender **out, ps_err *e)
{
    raw_sender *s = calloc(1, sizeof *s);
    if (!s) return ps_fail(e, PS_ERUNTIME, "out of memory");
    s->fd4 = s->fd6 = -1;
    s->fd4 = open_fd(AF_INET);
    s->fd6 = open_fd(AF_INET6);
    if (s->fd4 < 0 && s->fd6 < 0) {
        int err = errno;
        free(s);
        return ps_fail(e, PS_ERUNTIME, "raw IP socket: %s", strerror(err));
    }
    s->base.ops = &ps_sender_rawip;
    s->batch = cfg->batch ? cfg->batch : 256;
    if (s->batch > MAX_BATCH) s->batch = MAX_BATCH;
    s->stall_ms = cfg->stall_ms > 0 ? cfg->stall_ms : 1000;
    strcpy(s->base.mode, "raw-ip");
    *out = &s->base;
    return PS_OK;
}

/* Point msg i at frame f's IP packet; 0 if the frame cannot be sent. */
static int prepare(raw_sender *s, size_t i, const ps_frame *f, int *family)
{
    if (f->len < ETH_HLEN_ + 20) return 0;
    const uint8_t *ip = f->data + ETH_HLEN_;
    uint16_t type = (uint16_t)(f->data[12] << 8 | f->data[13]);
    uint32_t len = f->len - ETH_HLEN_, iplen;
    memset(&s->dst[i], 0, sizeof s->dst[i]);
    if (type == 0x0800) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&s->dst[i];
        sin->sin_family = AF_INET;
        memcpy(&sin->sin_addr, ip + 16, 4);
        iplen = (uint32_t)(ip[2] << 8 | ip[3]);
        *family = AF_INET;
    } else if (type == 0x86dd && len >= 40) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&s->dst[i];
        sin6->sin6_family = AF_INET6;
        memcpy(&sin6->sin6_addr, ip + 24, 16);
        iplen = 40u + (uint32_t)(ip[4] << 8 | ip[5]);
        *family = AF_INET6;
    } else {
        return 0;
    }
    if (iplen > len) return 0;
    s->iov[i] = (struct iovec){(void *)(uintptr_t)ip, iplen}; /* Ethernet padding dropped */
    s->msgs[i].msg_hdr = (struct msghdr){.msg_name = &s->dst[i],
                                         .msg_namelen = *family == AF_INET ? sizeof(struct sockaddr_in)
                                                                           : sizeof(struct sockaddr_in6),
                                         .msg_iov = &s->iov[i],
                                         .msg_iovlen = 1};
    return 1;
}

/* Send msgs [0, n) of one family through fd, backing off when full. */
static int push(raw_sender *s, int fd, size_t n, ps_err *e)
{
    size_t done = 0;
    uint64_t last = ps_mono_ms();
    while (done < n) {
        int r = sendmmsg(fd, s->msgs + done, (unsigned)(n - done), 0);
        s->base.stats.syscalls++;
        if (r > 0) {
            done += (size_t)r;
            s->base.stats.sent += (uint64_t)r;
            last = ps_mono_ms();
            continue;
        }
        if (r < 0 && (errno == EAGAIN || errno == ENOBUFS || errno == EINTR)) {
            s->base.stats.backoffs++;
            if (ps_mono_ms() - last >= (uint64_t)s->stall_ms) break;
            struct pollfd pfd = {fd, POLLOUT, 0};
            poll(&pfd, 1, 1);
            continue;
        }
        /* A packet the kernel refuses for good (EPERM from a firewall,
         * EMSGSIZE): count it and go on with the rest. */
        s->base.stats.failed++;
        done++;
    }
    if (done < n) {
        s->base.stats.failed += n - done;
        return ps_fail(e, PS_ERUNTIME, "raw IP send stalled for %d ms", s->stall_ms);
    }
    return PS_OK;
}

static int raw_send_batch(ps_sender *base, const ps_frame *frames, size_t n, ps_err *e)
{
    raw_sender *s = (raw_sender *)base;
    size_t i = 0;
    while (i < n) {
        size_t k = 0;
        int fam = 0, first = 0;
        /* A run of frames of one family, at most one batch long. */
        while (i < n && k < s->batch) {
            int f;
            if (!prepare(s, k, &frames[i], &f)) {
                s->base.stats.failed++;
                i++;
                continue;
            }
            if (!first) fam = f, first = 1;
            else if (f != fam) break;
            k++;
            i++;
        }
        if (!k) continue;
        int fd = fam == AF_INET ? s->fd4 : s->fd6;
        if (fd < 0) {
            s->base.stats.failed += k;
            return ps_fail(e, PS_ERUNTIME, "no raw socket for IPv%d", fam == AF_INET ? 4 : 6);
        }
        int r = push(s, fd, k, e);
        if (r) return r;
    }
    return PS_OK;
}

static int raw_flush(ps_sender *base, ps_err *e)
{
    (void)base;
    (void)e;
    return PS_OK;
}

static void raw_close(ps_sender *base)
{
    raw_sender *s = (raw_sender *)base;
    if (!s) return;
    if (s->fd4 >= 0) close(s->fd4);
    if (s->fd6 >= 0) close(s->fd6);
    free(s);
}

const struct ps_sender_ops ps_sender_rawip = {
    .name = "raw-ip",
    .open = raw_open,
    .send_batch = raw_send_batch,
    .flush = raw_flush,
    .close = raw_close,
};
