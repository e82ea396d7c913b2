/* recv_pcap.c: the libpcap receiver (see include/pscan/recv.h).
 *
 * Choices and why:
 *  - pcap_create + pcap_activate rather than pcap_open_live, because only
 *    the former lets us set immediate mode and the buffer size.
 *  - Immediate mode: each reply is delivered as it arrives instead of when
 *    a ring block fills or a timeout passes; RTT measurement and a prompt
 *    end of scan depend on it.
 *  - snaplen 256: enough for Ethernet + IPv6 + TCP with options, or an ICMP
 *    error quoting our probe's headers; nothing more is parsed.
 *  - 32 MiB buffer: at a million replies per second of ~100 bytes a stall
 *    of the receiving thread of a few tens of milliseconds loses nothing.
 *  - Non-blocking handle plus poll() on its selectable fd: the thread never
 *    blocks without a timeout.
 *
 * The reply filter, in libpcap's language:
 *   IPv4: tcp and (tcp[13] & 0x12 == 0x12 or tcp[13] & 0x04 != 0)
 *         and dst portrange LO-HI  -- SYN+ACK or RST to our ports
 *         or icmp[0] == 3          -- destination unreachable
 *   IPv6: libpcap cannot index tcp[] over IPv6, so the flags byte is read
 *         at its fixed offset behind a 40-byte header (ip6[40+13]); replies
 *         carrying extension headers are rare and are not matched.
 *         ICMPv6 type 1 is destination unreachable (ip6[40] == 1). */
#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <sys/socket.h>

#include "pscan/recv.h"

struct ps_recv {
    pcap_t *p;
    int fd;
    int dlt;
    char ifname[64];
};

typedef struct dispatch_ctx {
    ps_recv_cb cb;
    void *ctx;
} dispatch_ctx;

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    const dispatch_ctx *d = (const dispatch_ctx *)user;
    d->cb(d->ctx, bytes, h->caplen, h->len, &h->ts);
}

static int is_loopback(const char *ifname)
{
    struct ifreq ifr;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), lo = 0;
    if (fd < 0) return 0;
    memset(&ifr, 0, sizeof ifr);
    size_t n = strnlen(ifname, sizeof ifr.ifr_name - 1);
    memcpy(ifr.ifr_name, ifname, n);
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) lo = (ifr.ifr_flags & IFF_LOOPBACK) != 0;
    close(fd);
    return lo;
}

static int set_filter(ps_recv *r, const char *filter, ps_err *e)
{
    struct bpf_program prog;
    if (pcap_compile(r->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0)
        return ps_fail(e, PS_EINPUT, "bad capture filter '%s': %s", filter, pcap_geterr(r->p));
    int fr = pcap_setfilter(r->p, &prog);
    pcap_freecode(&prog);
    if (fr < 0)
        return ps_fail(e, PS_ERUNTIME, "installing capture filter on %s: %s", r->ifname, pcap_geterr(r->p));
    return PS_OK;
}

int ps_recv_open(const ps_recv_cfg *cfg, ps_recv **out, ps_err *e)
{
    *out = NULL;
    if (!cfg->ifname || !cfg->ifname[0])
        return ps_fail(e, PS_EINPUT, "capture: no interface given");
    int snaplen = cfg->snaplen ? cfg->snaplen : 256;
    int mb = cfg->buffer_mb ? cfg->buffer_mb : 32;
    if (snaplen < 64 || snaplen > 65535)
        return ps_fail(e, PS_EINPUT, "capture snaplen %d is not in 64..65535", snaplen);
    if (mb < 1 || mb > 1024)
        return ps_fail(e, PS_EINPUT, "capture buffer %d MiB is not in 1..1024", mb);

    ps_recv *r = calloc(1, sizeof *r);
    if (!r)
        return ps_fail(e, PS_ERUNTIME, "out of memory");
    snprintf(r->ifname, sizeof r->ifname, "%s", cfg->ifname);
    char eb[PCAP_ERRBUF_SIZE] = "";
    int rc;
    r->p = pcap_create(r->ifname, eb);
    if (!r->p) {
        rc = ps_fail(e, PS_ERUNTIME, "capture on %s: %s", r->ifname, eb);
        goto fail;
    }
    pcap_set_snaplen(r->p, snaplen);
    pcap_set_promisc(r->p, 0);
    /* Immediate mode wakes the reader for every packet, and at a million
     * replies a second the wake-ups cost more than the packets: by default
     * the kernel hands over a block of replies at least every millisecond. */
    pcap_set_immediate_mode(r->p, cfg->immediate ? 1 : 0);
    pcap_set_buffer_size(r->p, mb * 1024 * 1024);
    pcap_set_timeout(r->p, cfg->immediate ? 10 : 1);
    int st = pcap_activate(r->p);
    if (st < 0) {
        const char *why = (st == PCAP_ERROR || st == PCAP_ERROR_NO_SUCH_DEVICE ||
                           st == PCAP_ERROR_PERM_DENIED)
                              ? pcap_geterr(r->p)
                              : pcap_statustostr(st);
        rc = ps_fail(e, st == PCAP_ERROR_NO_SUCH_DEVICE ? PS_EINPUT : PS_ERUNTIME,
                     "capture on %s: %s%s", r->ifname, why,
                     st == PCAP_ERROR_PERM_DENIED ? " (capturing needs root or CAP_NET_RAW)" : "");
        goto fail;
    }
    if (cfg->inbound_only) {
        pcap_setdirection(r->p, PCAP_D_IN); /* unsupported on some systems: harmless */
#ifdef PACKET_IGNORE_OUTGOING
        /* libpcap drops outgoing frames in user space only; this keeps our
         * own probes out of the ring altogether (Linux 4.20 and later).
         * Not on loopback, where every reply is an outgoing packet too. */
        int one = 1;
        if (!is_loopback(r->ifname))
            setsockopt(pcap_fileno(r->p), SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
#endif
    }
    if (cfg->filter && cfg->filter[0] && (rc = set_filter(r, cfg->filter, e))) goto fail;
    if (pcap_setnonblock(r->p, 1, eb) < 0) {
        rc = ps_fail(e, PS_ERUNTIME, "capture on %s: %s", r->ifname, eb);
        goto fail;
    }
    r->fd = pcap_get_selectable_fd(r->p);
    if (r->fd < 0) {
        rc = ps_fail(e, PS_ERUNTIME, "capture on %s has no pollable descriptor", r->ifname);
        goto fail;
    }
    r->dlt = pcap_datalink(r->p);
    *out = r;
    return PS_OK;
fail:
    ps_recv_close(r);
    return rc;
}

int ps_recv_datalink(const ps_recv *r)
{
    return r->dlt;
}

int ps_recv_fd(const ps_recv *r)
{
    return r->fd;
}

int ps_recv_next_batch(ps_recv *r, ps_recv_cb cb, void *ctx, int max, int timeout_ms,
                       int *got, ps_err *e)
{
    dispatch_ctx d = { cb, ctx };
    *got = 0;
    if (max <= 0)
        max = -1; /* pcap: everything in the buffer */
    for (int round = 0; round < 2; round++) {
        int n = pcap_dispatch(r->p, max, on_packet, (u_char *)&d);
        if (n == PCAP_ERROR)
            return ps_fail(e, PS_ERUNTIME, "capture on %s: %s", r->ifname, pcap_geterr(r->p));
        if (n > 0) {
            *got = n;
            return PS_OK;
        }
        if (round == 1 || timeout_ms <= 0)
            break;
        struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
        int pr = poll(&pfd, 1, timeout_ms);
        if (pr < 0 && errno != EINTR)
            return ps_fail(e, PS_ERUNTIME, "waiting for packets on %s: %s", r->ifname,
                           strerror(errno));
        if (pr <= 0)
            break;
        if (pfd.revents & (POLLERR | POLLNVAL))
            return ps_fail(e, PS_ERUNTIME, "capture on %s: interface went away", r->ifname);
    }
    return PS_OK;
}

int ps_recv_get_stats(ps_recv *r, ps_recv_stats *st, ps_err *e)
{
    struct pcap_stat ps;
    if (pcap_stats(r->p, &ps) < 0)
        return ps_fail(e, PS_ERUNTIME, "capture statistics on %s: %s", r->ifname,
                       pcap_geterr(r->p));
    st->received = ps.ps_recv;
    st->dropped = ps.ps_drop;
    st->ifdropped = ps.ps_ifdrop;
    return PS_OK;
}

void ps_recv_close(ps_recv *r)
{
    if (!r)
        return;
    if (r->p)
        pcap_close(r->p);
    free(r);
}

int ps_recv_filter_replies(char *buf, size_t len, int family, uint16_t port_lo,
                           uint16_t port_hi, ps_err *e)
{
    if (port_lo == 0 || port_lo > port_hi)
        return ps_fail(e, PS_EINPUT, "source port range %u-%u is empty or starts at 0",
                       port_lo, port_hi);
    if (family != 0 && family != AF_INET && family != AF_INET6)
        return ps_fail(e, PS_EINPUT, "reply filter: unknown address family %d", family);
    char v4[256], v6[256];
    snprintf(v4, sizeof v4,
             "(tcp and (tcp[13] & 0x12 == 0x12 or tcp[13] & 0x04 != 0) and "
             "dst portrange %u-%u) or (icmp and icmp[0] == 3)",
             port_lo, port_hi);
    snprintf(v6, sizeof v6,
             "(ip6 and ip6[6] == 6 and (ip6[53] & 0x12 == 0x12 or ip6[53] & 0x04 != 0) and "
             "dst portrange %u-%u) or (icmp6 and ip6[40] == 1)",
             port_lo, port_hi);
    int n;
    if (family == AF_INET)
        n = snprintf(buf, len, "%s", v4);
    else if (family == AF_INET6)
        n = snprintf(buf, len, "%s", v6);
    else
        n = snprintf(buf, len, "%s or %s", v4, v6);
    if (n < 0 || (size_t)n >= len)
        return ps_fail(e, PS_EINPUT, "reply filter needs %d bytes, buffer has %zu", n, len);
    return PS_OK;
}
