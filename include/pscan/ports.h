/* ports.h: the set of ports to scan, per protocol.
 *
 * Each protocol's ports are a sorted array of unique port numbers (at most
 * 65535 entries, 128 KiB): small, and O(1) to index, which the scan engines
 * need when they map probe number -> (host, port). */
#ifndef PSCAN_PORTS_H
#define PSCAN_PORTS_H

#include <stddef.h>
#include <stdint.h>

#include "pscan/err.h"
#include "pscan/proto.h"

typedef struct ps_ports {
    uint16_t *tcp;
    size_t ntcp;
    uint16_t *udp;
    size_t nudp;
} ps_ports;

/* nmap's -p syntax: "22", "1-1024", "-" or "1-" / "-1024" (open ends),
 * "22,80,T:443,U:53", service names ("ssh", "http*" wildcards are not
 * needed), "T:" / "U:" switch the protocol for what follows.  Ports apply to
 * TCP unless a U: prefix says otherwise.  Port 0 and ports above 65535 are
 * errors.  Adds to whatever the set holds already. */
int ps_ports_parse(ps_ports *p, const char *spec, ps_err *e);
/* Like ps_ports_parse, but items before any T:/U: switch go to TCP if
 * default_tcp is non-zero and to UDP if default_udp is; with both zero,
 * such items are an error. */
int ps_ports_parse_ex(ps_ports *p, const char *spec, int default_tcp,
                      int default_udp, ps_err *e);
/* The n most common ports for a protocol (--top-ports). */
int ps_ports_top(ps_ports *p, enum ps_proto proto, int n, ps_err *e);
/* Remove the ports of spec (--exclude-ports). */
int ps_ports_exclude(ps_ports *p, const char *spec, ps_err *e);
void ps_ports_free(ps_ports *p);

#endif
