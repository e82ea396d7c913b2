/* config.h: everything the command line decides, built once by cli.c and
 * then passed read-only to every stage.  No stage keeps a mutable copy. */
#ifndef PSCAN_CONFIG_H
#define PSCAN_CONFIG_H

#include <stdint.h>

#include "pscan/addr.h"

enum ps_scan_type {
    PS_SCAN_DEFAULT, /* SYN with raw-socket rights, else connect */
    PS_SCAN_CONNECT, /* -sT */
    PS_SCAN_SYN,     /* -sS */
};

/* Host discovery's probe types (bits of ping_methods and of
 * ps_discover_opts.methods, discover.h). */
enum {
    PS_PING_ARP = 1u << 0,       /* -PR: ARP request, IPv4 on-link targets */
    PS_PING_ND = 1u << 1,        /* NDP neighbour solicitation, IPv6 on-link targets */
    PS_PING_ECHO = 1u << 2,      /* -PE: ICMP / ICMPv6 echo request */
    PS_PING_TIMESTAMP = 1u << 3, /* -PP: ICMP timestamp request (IPv4 only) */
    PS_PING_SYN = 1u << 4,       /* -PS: TCP SYN to syn_ports */
    PS_PING_ACK = 1u << 5,       /* -PA: TCP ACK to ack_ports */
    PS_PING_UDP = 1u << 6,       /* -PU: UDP to udp_ports (closed ones answer) */
};
#define PS_PING_ALL 0x7fu
#define PS_PING_DEFAULT \
    (PS_PING_ARP | PS_PING_ND | PS_PING_ECHO | PS_PING_TIMESTAMP | PS_PING_SYN | PS_PING_ACK)

enum { PS_MAX_OUTPUTS = 8, PS_MAX_PROBE_DBS = 8 };

enum ps_output_format { PS_OUT_NORMAL, PS_OUT_JSON, PS_OUT_XML, PS_OUT_GREP, PS_OUT_POLICY, PS_OUT_HTML, PS_OUT_JUNIT };

typedef struct ps_output_spec {
    enum ps_output_format format;
    const char *path; /* "-" is standard output */
} ps_output_spec;

typedef struct ps_config {
    enum ps_scan_type scan_type; /* the TCP scan */
    int udp_scan;                /* -sU: alone, or after the TCP scan of -sS/-sT */
    int family; /* AF_UNSPEC, or AF_INET / AF_INET6 from -4 / -6 */

    /* What to scan: kept as the user's text; cli.c parses them into
     * ps_targets / ps_ports so errors name the user's token. */
    const char *ports;      /* -p */
    const char *exclude_ports;
    int top_ports;          /* --top-ports; 0 = default (1000) */

    int no_dns;             /* -n */
    int no_ping;            /* -Pn: report hosts even if nothing answered */
    int ping_only;          /* -sn: host discovery, no port scan */
    int list_only;          /* -sL: list the targets, send nothing */
    int reverse_dns;        /* -R: -sL looks up each address's name */
    unsigned ping_methods;  /* PS_PING_* from -PR/-PE/-PP/-PS/-PA/-PU; 0: default */
    const char *ping_syn_ports, *ping_ack_ports, *ping_udp_ports;
    int disable_arp_ping;   /* --disable-arp-ping */
    int allow_special;      /* --allow-special: multicast, broadcast, 0/8, 240/4 */
    int allow_large;        /* --allow-large: more than a /8 of targets */
    int verbose;            /* -v, repeatable */
    int debug;              /* -d, repeatable */
    int open_only;          /* --open */
    int quiet;              /* -q */

    /* Timing.  Milliseconds; 0 means "derive it". */
    int max_retries;        /* -1 = default */
    int loss_retries;       /* -sS: passes beyond max_retries on a lossy path; -1 = default (10) */
    int loss_time_ms;       /* -sS: ...and the time they may take per chunk; 0 = default (10 s) */
    int initial_rtt_ms, min_rtt_ms, max_rtt_ms;
    int host_timeout_ms;
    double min_rate, max_rate; /* packets (or connects) per second */
    int max_parallelism;

    /* Service detection. */
    int version_detect;     /* -sV */
    int version_intensity;  /* 0..9 */
    const char *probe_dbs[PS_MAX_PROBE_DBS];
    int nprobe_dbs;
    int no_nmap_db;         /* --no-nmap-db: not even an installed nmap's */
    int version_trace;      /* --version-trace: every -sV lane on stderr */
    int no_version_retry;   /* --no-version-retry: no patient second pass */

    /* Raw scanning. */
    uint64_t seed;
    int seed_given;
    unsigned shard, nshards; /* --shard i/N, 0-based internally */
    const char *iface;       /* -e */
    ps_addr source_ip;       /* -S / --source-ip, parsed once */
    int has_source_ip;
    int source_port;         /* -g / --source-port, 0 = pick */

    ps_output_spec outputs[PS_MAX_OUTPUTS];
    int noutputs;
    int stats_every_ms;      /* --stats-every: progress lines when not a tty */

    /* CI policy: --expect FILE (allowed open ports), --expect-strict. */
    const char *expect_file;
    int expect_strict;

    int no_local_info;       /* --no-local-info */

    /* Privileges (privdrop.h). */
    const char *run_user;    /* --user: who root becomes; NULL = "nobody" */
    int no_privdrop;         /* --no-privdrop: keep the rights pscan started with */
    int resuming;            /* --resume: outputs append (XML: FILE.resumed) */
} ps_config;

/* Is there a TCP scan?  Yes unless -sU came alone. */
static inline int ps_config_tcp_scan(const ps_config *c)
{
    return c->scan_type != PS_SCAN_DEFAULT || !c->udp_scan;
}

#endif
