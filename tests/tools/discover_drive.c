/* discover_drive.c: run host discovery (include/pscan/discover.h) by hand.
 *
 *   discover_drive [-m METHODS] [-S PORTS] [-A PORTS] [-U PORTS] [-r RETRIES]
 *                  [-i INITIAL_MS] [-l MIN_MS] [-x MAX_MS] [-R RATE]
 *                  [-e IFACE] [-s SOURCE] [-u] TARGET...
 *
 * METHODS is a comma list of arp, nd, echo, ts, syn, ack, udp (default:
 * the library's).  -u forces the unprivileged connect() method.  Prints one
 * line per host that is up, "UP ADDR REASON MAC" (MAC "-" when none), as
 * the callback fires, then on standard error one "stats" line.  Exit 0, or
 * the library's error class with its message.  A test driver for
 * tests/integration/discovery.sh, run only against its namespaces. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pscan/discover.h"
#include "pscan/route.h"

static volatile sig_atomic_t stop_flag;

static void on_sig(int s)
{
    (void)s;
    stop_flag = 1;
}

static void on_up(void *ctx, uint64_t idx, const ps_discover_result *r)
{
    char a[PS_ADDRSTRLEN], m[18];
    (void)ctx;
    (void)idx;
    printf("UP %s %s %s ttl=%d rtt_ms=%.2f\n", ps_addr_str(&r->addr, a, sizeof a), r->reason,
           r->has_mac ? ps_mac_str(r->mac, m, sizeof m) : "-", r->ttl, r->rtt_s * 1000);
    fflush(stdout);
}

static int methods_of(const char *s, unsigned *out)
{
    static const struct { const char *name; unsigned bit; } tab[] = {
        {"arp", PS_PING_ARP}, {"nd", PS_PING_ND}, {"echo", PS_PING_ECHO}, {"ts", PS_PING_TIMESTAMP},
        {"syn", PS_PING_SYN}, {"ack", PS_PING_ACK}, {"udp", PS_PING_UDP},
    };
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    *out = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        size_t i;
        for (i = 0; i < sizeof tab / sizeof tab[0]; i++)
            if (strcmp(tok, tab[i].name) == 0) break;
        if (i == sizeof tab / sizeof tab[0]) {
            fprintf(stderr, "discover_drive: unknown method '%s'\n", tok);
            return 1;
        }
        *out |= tab[i].bit;
    }
    return 0;
}

int main(int argc, char **argv)
{
    ps_discover_opts o;
    ps_addr src;
    ps_discover_opts_default(&o);
    ps_err e = {{0}};
    int c;
    while ((c = getopt(argc, argv, "m:S:A:U:r:i:l:x:R:e:s:u")) != -1) {
        int r = 0;
        switch (c) {
        case 'm': r = methods_of(optarg, &o.methods); break;
        case 'S': r = ps_ports_parse(&o.syn_ports, optarg, &e); break;
        case 'A': r = ps_ports_parse(&o.ack_ports, optarg, &e); break;
        case 'U': r = ps_ports_parse_ex(&o.udp_ports, optarg, 0, 1, &e); break;
        case 'r': o.max_retries = atoi(optarg); break;
        case 'i': o.initial_rtt_ms = atoi(optarg); break;
        case 'l': o.min_rtt_ms = atoi(optarg); break;
        case 'x': o.max_rtt_ms = atoi(optarg); break;
        case 'R': o.max_rate = atof(optarg); break;
        case 'e': o.iface = optarg; break;
        case 's':
            if (ps_addr_parse(optarg, &src) != 0) {
                fprintf(stderr, "--source-ip: '%s' is not an IP address\n", optarg);
                return 1; /* bad input, as pscan's own exit status */
            }
            o.source_ip = &src;
            break;
        case 'u': o.unprivileged = 1; break;
        default: return 1;
        }
        if (r) {
            fprintf(stderr, "discover_drive: %s\n", e.msg[0] ? e.msg : "bad option");
            return 1;
        }
    }
    ps_targets *t = ps_targets_new(AF_UNSPEC);
    if (!t) return 2;
    for (int i = optind; i < argc; i++)
        if (ps_targets_add(t, argv[i], &e)) {
            fprintf(stderr, "discover_drive: %s\n", e.msg);
            return 1;
        }
    if (ps_targets_finalize(t, &e)) {
        fprintf(stderr, "discover_drive: %s\n", e.msg);
        return 1;
    }
    signal(SIGINT, on_sig);
    signal(SIGTERM, on_sig);
    ps_discover_stats st;
    int r = ps_discover_run_stats(&o, t, on_up, NULL, &stop_flag, &st, &e);
    fprintf(stderr, "stats hosts=%llu up=%llu local=%llu unrouted=%llu sent=%llu resent=%llu replies=%llu "
            "bad_cookie=%llu stray=%llu elapsed_ms=%.1f rto_ms=%.1f unprivileged=%d if=%s\n",
            (unsigned long long)st.hosts, (unsigned long long)st.up, (unsigned long long)st.local,
            (unsigned long long)st.unrouted, (unsigned long long)st.sent, (unsigned long long)st.resent,
            (unsigned long long)st.replies, (unsigned long long)st.bad_cookie, (unsigned long long)st.stray,
            st.elapsed_s * 1000, st.rto_s * 1000, st.unprivileged, st.ifname[0] ? st.ifname : "-");
    if (st.unrouted) fprintf(stderr, "unrouted: %s\n", st.unrouted_why);
    if (r) fprintf(stderr, "discover_drive: %s\n", e.msg);
    ps_ports_free(&o.syn_ports);
    ps_ports_free(&o.ack_ports);
    ps_ports_free(&o.udp_ports);
    ps_targets_free(t);
    return r;
}
