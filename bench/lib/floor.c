/* floor.c: the cheapest possible sender of a benchmark workload.
 *
 *   floor ADDR/PREFIX PORTS [--bogus-mac] [--seconds S]
 *
 * Sends one SYN to every (address, port) of an IPv4 network and a port list
 * ("80", "1-1000,31337"), and nothing else: no receiver, no cookie, no
 * permutation, no retries, no report.  The frames come from pscan's own
 * template (template.c) and leave through pscan's own AF_PACKET sendmmsg
 * sender (send_packet.c, batches of 256), so the difference between this
 * and a real scan of the same work is what the scanner adds on top of
 * putting the packets on the wire.
 *
 * Without --bogus-mac the target answers every probe, and on a veth the
 * target's kernel does that work in the sender's softirq, on the sender's
 * CPU: this is the floor cost of the workload on this test bed.  With
 * --bogus-mac the frames go to a MAC nobody has, the peer drops them on
 * arrival, and the rate is the bare cost of sending (compare
 * tests/tools/netio_probe bench, which repeats 1,024 frames to one address).
 *
 * Prints one line: frames=N seconds=S rate=R cpu=C per_cpu_s=P.
 * Exit status: 0, 1 bad usage, 2 run-time error.  --seconds (default 30)
 * bounds the run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "pscan/sender.h"
#include "pscan/route.h"
#include "pscan/template.h"

enum { FL_BATCH = 256, FL_MAX_PORTS = 65535 };

static double fl_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double fl_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* "198.19.0.0/16" -> first address and count; 0 on success. */
static int fl_parse_net(const char *s, uint32_t *first, uint64_t *count)
{
    char buf[64];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n >= sizeof buf) return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    ps_addr a;
    if (ps_addr_parse(buf, &a) != 0 || a.family != AF_INET) return -1;
    long bits = 32;
    if (slash) {
        char *end;
        bits = strtol(slash + 1, &end, 10);
        if (*end || end == slash + 1 || bits < 8 || bits > 32) return -1;
    }
    uint64_t size = 1ull << (32 - bits);
    *first = (uint32_t)(a.u.v4 & ~(uint32_t)(size - 1));
    *count = size;
    return 0;
}

/* "1-1000,31337" -> ports[]; returns how many, or -1. */
static int fl_parse_ports(const char *s, uint16_t *ports)
{
    int n = 0;
    while (*s) {
        char *end;
        long lo = strtol(s, &end, 10), hi = lo;
        if (end == s) return -1;
        if (*end == '-') {
            const char *h = end + 1;
            hi = strtol(h, &end, 10);
            if (end == h) return -1;
        }
        if (lo < 1 || hi > 65535 || lo > hi || n + (hi - lo + 1) > FL_MAX_PORTS) return -1;
        for (long p = lo; p <= hi; p++) ports[n++] = (uint16_t)p;
        if (*end == ',') end++;
        else if (*end) return -1;
        s = end;
    }
    return n;
}

int main(int argc, char **argv)
{
    int bogus = 0;
    double limit = 30;
    const char *pos[2];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--bogus-mac")) bogus = 1;
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) limit = atof(argv[++i]);
        else if (npos < 2) pos[npos++] = argv[i];
        else npos = 3;
    }
    static uint16_t ports[FL_MAX_PORTS];
    uint32_t first;
    uint64_t nhosts;
    int nports;
    if (npos != 2 || limit <= 0 || limit > 3600 || fl_parse_net(pos[0], &first, &nhosts) != 0 ||
        (nports = fl_parse_ports(pos[1], ports)) <= 0) {
        fprintf(stderr, "usage: floor ADDR/PREFIX PORTS [--bogus-mac] [--seconds S]\n");
        return 1;
    }
    ps_err e;
    ps_route r;
    ps_route_opts ro = {0};
    ps_addr dst = {.family = AF_INET, .u.v4 = first};
    if (ps_route_lookup(&dst, &ro, &r, &e) != PS_OK) {
        fprintf(stderr, "floor: %s\n", e.msg);
        return 2;
    }
    if (r.is_loopback || r.inject_l3) {
        fprintf(stderr, "floor: %s routes via loopback; this tool sends frames on a veth\n", pos[0]);
        return 2;
    }
    ps_template_opts to = {.link = PS_LINK_ETHERNET, .src = r.src, .entropy = 0x5eed};
    memcpy(to.src_mac, r.src_mac, 6);
    memcpy(to.dst_mac, r.nexthop_mac, 6);
    if (bogus) memcpy(to.dst_mac, "\x02\x00\x00\xbe\x0f\x00", 6);
    ps_template tpl;
    if (ps_template_build(&tpl, &to, &e) != PS_OK) {
        fprintf(stderr, "floor: %s\n", e.msg);
        return 2;
    }
    ps_sender_cfg sc = {.ifindex = r.ifindex, .ifname = r.ifname, .mode = PS_SEND_MMSG, .batch = FL_BATCH};
    ps_sender *s;
    if (ps_sender_packet.open(&sc, &s, &e) != PS_OK) {
        fprintf(stderr, "floor: %s\n", e.msg);
        return 2;
    }
    static uint8_t frames[FL_BATCH][PS_TEMPLATE_MAX];
    ps_frame batch[FL_BATCH];
    size_t nb = 0;
    int rc = 0;
    uint64_t done = 0, total = nhosts * (uint64_t)nports;
    double c0 = fl_cpu(), t0 = fl_now();
    for (uint64_t x = 0; x < total && !rc; x++) {
        /* Port-major: consecutive probes go to consecutive hosts. */
        ps_addr d = {.family = AF_INET, .u.v4 = first + (uint32_t)(x % nhosts)};
        uint16_t port = ports[x / nhosts];
        size_t len = ps_template_patch(&tpl, frames[nb], &d, port, (uint16_t)(61000 + (x & 255)),
                                       (uint32_t)(x * 2654435761u));
        batch[nb] = (ps_frame){frames[nb], (uint32_t)len};
        if (++nb == FL_BATCH || x + 1 == total) {
            if (ps_sender_send(s, batch, nb, &e) != PS_OK) {
                fprintf(stderr, "floor: %s\n", e.msg);
                rc = 2;
            }
            done += nb;
            nb = 0;
            if ((done & 0xffff) < FL_BATCH && fl_now() - t0 > limit) break;
        }
    }
    if (!rc && ps_sender_flush(s, &e) != PS_OK) {
        fprintf(stderr, "floor: %s\n", e.msg);
        rc = 2;
    }
    double dt = fl_now() - t0, dc = fl_cpu() - c0;
    printf("frames=%llu sent=%llu seconds=%.3f rate=%.0f cpu=%.3f per_cpu_s=%.0f\n",
           (unsigned long long)done, (unsigned long long)s->stats.sent, dt,
           dt > 0 ? (double)s->stats.sent / dt : 0.0, dc, dc > 0 ? (double)s->stats.sent / dc : 0.0);
    ps_sender_close(s);
    return rc;
}
