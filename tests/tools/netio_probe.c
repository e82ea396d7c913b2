/* netio_probe.c: a small driver for the network I/O layers, used by
 * tests/integration/netio.sh and for the send-rate measurement.
 *
 *   netio_probe route DST [-e IFACE] [--source-ip S]
 *       print what ps_route_lookup found, one key=value per line
 *   netio_probe syn DST PORT [--sender af_packet|libnet] [--mode mmsg|ring]
 *                   [--l3] [-e IFACE] [--sport P] [--wait-ms N]
 *       build one SYN by hand, send it, capture the answer; prints
 *       "reply=synack", "reply=rst" or "reply=none"
 *   netio_probe bench DST PORT COUNT [--mode mmsg|ring] [--bypass]
 *                   [--seconds S] [--rate PPS] [--bogus-mac] [--batch N]
 *       send COUNT copies of a 60-byte SYN frame as fast as the sender
 *       (and pacer, with --rate) allow, at most S seconds; prints the rate.
 *       --bogus-mac addresses the frames to a MAC nobody has, so the peer
 *       drops them on arrival: the bare cost of sending.
 *
 * Exit status: 0 on success, 1 bad usage, 2 runtime error (message on stderr). */
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pscan/sender.h"
#include "pscan/pacer.h"
#include "pscan/recv.h"
#include "pscan/route.h"

typedef struct opts {
    const char *ifname, *source, *sender, *mode;
    int sport, wait_ms, bypass, bogus_mac, batch, l3;
    double seconds;
    uint64_t rate;
} opts;

static int parse_addr(const char *s, ps_addr *a)
{
    memset(a, 0, sizeof *a);
    struct in_addr v4;
    if (inet_pton(AF_INET, s, &v4) == 1) {
        a->family = AF_INET;
        a->u.v4 = ntohl(v4.s_addr);
        return 0;
    }
    if (inet_pton(AF_INET6, s, a->u.v6) == 1) {
        a->family = AF_INET6;
        return 0;
    }
    return -1;
}

static const char *astr(const ps_addr *a, char *buf)
{
    uint8_t b[16];
    uint32_t n = htonl(a->u.v4);
    if (a->family == AF_INET)
        memcpy(b, &n, 4);
    else
        memcpy(b, a->u.v6, 16);
    return inet_ntop(a->family, b, buf, PS_ADDRSTRLEN);
}

/* CPU seconds (user + system) used by this process: a fairer yardstick
 * than wall time on a machine shared with other work. */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- a SYN frame, by hand (the real template lives elsewhere) ---- */

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    return s;
}

static uint16_t fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

/* Returns the frame length (padded to 60). */
static uint32_t build_syn(uint8_t *f, const ps_route *r, uint16_t sport, uint16_t dport,
                          uint32_t seq, int bogus_mac)
{
    memset(f, 0, 128);
    memcpy(f, r->nexthop_mac, 6);
    if (bogus_mac)
        memcpy(f, "\x02\x00\x5e\x00\x53\x01", 6);
    memcpy(f + 6, r->src_mac, 6);
    int v6 = r->dst.family == AF_INET6;
    put16(f + 12, v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IP);
    uint8_t *ip = f + 14, *tcp, src[16], dst[16];
    size_t alen = v6 ? 16 : 4;
    if (v6) {
        memcpy(src, r->src.u.v6, 16);
        memcpy(dst, r->dst.u.v6, 16);
        ip[0] = 0x60;
        put16(ip + 4, 24);
        ip[6] = 6;
        ip[7] = 64;
        memcpy(ip + 8, src, 16);
        memcpy(ip + 24, dst, 16);
        tcp = ip + 40;
    } else {
        put32(src, r->src.u.v4);
        put32(dst, r->dst.u.v4);
        ip[0] = 0x45;
        put16(ip + 2, 44);
        put16(ip + 4, (uint16_t)seq);
        ip[8] = 64;
        ip[9] = 6;
        memcpy(ip + 12, src, 4);
        memcpy(ip + 16, dst, 4);
        put16(ip + 10, fold(sum16(ip, 20, 0)));
        tcp = ip + 20;
    }
    put16(tcp, sport);
    put16(tcp + 2, dport);
    put32(tcp + 4, seq);
    tcp[12] = 6 << 4; /* 24-byte header: MSS option */
    tcp[13] = 0x02;   /* SYN */
    put16(tcp + 14, 1024);
    tcp[20] = 2;
    tcp[21] = 4;
    put16(tcp + 22, 1460);
    uint32_t s = sum16(src, alen, 0);
    s = sum16(dst, alen, s);
    s += 6 + 24;
    put16(tcp + 16, fold(sum16(tcp, 24, s)));
    uint32_t len = (uint32_t)(tcp + 24 - f);
    return len < 60 ? 60 : len;
}

/* ---- reply matching ---- */

typedef struct want {
    const ps_route *r;
    uint16_t sport, dport;
    uint32_t seq;
    int reply; /* 0 none, 1 synack, 2 rst */
} want;

static void on_reply(void *ctx, const uint8_t *p, uint32_t caplen, uint32_t wirelen,
                     const struct timeval *ts)
{
    (void)wirelen;
    (void)ts;
    want *w = ctx;
    if (caplen < 14 + 20 + 20)
        return;
    uint16_t type = (uint16_t)(p[12] << 8 | p[13]);
    const uint8_t *ip = p + 14, *tcp, *src;
    uint8_t want_src[16];
    size_t alen;
    if (type == ETHERTYPE_IP && w->r->dst.family == AF_INET) {
        if (ip[9] != 6)
            return;
        src = ip + 12;
        alen = 4;
        put32(want_src, w->r->dst.u.v4);
        tcp = ip + (ip[0] & 15) * 4;
    } else if (type == ETHERTYPE_IPV6 && w->r->dst.family == AF_INET6) {
        if (ip[6] != 6 || caplen < 14 + 40 + 20)
            return;
        src = ip + 8;
        alen = 16;
        memcpy(want_src, w->r->dst.u.v6, 16);
        tcp = ip + 40;
    } else
        return;
    if ((size_t)(tcp + 20 - p) > caplen || memcmp(src, want_src, alen) != 0)
        return;
    uint16_t sp = (uint16_t)(tcp[0] << 8 | tcp[1]), dp = (uint16_t)(tcp[2] << 8 | tcp[3]);
    uint32_t ack = (uint32_t)tcp[8] << 24 | (uint32_t)tcp[9] << 16 | (uint32_t)tcp[10] << 8 | tcp[11];
    if (sp != w->dport || dp != w->sport || ack != w->seq + 1)
        return;
    if ((tcp[13] & 0x12) == 0x12)
        w->reply = 1;
    else if (tcp[13] & 0x04)
        w->reply = 2;
}

/* ---- commands ---- */

static int do_route(const ps_addr *dst, const opts *o, ps_route *r)
{
    ps_addr src;
    ps_route_opts ro = { .ifname = o->ifname };
    if (o->source) {
        if (parse_addr(o->source, &src)) {
            fprintf(stderr, "netio_probe: bad --source-ip '%s'\n", o->source);
            return 1;
        }
        ro.source = &src;
    }
    ps_err e;
    int rc = ps_route_lookup(dst, &ro, r, &e);
    if (rc) {
        fprintf(stderr, "netio_probe: %s\n", e.msg);
        return rc;
    }
    char a[PS_ADDRSTRLEN], m[18];
    printf("ifname=%s\nifindex=%d\nloopback=%d\nmtu=%u\n", r->ifname, r->ifindex,
           r->is_loopback, r->mtu);
    printf("src=%s\n", astr(&r->src, a));
    printf("gateway=%s\n", r->has_gateway ? astr(&r->nexthop, a) : "none");
    printf("nexthop=%s\n", astr(&r->nexthop, a));
    printf("src_mac=%s\n", ps_mac_str(r->src_mac, m, sizeof m));
    printf("nexthop_mac=%s\n", ps_mac_str(r->nexthop_mac, m, sizeof m));
    printf("inject_l3=%d\n", r->inject_l3);
    return 0;
}

static int open_sender(const ps_route *r, const opts *o, ps_sender **s)
{
    ps_sender_cfg cfg = { .ifindex = r->ifindex, .ifname = r->ifname,
                          .qdisc_bypass = o->bypass, .batch = (uint32_t)o->batch,
                          .l3 = o->l3 };
    if (o->mode)
        cfg.mode = strcmp(o->mode, "ring") == 0 ? PS_SEND_RING : PS_SEND_MMSG;
    const struct ps_sender_ops *ops =
        o->sender && strcmp(o->sender, "libnet") == 0 ? &ps_sender_libnet : &ps_sender_packet;
    ps_err e;
    int rc = ops->open(&cfg, s, &e);
    if (rc)
        fprintf(stderr, "netio_probe: %s\n", e.msg);
    return rc;
}

static int do_syn(const ps_addr *dst, uint16_t dport, const opts *o)
{
    ps_route r;
    int rc = do_route(dst, o, &r);
    if (rc)
        return rc;
    uint16_t sport = (uint16_t)(o->sport ? o->sport : 40000 + getpid() % 20000);
    char filter[1024];
    ps_err e;
    ps_recv *rv;
    ps_recv_filter_replies(filter, sizeof filter, dst->family, sport, sport, &e);
    ps_recv_cfg rc_cfg = { .ifname = r.ifname, .filter = filter, .inbound_only = 1 };
    if ((rc = ps_recv_open(&rc_cfg, &rv, &e))) {
        fprintf(stderr, "netio_probe: %s\n", e.msg);
        return rc;
    }
    printf("dlt=%d\n", ps_recv_datalink(rv));
    ps_sender *s;
    if ((rc = open_sender(&r, o, &s))) {
        ps_recv_close(rv);
        return rc;
    }
    uint8_t frame[128];
    want w = { .r = &r, .sport = sport, .dport = dport, .seq = 0x5ca70000u ^ (uint32_t)getpid() };
    ps_frame f = { frame, build_syn(frame, &r, sport, dport, w.seq, 0) };
    if ((rc = ps_sender_send(s, &f, 1, &e)) || (rc = ps_sender_flush(s, &e)))
        fprintf(stderr, "netio_probe: %s\n", e.msg);
    printf("sender=%s sent=%llu failed=%llu\n", s->mode, (unsigned long long)s->stats.sent,
           (unsigned long long)s->stats.failed);
    double end = now_s() + (o->wait_ms ? o->wait_ms : 2000) / 1000.0;
    while (!rc && !w.reply && now_s() < end) {
        int got;
        if ((rc = ps_recv_next_batch(rv, on_reply, &w, 64, 50, &got, &e)))
            fprintf(stderr, "netio_probe: %s\n", e.msg);
    }
    ps_recv_stats st = { 0, 0, 0 };
    ps_recv_get_stats(rv, &st, &e);
    printf("captured=%llu dropped=%llu\n", (unsigned long long)st.received,
           (unsigned long long)st.dropped);
    printf("reply=%s\n", w.reply == 1 ? "synack" : w.reply == 2 ? "rst" : "none");
    ps_sender_close(s);
    ps_recv_close(rv);
    return rc;
}

static int do_bench(const ps_addr *dst, uint16_t dport, uint64_t count, const opts *o)
{
    ps_route r;
    int rc = do_route(dst, o, &r);
    if (rc)
        return rc;
    ps_sender *s;
    if ((rc = open_sender(&r, o, &s)))
        return rc;
    enum { BATCH = 1024 };
    static uint8_t frames[BATCH][128];
    ps_frame f[BATCH];
    uint32_t batch = o->batch ? (uint32_t)o->batch : 256;
    for (int i = 0; i < BATCH; i++) {
        f[i].data = frames[i];
        f[i].len = build_syn(frames[i], &r, (uint16_t)(40000 + i), dport, (uint32_t)i, o->bogus_mac);
    }
    ps_pacer pc;
    ps_err e;
    if ((rc = ps_pacer_init(&pc, o->rate, batch, &e))) {
        fprintf(stderr, "netio_probe: %s\n", e.msg);
        ps_sender_close(s);
        return rc;
    }
    double c0 = cpu_s();
    double t0 = now_s(), limit = o->seconds > 0 ? o->seconds : 5;
    uint64_t done = 0;
    while (done < count && !rc) {
        uint32_t n = (uint32_t)(count - done < batch ? count - done : batch);
        n = ps_pacer_acquire(&pc, n);
        if (n && (rc = ps_sender_send(s, f, n, &e)))
            fprintf(stderr, "netio_probe: %s\n", e.msg);
        done += n;
        if ((done & 0xffff) < n && now_s() - t0 > limit)
            break;
    }
    if (!rc && (rc = ps_sender_flush(s, &e)))
        fprintf(stderr, "netio_probe: %s\n", e.msg);
    double dt = now_s() - t0, dc = cpu_s() - c0;
    printf("mode=%s%s frames=%llu sent=%llu failed=%llu backoffs=%llu syscalls=%llu "
           "seconds=%.3f rate=%.0f cpu=%.3f per_cpu_s=%.0f\n",
           s->mode, o->bypass ? "+bypass" : "", (unsigned long long)done,
           (unsigned long long)s->stats.sent, (unsigned long long)s->stats.failed,
           (unsigned long long)s->stats.backoffs, (unsigned long long)s->stats.syscalls, dt,
           (double)s->stats.sent / dt, dc, dc > 0 ? (double)s->stats.sent / dc : 0.0);
    ps_sender_close(s);
    return rc;
}

static int usage(void)
{
    fprintf(stderr, "usage: netio_probe route DST | syn DST PORT | bench DST PORT COUNT [options]\n");
    return 1;
}

int main(int argc, char **argv)
{
    opts o = { 0 };
    const char *pos[4] = { 0 };
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--bypass"))
            o.bypass = 1;
        else if (!strcmp(a, "--l3"))
            o.l3 = 1;
        else if (!strcmp(a, "--bogus-mac"))
            o.bogus_mac = 1;
        else if (a[0] == '-' && !v)
            return usage();
        else if (!strcmp(a, "-e"))
            o.ifname = argv[++i];
        else if (!strcmp(a, "--source-ip"))
            o.source = argv[++i];
        else if (!strcmp(a, "--sender"))
            o.sender = argv[++i];
        else if (!strcmp(a, "--mode"))
            o.mode = argv[++i];
        else if (!strcmp(a, "--sport"))
            o.sport = atoi(argv[++i]);
        else if (!strcmp(a, "--wait-ms"))
            o.wait_ms = atoi(argv[++i]);
        else if (!strcmp(a, "--batch"))
            o.batch = atoi(argv[++i]);
        else if (!strcmp(a, "--seconds"))
            o.seconds = atof(argv[++i]);
        else if (!strcmp(a, "--rate"))
            o.rate = strtoull(argv[++i], NULL, 10);
        else if (a[0] == '-' || npos == 4)
            return usage();
        else
            pos[npos++] = a;
    }
    ps_addr dst;
    if (npos < 2 || parse_addr(pos[1], &dst)) {
        if (npos >= 2)
            fprintf(stderr, "netio_probe: bad address '%s'\n", pos[1]);
        return usage();
    }
    if (o.batch < 0 || o.batch > 1024 || o.sport < 0 || o.sport > 65535)
        return usage();
    if (!strcmp(pos[0], "route") && npos == 2) {
        ps_route r;
        return do_route(&dst, &o, &r);
    }
    if (npos < 3)
        return usage();
    int port = atoi(pos[2]);
    if (port < 1 || port > 65535)
        return usage();
    if (!strcmp(pos[0], "syn") && npos == 3)
        return do_syn(&dst, (uint16_t)port, &o);
    if (!strcmp(pos[0], "bench") && npos == 4)
        return do_bench(&dst, (uint16_t)port, strtoull(pos[3], NULL, 10), &o);
    return usage();
}
