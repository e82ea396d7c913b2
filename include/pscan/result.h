/* result.h: what a scan finds, as every output writer sees it. */
#ifndef PSCAN_RESULT_H
#define PSCAN_RESULT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "pscan/addr.h"
#include "pscan/proto.h"

/* Port states, as nmap defines them.  The first four fit the 2-bit
 * per-port store in report.c; engines report only those.  A port left
 * without an answer is shown as filtered (TCP) or open|filtered (UDP,
 * where silence is what an open service often gives). */
enum ps_state {
    PS_ST_NONE = 0,     /* no answer (yet) */
    PS_ST_CLOSED = 1,
    PS_ST_OPEN = 2,
    PS_ST_FILTERED = 3, /* filtered by an explicit answer (ICMP) */
    PS_ST_OPEN_FILTERED = 4, /* shown only: an unanswered UDP port */
    PS_ST_COUNT
};

enum ps_reason {
    PS_R_NONE,
    PS_R_SYN_ACK,
    PS_R_RESET,
    PS_R_CONN_REFUSED,
    PS_R_NO_RESPONSE,
    PS_R_HOST_UNREACH,
    PS_R_NET_UNREACH,
    PS_R_ADMIN_PROHIBITED,
    PS_R_PORT_UNREACH,
    PS_R_PROTO_UNREACH,
    PS_R_UDP_RESPONSE,
    PS_R_COUNT
};

/* Why a (host, port) pair of the targets was not scanned by this run.
 * Such pairs are never shown as a state: a result counts them apart. */
enum ps_unscanned {
    PS_NS_STOPPED, /* "interrupted": a stop came first; pscan --resume does them */
    PS_NS_SHARD,   /* "other-shard": another --shard part's */
    PS_NS_EARLIER, /* "earlier-run": done by the run this one resumed */
    PS_NS_COUNT
};

const char *ps_state_name(enum ps_state s);
const char *ps_reason_name(enum ps_reason r);
const char *ps_unscanned_name(enum ps_unscanned u);
/* A state as rows show it: an unanswered (PS_ST_NONE) TCP port is
 * filtered, an unanswered UDP port open|filtered. */
enum ps_state ps_state_shown(enum ps_proto proto, enum ps_state s);
/* The inverses of ps_state_name (a shown state: never PS_ST_NONE) and
 * ps_reason_name, for readers of result files: -1 for another word. */
int ps_state_parse(const char *name);
int ps_reason_parse(const char *name);

struct ps_svc_result; /* service.h */
struct ps_proc_info;  /* localinfo.h */

typedef struct ps_port_result {
    enum ps_proto proto;
    uint16_t port;
    enum ps_state state;
    enum ps_reason reason;
    int ttl; /* -1 when unknown (connect scan) */
    const struct ps_svc_result *svc; /* -sV result, or NULL */
    const struct ps_proc_info *proc; /* local listener, or NULL */
    /* pscan merge: the row as another -oJ file wrote it, which the JSON
     * writer copies through as it is (NULL: write it from the fields). */
    const char *json;
    size_t json_len;
} ps_port_result;

/* A state folded into the "Not shown:" line. */
typedef struct ps_hidden_state {
    enum ps_proto proto;
    enum ps_state state;
    enum ps_reason reason;
    uint64_t count;
    /* A shard's group other than its protocol's largest: its ports, in
     * order, so that pscan merge can list them where the whole host has
     * few (NULL otherwise; only the JSON writer writes them). */
    const uint16_t *ports;
    uint32_t nports;
} ps_hidden_state;

enum { PS_MAX_HIDDEN = 32 };

/* Order "Not shown" groups as readers expect: the largest first, ties
 * keeping their order. */
void ps_hidden_sort(ps_hidden_state *h, int n);

typedef struct ps_host_result {
    ps_addr addr;
    const char *name;     /* host name the user gave, or NULL */
    int up;               /* something answered */
    double latency_s;     /* first measured round trip, < 0 if none */
    const ps_port_result *ports; /* shown rows, by protocol then port */
    size_t nports;
    ps_hidden_state hidden[PS_MAX_HIDDEN]; /* one per (protocol, state, reason) */
    int nhidden;
    int all_open;         /* answered open on every port scanned (at least
                             ALL_OPEN_MIN of them): a SYN proxy or firewall,
                             not that many services; -sV skipped the rest */
    uint64_t scanned;     /* ports of this host scanned by this run (0 with -sn) */
    uint64_t not_scanned[2][PS_NS_COUNT]; /* its other ports, per protocol
                             (PS_TCP, PS_UDP) and why; in no other count */
    const char *up_reason; /* host discovery's reason ("echo-reply", ...), or NULL */
    uint64_t index;       /* among the targets (after discovery) */
    uint8_t mac[6];       /* on the local link: the MAC that answered */
    int has_mac;
} ps_host_result;

/* Which scan a run belongs to, so the parts of one split scan can be put
 * back together (pscan merge): the seed of the probe order, which shard of
 * how many (1-based shard; nshards 1 when not split), which run of that
 * shard (1, then 2 for its first --resume, ...), and a digest of what it
 * covers (targets after discovery, then the ports). */
typedef struct ps_scan_id {
    uint64_t seed;
    unsigned shard, nshards, run;
    char spec[17]; /* 16 hex digits */
    unsigned merged; /* pscan merge: how many shards it put together, else 0 */
} ps_scan_id;

typedef struct ps_scan_info {
    const char *scan_type; /* "connect", "syn", "udp", "syn+udp", "connect+udp", "ping" */
    struct timespec start; /* CLOCK_REALTIME */
    uint64_t nhosts, nports;
    int argc;
    char **argv;
    ps_scan_id id;
} ps_scan_info;

typedef struct ps_scan_summary {
    double elapsed_s;
    uint64_t hosts, hosts_up;
    uint64_t by_state[PS_ST_COUNT];  /* ports of the hosts reported, as shown */
    uint64_t pairs;                  /* host-port pairs of targets x ports */
    uint64_t not_scanned[PS_NS_COUNT]; /* pairs this run did not scan, by why */
    int interrupted;                 /* a stop came first: results are partial */
    /* Which units of each protocol's probe order (PS_TCP, PS_UDP) this run
     * finished: [lo, hi) of units, positions of the shard's slice or hosts
     * (by_host).  set 0 for a protocol not scanned. */
    struct ps_cover_range {
        int set, by_host;
        uint64_t lo, hi, units;
    } cover[2];
    int partial_cover;               /* sharded, resumed or stopped */
} ps_scan_summary;

#endif
