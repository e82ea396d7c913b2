/* discover_int.h: what the two discovery engines share -- the raw-packet
 * one (discover.c) and the unprivileged connect() one (discover_connect.c).
 * and the packet layer (discover_pkt.c): probe building and reply parsing
 * as pure functions, which the unit tests drive without a network.
 * Private to src/discover/ and its tests. */
#ifndef PSCAN_DISCOVER_INT_H
#define PSCAN_DISCOVER_INT_H

#include "pscan/clock.h"
#include "pscan/cookie.h"
#include "pscan/discover.h"
#include "pscan/localinfo.h"
#include "pscan/rtt.h"

/* One run's settings with every default applied, read-only once built. */
typedef struct ps_disc_run {
    const ps_discover_opts *o;
    const ps_targets *t;
    ps_discover_cb cb;
    void *ctx;
    volatile sig_atomic_t *stop;
    uint64_t n;             /* targets */
    int max_tries;          /* max_retries + 1 */
    ps_rtt rtt;             /* the estimator as each engine starts it: bounds, no sample */
    double deadline;        /* monotonic seconds: the run ends by then */
    ps_localinfo *li;       /* is a target this machine? */
    ps_discover_stats *st;  /* counters, written by the engine */
} ps_disc_run;

/* Stop asked for, or the deadline passed. */
static inline int ps_disc_stopping(const ps_disc_run *r)
{
    return (r->stop && *r->stop) || ps_mono_s() > r->deadline;
}

/* Report a local target as up ("localhost-response"). */
static inline void ps_disc_local_up(const ps_disc_run *r, uint64_t idx, const ps_addr *a)
{
    ps_discover_result res = {.addr = *a, .up = 1, .reason = "localhost-response", .ttl = -1};
    r->st->local++;
    r->st->up++;
    if (r->cb) r->cb(r->ctx, idx, &res);
}

/* The unprivileged engine: TCP connect() to 80 and 443 (or the -PS/-PA ports). */
int ps_disc_connect_run(const ps_disc_run *r, ps_err *e);

/* ---- packet layer (discover_pkt.c) -------------------------------------- */

/* What one probe is; each kind has its own cookie. */
enum ps_disc_kind {
    PS_DK_ARP,
    PS_DK_ND,
    PS_DK_ECHO,
    PS_DK_TIMESTAMP,
    PS_DK_SYN,
    PS_DK_ACK,
    PS_DK_UDP,
    PS_DK_COUNT
};

#define PS_DISC_FRAME_MAX 128 /* largest probe: 14 + 40 + 32 (NS) */
#define PS_DISC_SPORT_SPAN 256 /* TCP/UDP source ports used, from sport_lo */

typedef struct ps_disc_keys {
    ps_cookie_key key;
    uint16_t sport_lo; /* sport_lo + PS_DISC_SPORT_SPAN - 1 <= 65535 */
} ps_disc_keys;

/* The cookie of one probe of a kind from us to target (port: TCP/UDP
 * destination, 0 for ICMP, ARP and ND), and the source port it implies. */
uint32_t ps_disc_cookie(const ps_disc_keys *k, enum ps_disc_kind kind, const ps_addr *us,
                        const ps_addr *target, uint16_t port);
uint16_t ps_disc_sport(const ps_disc_keys *k, uint32_t cookie);

/* Build a probe into out (cap >= PS_DISC_FRAME_MAX) and return its length,
 * 0 if the kind does not fit the family (ARP and timestamp are IPv4, ND is
 * IPv6) or us and target differ in family.  ARP and ND are complete
 * Ethernet frames from us_mac (broadcast / solicited-node multicast); the
 * IP probes start with a 14-byte Ethernet header with zero MACs, for the
 * layer-3 sender, which strips it (sender.h).  Every checksum is filled. */
size_t ps_disc_build(const ps_disc_keys *k, enum ps_disc_kind kind, const ps_addr *us,
                     const uint8_t us_mac[6], const ps_addr *target, uint16_t port, uint8_t *out,
                     size_t cap);

/* A captured frame read as an answer to some probe.  It names the probe
 * kinds it could answer (up to two: an RST answers a SYN or an ACK) with
 * the number that must equal that probe's cookie. */
typedef struct ps_disc_reply {
    const char *reason;   /* see ps_discover_result */
    ps_addr host;         /* the target the answer speaks for */
    ps_addr us;           /* the address it is sent to (our probe's source) */
    int ttl;              /* IP TTL / hop limit, -1 for ARP */
    uint8_t eth_src[6], eth_dst[6];
    uint8_t mac[6];       /* ARP sender / NA target link-layer address, else eth_src */
    uint16_t port;        /* TCP/UDP: the target's port */
    uint16_t our_port;    /* TCP/UDP: ours (the probe's source port) */
    int ncand;
    struct {
        enum ps_disc_kind kind;
        uint32_t value;   /* must equal the cookie (ignored for ARP, ND, UDP without payload) */
        int has_value;
    } cand[2];
} ps_disc_reply;

/* Parse frame[0, caplen) captured as DLT_EN10MB.  1 when it is an answer
 * of a kind discovery uses (ARP reply, NDP advertisement, echo or timestamp
 * reply, TCP, UDP, an ICMP error sent by the probed host itself about a
 * probe), 0 for anything else.  Never reads outside the frame. */
int ps_disc_parse(const uint8_t *frame, size_t caplen, ps_disc_reply *out);

/* Does r carry a valid cookie?  Returns the kind of probe it answers, or
 * -1.  ARP and ND answers have no cookie and always pass here: the caller
 * checks that a solicitation to r->host from r->us is outstanding. */
int ps_disc_check(const ps_disc_keys *k, const ps_disc_reply *r);

#endif
