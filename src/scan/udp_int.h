/* udp_int.h: the UDP engine's state, shared by its scheduler (scan_udp.c:
 * hosts, rounds, canaries, pacing) and its probes (udp_probe.c: one socket
 * each, sent, read and expired).  Private to the UDP engine. */
#ifndef PSCAN_UDP_INT_H
#define PSCAN_UDP_INT_H

#include <stdint.h>

#include "pscan/addr.h"
#include "pscan/permute.h"
#include "pscan/rtt.h"
#include "pscan/scan.h"
#include "scan_int.h"

enum {
    NIL = UINT32_MAX,
    NCANARY = 2,
    BATCH_MIN = 64,
    BATCH_LIMITED_MAX = 512,
    STALL_LIMIT = 10,
    HOST_SLOTS_MAX = 64,
    HOST_MEM_BUDGET = 64 << 20,
};

#define GAP_MIN 0.020
#define GAP_MAX 5.0
/* Silence proves nothing while the host has drawn no ICMP error at all
 * (no canary): its bucket may have been emptied before the scan began
 * (another scan, another host of the same kernel).  Such a port is given
 * up as open|filtered only once its tries span this long, in which a
 * Linux IPv4 bucket (1 token a second) refills at least once. */
#define SILENT_SPAN 1.1

struct pstate {
    uint8_t done, tries, clean;
};

struct probe {
    int fd;
    uint32_t host; /* slot */
    uint32_t port; /* index into ports->udp */
    uint8_t canary, any_src;
    double sent;
};

enum phase { H_FREE, H_WAIT, H_SEND, H_COLLECT, H_DONE };

struct round {
    uint32_t nbatch, nsent;
    uint32_t ncanary, canary_ok;
    uint32_t inflight;
    uint32_t icmp; /* ICMP errors drawn, canaries included */
    double start;
};

struct host {
    enum phase phase;
    uint64_t idx;
    ps_addr addr;
    struct pstate *ps;     /* per port */
    uint32_t *pend, npend; /* ports not final, in port order */
    uint32_t *batch;
    uint32_t cursor, k;
    uint32_t canary;
    int limited;
    uint32_t rounds, stalls;
    double next_round_at, chain_start, gap, burst, tokens, token_time, started;
    struct round r;
};

struct uscan {
    const ps_scan_ctx *ctx;
    const uint16_t *ports;
    uint32_t nports;
    size_t port_base; /* report index of udp[0] */
    uint64_t nhosts, base, next;
    struct host *hosts;
    uint32_t nslots;
    struct probe *probes; /* per slot */
    ps_slots slots;
    uint32_t width;
    double blocked_until, started_at;
    uint64_t sent, finished, opened;
    uint64_t cut; /* lowest host a stop left unfinished (--resume starts there) */
    int max_retries, epfd;
    ps_rtt rtt;
    ps_slice slice; /* --shard: the pairs this engine probes */
};

static inline struct host *slot_host(struct uscan *s, uint64_t idx)
{
    return &s->hosts[idx % s->nslots];
}

/* udp_probe.c */
/* A port's outcome is final (PS_ST_NONE: open|filtered). */
void udp_port_final(struct uscan *s, struct host *h, uint32_t port, enum ps_state st, enum ps_reason why,
                    double rtt);
/* Send one probe.  Returns 1 if it left (or the port is settled by a local
 * error), 0 on a local shortage (try again soon). */
int udp_launch(struct uscan *s, uint32_t slot, uint32_t port, int canary);
/* Probe i's socket is readable: its answer, an ICMP error, or nothing. */
void udp_on_ready(struct uscan *s, uint32_t i);
/* Probes older than the timeout end silent. */
void udp_expire(struct uscan *s, double t);

#endif
