/* hostlimits.h: facts about this machine that several engines need. */
#ifndef PSCAN_HOSTLIMITS_H
#define PSCAN_HOSTLIMITS_H

#include <stdint.h>

/* The kernel's ephemeral port range (/proc/sys/net/ipv4/ip_local_port_range;
 * 32768-60999 if it cannot be read). */
void ps_ephemeral_range(uint16_t *lo, uint16_t *hi);
/* The first of `span` source ports outside the ephemeral range (above it if
 * there is room, else below), so replies to raw probes never meet a socket
 * of this machine and probes never collide with its own connections. */
uint16_t ps_sport_base(unsigned span);
/* How many descriptors an engine may keep open at once: `want` (0: 1024),
 * after raising RLIMIT_NOFILE's soft limit toward its hard limit, less a
 * reserve of 32; at least `floor`. */
uint32_t ps_fd_width(int want, uint32_t floor);

#endif
