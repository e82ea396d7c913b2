/* send_libnet.c: the portable sender (ps_sender_libnet), for systems or
 * setups where AF_PACKET cannot be used.
 *
 * libnet hides each platform's injection method (BPF devices on the BSDs
 * and macOS, packet sockets on Linux) behind one call.  Two modes:
 *
 *  link  (default) libnet_adv_write_link() writes the whole Ethernet frame,
 *        exactly like the AF_PACKET sender;
 *  l3    (cfg->l3) the Ethernet header is stripped and the IP packet goes
 *        out through a raw IP socket (libnet_adv_write_raw_ipv4 /
 *        libnet_write_raw_ipv6), for interfaces without a usable link
 *        layer.  The kernel then routes it and picks the MACs itself.
 *
 * One frame per call, so it is slower; like the AF_PACKET sender it retries
 * a frame on ENOBUFS/EAGAIN with a growing backoff and counts every frame
 * as sent or failed. */
#include <errno.h>
#include <libnet.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pscan/clock.h"
#include "pscan/sender.h"

typedef struct lnet_sender {
    ps_sender base;
    libnet_t *link;  /* link mode */
    libnet_t *raw4;  /* l3 mode */
    libnet_t *raw6;  /* l3 mode, opened on the first IPv6 frame */
    char ifname[32];
    int stall_ms;
} lnet_sender;

/* Write one frame; 0 on success, else an errno-like code (EINVAL for a
 * frame this mode cannot carry). */
static int write_one(lnet_sender *s, const ps_frame *f, char *why, size_t whylen)
{
    int r;
    errno = 0;
    if (s->link) {
        r = libnet_adv_write_link(s->link, f->data, f->len);
    } else {
        if (f->len < 14 + 20)
            return EINVAL;
        uint16_t type = (uint16_t)(f->data[12] << 8 | f->data[13]);
        const uint8_t *ip = f->data + 14;
        uint32_t len = f->len - 14;
        /* Drop Ethernet padding: the kernel sets the IPv4 total length
         * from what it is given, and padding would corrupt the TCP length. */
        uint32_t iplen = type == 0x0800 ? (uint32_t)(ip[2] << 8 | ip[3])
                                        : 40u + (uint32_t)(ip[4] << 8 | ip[5]);
        if (iplen > len)
            return EINVAL;
        len = iplen;
        if (type == 0x0800) {
            r = libnet_adv_write_raw_ipv4(s->raw4, ip, len);
        } else if (type == 0x86dd) {
            if (!s->raw6) {
                char eb[LIBNET_ERRBUF_SIZE];
                s->raw6 = libnet_init(LIBNET_RAW6, s->ifname, eb);
                if (!s->raw6) {
                    snprintf(why, whylen, "%s", eb);
                    return EPERM;
                }
            }
            r = libnet_write_raw_ipv6(s->raw6, ip, len);
        } else {
            return EINVAL;
        }
    }
    if (r >= 0)
        return 0;
    snprintf(why, whylen, "%s", libnet_geterror(s->link ? s->link : s->raw4));
    return errno ? errno : EIO;
}

static int lnet_send_batch(ps_sender *b, const ps_frame *f, size_t n, ps_err *e)
{
    lnet_sender *s = (lnet_sender *)b;
    uint64_t last = ps_mono_ms();
    unsigned step = 0;
    char why[LIBNET_ERRBUF_SIZE] = "";
    for (size_t i = 0; i < n;) { /* each pass sends a frame, drops it or backs off */
        s->base.stats.syscalls++;
        int err = f[i].data ? write_one(s, &f[i], why, sizeof why) : EINVAL;
        if (err == 0) {
            s->base.stats.sent++;
            i++;
            step = 0;
            last = ps_mono_ms();
        } else if (err == ENOBUFS || err == EAGAIN || err == EINTR) {
            s->base.stats.backoffs++;
            if (ps_mono_ms() - last >= (uint64_t)s->stall_ms) {
                s->base.stats.failed += n - i;
                return ps_fail(e, PS_ERUNTIME, "sending on %s: device queue stayed full "
                               "(%s); %zu frame(s) not sent", s->ifname, strerror(err), n - i);
            }
            if (step++ == 0)
                sched_yield();
            else {
                struct timespec ts = { 0, 10000L << (step < 8 ? step : 8) };
                nanosleep(&ts, NULL);
            }
        } else if (err == EINVAL || err == EMSGSIZE) {
            s->base.stats.failed++; /* this frame only */
            i++;
        } else {
            s->base.stats.failed += n - i;
            return ps_fail(e, PS_ERUNTIME, "libnet send on %s failed: %s", s->ifname,
                           why[0] ? why : strerror(err));
        }
    }
    return PS_OK;
}

static int lnet_flush(ps_sender *b, ps_err *e)
{
    (void)b;
    (void)e;
    return PS_OK; /* every write is synchronous */
}

static void lnet_close(ps_sender *b)
{
    lnet_sender *s = (lnet_sender *)b;
    if (!s)
        return;
    if (s->link)
        libnet_destroy(s->link);
    if (s->raw4)
        libnet_destroy(s->raw4);
    if (s->raw6)
        libnet_destroy(s->raw6);
    free(s);
}

static int lnet_open(const ps_sender_cfg *cfg, ps_sender **out, ps_err *e)
{
    *out = NULL;
    char name[IF_NAMESIZE] = "";
    if (cfg->ifname)
        snprintf(name, sizeof name, "%s", cfg->ifname);
    else if (cfg->ifindex <= 0 || !if_indextoname((unsigned)cfg->ifindex, name))
        return ps_fail(e, PS_EINPUT, "libnet sender: no interface given");
    lnet_sender *s = calloc(1, sizeof *s);
    if (!s)
        return ps_fail(e, PS_ERUNTIME, "out of memory");
    s->base.ops = &ps_sender_libnet;
    s->stall_ms = cfg->stall_ms > 0 ? cfg->stall_ms : 1000;
    snprintf(s->ifname, sizeof s->ifname, "%s", name);
    /* libnet's prototype takes a non-const device name. */
    char eb[LIBNET_ERRBUF_SIZE] = "";
    if (cfg->l3) {
        s->raw4 = libnet_init(LIBNET_RAW4_ADV, s->ifname, eb);
        snprintf(s->base.mode, sizeof s->base.mode, "libnet-raw");
    } else {
        s->link = libnet_init(LIBNET_LINK_ADV, s->ifname, eb);
        snprintf(s->base.mode, sizeof s->base.mode, "libnet-link");
    }
    if (!s->link && !s->raw4) {
        lnet_close(&s->base);
        return ps_fail(e, PS_ERUNTIME, "libnet on %s: %s", name, eb);
    }
    *out = &s->base;
    return PS_OK;
}

const struct ps_sender_ops ps_sender_libnet = {
    .name = "libnet",
    .open = lnet_open,
    .send_batch = lnet_send_batch,
    .flush = lnet_flush,
    .close = lnet_close,
};
