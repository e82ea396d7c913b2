/* route.h: where a probe to one destination leaves this machine.
 *
 * Before the raw sender can build a single Ethernet frame it needs what the
 * kernel would have decided for a normal socket: the output interface, the
 * source address, the next hop (gateway or the destination itself), the
 * interface's MAC and the next hop's MAC.  ps_route_lookup() asks the kernel
 * the same questions over rtnetlink (RTM_GETROUTE, RTM_GETLINK,
 * RTM_GETNEIGH), and, when the neighbour table has no usable entry yet, makes
 * the kernel resolve it (ARP or NDP) and waits a bounded time for the answer.
 *
 * Loopback is a special case: 127/8, ::1 and this machine's own addresses
 * route via `lo`, which carries Ethernet-framed packets whose MACs are all
 * zero, so no neighbour lookup happens there.
 *
 * IPv4 on loopback cannot take link-layer frames: a frame injected on lo
 * arrives without the routing decision a locally sent packet carries, and
 * Linux's input check drops it as a martian because its source is a local
 * address (unless lo has accept_local=1, and for 127/8 also
 * route_localnet=1).  For such routes inject_l3 is set and the scanner must
 * send through a raw IP socket (ps_sender_libnet with cfg.l3).  IPv6
 * loopback has no such check and works with frames.  Linux only. */
#ifndef PSCAN_ROUTE_H
#define PSCAN_ROUTE_H

#include <stdint.h>

#include "pscan/addr.h"
#include "pscan/err.h"

/* IF_NAMESIZE, without pulling <net/if.h> (it clashes with <linux/if.h>). */
#define PS_IFNAMSIZ 16

typedef struct ps_route {
    ps_addr dst;             /* the destination asked about */
    ps_addr src;             /* source address to put in probes */
    ps_addr nexthop;         /* gateway if has_gateway, else dst */
    int has_gateway;         /* route goes via a router */
    int ifindex;             /* output interface */
    char ifname[PS_IFNAMSIZ];
    int is_loopback;         /* lo: MACs all zero, replies come back on lo */
    int inject_l3;           /* send with a raw IP socket, not as frames: see below */
    uint32_t mtu;            /* route MTU if set, else the interface's */
    uint8_t src_mac[6];      /* interface MAC */
    uint8_t nexthop_mac[6];  /* next hop's MAC (zero on loopback) */
} ps_route;

typedef struct ps_route_opts {
    const char *ifname;       /* -e: force this interface (NULL: the kernel's choice) */
    const ps_addr *source;    /* --source-ip: use this source (NULL: preferred source) */
    int resolve_timeout_ms;   /* bound on the ARP/NDP wait; 0 means 5000 (the kernel
                                 asks once a second: on a lossy link one try
                                 may not be enough) */
    int skip_neigh;           /* route and interface only: leave nexthop_mac zero
                                 and send nothing (reports, tests) */
} ps_route_opts;

/* Look up the route to dst and resolve its next hop's MAC.  opts may be
 * NULL.  Errors: PS_EINPUT for a bad override (unknown interface, source of
 * the wrong family), PS_ERUNTIME for no route, an interface that is down or
 * not Ethernet, or a next hop that does not answer ARP/NDP in time
 * ("no ARP reply from X on IFACE"). */
int ps_route_lookup(const ps_addr *dst, const ps_route_opts *opts, ps_route *out, ps_err *e);

/* "aa:bb:cc:dd:ee:ff" into buf (at least 18 bytes); returns buf. */
const char *ps_mac_str(const uint8_t mac[6], char *buf, size_t len);

#endif
