/* iana.h: the IANA port registry, compiled into the binary.
 *
 * Source: IANA "Service Name and Transport Protocol Port Number Registry"
 * (data/iana/, newest modification 2024-04-30), turned into a sorted C
 * table at build time by tools/gen_iana.c. */
#ifndef PSCAN_IANA_H
#define PSCAN_IANA_H

#include <stdint.h>

#include "pscan/proto.h"

/* The registered service name for port/proto, or NULL if none is. */
const char *ps_service_name(uint16_t port, enum ps_proto proto);
/* The port registered for a service name (first one), or -1. */
int ps_service_port(const char *name, enum ps_proto proto);

/* What the registry says of a port, beyond its name. */
enum ps_reg_status {
    PS_REG_ASSIGNED,   /* a service name is registered */
    PS_REG_RESERVED,   /* IANA marks it Reserved */
    PS_REG_UNASSIGNED, /* nothing registered (system or user range) */
    PS_REG_DYNAMIC,    /* 49152-65535: dynamic/private, never assigned */
};
enum ps_reg_status ps_service_status(uint16_t port, enum ps_proto proto);

/* The ordered list of the most commonly open ports (pscan's own list); fills
 * out with up to n ports, returns how many. */
int ps_top_ports(enum ps_proto proto, int n, uint16_t *out);

#endif
