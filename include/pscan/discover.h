/* discover.h: host discovery -- which targets are up, before a port scan
 * (nmap's -sn and its -P ping types).
 *
 * ps_discover_run() sends a few cheap probes to every target and calls back
 * once for each host that answered any of them; every other host is down.
 * Which probes, by default (as nmap does with raw-socket rights):
 *   - a target on a directly connected Ethernet link: ARP (IPv4) or an NDP
 *     neighbour solicitation (IPv6), and nothing else -- the link layer
 *     answers even when a firewall drops every IP packet;
 *   - any other target: ICMP echo, TCP SYN to 443, TCP ACK to 80, ICMP
 *     timestamp (IPv6 has no timestamp: echo, SYN, ACK).
 * A target that is this machine (127/8, ::1, an address of a local
 * interface or a local route) is up without a packet ("localhost-response").
 * Without CAP_NET_RAW, discovery falls back to TCP connect() to ports 80
 * and 443: a completed handshake or a refusal proves the host is up.
 *
 * Replies prove themselves: ICMP id/seq, the TCP sequence numbers and the
 * UDP source port and payload carry a SipHash cookie (cookie.h) of the
 * probe, so no table of sent probes is needed to reject forged or stray
 * answers.  ARP and NDP have no room for a cookie; an answer counts only
 * for a target whose solicitation is outstanding, addressed to us.
 * docs/discovery.md has the whole story: methods, timing, what "up" means.
 */
#ifndef PSCAN_DISCOVER_H
#define PSCAN_DISCOVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "pscan/addr.h"
#include "pscan/config.h"
#include "pscan/err.h"
#include "pscan/ports.h"
#include "pscan/targets.h"

typedef struct ps_discover_opts {
    /* 0 means PS_PING_DEFAULT.  On-link targets get ARP / ND when those bits
     * are set, and then only that; otherwise, and for every routed target,
     * the IP methods among the bits.  A target no chosen method can reach
     * (ARP alone, a routed target) is down. */
    unsigned methods;
    /* Ports: syn_ports.tcp (none: 443), ack_ports.tcp (none: 80),
     * udp_ports.udp or, if it has none, udp_ports.tcp (none: 40125).  The
     * caller owns the arrays. */
    ps_ports syn_ports, ack_ports, udp_ports;
    int max_retries;      /* < 0: 2.  Unanswered hosts only are asked again */
    int initial_rtt_ms;   /* timeout before any reply was timed; 0: 1000 */
    int min_rtt_ms;       /* 0: 100 */
    int max_rtt_ms;       /* 0: 10000 */
    double max_rate;      /* packets per second, 0: unlimited */
    const char *iface;    /* -e, or NULL */
    const ps_addr *source_ip; /* --source-ip, or NULL (used for targets of its family) */
    int unprivileged;     /* use the connect() fallback even with raw rights */
} ps_discover_opts;

/* Zero everything, then max_retries = -1 (the default). */
void ps_discover_opts_default(ps_discover_opts *o);

typedef struct ps_discover_result {
    ps_addr addr;
    int up;               /* always 1 in a callback */
    /* "arp-response", "nd-response", "echo-reply", "timestamp-reply",
     * "syn-ack", "reset", "port-unreach", "proto-unreach", "host-unreach",
     * "admin-prohibited", "udp-response", "conn-refused" (unprivileged),
     * "localhost-response".  A static string. */
    const char *reason;
    int ttl;              /* of the reply; -1 for ARP, connect() and localhost */
    double rtt_s;         /* since the last probe sent to the host; 0 for localhost */
    uint8_t mac[6];       /* on-link hosts: the MAC that answered */
    int has_mac;
} ps_discover_result;

/* Called from ps_discover_run's own thread, once per host that is up, as
 * soon as it is known (not in target order).  r is valid during the call. */
typedef void (*ps_discover_cb)(void *ctx, uint64_t host_idx, const ps_discover_result *r);

typedef struct ps_discover_stats {
    uint64_t hosts, up, local;   /* targets, up (local included), this machine */
    uint64_t unrouted;           /* no usable route: down without a probe */
    char unrouted_why[160];      /* the first such route failure, or "" */
    uint64_t sent, resent;       /* probe packets, first tries and retries */
    uint64_t replies;            /* valid answers (several per host possible) */
    uint64_t bad_cookie, stray;  /* parsed replies that failed a check */
    double elapsed_s, rto_s;     /* total time; final probe timeout */
    int unprivileged;            /* the connect() fallback ran */
    char ifname[16];             /* capture interface ("" if none) */
} ps_discover_stats;

/* Find the live hosts among t (finalized).  stop (may be NULL) set from a
 * signal handler ends the run early: no new probes, hosts not yet decided
 * are not reported.  PS_EINPUT for bad options (a --source-ip that is not
 * an address, targets that leave by different interfaces), PS_ERUNTIME for
 * devices and sockets.  Total time is bounded: each host is given at most
 * (max_retries + 1) probe timeouts of at most max_rtt_ms. */
int ps_discover_run(const ps_discover_opts *o, const ps_targets *t, ps_discover_cb cb, void *ctx,
                    volatile sig_atomic_t *stop, ps_err *e);
/* The same, filling *st (may be NULL) with counters. */
int ps_discover_run_stats(const ps_discover_opts *o, const ps_targets *t, ps_discover_cb cb,
                          void *ctx, volatile sig_atomic_t *stop, ps_discover_stats *st,
                          ps_err *e);

/* 1 when raw packets may be sent and captured here (CAP_NET_RAW). */
int ps_discover_privileged(void);

#endif
